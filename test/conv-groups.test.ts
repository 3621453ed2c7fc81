// Grouped, depthwise and dilated convolution (Conv2D's groups and dilation, PyTorch's semantics):
//   - gradient checks in float64 over a grid (groups 1, 2 and C; dilation 1 and 2; stride and padding;
//     odd sizes) on every backend;
//   - the fast kernels (im2col + GEMM per group, the direct depthwise kernel) equal the naive one on
//     hundreds of random configurations, in float64 and float32, fused ReLU and accumulation included;
//   - PyTorch's semantics pinned by hand-computed cases; the bad-input errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2D, Tensor, createRng, gradCheck } from '../src/index.ts';
import { type Rng } from '../src/rng.ts';
import { type DType } from '../src/tensor.ts';
import { type Conv2dParams, conv2dBackwardNaive, conv2dForwardNaive, convOutSize } from '../src/kernels/conv2d.ts';
import { conv2dBackwardFast, conv2dForwardFast, conv2dKernels } from '../src/kernels/conv2d-fast.ts';
import { reluBackwardNaive, reluForwardNaive } from '../src/kernels/relu.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { type Impl, impl, randn, shapeName, randomTensor, relMaxError } from './helpers.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

// ---- gradient checks ----

interface GridCase { x: number[]; F: number; k: [number, number]; s: number; p: number; d: number; g: number; bias: boolean }

/** groups 1, 2 and C x dilation 1 and 2 x three (stride, padding) pairs, odd and non-square sizes. */
const grid: GridCase[] = [];
{
  let i = 0;
  for (const groups of ['1', '2', 'C'] as const) {
    for (const d of [1, 2]) {
      for (const [s, p] of [[1, 0], [2, 1], [1, 2]]) {
        const C = groups === '2' ? 4 : 3 + (i % 2); // 3 or 4 channels; 4 when groups is 2
        const g = groups === '1' ? 1 : groups === '2' ? 2 : C;
        const F = groups === 'C' ? C * (1 + (i % 2)) : g * (1 + (i % 3)); // depth multiplier 1 or 2
        const H = 7 + (i % 3), W = 6 + ((i * 2) % 5); // 7..9 x 6..10, odd sizes among them
        grid.push({ x: [1 + (i % 2), C, H, W], F, k: i % 4 === 3 ? [3, 2] : [3, 3], s, p, d, g, bias: i % 5 !== 4 });
        i++;
      }
    }
  }
}

const caseName = (c: GridCase) =>
  `x=${shapeName(c.x)} w=${shapeName([c.F, c.x[1] / c.g, ...c.k])} s=${c.s} p=${c.p} d=${c.d} g=${c.g}${c.bias ? '' : ' nobias'}`;

describe.each(['naive', 'ts', 'wasm'] as const)('grouped / depthwise / dilated conv2d gradient checks, %s backend', (backend) => {
  for (const [i, c] of grid.entries()) {
    it(`conv2d dx,dw,db ${caseName(c)} ${backend}`, () => {
      const conv = new Conv2D({
        backend, inChannels: c.x[1], outChannels: c.F, kernelSize: c.k, stride: c.s, padding: c.p, dilation: c.d, groups: c.g,
        bias: c.bias, rng: createRng(`g${i}`), biasInit: (shape, rng) => Array.from({ length: shape[0] }, () => rng.normal()),
      });
      expect(conv.weight.value.shape).toEqual([c.F, c.x[1] / c.g, ...c.k]);
      // h = 1e-3, not 1e-5: L = sum(y * dy) is linear in x and in w, so a central difference has no
      // truncation error at any h, and the larger step divides the rounding error by 100. (With 1e-5, a
      // dx entry that cancels to ~1e-5, e.g. a pixel that few dilated taps reach, fails on rounding alone.)
      const r = gradCheck(conv, randn(c.x, `gx-${i}`), { seed: i, h: 1e-3 });
      expect(Object.keys(r.errors)).toEqual(c.bias ? ['x', 'weight', 'bias'] : ['x', 'weight']);
      if (!r.passed) throw new Error(`${caseName(c)}: ${JSON.stringify(r.errors)}`);
      expect(r.maxRelError).toBeLessThan(1e-6);
    });
  }
});

