// Winograd F(2x2,3x3) and F(4x4,3x3) (src/kernels/winograd.ts) against the naive convolution, the
// oracle: the 1-D algorithm with numbers, forward / dx / dw equal to the naive kernels in float64 (to
// rounding: the transforms are exact identities), a gradient check through them in float64, and the
// float32 error measured and bounded over input ranges (relative to the output's scale, as in
// fast-vs-naive.test.ts; the oracle is the naive kernel in float64 on the same float32 values).
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/rng.ts';
import { Tensor, type DType } from '../src/tensor.ts';
import { conv2dBackwardNaive, conv2dForwardNaive } from '../src/kernels/conv2d.ts';
import { conv2dBackwardFast, conv2dForwardFast } from '../src/kernels/conv2d-fast.ts';
import { numericGradient } from '../src/gradcheck.ts';
import {
  F2X3, F4X3, type WinogradDims, type WinogradTransform, winograd1d, winogradForward, winogradForwardWasm, winogradWeightGrad,
  winogradBackwardWasm, winogradPays,
} from '../src/kernels/winograd.ts';
import { type WasmKernels, getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { maxPool2dForwardWasm } from '../src/kernels/max-pool2d-fast.ts';

let wasm: WasmKernels;
beforeAll(async () => {
  await ensureWasmBuilt(); // a no-op when `npm test` already built it (pretest)
  const k = getWasmKernels();
  if (!k) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
  wasm = k;
}, 180_000);
import { expectSameOnEveryBackend, randn, relMaxError, shapeName } from './helpers.ts';
import { Conv2D, type Conv2DOptions } from '../src/layers/conv2d.ts';
import { MaxPool2D, ReLU, Sequential } from '../src/index.ts';
import { gradCheck } from '../src/gradcheck.ts';
import type { Backend } from '../src/kernels/backend.ts';
import { modelFromConfig } from '../src/layers/from-config.ts';

const transforms: WinogradTransform[] = [F2X3, F4X3];

function filled(shape: number[], dtype: DType, seed: string, draw: (r: () => number) => number): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.size; i++) t.data[i] = draw(() => rng.normal());
  return t;
}
const gauss = (scale = 1) => (r: () => number) => scale * r();

/** The naive forward and backward in float64 on the values of x, w, b, dy (float32 or float64). */
function oracle(x: Tensor, w: Tensor, b: Tensor | null, P: number, dy?: Tensor) {
  const x64 = x.to('float64'), w64 = w.to('float64'), b64 = b ? b.to('float64') : null;
  const fwd = conv2dForwardNaive(x64, w64, b64, { stride: 1, padding: P });
  const back = dy ? conv2dBackwardNaive(dy.to('float64'), fwd.cache) : null;
  return { y: fwd.out, dx: back?.dx, dw: back?.dw };
}

/** y, dx, dw by Winograd: in TypeScript with transform t, or with t = 'wasm' the SIMD F(2x2,3x3). */
function run(t: WinogradTransform | 'wasm', x: Tensor, w: Tensor, b: Tensor | null, P: number, dy: Tensor, mask: Tensor | null = null) {
  const [N, CI, H, W] = x.shape, CO = w.shape[0];
  const d: WinogradDims = { N, CI, H, W, CO, P };
  const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
  const y = Tensor.zeros([N, CO, OH, OW], x.dtype);
  const dx = Tensor.zeros(x.shape, x.dtype);
  const dw = Tensor.zeros(w.shape, x.dtype);
  // dx: the forward algorithm on dy with the kernel turned and its channels swapped, at padding 2 - P.
  const dxDims = { N, CI: CO, H: OH, W: OW, CO: CI, P: 2 - P };
  const m = mask?.data ?? null;
  if (t === 'wasm') {
    winogradForwardWasm(wasm, d, x.data, w.data, b?.data ?? null, y.data);
    winogradBackwardWasm(wasm, d, x.data, w.data, dy.data, m, dx.data, dw.data);
  } else {
    winogradForward(t, d, x.data, w.data, b?.data ?? null, y.data);
    winogradForward(t, dxDims, dy.data, w.data, null, dx.data, { flipped: true, mask: m });
    winogradWeightGrad(t, d, x.data, dy.data, m, dw.data);
  }
  return { y, dx, dw };
}

