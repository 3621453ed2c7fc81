// Every backward pass checked against central finite differences in float64 (relative error < 1e-6).
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, createRng, gradCheck, relError } from '../src/index.ts';
import { awayFromZero, distinct, randn, shapeName } from './helpers.ts';

const TOL = 1e-6;
const measured: Record<string, number> = {};
function expectPass(label: string, r: ReturnType<typeof gradCheck>) {
  measured[label] = r.maxRelError;
  if (!r.passed) throw new Error(`${label}: ${JSON.stringify(r.errors)}`);
  expect(r.maxRelError).toBeLessThan(TOL);
  // These inputs keep away from kinks (helpers.ts): every entry must be judged by the central difference.
  expect(Object.values(r.kinks).reduce((a, b) => a + b, 0), `${label}: entries taken for kinks`).toBe(0);
}

// A grid over batch, channels, non-square sizes, kernel 1/2/3/5, stride 1/2/3, padding 0/1/2,
// including sizes the stride does not divide evenly.
const convCases: Array<{ x: number[]; w: number[]; s: number; p: number; bias: boolean }> = [];
{
  let i = 0;
  for (const k of [1, 2, 3, 5]) {
    for (const s of [1, 2, 3]) {
      for (const p of [0, 1, 2]) {
        const N = i % 2 === 0 ? 1 : 3;
        const C = i % 3 === 0 ? 3 : 1;
        const H = 5 + (i % 4), W = 6 + ((i * 3) % 5);
        const F = 1 + (i % 4);
        convCases.push({ x: [N, C, H, W], w: [F, C, k, k], s, p, bias: i % 5 !== 4 });
        i++;
      }
    }
  }
  convCases.push({ x: [3, 2, 7, 5], w: [4, 2, 3, 3], s: 2, p: 1, bias: true });
  convCases.push({ x: [2, 3, 9, 4], w: [2, 3, 5, 2], s: 3, p: 2, bias: true }); // non-square kernel
}

// 'wasm' runs float64 (these checks) through the 'ts' code: see src/backend/backend.ts.
const BACKENDS = ['naive', 'ts', 'wasm'] as const;

describe.each(BACKENDS)('conv2d gradient checks, %s backend', (backend) => {
  for (const [i, c] of convCases.entries()) {
    const name = `conv2d dx,dw,db x=${shapeName(c.x)} w=${shapeName(c.w)} s=${c.s} p=${c.p}${c.bias ? '' : ' nobias'} ${backend}`;
    it(name, () => {
      const conv = new Conv2D({
        backend, inChannels: c.w[1], outChannels: c.w[0], kernelSize: [c.w[2], c.w[3]], stride: c.s, padding: c.p,
        bias: c.bias, rng: createRng(i), biasInit: (shape, rng) => Array.from({ length: shape[0] }, () => rng.normal()),
      });
      const r = gradCheck(conv, randn(c.x, `conv-x-${i}`), { seed: i });
      expect(Object.keys(r.errors)).toEqual(c.bias ? ['x', 'weight', 'bias'] : ['x', 'weight']);
      expectPass(name, r);
    });
  }
});