// ---- fast == naive ----

const paths: Array<{ label: string; backend: Impl; dtype: DType; tol: number }> = [
  { label: 'ts float64', backend: 'ts', dtype: 'float64', tol: 1e-12 },
  { label: 'ts float32', backend: 'ts', dtype: 'float32', tol: 1e-5 },
  { label: 'wasm backend float32', backend: 'fast', dtype: 'float32', tol: 1e-5 },
];

interface RandomCase { N: number; C: number; H: number; W: number; F: number; KH: number; KW: number; S: number; P: number; D: number; G: number; bias: boolean }

/** Random valid configurations; a third depthwise (G = C), a third grouped, a third G = 1, dilation 1..3. */
function randomCases(count: number, seed: string): RandomCase[] {
  const rng = createRng(seed);
  const cases: RandomCase[] = [];
  while (cases.length < count) {
    const kind = cases.length % 3;
    const G = kind === 0 ? 1 : 1 + rng.int(4);
    const C = kind === 2 ? G : G * (1 + rng.int(3)); // kind 2: depthwise
    const F = G * (1 + rng.int(3));
    const c: RandomCase = {
      N: 1 + rng.int(3), C, H: 1 + rng.int(12), W: 1 + rng.int(12), F,
      KH: 1 + rng.int(4), KW: 1 + rng.int(4), S: 1 + rng.int(3), P: rng.int(3), D: 1 + rng.int(3), G, bias: rng.uniform() < 0.7,
    };
    if (c.H + 2 * c.P >= c.D * (c.KH - 1) + 1 && c.W + 2 * c.P >= c.D * (c.KW - 1) + 1) cases.push(c);
  }
  return cases;
}

const randomName = (c: RandomCase) =>
  `x=${shapeName([c.N, c.C, c.H, c.W])} w=${shapeName([c.F, c.C / c.G, c.KH, c.KW])} s=${c.S} p=${c.P} d=${c.D} g=${c.G}${c.bias ? '' : ' nobias'}`;