describe('winograd: the 1-D algorithm', () => {
  it('F(2,3): d = [1, 2, 3, 4], g = [1, 0, -1] gives y = [-2, -2] from 4 products', () => {
    const { y, products } = winograd1d(F2X3, [1, 2, 3, 4], [1, 0, -1]);
    expect(y).toEqual([-2, -2]); // y0 = 1*1 + 2*0 + 3*(-1), y1 = 2*1 + 3*0 + 4*(-1)
    // (d0 - d2) g0, (d1 + d2)(g0 + g1 + g2)/2, (d2 - d1)(g0 - g1 + g2)/2, (d1 - d3) g2
    expect(products).toEqual([-2, 0, 0, 2]);
  });

  it.each(transforms)('%s equals the direct sums on random values', (t) => {
    const rng = createRng('1d');
    for (let trial = 0; trial < 20; trial++) {
      const d = Array.from({ length: t.A }, () => rng.normal()), g = [rng.normal(), rng.normal(), rng.normal()];
      const { y, products } = winograd1d(t, d, g);
      expect(products.length).toBe(t.A);
      for (let k = 0; k < t.m; k++) expect(y[k]).toBeCloseTo(g[0] * d[k] + g[1] * d[k + 1] + g[2] * d[k + 2], 12);
    }
  });

  it('rejects the wrong number of inputs, naming the algorithm', () => {
    expect(() => winograd1d(F2X3, [1, 2, 3], [1, 0, -1])).toThrow(/F\(2x2,3x3\) takes 4 inputs and 3 taps, got 3 and 3/);
  });
});

// Shapes: odd and even sizes (ragged last tiles), padding 0, 1, 2, one channel, batches.
const cases = [
  { N: 1, CI: 1, H: 3, W: 3, CO: 1, P: 0 },
  { N: 2, CI: 3, H: 5, W: 7, CO: 4, P: 1 },
  { N: 3, CI: 2, H: 8, W: 6, CO: 3, P: 0 },
  { N: 2, CI: 4, H: 7, W: 7, CO: 5, P: 2 },
  { N: 1, CI: 5, H: 9, W: 4, CO: 2, P: 1 },
  { N: 4, CI: 8, H: 14, W: 14, CO: 8, P: 1 },
];

describe.each(transforms)('winograd %s in float64 equals the naive convolution', (t) => {
  it.each(cases)('x=[$N,$CI,$H,$W] w=[$CO,$CI,3,3] p=$P: y, dx, dw within 1e-12', ({ N, CI, H, W, CO, P }) => {
    const x = filled([N, CI, H, W], 'float64', 'x', gauss());
    const w = filled([CO, CI, 3, 3], 'float64', 'w', gauss());
    const b = filled([CO], 'float64', 'b', gauss());
    const dy = filled([N, CO, H + 2 * P - 2, W + 2 * P - 2], 'float64', 'dy', gauss());
    const want = oracle(x, w, b, P, dy);
    const got = run(t, x, w, b, P, dy);
    expect(relMaxError(got.y.data, want.y.data)).toBeLessThan(1e-12);
    expect(relMaxError(got.dx.data, want.dx!.data)).toBeLessThan(1e-12);
    expect(relMaxError(got.dw.data, want.dw!.data)).toBeLessThan(1e-12);
  });

  it('relu and a mask: y = max(0, conv), and dw counts dy only where the mask is positive', () => {
    const [N, CI, H, W, CO, P] = [2, 3, 6, 5, 4, 1];
    const x = filled([N, CI, H, W], 'float64', 'x', gauss());
    const w = filled([CO, CI, 3, 3], 'float64', 'w', gauss());
    const y = Tensor.zeros([N, CO, H, W], 'float64');
    winogradForward(t, { N, CI, H, W, CO, P }, x.data, w.data, null, y.data, { relu: true });
    const want = oracle(x, w, null, P).y;
    expect(relMaxError(y.data, want.data.map((v) => (v < 0 ? 0 : v)))).toBeLessThan(1e-12);
    const dy = filled([N, CO, H, W], 'float64', 'dy', gauss());
    const masked = dy.to('float64');
    for (let i = 0; i < dy.size; i++) if (!(y.data[i] > 0)) masked.data[i] = 0;
    const dw = Tensor.zeros(w.shape, 'float64');
    dw.data.fill(1); // dw accumulates: it adds onto what is there
    winogradWeightGrad(t, { N, CI, H, W, CO, P }, x.data, dy.data, y.data, dw.data);
    const wantDw = oracle(x, w, null, P, masked).dw!;
    expect(relMaxError(dw.data.map((v) => v - 1), wantDw.data)).toBeLessThan(1e-12);
  });

  it('gradient check in float64: dx and dw of L = sum(y * r) against central differences', () => {
    const [N, CI, H, W, CO, P] = [2, 2, 5, 6, 3, 1];
    const x = filled([N, CI, H, W], 'float64', 'gx', gauss());
    const w = filled([CO, CI, 3, 3], 'float64', 'gw', gauss());
    const r = filled([N, CO, H, W], 'float64', 'gr', gauss());
    const d = { N, CI, H, W, CO, P };
    const y = Tensor.zeros([N, CO, H, W], 'float64');
    const loss = () => {
      winogradForward(t, d, x.data, w.data, null, y.data);
      let s = 0;
      for (let i = 0; i < y.size; i++) s += y.data[i] * r.data[i];
      return s;
    };
    const { dx, dw } = run(t, x, w, null, P, r);
    const rel = (a: ArrayLike<number>, n: ArrayLike<number>) => {
      let e = 0;
      for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - n[i]) / Math.max(1e-8, Math.abs(a[i]) + Math.abs(n[i])));
      return e;
    };
    expect(rel(dx.data, numericGradient(loss, x.data))).toBeLessThan(1e-7);
    expect(rel(dw.data, numericGradient(loss, w.data))).toBeLessThan(1e-7);
  });
});