describe.each(BACKENDS)('max-pool2d gradient checks, %s backend', (backend) => {
  const cases = [
    { x: [1, 1, 4, 4], size: 2, stride: 2 },
    { x: [3, 2, 7, 5], size: 2, stride: 2 }, // stride does not divide: last row/column dropped
    { x: [2, 3, 6, 9], size: 3, stride: 3 },
    { x: [2, 2, 7, 7], size: 3, stride: 2 }, // overlapping windows
    { x: [1, 3, 8, 6], size: 2, stride: 3 }, // windows skip pixels
    { x: [3, 1, 5, 8], size: 3, stride: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    const name = `maxPool2d dx x=${shapeName(c.x)} size=${c.size} stride=${c.stride} ${backend}`;
    it(name, () => expectPass(name, gradCheck(new MaxPool2D({ kernelSize: c.size, stride: c.stride, backend }), distinct(c.x, `pool-${i}`), { seed: i })));
  }
});

describe.each(BACKENDS)('relu, flatten and dense gradient checks, %s backend', (backend) => {
  for (const shape of [[1, 5], [3, 2, 4, 5]]) {
    const name = `relu dx x=${shapeName(shape)} ${backend}`;
    it(name, () => expectPass(name, gradCheck(new ReLU({ backend }), awayFromZero(shape, name))));
  }
  it(`flatten dx x=[3,2,4,5]`, () => expectPass(`flatten dx x=[3,2,4,5] ${backend}`, gradCheck(new Flatten(), randn([3, 2, 4, 5], 'fl'))));
  for (const [N, I, O, bias] of [[1, 7, 3, true], [4, 12, 10, true], [3, 5, 6, false]] as const) {
    const name = `dense dx,dw,db x=[${N},${I}] w=[${O},${I}]${bias ? '' : ' nobias'} ${backend}`;
    it(name, () => {
      const d = new Dense({ inFeatures: I, outFeatures: O, bias, rng: createRng(name), biasInit: 'xavierUniform', backend });
      expectPass(name, gradCheck(d, randn([N, I], name)));
    });
  }
});

describe.each(BACKENDS)('a whole small CNN with softmax cross-entropy, %s backend', (backend) => {
  it('conv-relu-pool-conv-relu-pool-flatten-dense x=[2,2,12,10], end to end', () => {
    const rng = createRng(7);
    const model = new Sequential([
      new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, rng, backend }),
      new ReLU({ backend }),
      new MaxPool2D({ kernelSize: 2, backend }),
      new Conv2D({ inChannels: 4, outChannels: 3, kernelSize: 3, stride: 1, padding: 1, rng, backend }),
      new ReLU({ backend }),
      new MaxPool2D({ kernelSize: 2, stride: 2, backend }),
      new Flatten(),
      new Dense({ inFeatures: 3 * 3 * 2, outFeatures: 5, rng, backend }),
    ]);
    const r = gradCheck(model, randn([2, 2, 12, 10], 'cnn-x'), { labels: [3, 1] });
    expect(Object.keys(r.errors)).toEqual(['x', ...model.params().map((p) => p.name)]);
    expectPass(`cnn end to end ${backend}`, r);
    if (backend !== 'wasm') return;
    console.log('gradient-check relative errors (max over each check):\n' +
      Object.entries(measured).map(([k, v]) => `  ${v.toExponential(2)}  ${k}`).join('\n'));
  });
});

describe('the checker itself', () => {
  it('rejects a wrong backward pass', () => {
    const d = new Dense({ inFeatures: 4, outFeatures: 3, rng: createRng(1) });
    const realBackward = d.backward.bind(d);
    d.backward = (dy) => { const dx = realBackward(dy); d.weight.grad.data[0] *= 1.01; return dx; };
    const r = gradCheck(d, randn([2, 4], 'bad'));
    expect(r.passed).toBe(false);
    expect(r.errors.weight).toBeGreaterThan(1e-3);
    expect(r.errors.x).toBeLessThan(TOL);
  });
  it('rejects a wrong backward pass at a kink too (the analytic value on neither one-sided slope)', () => {
    const relu = new ReLU();
    const realBackward = relu.backwardView.bind(relu);
    relu.backwardView = (dy) => { const dx = realBackward(dy).clone(); dx.data[0] = 0.5 * dy.data[0]; return dx; };
    const x = randn([1, 4], 'kink'); x.data[0] = 0; // exactly on the kink
    const r = gradCheck(relu, x);
    expect(r.kinks.x).toBe(1);
    expect(r.passed).toBe(false);
    expect(r.kinkFailures.map((k) => k.index)).toEqual([0]);
  });
  it('relError is CS231n\'s elementwise form', () => {
    expect(relError([1, 2], [1, 2])).toBe(0);
    expect(relError([1, 0], [3, 0])).toBeCloseTo(0.5, 12);
  });
});
