// The playground's own modules, in Node: the digit asset, the URL state, the trainer (the same
// loop as fit()), and the backprop stages against the layers' own gradients.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../datasets/mnist.ts';
import { decodeDigits, encodeDigits } from '../../playground/src/digits-format.ts';
import { SEED_CASE, defaultInput, defaultKernel, dwTerms, dxTerms, explore, groupOf, parseBlocks, parseMatrix } from '../../playground/src/explorer-math.ts';
import { activations, backpropOnDigit } from '../../playground/src/inspect-net.ts';
import { DEFAULT_CONFIG, buildModel } from '../../playground/src/models.ts';
import { Trainer } from '../../playground/src/trainer.ts';
import { readState, writeState } from '../../playground/src/ui/url-state.ts';
import { explainConv } from '../../src/explain/index.ts';
import { softmaxCrossEntropy } from '../../src/kernels/softmax-xent.ts';
import { SGD } from '../../src/optim/sgd.ts';
import { Tensor } from '../../src/tensor.ts';
import { randomShift } from '../../src/train/augment.ts';
import { fit } from '../../src/train/fit.ts';

const { train, test: held } = loadDigits();
const small = { ...DEFAULT_CONFIG, model: 'small' as const, augment: 'shift' as const, lr: 0.01, batchSize: 50 };

describe('the page stands on the library', () => {
  test("imports miniconv only by its package entries ('miniconv', 'miniconv/digits', 'miniconv/kernels'), never src/ by path", () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'playground', 'src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const specifiers = files.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => ({ f, spec: m[1] })));
    // The in-page benchmark (src/bench/) runs the peers' own code, the same as `npm run bench`'s
    // (bench/peers/: TF.js's model, its missing wasm kernel, the shared layouts); that is not miniconv.
    const peerCode = ({ f, spec }: { f: string; spec: string }) => f.startsWith('bench/') && /^\.\.\/\.\.\/\.\.\/bench\/peers\/[\w-]+\.ts$/.test(spec);
    const reaching = specifiers.filter(({ spec }) => /(^|\/)src\//.test(spec) || /^\.\.\/\.\.\//.test(spec)).filter((s) => !peerCode(s));
    expect(reaching).toEqual([]);
    expect(specifiers.filter(peerCode).length).toBeGreaterThan(0); // the exception is in use (else drop it)
    const entries = new Set(specifiers.filter(({ spec }) => spec.startsWith('miniconv')).map(({ spec }) => spec));
    expect([...entries].sort()).toEqual(['miniconv', 'miniconv/digits', 'miniconv/kernels']);
  });
});

describe('digits.bin', () => {
  const bytes = encodeDigits(train, held);

  test('decodes to exactly the pixels and labels of loadDigits(), in under 8 MB', () => {
    const back = decodeDigits(bytes);
    expect(back.train.count).toBe(8000);
    expect(back.test.count).toBe(2000);
    expect(Buffer.from(back.train.images.buffer).equals(Buffer.from(train.images.buffer))).toBe(true);
    expect(Buffer.from(back.test.images.buffer).equals(Buffer.from(held.images.buffer))).toBe(true);
    expect([...back.test.labels]).toEqual([...held.labels]);
    expect(bytes.length).toBeLessThan(8e6);
  });

  test('rejects a damaged, truncated or foreign file with an error that says which', () => {
    const damaged = bytes.slice();
    damaged[5000] ^= 1;
    expect(() => decodeDigits(damaged)).toThrow(/checksum .* does not match/);
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 10))).toThrow(/expected 7851044 for 8000 \+ 2000 digits \(truncated download\?\)/);
    expect(() => decodeDigits(new TextEncoder().encode('<!doctype html>'.padEnd(2000)))).toThrow(/not a miniconv digit file/);
  });
});