describe('winograd F(2x2,3x3) in wasm SIMD (float32) equals the naive convolution', () => {
  // (the last: five chunks of 5, 5, 5, 5 and 3 images, each chunk's tiles ending in half a panel of 8)
  const wide = [...cases, { N: 3, CI: 6, H: 28, W: 28, CO: 7, P: 1 }, { N: 2, CI: 3, H: 11, W: 19, CO: 9, P: 0 }, { N: 40, CI: 16, H: 14, W: 14, CO: 16, P: 1 },
    { N: 23, CI: 8, H: 5, W: 7, CO: 8, P: 1 }];
  it.each(wide)('x=[$N,$CI,$H,$W] w=[$CO,$CI,3,3] p=$P: y, dx, dw within 1e-5', ({ N, CI, H, W, CO, P }) => {
    const x = filled([N, CI, H, W], 'float32', 'x', gauss());
    const w = filled([CO, CI, 3, 3], 'float32', 'w', gauss());
    const b = filled([CO], 'float32', 'b', gauss());
    const dy = filled([N, CO, H + 2 * P - 2, W + 2 * P - 2], 'float32', 'dy', gauss());
    const want = oracle(x, w, b, P, dy);
    const got = run('wasm', x, w, b, P, dy);
    expect(relMaxError(got.y.data, want.y.data)).toBeLessThan(1e-5);
    expect(relMaxError(got.dx.data, want.dx!.data)).toBeLessThan(1e-5);
    expect(relMaxError(got.dw.data, want.dw!.data)).toBeLessThan(1e-5);
  });

  it('relu, bias, a mask, and dw added onto what is there', () => {
    const [N, CI, H, W, CO, P] = [3, 5, 9, 10, 6, 1];
    const x = filled([N, CI, H, W], 'float32', 'x', gauss());
    const w = filled([CO, CI, 3, 3], 'float32', 'w', gauss());
    const b = filled([CO], 'float32', 'b', gauss());
    const d = { N, CI, H, W, CO, P };
    const y = Tensor.zeros([N, CO, H, W], 'float32');
    winogradForwardWasm(wasm, d, x.data, w.data, b.data, y.data, { relu: true });
    const want = oracle(x, w, b, P).y;
    expect(relMaxError(y.data, want.data.map((v) => (v < 0 ? 0 : v)))).toBeLessThan(1e-5);
    for (let i = 0; i < y.size; i++) if (want.data[i] <= 0) expect(y.data[i]).toBe(0);
    const dy = filled([N, CO, H, W], 'float32', 'dy', gauss());
    const masked = dy.to('float64');
    for (let i = 0; i < dy.size; i++) if (!(y.data[i] > 0)) masked.data[i] = 0;
    const wantBack = oracle(x, w, null, P, masked);
    const dw = Tensor.zeros(w.shape, 'float32');
    dw.data.fill(1);
    winogradBackwardWasm(wasm, d, x.data, w.data, dy.data, y.data, null, dw.data); // dw only
    expect(relMaxError(dw.data.map((v) => v - 1), wantBack.dw!.data)).toBeLessThan(1e-5);
    const dx = Tensor.zeros(x.shape, 'float32');
    winogradForwardWasm(wasm, { N, CI: CO, H, W, CO: CI, P: 2 - P }, dy.data, w.data, null, dx.data, { flipped: true, mask: y.data });
    expect(relMaxError(dx.data, wantBack.dx!.data)).toBeLessThan(1e-5);
  });

  it('db: the sum of dy through the mask, added onto what is there', () => {
    const [N, CI, H, W, CO, P] = [3, 4, 7, 9, 6, 1];
    const x = filled([N, CI, H, W], 'float32', 'dbx', gauss());
    const w = filled([CO, CI, 3, 3], 'float32', 'dbw', gauss());
    const dy = filled([N, CO, H, W], 'float32', 'dbdy', gauss());
    const mask = filled([N, CO, H, W], 'float32', 'dbm', gauss());
    const dw = Tensor.zeros(w.shape, 'float32'), db = Tensor.zeros([CO], 'float32');
    db.data.fill(2);
    winogradBackwardWasm(wasm, { N, CI, H, W, CO, P }, x.data, w.data, dy.data, mask.data, null, dw.data, db.data);
    for (let f = 0; f < CO; f++) {
      let want = 2;
      for (let n = 0; n < N; n++) for (let q = 0; q < H * W; q++) if (mask.data[(n * CO + f) * H * W + q] > 0) want += dy.data[(n * CO + f) * H * W + q];
      expect(Math.abs(db.data[f] - want), `db[${f}]`).toBeLessThan(1e-5 * (1 + Math.abs(want)));
    }
  });

  // The fused pool must give the bits of the conv followed by the max pool kernel (maxPool2dForwardWasm):
  // odd output sizes (the last row and column of tiles dropped), ReLU or not, and a NaN (which wins a window).
  it.each([
    { N: 2, CI: 3, H: 9, W: 10, CO: 5, P: 1, relu: true }, { N: 3, CI: 8, H: 14, W: 14, CO: 8, P: 1, relu: false },
    { N: 1, CI: 2, H: 11, W: 7, CO: 6, P: 0, relu: true }, { N: 4, CI: 16, H: 7, W: 7, CO: 4, P: 2, relu: false },
  ])('the fused 2x2 max pool: the bits of the conv then the pool, x=[$N,$CI,$H,$W] w=[$CO,$CI,3,3] p=$P relu=$relu', ({ N, CI, H, W, CO, P, relu }) => {
    const x = filled([N, CI, H, W], 'float32', 'px', gauss());
    x.data[5] = NaN;
    const w = filled([CO, CI, 3, 3], 'float32', 'pw', gauss());
    const b = filled([CO], 'float32', 'pb', gauss());
    const d = { N, CI, H, W, CO, P };
    const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
    const y = Tensor.zeros([N, CO, OH, OW], 'float32');
    winogradForwardWasm(wasm, d, x.data, w.data, b.data, y.data, { relu });
    const want = maxPool2dForwardWasm(y, { kernelSize: 2, stride: 2 }).out;
    const got = Tensor.zeros([N, CO, OH >> 1, OW >> 1], 'float32');
    winogradForwardWasm(wasm, d, x.data, w.data, b.data, got.data, { relu, pool: true });
    expect(got.data.some(Number.isNaN)).toBe(true);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
  });

  it('a pooled inference forward through the conv family runs the fused pool (x=[3,16,8,8] w=[16,16,3,3] p=1)', () => {
    const x = filled([3, 16, 8, 8], 'float32', 'fx', gauss());
    const w = filled([16, 16, 3, 3], 'float32', 'fw', gauss());
    const b = filled([16], 'float32', 'fb', gauss());
    expect(winogradPays({ C: 16, F: 16, OH: 8, OW: 8 })).toBe(true);
    const y = Tensor.zeros([3, 16, 8, 8], 'float32');
    winogradForwardWasm(wasm, { N: 3, CI: 16, H: 8, W: 8, CO: 16, P: 1 }, x.data, w.data, b.data, y.data, { relu: true });
    const want = maxPool2dForwardWasm(y, { kernelSize: 2, stride: 2 }).out;
    const got = conv2dForwardFast(x, w, b, { stride: 1, padding: 1 }, { winograd: true, relu: true, pool: { kernelSize: 2, stride: 2 } }).out;
    expect(got.shape).toEqual([3, 16, 4, 4]);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
  });
});

