// `miniconv explain relu | pool | dense | softmax | chain | why-conv`: every number printed is the naive
// kernels' number (or, for the chain, the number of miniconv's layers run as a Sequential), and every
// gradient matches central finite differences.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, softmaxCrossEntropy } from '../src/index.ts';
import * as kernels from '../src/kernels/index.ts';
import { CHAIN_INPUT, CHAIN_SEED, chainWeights, compareSizes, explainChain, explainDense, explainPool, explainRelu, explainSoftmax, explainWhyConv } from '../src/explain/index.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  Array.from(a).forEach((v, k) => expect(Math.abs(v - b[k]), `entry ${k}: ${v} vs ${b[k]}`).toBeLessThan(tol * Math.max(1, Math.abs(v))));
}
const t4 = (m: number[][]) => new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));

describe('explainRelu', () => {
  it('y = max(0, x), dx = dy where x > 0: the kernels\' numbers and the finite differences', () => {
    const x = [[1.5, -2, 0.5], [-0.5, 3, -1]], dy = [[1, 2, 3], [4, 5, 6]];
    const e = explainRelu();
    const { out, cache } = kernels.reluForwardNaive(t4(x));
    expect(e.y.flat()).toEqual(Array.from(out.data));
    expect(e.dx.flat()).toEqual(Array.from(kernels.reluBackwardNaive(t4(dy), cache).dx.data));
    expect(e.dx).toEqual([[1, 0, 3], [0, 5, 0]]);
    close(e.numericDx.flat(), e.dx.flat(), 1e-8);
    expect(e.text).toContain('y[0][1] = max(0, -2) = 0');
    expect(e.text).toMatch(/dx\[0\]\[0\] = dy\[0\]\[0\] = 1 +✓ finite difference 1\.000000 +\(x = 1\.5 > 0: on/);
    expect(e.text).toMatch(/dx\[0\]\[1\] = 0 +✓ finite difference 0\.000000 +\(x = -2 < 0: off/);
    expect(e.text.match(/✓/g)).toHaveLength(6);
    expect(e.text).not.toContain('\x1b');
  });
  it('refuses an input on the kink, and a dy of the wrong size', () => {
    expect(() => explainRelu({ input: [[1, 0.0001]] })).toThrow(/^explainRelu: input\[0\]\[1\] = 0.0001 sits on ReLU's kink at 0/);
    expect(() => explainRelu({ input: [[1, 2]], dy: [[1]] })).toThrow("explainRelu: dy must have the output's size 1×2, got 1×1");
  });
});

describe('explainPool', () => {
  it('each window\'s dy goes to its winner: the kernels\' numbers and the finite differences', () => {
    const e = explainPool();
    const x = [[1, 3, 2, 1.5], [4, 0.5, -1, 6], [2.5, 7, 8, 0], [-2, 5, 3.5, 9]];
    const { out, cache } = kernels.maxPool2dForwardNaive(t4(x), { kernelSize: 2, stride: 2 });
    expect(e.y.flat()).toEqual(Array.from(out.data));
    expect(e.dx.flat()).toEqual(Array.from(kernels.maxPool2dBackwardNaive(t4([[1, 2], [3, 4]]), cache).dx.data));
    close(e.numericDx.flat(), e.dx.flat(), 1e-8);
    expect(e.text).toContain('y[0][0] = max(1, 3, 4, 0.5) = 4   (the winner is x[1][0])');
    expect(e.text).toMatch(/dx\[1\]\[0\] = dy\[0\]\[0\] = 1 +✓ finite difference 1\.000000 +\(won window \(0, 0\)\)/);
    expect(e.text).toContain('   [  1    3]   2  1.5\n   [  4  0.5]  -1    6');
  });
  it('overlapping windows: one input can win several, and its gradients add up', () => {
    const x = [[1, 2, 3], [4, 9, 5], [6, 7, 8]];
    const e = explainPool({ input: x, kernelSize: 2, stride: 1, dy: [[1, 2], [3, 4]] });
    expect(e.dx[1][1]).toBe(10);
    expect(e.text).toContain('dx[1][1] = dy[0][0] + dy[0][1] + dy[1][0] + dy[1][1] = 10');
    close(e.numericDx.flat(), e.dx.flat(), 1e-8);
  });
  it('refuses a tie inside a window, and a window larger than the input', () => {
    expect(() => explainPool({ input: [[1, 1], [0, 0]] })).toThrow(/^explainPool: window \(0, 0\) has a tie: x\[0\]\[0\] = 1 and x\[0\]\[1\] = 1/);
    expect(() => explainPool({ input: [[1, 2]], kernelSize: 2 })).toThrow('explainPool: window 2×2 is larger than the input 1×2; expected a kernelSize of at most 1');
  });
});

describe('explainDense', () => {
  it('y, dx, dw, db: the kernels\' numbers and the finite differences', () => {
    const e = explainDense();
    const { out, cache } = kernels.denseForwardNaive(new Tensor([1, 3], Float64Array.from([1, 2, 3])), new Tensor([2, 3], Float64Array.from([1, 0, -1, 0.5, -1, 2])), new Tensor([2], Float64Array.from([0, 1])));
    const g = kernels.denseBackwardNaive(new Tensor([1, 2], Float64Array.from([1, 2])), cache);
    expect(e.y).toEqual(Array.from(out.data));
    expect(e.dx).toEqual(Array.from(g.dx.data));
    expect(e.dw.flat()).toEqual(Array.from(g.dw.data));
    expect(e.db).toEqual(Array.from((g.db as Tensor).data));
    close(e.numericDx, e.dx, 1e-8); close(e.numericDw.flat(), e.dw.flat(), 1e-8); close(e.numericDb, e.db, 1e-8);
    expect(e.text).toContain('y[0] = 1*1 + 2*0 + 3*-1 + 0 = -2');
    expect(e.text).toMatch(/dx\[2\] = 1\*-1 \+ 2\*2 = 3 +✓/);
    expect(e.text.match(/✓/g)).toHaveLength(2 + 6 + 3);
  });
  it('errors', () => {
    expect(() => explainDense({ input: [1, 2], weight: [[1, 2, 3]] })).toThrow('explainDense: weight is 1×3 (OUT, IN), expected 2 columns, one per input feature');
    expect(() => explainDense({ input: [1, 2] })).toThrow(/explainDense: weight must be an array of rows, got undefined/);
    expect(() => explainDense({ input: [] })).toThrow('explainDense: input is empty');
  });
});

describe('explainSoftmax', () => {
  it('probs, loss and dlogits = probs - onehot: softmaxCrossEntropy\'s numbers and the finite differences', () => {
    const e = explainSoftmax({ logits: [2, 1, 0.1], label: 1 });
    const { loss, grad } = softmaxCrossEntropy(new Tensor([1, 3], Float64Array.from([2, 1, 0.1])), [1]);
    expect(e.loss).toBe(loss);
    close(e.dlogits, grad.data, 1e-15);
    close(e.numericDlogits, e.dlogits, 1e-7);
    close(e.probs, Array.from(kernels.softmax(new Tensor([1, 3], Float64Array.from([2, 1, 0.1]))).data), 1e-15);
    expect(e.text).toContain('dlogits[1] = 0.242433 - 1 = -0.757567');
    expect(() => explainSoftmax({ label: 3 })).toThrow('explainSoftmax: label must be an integer from 0 to 2 (one of the 3 classes), got number 3');
  });
});

describe('explainChain', () => {
  const e = explainChain();

  it('every gradient is the one miniconv\'s layers compute, as a Sequential, in float64', () => {
    const w = chainWeights(CHAIN_SEED);
    const conv = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, weightInit: 'zeros' });
    const dense = new Dense({ inFeatures: 8, outFeatures: 3, weightInit: 'zeros' });
    const set = (p: { value: Tensor; grad: Tensor }, v: number[]) => { p.value = new Tensor(p.value.shape, Float64Array.from(v)); p.grad = Tensor.zeros(p.value.shape, 'float64'); };
    set(conv.weight, w.convW); set(conv.bias!, w.convB); set(dense.weight, w.denseW); set(dense.bias!, w.denseB);
    const model = new Sequential([conv, new ReLU(), new MaxPool2D({ kernelSize: 2, stride: 2 }), new Flatten(), dense]);
    const logits = model.forward(new Tensor([1, 1, 6, 6], Float64Array.from(CHAIN_INPUT.flat())));
    const { loss, grad } = softmaxCrossEntropy(logits, [2]);
    model.backward(grad);
    expect(e.loss).toBeCloseTo(loss, 12);
    close(e.dlogits, grad.data, 1e-12);
    close(e.convDw, conv.weight.grad.data, 1e-12);
    close(e.convDb, conv.bias!.grad.data, 1e-12);
    close(e.denseDw, dense.weight.grad.data, 1e-12);
    close(e.numericConvDw, e.convDw, 1e-6);
    close(e.numericConvDb, e.convDb, 1e-6);
    close(e.numericDenseDw, e.denseDw, 1e-6);
    expect(e.lossAfterStep).toBeLessThan(e.loss);
  });

  it('tells the story layer by layer, the kernel\'s dw checked entry by entry', () => {
    for (const s of ['1. Conv2D', '2. ReLU', '3. MaxPool2D', '4. Flatten', '5. Dense', '6. softmax', 'Backward', 'Learning']) expect(e.text).toContain(s);
    expect(e.text.match(/✓/g)).toHaveLength(18 + 2 + 1);
    expect(e.text).not.toContain('✗');
    expect(e.text).toContain(`the loss on this input goes from ${Number(e.loss.toPrecision(6))} to ${Number(e.lossAfterStep.toPrecision(6))}`);
  });

  it('refuses a seed whose weights sit on a kink, and a label out of range', () => {
    expect(() => explainChain({ seed: 15 })).toThrow(/^explainChain: seed 15 puts a ReLU input at 0 .*expected another seed/);
    expect(() => explainChain({ label: 3 })).toThrow('explainChain: label must be an integer from 0 to 2 (the network has 3 classes), got 3');
  });
});

describe('explainWhyConv', () => {
  const e = explainWhyConv();
  it('counts parameters and multiply-adds with miniconv\'s layers (the digit-sized case by the same formulas)', () => {
    expect(e.small).toEqual(compareSizes(1, 8, 2, 3, false));
    const conv = new Conv2D({ inChannels: 1, outChannels: 16, kernelSize: 5, padding: 2, weightInit: 'zeros' });
    expect(e.digits.convParams).toBe(416);
    expect(e.digits.convParams).toBe(conv.params().reduce((a, p) => a + p.value.size, 0));
    expect(e.digits.convMacs).toBe(conv.macs([1, 1, 28, 28]));
    expect(e.digits.denseParams).toBe(784 * 12544 + 12544);
    expect(e.text).toContain('Dense 784→12,544:  9,847,040 parameters');
  });
  it('the feature map shifts with the input; max-pool absorbs one shift and not the next', () => {
    expect(e.equivariant).toBe(true);
    const conv = (m: number[][]) => kernels.conv2dForwardNaive(t4(m), t4([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]]), null, { stride: 1, padding: 0 }).out.data;
    const stroke = (col: number) => Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, c) => (c === col && r >= 2 && r <= 4 ? 1 : 0)));
    expect(e.y[0].flat()).toEqual(Array.from(conv(stroke(3))));
    expect(e.pooledUnchanged).toEqual([9, 3]);
    expect(e.text).toContain('but 0 of the 9 pooled values');
  });
});

describe('miniconv explain relu | pool | dense | softmax | chain | why-conv', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [], err: string[] = [];
    const code = await main(['explain', ...argv], { io: { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false }, data: dataLoaders });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };
  it('each prints plain text without a terminal', async () => {
    for (const argv of [['relu'], ['pool', '--kernel-size', '2', '--stride', '1', '--input', '[[1,2,3],[4,9,5],[6,7,8]]'], ['dense', '--input', '[1,-1]', '--weight', '[[2,3]]'], ['softmax', '--logits', '[0,1]', '--label', '1'], ['chain', '--seed', '2'], ['why-conv']]) {
      const r = await run(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).not.toContain('\x1b');
      expect(r.stdout).not.toContain('✗');
    }
  });
  it('bad arguments exit 2 with the subcommand\'s usage', async () => {
    for (const argv of [['relu', '--input', '[[0]]'], ['pool', '--kernel-size', '0'], ['dense', '--input', '[1,'], ['softmax', '--label', '-1'], ['chain', '--seed', 'x'], ['chain', '--label', '7'], ['why-conv', 'extra'], ['bogus']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^miniconv explain[^\n]*: [^\n]+\n\nUsage: miniconv explain/);
    }
  });
});
