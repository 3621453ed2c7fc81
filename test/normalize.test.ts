// Normalize (layers/normalize.ts, kernels/normalize.ts): float64 gradient checks of both modes on
// every backend, fast == naive, the polarity rule on hand-made pictures, the model file, the errors.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, GlobalAvgPool2D, Normalize, ReLU, Sequential, Tensor, createRng, deserializeModel, gradCheck, serializeModel } from '../src/index.ts';
import { normalizeBackwardFast, normalizeBackwardNaive, normalizeForwardFast, normalizeForwardNaive, STD_FLOOR } from '../src/kernels/normalize.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { randn, relMaxError, shapeName } from './helpers.ts';

const BACKENDS = ['naive', 'ts', 'wasm'] as const;

describe.each(BACKENDS)('Normalize gradient checks, %s backend', (backend) => {
  for (const shape of [[1, 1, 4, 4], [2, 3, 5, 7], [3, 2, 6, 6]]) {
    it(`image mode dx x=${shapeName(shape)}`, () => {
      const r = gradCheck(new Normalize({ mode: 'image', backend }), randn(shape, `norm-image-${shape}`));
      if (!r.passed) throw new Error(JSON.stringify(r.errors));
      expect(r.maxRelError).toBeLessThan(1e-6);
    });
    it(`dataset mode dx x=${shapeName(shape)}`, () => {
      const C = shape[1];
      const layer = new Normalize({ mode: 'dataset', mean: Array.from({ length: C }, (_, c) => 0.1 * c), std: Array.from({ length: C }, (_, c) => 0.2 + 0.1 * c), backend });
      const r = gradCheck(layer, randn(shape, `norm-dataset-${shape}`));
      if (!r.passed) throw new Error(JSON.stringify(r.errors));
    });
  }
  it('image mode on a nearly flat plane (its std under the floor) and a model ending in softmax cross-entropy', () => {
    const x = randn([2, 2, 5, 5], 'flat');
    for (let j = 0; j < 25; j++) x.data[25 + j] = 0.5 + 0.004 * x.data[25 + j]; // picture 0, channel 1: std about 0.004
    const r = gradCheck(new Normalize({ mode: 'image', backend }), x);
    if (!r.passed) throw new Error(JSON.stringify(r.errors));
    const rng = createRng(4);
    const model = new Sequential([new Normalize({ mode: 'image' }), new Conv2D({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng }), new ReLU(),
      new GlobalAvgPool2D(), new Dense({ inFeatures: 3, outFeatures: 2, rng })]).setBackend(backend);
    const m = gradCheck(model, randn([2, 2, 6, 6], 'norm-net'), { labels: [1, 0] });
    if (!m.passed) throw new Error(JSON.stringify(m.errors));
  });
});

describe('Normalize: fast == naive, and what it computes', () => {
  it('the fast pair gives the naive numbers on random shapes', () => {
    const rng = createRng(11);
    for (let t = 0; t < 8; t++) {
      const shape = [1 + rng.int(3), 1 + rng.int(3), 2 + rng.int(6), 2 + rng.int(6)];
      const x = randn(shape, `nf-${t}`), dy = randn(shape, `nf-dy-${t}`);
      const p = t % 2 ? { mode: 'image' as const } : { mode: 'dataset' as const, mean: Array(shape[1]).fill(0.3), std: Array(shape[1]).fill(0.7) };
      const a = normalizeForwardNaive(x, p), b = normalizeForwardFast(x, p, { ws: createWorkspace() });
      expect(relMaxError(a.out.data, b.out.data)).toBeLessThan(1e-6);
      expect(relMaxError(normalizeBackwardNaive(dy, a.cache).dx.data, normalizeBackwardFast(dy, b.cache, { ws: createWorkspace() }).dx.data)).toBeLessThan(1e-6);
    }
  });

  /** A 3 x 6 x 6 picture: a 2 x 2 square of colour `fg` in the middle of `bg`. */
  const square = (fg: number[], bg: number[]) => {
    const x = new Float32Array(3 * 36);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 6; y++) for (let xx = 0; xx < 6; xx++) x[c * 36 + y * 6 + xx] = y >= 2 && y < 4 && xx >= 2 && xx < 4 ? fg[c] : bg[c];
    return x;
  };
  it('image mode: the background comes out dark whatever the colours; a red square on blue = a blue square on red', () => {
    const layer = new Normalize({ mode: 'image' });
    const a = layer.forward(new Tensor([1, 3, 6, 6], square([1, 0, 0], [0, 0, 1])));
    const b = layer.forward(new Tensor([1, 3, 6, 6], square([0, 0, 1], [1, 0, 0])));
    expect(relMaxError(a.data, b.data)).toBeLessThan(1e-6);
    // Red plane: square 1, background 0 -> mean 4/36, std sqrt(4/36 * 32/36); the background is below the mean.
    const m = 4 / 36, s = Math.sqrt(m * (1 - m));
    expect(a.data[0]).toBeCloseTo((0 - m) / s, 5);
    expect(a.data[2 * 6 + 2]).toBeCloseTo((1 - m) / s, 5);
    expect(a.data[36 + 2 * 6 + 2]).toBe(0); // the green plane is flat: 0 everywhere (std floored)
    expect(a.data[72 + 0]).toBeCloseTo((0 - m) / s, 5); // blue plane was light background: flipped to dark
    expect(STD_FLOOR).toBe(0.05);
  });
  it('dataset mode: (x - mean) / std per channel', () => {
    const y = new Normalize({ mode: 'dataset', mean: [0.5, 0.25], std: [0.5, 2] }).forward(new Tensor([1, 2, 2, 2], [1, 0, 0.5, 0.25, 0.25, 2.25, 0.25, 0.25]));
    expect(Array.from(y.data)).toEqual([1, -1, 0, -0.5, 0, 1, 0, 0]);
  });
  it('is saved in the model file and read back', () => {
    const rng = createRng(2);
    const model = new Sequential([new Normalize({ mode: 'dataset', mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] }), new Conv2D({ inChannels: 3, outChannels: 2, kernelSize: 3, rng }),
      new GlobalAvgPool2D(), new Dense({ inFeatures: 2, outFeatures: 2, rng })]);
    const back = deserializeModel(serializeModel(model, [3, 8, 8])).model;
    const x = randn([2, 3, 8, 8], 'saved');
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(model.forward(x).data));
    expect(back.config()).toEqual(model.config());
  });
  it('bad options and shapes, with the layer named', () => {
    expect(() => new Normalize({ mode: 'pixel' } as never)).toThrow("Normalize: mode must be 'dataset' (mean and std per channel) or 'image'");
    expect(() => new Normalize({ mode: 'dataset', mean: [0], std: [0] })).toThrow('Normalize: std must be a non-empty array of positive finite numbers');
    expect(() => new Normalize({ mode: 'dataset', mean: [0, 1], std: [1] })).toThrow('mean has 2 values and std 1');
    expect(() => new Normalize({ mode: 'dataset', mean: [0], std: [1] }).forward(new Tensor([1, 3, 4, 4]))).toThrow(/has 3 channels, but the normalisation holds 1 means/);
    expect(() => new Normalize({ mode: 'image' }).forward(new Tensor([1, 3, 1, 4]))).toThrow(/at least 2x2/);
  });
});