// The float32 error, measured: max |winograd - exact| / max |exact| over the outputs, for inputs of
// several ranges (Gaussian at scale 1e-3, 1 and 1e3; pixel-like uniform [0, 1); a mean far from
// zero). The bounds are about 4x the worst measured value (2026-12-07, x (4,16,14,14): worst F(2x2,3x3)
// 1.0e-7 in TypeScript (its transforms in float64), 4.2e-7 in wasm (float32 throughout), F(4x4,3x3)
// 1.6e-6; the im2col path 2.3e-7 .. 8.0e-7 on the same inputs; WINOGRAD_ERRORS=1 prints them all),
// so a change that makes the transforms lose precision fails here.
const ranges: Array<{ name: string; draw: (r: () => number) => number }> = [
  { name: 'gaussian 1e-3', draw: gauss(1e-3) },
  { name: 'gaussian 1', draw: gauss(1) },
  { name: 'gaussian 1e3', draw: gauss(1e3) },
  { name: 'uniform [0,1) pixels', draw: (r) => Math.abs(r()) % 1 },
  { name: 'gaussian mean 10', draw: (r) => 10 + r() },
];
const FLOAT32_BOUND: Record<string, number> = { 'F(2x2,3x3)': 5e-7, 'F(4x4,3x3)': 6e-6, 'wasm F(2x2,3x3)': 2e-6 };