describe('the URL state', () => {
  test('round-trips every setting and the open panel', () => {
    const s = { config: { model: 'small' as const, lr: 0.005, momentum: 0.5, batchSize: 64, augment: 'affine' as const, seed: 7 }, panel: 'kernels' as const };
    expect(writeState(s)).toBe('?model=small&lr=0.005&momentum=0.5&batch=64&augment=affine&seed=7&panel=kernels');
    expect(readState(writeState(s))).toEqual(s);
    expect(readState('')).toEqual({ config: DEFAULT_CONFIG, panel: 'train' });
    expect(readState('?threads=1')).toEqual({ config: DEFAULT_CONFIG, panel: 'train', threads: 1 });
    expect(writeState({ config: DEFAULT_CONFIG, panel: 'train', threads: 2 })).toMatch(/&threads=2$/);
  });

  test('names the bad parameter and what it accepts', () => {
    expect(() => readState('?lr=fast')).toThrow('URL parameter lr=fast is not a number');
    expect(() => readState('?model=huge')).toThrow('URL parameter model=huge: expected one of default, small');
    expect(() => readState('?batch=0')).toThrow('URL: batch size must be an integer from 1 to 512, got 0');
    expect(() => readState('?panel=nope')).toThrow(/expected one of train, kernels, draw, backprop, explorer, models, classes/);
    expect(() => readState('?threads=3')).toThrow('URL parameter threads=3: expected 1 or 2');
  });
});

describe('the trainer', () => {
  test('runs the very loop of fit(): the same seed gives the same losses, step for step', () => {
    const steps = 30;
    const trainer = new Trainer(small, train);
    const pageLosses = Array.from({ length: steps }, () => trainer.trainBatch()!.loss);
    const model = buildModel('small', small.seed);
    const fitLosses: number[] = [];
    const subset = { ...train }; // fit() runs whole epochs: stop it after `steps` batches
    try {
      fit(model, subset, {
        epochs: 1, batchSize: small.batchSize, seed: small.seed, augment: randomShift(2), lrDecay: 0.85,
        optimizer: new SGD(model.params(), { lr: small.lr, momentum: small.momentum, weightDecay: 5e-4 }),
        onBatchEnd: (b) => { fitLosses.push(b.loss); if (fitLosses.length === steps) throw new Error('enough'); },
      });
    } catch (e) {
      if ((e as Error).message !== 'enough') throw e;
    }
    expect(pageLosses).toEqual(fitLosses);
    expect(pageLosses.at(-1)!).toBeLessThan(pageLosses[0]);
  }, 60_000);

  test('ends an epoch after ceil(8000 / batch) steps and decays the learning rate', () => {
    const t = new Trainer({ ...small, batchSize: 500 }, train);
    const results = Array.from({ length: 16 }, () => t.trainBatch()!);
    expect(results.map((r) => r.epochEnded).indexOf(true)).toBe(15);
    expect(t.epoch).toBe(2);
    expect(t.optimizer.lr).toBeCloseTo(small.lr * 0.85, 12);
  }, 60_000);

  test('a bad setting is refused with its name and range', () => {
    expect(() => new Trainer({ ...small, lr: -1 }, train)).toThrow('playground: learning rate must be a number in (0, 1], got -1');
    expect(() => new Trainer({ ...small, batchSize: 2.5 }, train)).toThrow('batch size must be an integer from 1 to 512');
  });
});