describe.each(paths)('grouped / depthwise / dilated conv2d fast == naive ($label)', ({ backend, dtype, tol }) => {
  it(`300 random configurations: out, dx, dw, db within ${tol}; fused ReLU; accumulation`, () => {
    for (const [i, c] of randomCases(300, 'groups').entries()) {
      const rng = createRng(`gc-${i}`);
      const x = randomTensor(rng, [c.N, c.C, c.H, c.W], dtype);
      const w = randomTensor(rng, [c.F, c.C / c.G, c.KH, c.KW], dtype);
      const b = c.bias ? randomTensor(rng, [c.F], dtype) : null;
      const p: Conv2dParams = { stride: c.S, padding: c.P, dilation: c.D, groups: c.G };
      const relu = i % 4 === 1;
      const ws = createWorkspace();
      const fast = impl(conv2dKernels, backend).forward(x, w, b, p, { ws, relu });
      const dy = randomTensor(rng, [...fast.out.shape], dtype);
      // Every other case accumulates into given gradients, the way a layer does.
      const dwInto = i % 2 ? randomTensor(rng, [...w.shape], dtype) : undefined;
      const dbInto = i % 2 && b ? randomTensor(rng, [c.F], dtype) : undefined;
      const dw0 = dwInto ? [...dwInto.data] : null, db0 = dbInto ? [...dbInto.data] : null;
      const g = impl(conv2dKernels, backend).backward(dy, fast.cache, { ws, dwInto, dbInto, reluOutput: relu ? fast.out : undefined });

      // The oracle, in float64 on the same values; a fused ReLU the plain way.
      const ref = conv2dForwardNaive(x.to('float64'), w.to('float64'), b ? b.to('float64') : null, p);
      const r1 = relu ? reluForwardNaive(ref.out) : null;
      const dyRef = r1 ? reluBackwardNaive(dy.to('float64'), r1.cache).dx : dy.to('float64');
      const r = conv2dBackwardNaive(dyRef, ref.cache);

      const name = randomName(c);
      expect(fast.out.shape, name).toEqual([c.N, c.F, convOutSize(c.H, c.KH, c.S, c.P, c.D), convOutSize(c.W, c.KW, c.S, c.P, c.D)]);
      expect(relMaxError(fast.out.data, (r1 ?? ref).out.data), `${name} out`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dx.data, r.dx.data), `${name} dx`).toBeLessThanOrEqual(tol);
      const dwWant = dw0 ? dw0.map((v, k) => v + r.dw.data[k]) : r.dw.data;
      expect(relMaxError(g.dw.data, dwWant), `${name} dw`).toBeLessThanOrEqual(tol * (dw0 ? 10 : 1));
      if (c.bias) {
        const dbWant = db0 ? db0.map((v, k) => v + r.db!.data[k]) : r.db!.data;
        expect(relMaxError(g.db!.data, dbWant), `${name} db`).toBeLessThanOrEqual(tol * (db0 ? 10 : 1));
      } else expect(g.db, name).toBeNull();
    }
  });

  it('depthwise 3x3 at stride 1 (the wasm kernel unrolls it): 80 configurations of padding, dilation, multiplier, narrow planes', () => {
    const rng = createRng('dw3x3');
    for (let t = 0; t < 80; t++) {
      const C = 1 + rng.int(5), M = 1 + rng.int(3), D = 1 + rng.int(3), P = rng.int(2 * D + 2);
      const span = 2 * D + 1, H = Math.max(1, span - 2 * P) + rng.int(9), W = Math.max(1, span - 2 * P) + rng.int(9);
      const c: RandomCase = { N: 1 + rng.int(2), C, H, W, F: C * M, KH: 3, KW: 3, S: 1, P, D, G: C, bias: t % 3 !== 0 };
      if (C === 1) c.G = 1; // one channel: groups 1 is the same convolution
      const x = randomTensor(rng, [c.N, C, H, W], dtype), w = randomTensor(rng, [c.F, 1, 3, 3], dtype);
      const b = c.bias ? randomTensor(rng, [c.F], dtype) : null;
      const p: Conv2dParams = { stride: 1, padding: P, dilation: D, groups: c.G };
      const ws = createWorkspace();
      const relu = t % 2 === 1;
      const f = impl(conv2dKernels, backend).forward(x, w, b, p, { ws, relu });
      const dy = randomTensor(rng, [...f.out.shape], dtype);
      const g = impl(conv2dKernels, backend).backward(dy, f.cache, { ws, reluOutput: relu ? f.out : undefined });
      const ref = conv2dForwardNaive(x.to('float64'), w.to('float64'), b ? b.to('float64') : null, p);
      const r1 = relu ? reluForwardNaive(ref.out) : null;
      const r = conv2dBackwardNaive(r1 ? reluBackwardNaive(dy.to('float64'), r1.cache).dx : dy.to('float64'), ref.cache);
      const name = randomName(c);
      expect(relMaxError(f.out.data, (r1 ?? ref).out.data), `${name} out`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dx.data, r.dx.data), `${name} dx`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dw.data, r.dw.data), `${name} dw`).toBeLessThanOrEqual(tol);
      if (b) expect(relMaxError(g.db!.data, r.db!.data), `${name} db`).toBeLessThanOrEqual(tol);
    }
  });

  it('workspace reuse across shapes and kinds: no stale values; computeDx: false gives dx null', () => {
    const rng = createRng('g-reuse');
    const ws = createWorkspace();
    for (const [i, c] of randomCases(30, 'g-reuse').entries()) {
      const x = randomTensor(rng, [c.N, c.C, c.H, c.W], dtype), w = randomTensor(rng, [c.F, c.C / c.G, c.KH, c.KW], dtype);
      const p: Conv2dParams = { stride: c.S, padding: c.P, dilation: c.D, groups: c.G };
      for (let twice = 0; twice < 2; twice++) {
        const f = impl(conv2dKernels, backend).forward(x, w, null, p, { ws });
        const dy = randomTensor(rng, [...f.out.shape], dtype);
        const g = impl(conv2dKernels, backend).backward(dy, f.cache, { ws, computeDx: i % 3 !== 0 });
        const ref = conv2dForwardNaive(x.to('float64'), w.to('float64'), null, p);
        const r = conv2dBackwardNaive(dy.to('float64'), ref.cache);
        expect(relMaxError(f.out.data, ref.out.data)).toBeLessThanOrEqual(tol);
        expect(relMaxError(g.dw.data, r.dw.data)).toBeLessThanOrEqual(tol);
        if (i % 3 === 0) expect(g.dx).toBeNull();
        else expect(relMaxError(g.dx!.data, r.dx.data)).toBeLessThanOrEqual(tol);
      }
    }
  });
});

