// AvgPool2D and GlobalAvgPool2D: float64 gradient checks on every backend, fast == naive on random
// configurations, hand-computed values, one model taking inputs of different sizes, and the errors.
import { describe, expect, it } from 'vitest';
import { AvgPool2D, Dense, GlobalAvgPool2D, Conv2D, ReLU, Sequential, Tensor, createRng, gradCheck } from '../src/index.ts';
import { type DType } from '../src/tensor.ts';
import { avgPool2dBackwardNaive, avgPool2dForwardNaive } from '../src/kernels/avg-pool2d.ts';
import { avgPool2dBackwardFast, avgPool2dForwardFast } from '../src/kernels/avg-pool2d-fast.ts';
import {
  globalAvgPool2dBackwardFast, globalAvgPool2dBackwardNaive, globalAvgPool2dForwardFast, globalAvgPool2dForwardNaive,
} from '../src/kernels/global-avg-pool2d.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { randn, shapeName, relMaxError } from './helpers.ts';

const BACKENDS = ['naive', 'ts', 'wasm'] as const;

describe.each(BACKENDS)('average-pool gradient checks, %s backend', (backend) => {
  const cases = [
    { x: [1, 1, 4, 4], k: 2, s: 2 },
    { x: [3, 2, 7, 5], k: 2, s: 2 }, // stride does not divide: last row/column dropped
    { x: [2, 3, 6, 9], k: 3, s: 3 },
    { x: [2, 2, 7, 7], k: 3, s: 2 }, // overlapping windows
    { x: [1, 3, 8, 6], k: 2, s: 3 }, // windows skip pixels
    { x: [2, 1, 5, 8], k: 5, s: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    const name = `avgPool2d dx x=${shapeName(c.x)} k=${c.k} s=${c.s} ${backend}`;
    it(name, () => {
      const r = gradCheck(new AvgPool2D({ kernelSize: c.k, stride: c.s, backend }), randn(c.x, name), { seed: i });
      if (!r.passed) throw new Error(`${name}: ${JSON.stringify(r.errors)}`);
      expect(r.maxRelError).toBeLessThan(1e-6);
    });
  }
  for (const shape of [[1, 1, 1, 1], [2, 3, 5, 7], [3, 4, 6, 6]]) {
    const name = `globalAvgPool2d dx x=${shapeName(shape)} ${backend}`;
    it(name, () => {
      const r = gradCheck(new GlobalAvgPool2D({ backend }), randn(shape, name));
      if (!r.passed) throw new Error(`${name}: ${JSON.stringify(r.errors)}`);
      expect(r.maxRelError).toBeLessThan(1e-6);
    });
  }
  it('a conv - relu - global-average-pool - dense net with softmax cross-entropy, end to end', () => {
    const rng = createRng(9);
    const model = new Sequential([
      new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, groups: 2, rng }), new ReLU(),
      new AvgPool2D({ kernelSize: 2 }), new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 3, dilation: 2, padding: 2, groups: 4, rng }),
      new GlobalAvgPool2D(), new Dense({ inFeatures: 4, outFeatures: 3, rng }),
    ]).setBackend(backend);
    const r = gradCheck(model, randn([2, 2, 9, 8], 'gap-net'), { labels: [2, 0] });
    if (!r.passed) throw new Error(JSON.stringify(r.errors));
    expect(Object.keys(r.errors)).toEqual(['x', ...model.params().map((p) => p.name)]);
  });
});

describe('average pools: fast == naive', () => {
  for (const [dtype, tol] of [['float64', 1e-12], ['float32', 1e-6]] as const) {
    it(`avgPool2d: 300 random configurations, ${dtype}, buffers reused across shapes`, () => {
      const rng = createRng(`avg-${dtype}`);
      const ws = createWorkspace();
      let done = 0;
      while (done < 300) {
        const N = 1 + rng.int(3), C = 1 + rng.int(4), H = 1 + rng.int(12), W = 1 + rng.int(12), k = 1 + rng.int(4), s = 1 + rng.int(4);
        if (H < k || W < k) continue;
        const x = Tensor.zeros([N, C, H, W], dtype as DType);
        for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
        const p = { kernelSize: k, stride: s };
        const fast = avgPool2dForwardFast(x, p, { ws });
        const ref = avgPool2dForwardNaive(x.to('float64'), p);
        const name = `x=${shapeName([N, C, H, W])} k=${k} s=${s}`;
        expect(fast.out.shape, name).toEqual(ref.out.shape);
        expect(fast.out.dtype, name).toBe(dtype);
        expect(relMaxError(fast.out.data, ref.out.data), name).toBeLessThanOrEqual(tol);
        const dy = Tensor.zeros([...ref.out.shape], dtype as DType);
        for (let i = 0; i < dy.size; i++) dy.data[i] = rng.normal();
        const dx = avgPool2dBackwardFast(dy, fast.cache, { ws }).dx;
        expect(dx.dtype, name).toBe(dtype);
        expect(relMaxError(dx.data, avgPool2dBackwardNaive(dy.to('float64'), ref.cache).dx.data), name).toBeLessThanOrEqual(tol);
        done++;
      }
    });
    it(`globalAvgPool2d: 100 random shapes, ${dtype}`, () => {
      const rng = createRng(`gap-${dtype}`);
      const ws = createWorkspace();
      for (let t = 0; t < 100; t++) {
        const shape = [1 + rng.int(3), 1 + rng.int(5), 1 + rng.int(9), 1 + rng.int(9)];
        const x = Tensor.zeros(shape, dtype as DType);
        for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
        const fast = globalAvgPool2dForwardFast(x, { ws });
        const ref = globalAvgPool2dForwardNaive(x.to('float64'));
        expect(fast.out.shape).toEqual([shape[0], shape[1]]);
        expect(relMaxError(fast.out.data, ref.out.data), shapeName(shape)).toBeLessThanOrEqual(tol);
        const dy = Tensor.zeros([shape[0], shape[1]], dtype as DType);
        for (let i = 0; i < dy.size; i++) dy.data[i] = rng.normal();
        const dx = globalAvgPool2dBackwardFast(dy, fast.cache, { ws }).dx;
        expect(relMaxError(dx.data, globalAvgPool2dBackwardNaive(dy.to('float64'), ref.cache).dx.data), shapeName(shape)).toBeLessThanOrEqual(tol);
      }
    });
  }
});