describe('backprop on one digit', () => {
  const trainer = new Trainer(small, train);
  for (let i = 0; i < 40; i++) trainer.trainBatch();
  const x = new Tensor([1, 1, 28, 28], held.images.slice(0, 784));
  const label = held.labels[0];

  test('the naive stages give the gradients of the layers themselves, and the step raises P(true label)', () => {
    const r = backpropOnDigit(trainer.model, x, label, 0.05);
    // The same gradients through the layer API (fast kernels, float32).
    const model = trainer.model;
    const opt = new SGD(model.params(), { lr: 0 });
    opt.zeroGrad();
    const { grad } = softmaxCrossEntropy(model.forward(x), [label]);
    model.backward(grad);
    for (const l of model.layers) {
      const stage = r.stages.find((s) => s.layer === l.name)!;
      for (const p of l.params()) {
        const mine = p.name.endsWith('.bias') ? stage.db! : stage.dw!;
        const scale = Math.max(...Array.from(p.grad.data, Math.abs));
        const err = Math.max(...Array.from(p.grad.data, (g, k) => Math.abs(g - mine.data[k])));
        expect(err / scale, p.name).toBeLessThan(1e-4);
      }
    }
    opt.zeroGrad();
    expect(r.stages.map((s) => s.type)).toEqual(['Conv2D', 'ReLU', 'MaxPool2D', 'Conv2D', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense']);
    expect(r.probsAfter[label]).toBeGreaterThan(r.probs[label]);
    expect(r.lossAfter).toBeLessThan(r.loss);
    // The max-pool stage routes each window's gradient to exactly one position.
    const pool = r.stages[2];
    const nonzero = Array.from(pool.dx.data).filter((v) => v !== 0).length;
    expect(nonzero).toBeLessThanOrEqual(pool.dy.data.length);
  });

  test('activations: one output per layer, and the probabilities of the model', () => {
    const a = activations(trainer.model, x);
    expect(a.activations.layers.map((l) => l.y.shape)).toEqual([[1, 8, 28, 28], [1, 8, 28, 28], [1, 8, 14, 14], [1, 16, 14, 14], [1, 16, 14, 14], [1, 16, 4, 4], [1, 256], [1, 10]]);
    expect(a.activations.layers[2].madeBy).toBe('conv2d_1');
    expect(a.probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
  });

  test('a label outside 0..9 is refused', () => {
    expect(() => backpropOnDigit(trainer.model, x, 10, 0.1)).toThrow('backprop: the true label must be a digit 0..9, got 10');
  });
});

describe('the explorer', () => {
  const sum = (t: Array<{ dy: number; factor: number }>) => t.reduce((a, k) => a + k.dy * k.factor, 0);

  test('gives the numbers of miniconv explain over channels, filters, groups, dilation, strides and paddings', () => {
    let cases = 0;
    for (const [C, F, G] of [[1, 1, 1], [2, 1, 1], [1, 3, 1], [2, 4, 2], [3, 3, 3], [4, 4, 4], [4, 2, 2], [2, 4, 1], [4, 4, 1]]) {
      for (const [n, k, stride, padding, dilation] of [[3, 2, 1, 0, 1], [4, 3, 2, 1, 1], [5, 2, 3, 2, 1], [5, 2, 1, 0, 2], [5, 3, 2, 1, 2], [6, 2, 1, 1, 3], [4, 2, 2, 0, 3]]) {
        const at = `C ${C} F ${F} G ${G} n ${n} k ${k} stride ${stride} padding ${padding} dilation ${dilation}`;
        const x = Array.from({ length: C }, (_, c) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.sin(c * 31 + i * n + j))));
        const w = Array.from({ length: F }, (_, f) => Array.from({ length: C / G }, (_, cg) => Array.from({ length: k }, (_, u) => Array.from({ length: k }, (_, v) => Math.cos(7 * f + 5 * cg + 3 * u + v)))));
        const base = { x, w, stride, padding, dilation, groups: G };
        const probe = explore(base);
        // The default dy is explain's (1, 2, 3, ... over filters, rows and columns): the same dx and dw.
        const byDefault = explainConv({ input: x, kernel: w, stride, padding, dilation, groups: G });
        expect([probe.dx, probe.dw], at).toEqual([byDefault.dx, byDefault.dw]);
        const dy = probe.dy.map((m, f) => m.map((row, i) => row.map((_, j) => i - 2 * j + 0.5 + f)));
        const mine = explore({ ...base, dy });
        const e = explainConv({ input: x, kernel: w, stride, padding, dilation, groups: G, dy });
        expect(mine.y, at).toEqual(e.y);
        expect(mine.dw, at).toEqual(e.dw);
        expect(mine.dx, at).toEqual(e.dx);
        // The products the page writes out add up to those numbers, and read only the filter's group.
        const c = { ...base, dy };
        mine.y.forEach((m, f) => m.forEach((row, i) => row.forEach((v, j) => {
          const terms = mine.terms[f][i][j];
          expect(terms.reduce((a, t) => a + t.x * t.w, 0), at).toBeCloseTo(v, 12);
          expect(new Set(terms.map((t) => t.c)), at).toEqual(new Set(groupOf(mine, f).channels));
          for (const t of terms) {
            expect(t.ih, at).toBe(i * stride + t.u * dilation - padding);
            if (!t.padded) expect(t.x).toBe(x[t.c][t.ih][t.iw]);
          }
        })));
        mine.dw.forEach((wf, f) => wf.forEach((m, cg) => m.forEach((row, u) => row.forEach((v, vv) => expect(sum(dwTerms(c, mine, f, cg, u, vv)), at).toBeCloseTo(v, 12)))));
        mine.dx.forEach((m, ch) => m.forEach((row, ih) => row.forEach((v, iw) => expect(sum(dxTerms(c, mine, ch, ih, iw)), at).toBeCloseTo(v, 12))));
        cases++;
      }
    }
    expect(cases).toBe(63);
  });

  test('the default numbers: the seed example, and at 3x3 and 2x2 the defaults of explain', () => {
    const seed = explore(SEED_CASE);
    expect(seed.y).toEqual([[[4, 4], [4, 4]]]);
    expect(seed.dy).toEqual([[[1, 2], [3, 4]]]);
    for (const [C, F, G] of [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4], [2, 4, 1], [4, 2, 2]]) {
      const r = explore({ x: defaultInput(C, 3), w: defaultKernel(F, C / G, 2), stride: 1, padding: 0, groups: G });
      const e = explainConv({ channels: C, filters: F, groups: G });
      expect([r.y, r.dw, r.dx], `C ${C} F ${F} G ${G}`).toEqual([e.y, e.dw, e.dx]);
    }
    expect(defaultKernel(1, 1, 3)).toEqual([[[[-1, 0, 0], [0, 0, 0], [0, 0, 1]]]]);
    expect(defaultInput(3, 2)).toEqual([[[1, 2], [3, 4]], [[1, 3], [2, 4]], [[4, 3], [2, 1]]]);
  });

  test('bad matrices and settings are refused with the row and the reason', () => {
    expect(() => parseMatrix('1 2\n3', 'input x')).toThrow('input x is not rectangular: row 2 has 1 numbers, row 1 has 2');
    expect(() => parseMatrix('1 two', 'kernel w')).toThrow('kernel w, row 1: "two" is not a number');
    expect(() => explore({ x: [[[1]]], w: [[[[1, 2], [3, 4]]]], stride: 1, padding: 0 })).toThrow('kernel 2x2 is larger than the padded input 1x1 (input 1x1, padding 0); use a smaller kernel');
    expect(() => explore({ x: defaultInput(1, 4), w: defaultKernel(1, 1, 2), stride: 1, padding: 0, dilation: 4 })).toThrow('kernel 2x2 (dilated 4: spans 5x5) is larger than the padded input 4x4');
    expect(() => explore({ x: defaultInput(3, 3), w: defaultKernel(2, 3, 2), stride: 1, padding: 0, groups: 2 })).toThrow('groups 2 must divide the input channels 3');
    expect(() => explore({ x: defaultInput(2, 3), w: defaultKernel(2, 2, 2), stride: 1, padding: 0, groups: 2 })).toThrow('filter 0 has 2 kernel planes, expected C/groups = 2/2 = 1');
    expect(() => explore({ ...SEED_CASE, dy: [[[1, 2]]] })).toThrow("dy must have the output's size 1x2x2 (filters x rows x columns), got 1x1x2");
    expect(parseBlocks('1 2\n3 4\n\n5 6\n7 8', 'input x', 2, (c) => `x[${c}]`)).toEqual([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    expect(() => parseBlocks('1 2\n3 4', 'input x', 2, (c) => `x[${c}]`)).toThrow('input x has 1 block of numbers, expected 2 (x[0] to x[1]), separated by a blank line');
    expect(() => parseBlocks('1 2\n\n3 x', 'dy', 2, (f) => `dy[${f}]`)).toThrow('dy dy[1], row 1: "x" is not a number');
  });
});