describe('which fast code runs (conv2d-fast.ts header)', () => {
  it('the wasm backend runs groups 1 / dilation 1 and depthwise in wasm (outputs in wasm memory), other groups in TypeScript', () => {
    const wasm = getWasmKernels()!;
    expect(wasm.shared).toBe(true); // the relaxed build, whose outputs live in wasm memory: what tells the paths apart here
    const rng = createRng('which');
    const x = randomTensor(rng, [2, 4, 9, 9], 'float32');
    const run = (w: number[], p: Conv2dParams) => {
      const ws = createWorkspace();
      const f = conv2dForwardFast(x, randomTensor(rng, w, 'float32'), null, p, { ws });
      const g = conv2dBackwardFast(randomTensor(rng, [...f.out.shape], 'float32'), f.cache, { ws });
      return [wasm.addressOf(f.out.data) !== null, wasm.addressOf(g.dx!.data) !== null];
    };
    expect(run([6, 4, 3, 3], { stride: 1, padding: 1 })).toEqual([true, true]); // wasm/assembly/conv.ts
    expect(run([8, 1, 3, 3], { stride: 2, padding: 1, dilation: 2, groups: 4 })).toEqual([true, true]); // wasm/assembly/depthwise.ts
    expect(run([6, 2, 3, 3], { stride: 1, padding: 1, groups: 2 })).toEqual([false, false]); // TypeScript im2col + GEMM
    expect(run([6, 4, 3, 3], { stride: 1, padding: 2, dilation: 2 })).toEqual([false, false]);
    // The wasm pair itself has no kernel for a grouped conv and says so; the fast pair (the rule) runs TypeScript.
    expect(() => conv2dKernels.wasm!.forward(x, randomTensor(rng, [4, 2, 3, 3], 'float32'), null, { stride: 1, padding: 0, groups: 2 })).toThrow(/no kernel for groups 2 of 4 channels/);
  });
});

// ---- PyTorch's semantics, by hand ----