describe('values by hand', () => {
  it('AvgPool2D 2x2 stride 2 averages each window; backward shares dy equally', () => {
    const x = Tensor.from([[[[1, 2, 3, 4, 9], [5, 6, 7, 8, 9], [9, 9, 9, 9, 9]]]], 'float64');
    const pool = new AvgPool2D({ kernelSize: 2, backend: 'naive' });
    expect([...pool.forward(x).data]).toEqual([3.5, 5.5]);
    expect([...pool.backward(Tensor.from([[[[4, 8]]]], 'float64')).data]).toEqual([1, 1, 2, 2, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0]);
  });
  it('GlobalAvgPool2D: (N, C, H, W) -> (N, C), the mean of each plane', () => {
    const x = Tensor.from([[[[1, 2], [3, 4]], [[0, 0], [0, 8]]]], 'float64');
    const gap = new GlobalAvgPool2D();
    expect(gap.forward(x).shape).toEqual([1, 2]);
    expect([...gap.forward(x).data]).toEqual([2.5, 2]);
    expect([...gap.backward(Tensor.from([[4, 8]], 'float64')).data]).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
  });
  it('one model with GlobalAvgPool2D takes inputs of different sizes', () => {
    const rng = createRng(3);
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }), new ReLU(), new GlobalAvgPool2D(),
      new Dense({ inFeatures: 4, outFeatures: 10, rng }),
    ]);
    for (const [H, W] of [[28, 28], [14, 20], [40, 33]]) {
      const y = model.forward(randn([2, 1, H, W], `${H}x${W}`).to('float32'));
      expect(y.shape).toEqual([2, 10]);
    }
  });
});

describe('errors', () => {
  it('options: non-integer, < 1, missing', () => {
    expect(() => new AvgPool2D({ kernelSize: 0 })).toThrow(new RangeError('AvgPool2D: kernelSize must be an integer >= 1, got 0'));
    expect(() => new AvgPool2D({ kernelSize: 2.5, name: 'a' })).toThrow(new RangeError('AvgPool2D(a): kernelSize must be an integer >= 1, got 2.5'));
    expect(() => new AvgPool2D({ kernelSize: 2, stride: 0 })).toThrow(new RangeError('AvgPool2D: stride must be an integer >= 1, got 0'));
    expect(() => new AvgPool2D({} as never)).toThrow('AvgPool2D: kernelSize must be an integer >= 1, got undefined');
    expect(() => new AvgPool2D(undefined as never)).toThrow(TypeError);
    expect(() => new GlobalAvgPool2D(null as never)).toThrow(TypeError);
  });
  it('input shapes', () => {
    expect(() => new AvgPool2D({ kernelSize: 3, name: 'a' }).forward(Tensor.zeros([1, 1, 2, 5]))).toThrow(new RangeError('AvgPool2D(a): input 2x5 [1, 1, 2, 5] is smaller than the 3x3 window; expected at least 3x3'));
    expect(() => new AvgPool2D({ kernelSize: 2 }).forward(Tensor.zeros([1, 4, 4]))).toThrow('AvgPool2D: input must be rank 4 (N, C, H, W), but got rank 3 [1, 4, 4]');
    expect(() => new GlobalAvgPool2D({ name: 'g' }).forward(Tensor.zeros([2, 8]))).toThrow('GlobalAvgPool2D(g): input must be rank 4 (N, C, H, W), but got rank 2 [2, 8]');
    expect(() => new GlobalAvgPool2D().outputShape([1, 3, 0, 4])).toThrow(/GlobalAvgPool2D: input \[1, 3, 0, 4\] has an empty 0x4 plane; expected at least 1x1/);
  });
  it('backward before forward, and a dy of the wrong shape', () => {
    expect(() => new AvgPool2D({ kernelSize: 2 }).backward(Tensor.zeros([1, 1, 1, 1]))).toThrow('AvgPool2D: backward called before forward');
    expect(() => new GlobalAvgPool2D().backward(Tensor.zeros([1, 1]))).toThrow('GlobalAvgPool2D: backward called before forward');
    const pool = new AvgPool2D({ kernelSize: 2, backend: 'ts' });
    pool.forward(Tensor.zeros([1, 2, 4, 4]));
    expect(() => pool.backward(Tensor.zeros([1, 2, 3, 2]))).toThrow('avgPool2dBackwardFast: dy must have shape [1, 2, 2, 2], got [1, 2, 3, 2]');
    const gap = new GlobalAvgPool2D({ backend: 'naive' });
    gap.forward(Tensor.zeros([2, 3, 4, 4]));
    expect(() => gap.backward(Tensor.zeros([2, 4]))).toThrow('globalAvgPool2d backward: dy must have shape [2, 3], got [2, 4]');
  });
});