const float32Paths: Array<{ name: string; t: WinogradTransform | 'wasm' }> = [
  { name: 'F(2x2,3x3)', t: F2X3 }, { name: 'F(4x4,3x3)', t: F4X3 }, { name: 'wasm F(2x2,3x3)', t: 'wasm' },
];
describe.each(float32Paths)('winograd $name in float32: its error against the exact result is bounded', ({ name: path, t }) => {
  it.each(ranges)('$name: y, dx, dw', ({ name, draw }) => {
    const [N, CI, H, W, CO, P] = [4, 16, 14, 14, 16, 1];
    const x = filled([N, CI, H, W], 'float32', `x${name}`, draw);
    const w = filled([CO, CI, 3, 3], 'float32', `w${name}`, gauss(0.1));
    const dy = filled([N, CO, H, W], 'float32', `dy${name}`, draw);
    const want = oracle(x, w, null, P, dy);
    const got = run(t, x, w, null, P, dy);
    const im2col = conv2dForwardFast(x, w, null, { stride: 1, padding: P });
    const im2colBack = conv2dBackwardFast(dy, im2col.cache);
    const err = {
      y: relMaxError(got.y.data, want.y.data), dx: relMaxError(got.dx.data, want.dx!.data), dw: relMaxError(got.dw.data, want.dw!.data),
    };
    const base = {
      y: relMaxError(im2col.out.data, want.y.data), dx: relMaxError(im2colBack.dx.data, want.dx!.data), dw: relMaxError(im2colBack.dw.data, want.dw!.data),
    };
    if (process.env.WINOGRAD_ERRORS) console.log(path, name, JSON.stringify(err), 'im2col', JSON.stringify(base));
    for (const [k, e] of Object.entries(err)) expect(e, `${path} ${name} ${k} ${shapeName(x.shape)}`).toBeLessThan(FLOAT32_BOUND[path]);
  });
});