describe('semantics', () => {
  it('groups = C with one filter per channel is a per-channel convolution (depthwise)', () => {
    // Two channels, two 2x2 kernels; channel 0 only sees kernel 0, channel 1 only kernel 1.
    const x = Tensor.from([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]]]);
    const w = Tensor.from([[[[1, 0], [0, 1]]], [[[0, 1], [1, 0]]]]);
    const y = conv2dForwardNaive(x, w, null, { stride: 1, padding: 0, groups: 2 }).out;
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect([...y.data]).toEqual([1 + 5, 2 + 6, 4 + 8, 5 + 9, 0 + 0, 0 + 1, 1 + 0, 0 + 0]);
  });
  it('groups = 2: filters 0..F/2-1 see channels 0..C/2-1 only; the sum of two half convolutions', () => {
    const rng = createRng('halves');
    const x = randomTensor(rng, [2, 4, 6, 5], 'float64');
    const w = randomTensor(rng, [6, 2, 3, 3], 'float64');
    const p = { stride: 1, padding: 1 };
    const y = conv2dForwardNaive(x, w, null, { ...p, groups: 2 }).out;
    for (const g of [0, 1]) {
      // The same as an ordinary conv of channels 2g, 2g+1 with filters 3g..3g+2.
      const xg = new Tensor([2, 2, 6, 5], Float64Array.from({ length: 2 * 2 * 30 }, (_, k) => {
        const n = Math.floor(k / 60), rest = k % 60;
        return x.data[n * 120 + g * 60 + rest];
      }));
      const wg = new Tensor([3, 2, 3, 3], w.data.slice(g * 54, (g + 1) * 54));
      const yg = conv2dForwardNaive(xg, wg, null, p).out;
      for (let n = 0; n < 2; n++) {
        for (let k = 0; k < 3 * 30; k++) expect(y.data[n * 180 + g * 90 + k]).toBeCloseTo(yg.data[n * 90 + k], 12);
      }
    }
  });
  it('dilation 2 reads every other pixel: a 2x2 kernel dilated 2 is a 3x3 kernel with zeros between', () => {
    const rng = createRng('dil');
    const x = randomTensor(rng, [1, 1, 7, 6], 'float64');
    const w = Tensor.from([[[[1.5, -2], [0.5, 3]]]], 'float64');
    const w3 = Tensor.from([[[[1.5, 0, -2], [0, 0, 0], [0.5, 0, 3]]]], 'float64');
    for (const p of [{ stride: 1, padding: 0 }, { stride: 2, padding: 1 }]) {
      const a = conv2dForwardNaive(x, w, null, { ...p, dilation: 2 }).out;
      const b = conv2dForwardNaive(x, w3, null, p).out;
      expect(a.shape).toEqual(b.shape);
      for (let k = 0; k < a.size; k++) expect(a.data[k]).toBeCloseTo(b.data[k], 12);
    }
    expect(convOutSize(7, 2, 1, 0, 2)).toBe(5); // floor((7 - 2*1 - 1) / 1) + 1, as PyTorch
    expect(new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 3, padding: 1, weightInit: 'zeros' }).outputShape([1, 1, 10, 9])).toEqual([1, 1, 6, 5]);
  });
  it('He initialisation uses the fan in of one group: C/G*KH*KW', () => {
    const dw = new Conv2D({ inChannels: 64, outChannels: 64, kernelSize: 3, groups: 64, rng: createRng(1) });
    let s = 0;
    for (const v of dw.weight.value.data) s += v * v;
    const std = Math.sqrt(s / dw.weight.value.size);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 9) * 0.9);
    expect(std).toBeLessThan(Math.sqrt(2 / 9) * 1.1);
  });
});

// ---- bad input ----

describe('errors name the layer, what was expected and what came', () => {
  const base = { inChannels: 4, outChannels: 6, kernelSize: 3, weightInit: 'zeros' as const, name: 'c' };
  it('groups that do not divide the channels', () => {
    expect(() => new Conv2D({ ...base, groups: 3 })).toThrow(new RangeError('Conv2D(c): groups 3 must divide inChannels 4 and outChannels 6'));
    expect(() => new Conv2D({ ...base, groups: 4 })).toThrow(/groups 4 must divide inChannels 4 and outChannels 6/);
    expect(() => conv2dForwardNaive(Tensor.zeros([1, 4, 5, 5]), Tensor.zeros([6, 1, 3, 3]), null, { stride: 1, padding: 0, groups: 4 }))
      .toThrow(/conv2d: groups 4 must divide the input channels 4 and the filters 6/);
  });
  it('non-integer or < 1 dilation and groups', () => {
    expect(() => new Conv2D({ ...base, dilation: 0 })).toThrow(new RangeError('Conv2D(c): dilation must be an integer >= 1, got 0'));
    expect(() => new Conv2D({ ...base, dilation: 1.5 })).toThrow(new RangeError('Conv2D(c): dilation must be an integer >= 1, got 1.5'));
    expect(() => new Conv2D({ ...base, groups: 0 })).toThrow(new RangeError('Conv2D(c): groups must be an integer >= 1, got 0'));
    expect(() => new Conv2D({ ...base, groups: 2.5 })).toThrow(RangeError);
    expect(() => new Conv2D({ ...base, groups: '2' as unknown as number })).toThrow('Conv2D(c): groups must be an integer >= 1, got 2');
    expect(() => conv2dForwardNaive(Tensor.zeros([1, 4, 5, 5]), Tensor.zeros([6, 4, 3, 3]), null, { stride: 1, padding: 0, dilation: -1 }))
      .toThrow(new RangeError('conv2d: dilation must be an integer >= 1, got -1'));
  });
  it('a dilated kernel larger than the padded input', () => {
    const conv = new Conv2D({ ...base, dilation: 3 }); // a 3x3 kernel dilated 3 spans 7x7
    expect(() => conv.forward(Tensor.zeros([1, 4, 6, 9]))).toThrow(new RangeError(
      'Conv2D(c): input 6x9 [1, 4, 6, 9] with padding 0 is smaller than the 3x3 kernel dilated 3 (spanning 7x7); expected at least 7x7'));
    expect(() => conv.outputShape([1, 4, 7, 7])).not.toThrow();
    expect(() => conv2dForwardNaive(Tensor.zeros([1, 4, 6, 6]), Tensor.zeros([6, 4, 3, 3]), null, { stride: 1, padding: 0, dilation: 3 }))
      .toThrow(/conv2d: kernel 3x3 \(dilated 3: spans 7x7\) is larger than the padded input 6x6/);
  });
  it('an input with the wrong channel count for a grouped weight', () => {
    const conv = new Conv2D({ ...base, groups: 2 });
    expect(conv.weight.value.shape).toEqual([6, 2, 3, 3]);
    expect(() => conv.forward(Tensor.zeros([1, 2, 5, 5]))).toThrow('Conv2D(c): input has 2 channels [1, 2, 5, 5], expected 4');
  });
});

// Issue 26: the conv-option checks were written four times (kernel, layer, explain, the explorer).
describe('checkConvOptions: the one check of the conv options, which all four call', () => {
  it('each of them refuses a bad option with the same words', async () => {
    const { checkConvOptions } = await import('../src/kernels/conv2d.ts');
    const { Conv2D } = await import('../src/index.ts');
    const { explainConv } = await import('../src/explain/index.ts');
    const { explore } = await import('../playground/src/explorer-math.ts');
    const x = Tensor.zeros([1, 4, 5, 5]), w = Tensor.zeros([2, 4, 3, 3]);
    const img = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], k = [[[[1, 0], [0, 1]]]];
    const callers: Array<[string, (o: { stride?: number; padding?: number; dilation?: number; groups?: number }) => unknown]> = [
      ['conv2d', (o) => conv2dForwardNaive(x, w, null, { stride: 1, padding: 0, ...o })],
      ['Conv2D', (o) => new Conv2D({ inChannels: 4, outChannels: 2, kernelSize: 3, ...o })],
      ['explainConv', (o) => explainConv({ input: img, kernel: k, ...o })],
      ['', (o) => explore({ x: img, w: k, stride: 1, padding: 0, ...o })],
    ];
    for (const [who, call] of callers) {
      const at = who ? `${who}: ` : '';
      expect(() => call({ stride: 0 }), who).toThrow(new RangeError(`${at}stride must be an integer >= 1, got 0`));
      expect(() => call({ padding: -1 }), who).toThrow(new RangeError(`${at}padding must be an integer >= 0, got -1`));
      expect(() => call({ dilation: 1.5 }), who).toThrow(new RangeError(`${at}dilation must be an integer >= 1, got 1.5`));
      expect(() => call({ groups: 0 }), who).toThrow(new RangeError(`${at}groups must be an integer >= 1, got 0`));
      expect(() => call({ groups: 3 }), who).toThrow(`${at}groups 3 must divide`);
      expect(checkConvOptions(who, {})).toEqual({ stride: 1, padding: 0, dilation: 1, groups: 1 });
    }
    expect(() => conv2dForwardNaive(x, w, null, { stride: 1, padding: 0, dilation: 3 })).toThrow('conv2d: kernel 3x3 (dilated 3: spans 7x7) is larger than the padded input 5x5');
    expect(() => explore({ x: img, w: k, stride: 1, padding: 0, dilation: 3 })).toThrow(/^kernel 2x2 \(dilated 3: spans 4x4\) is larger than the padded input 3x3/);
  });
});