// The Conv2D layer with winograd: true: the same layer contract on every backend, a gradient check
// through it (float64: the 'ts' and 'wasm' backends run float64 in TypeScript), a fused ReLU, the
// cost model (winogradPays) and the fallback for convs Winograd does not apply to. The layers here
// have 16 channels in and out on 8x8 maps, a shape where the cost model runs Winograd (checked).
describe('Conv2D({ winograd: true })', () => {
  const make = (backend: Backend, o: Partial<Conv2DOptions> = {}) => new Conv2D({
    backend, inChannels: 16, outChannels: 16, kernelSize: 3, padding: 1, winograd: true, rng: createRng(7),
    biasInit: (shape, rng) => Array.from({ length: shape[0] }, () => rng.normal()), ...o,
  });
  it('runs Winograd on the shapes of these tests (the cost model says it pays there)', () => {
    for (const [OH, OW] of [[8, 8], [8, 7], [7, 8]]) expect(winogradPays({ C: 16, F: 16, OH, OW }), `${OH}x${OW}`).toBe(true);
  });

  it("gives the naive backend's y, dx, dw, db on ts and wasm (x=[2,16,8,8], twice: buffers reused, gradients added)", () => {
    expectSameOnEveryBackend((backend) => make(backend), [2, 16, 8, 8], 2);
  });

  it.each(['ts', 'wasm'] as const)('passes a float64 gradient check on %s (p=0, 1, 2)', (backend) => {
    for (const padding of [0, 1, 2]) {
      const r = gradCheck(make(backend, { padding }), randn([2, 16, 10 - 2 * padding, 9 - 2 * padding], `wg-${padding}`), { seed: padding, maxPerTensor: 60 });
      if (!r.passed) throw new Error(`padding ${padding}: ${JSON.stringify(r.errors)}`);
      expect(r.maxRelError).toBeLessThan(1e-6);
    }
  });

  it('fuses a ReLU in a Sequential the way the default path does (wasm, float32)', () => {
    const build = (winograd: boolean) => new Sequential([make('wasm', { winograd }), new ReLU(), make('wasm', { winograd })]);
    const x = randn([3, 16, 8, 8], 'seq');
    const [a, b] = [build(true), build(false)];
    const ya = a.forward(x), yb = b.forward(x);
    expect(relMaxError(ya.data, yb.data)).toBeLessThan(1e-5);
    const dy = randn([...ya.shape], 'seq-dy');
    const dxa = a.backward(dy), dxb = b.backward(dy);
    expect(relMaxError(dxa.data, dxb.data)).toBeLessThan(1e-5);
    a.params().forEach((p, i) => expect(relMaxError(p.grad.data, b.params()[i].grad.data), p.name).toBeLessThan(1e-5));
    a.eval(); b.eval(); // inference: the ReLU and a max-pool fused after the Winograd conv
    const pa = new Sequential([...a.layers, new MaxPool2D({ kernelSize: 2 })]).forward(x);
    const pb = new Sequential([...b.layers, new MaxPool2D({ kernelSize: 2 })]).forward(x);
    expect(relMaxError(pa.data, pb.data)).toBeLessThan(1e-5);
  });

  it('is ignored (same bits as without it) for convs it does not apply to or does not pay on: stride 2, 5x5, dilation 2, groups 4, padding 3, 3 -> 4 channels', () => {
    const cases: Partial<Conv2DOptions>[] = [{ stride: 2 }, { kernelSize: 5 }, { dilation: 2 }, { groups: 4 }, { padding: 3 }, { inChannels: 3, outChannels: 4 }];
    expect(winogradPays({ C: 3, F: 4, OH: 9, OW: 9 })).toBe(false);
    for (const o of cases) {
      const x = randn([2, o.inChannels ?? 16, 9, 9], 'fallback');
      const [on, off] = [make('wasm', o), make('wasm', { ...o, winograd: false })];
      const yOn = on.forward(x), yOff = off.forward(x);
      expect(Array.from(yOn.data), JSON.stringify(o)).toEqual(Array.from(yOff.data));
      const dy = randn([...yOn.shape], 'fallback-dy');
      expect(Array.from(on.backward(dy).data)).toEqual(Array.from(off.backward(dy).data));
    }
  });

  it('is off by default, and rejects a non-boolean', () => {
    expect(new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, rng: createRng(1) }).winograd).toBe(false);
    expect(() => make('ts', { winograd: 'yes' as unknown as boolean })).toThrow(/Conv2D: winograd must be true or false, got "yes"/);
  });
});

describe('winograd in a model config (the model file, the worker threads\' replicas)', () => {
  it('config() carries winograd: true only when on, and modelFromConfig restores it', () => {
    const on = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, winograd: true, rng: createRng(1) });
    const off = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(1) });
    expect(on.config().winograd).toBe(true);
    expect('winograd' in off.config()).toBe(false);
    const back = modelFromConfig(new Sequential([on, off]).config()).layers as Conv2D[];
    expect(back.map((c) => c.winograd)).toEqual([true, false]);
  });
});
