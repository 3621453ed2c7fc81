// The fast kernels equal the naive ones (the oracle) over hundreds of seeded random configurations,
// odd sizes included, on both paths: the TypeScript kernels (backend 'ts', float32 and float64) and
// the WebAssembly SIMD kernels (backend 'wasm', float32). Then the workspace contract: reused buffers
// hold no stale values, accumulate means add and overwrite means overwrite, shapes may change.
//
// Error measure: max |fast - naive| / max |naive| per output (relative to the output's scale; an
// elementwise ratio is meaningless for the sums that cancel to ~0). Tolerances: 1e-5 in float32,
// 1e-12 in float64. In float32 the oracle is the naive kernel run in float64 on the same (float32)
// values: the naive float32 kernel rounds its += accumulations to float32 at every step, so its own
// error is of the same order as the fast kernel's, and comparing two noisy answers proves less.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../src/rng.ts';
import { Tensor, type DType } from '../src/tensor.ts';
import {
  conv2dBackwardNaive, conv2dForwardNaive, denseBackwardNaive, denseForwardNaive,
  maxPool2dBackwardNaive, maxPool2dForwardNaive, reluBackwardNaive, reluForwardNaive,
} from '../src/kernels/index.ts';
import { conv2dForwardFast, conv2dKernels } from '../src/kernels/conv2d-fast.ts';
import { maxPool2dForwardFast, maxPool2dKernels } from '../src/kernels/max-pool2d-fast.ts';
import { denseKernels } from '../src/kernels/dense-fast.ts';
import { reluKernels } from '../src/kernels/relu-fast.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { type Impl, impl, shapeName, randomTensor, relMaxError } from './helpers.ts';

/** The families' implementations `which` (see impl in helpers.ts). */
const on = (which: Impl) => ({
  conv: impl(conv2dKernels, which), pool: impl(maxPool2dKernels, which), dense: impl(denseKernels, which), relu: impl(reluKernels, which),
});

beforeAll(async () => {
  await ensureWasmBuilt(); // a no-op when `npm test` already built it (pretest)
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

/** The paths under test: [label, backend, dtype, tolerance]. */
const paths: Array<{ label: string; backend: 'ts' | 'wasm'; dtype: DType; tol: number }> = [
  { label: 'ts float64', backend: 'ts', dtype: 'float64', tol: 1e-12 },
  { label: 'ts float32', backend: 'ts', dtype: 'float32', tol: 1e-5 },
  { label: 'wasm float32', backend: 'wasm', dtype: 'float32', tol: 1e-5 },
];

interface ConvCase { N: number; C: number; H: number; W: number; F: number; KH: number; KW: number; S: number; P: number; bias: boolean }

function convCases(count: number, seed: number): ConvCase[] {
  const rng = createRng(seed);
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const c: ConvCase = {
      N: 1 + rng.int(4), C: 1 + rng.int(5), H: 1 + rng.int(13), W: 1 + rng.int(13), F: 1 + rng.int(7),
      KH: 1 + rng.int(5), KW: 1 + rng.int(5), S: 1 + rng.int(3), P: rng.int(3), bias: rng.uniform() < 0.7,
    };
    if (c.H + 2 * c.P >= c.KH && c.W + 2 * c.P >= c.KW) cases.push(c);
  }
  // The reference network's two layers, at batch 2.
  cases.push({ N: 2, C: 1, H: 28, W: 28, F: 8, KH: 5, KW: 5, S: 1, P: 2, bias: true });
  cases.push({ N: 2, C: 8, H: 14, W: 14, F: 16, KH: 5, KW: 5, S: 1, P: 2, bias: true });
  return cases;
}

const convName = (c: ConvCase) =>
  `x=${shapeName([c.N, c.C, c.H, c.W])} w=${shapeName([c.F, c.C, c.KH, c.KW])} s=${c.S} p=${c.P}${c.bias ? '' : ' nobias'}`;

describe.each(paths)('conv2d fast == naive ($label)', ({ backend, dtype, tol }) => {
  it(`300 random configurations: out, dx, dw, db within ${tol}`, () => {
    for (const [i, c] of convCases(300, 11).entries()) {
      const rng = createRng(`conv-${i}`);
      const x = randomTensor(rng, [c.N, c.C, c.H, c.W], dtype);
      const w = randomTensor(rng, [c.F, c.C, c.KH, c.KW], dtype);
      const b = c.bias ? randomTensor(rng, [c.F], dtype) : null;
      const p = { stride: c.S, padding: c.P };
      const ws = createWorkspace();
      const fast = on(backend).conv.forward(x, w, b, p, { ws });
      const dout = randomTensor(rng, [...fast.out.shape], dtype);
      const grads = on(backend).conv.backward(dout, fast.cache, { ws });

      // The oracle, in float64 on the same values.
      const x64 = x.to('float64'), w64 = w.to('float64'), b64 = b ? b.to('float64') : null;
      const ref = conv2dForwardNaive(x64, w64, b64, p);
      const refGrads = conv2dBackwardNaive(dout.to('float64'), ref.cache);

      const name = convName(c);
      expect(fast.out.shape, name).toEqual(ref.out.shape);
      expect(fast.out.dtype, name).toBe(dtype);
      expect(grads.dx.dtype, name).toBe(dtype);
      expect(relMaxError(fast.out.data, ref.out.data), `${name} out`).toBeLessThanOrEqual(tol);
      expect(relMaxError(grads.dx.data, refGrads.dx.data), `${name} dx`).toBeLessThanOrEqual(tol);
      expect(relMaxError(grads.dw.data, refGrads.dw.data), `${name} dw`).toBeLessThanOrEqual(tol);
      if (c.bias) expect(relMaxError(grads.db!.data, refGrads.db!.data), `${name} db`).toBeLessThanOrEqual(tol);
      else expect(grads.db, name).toBeNull();
    }
  });

  it('agrees with the naive kernel in its own precision too (float32 naive rounds each +=)', () => {
    const looser = dtype === 'float32' ? 2e-5 : tol;
    for (const [i, c] of convCases(60, 12).entries()) {
      const rng = createRng(`conv-own-${i}`);
      const x = randomTensor(rng, [c.N, c.C, c.H, c.W], dtype);
      const w = randomTensor(rng, [c.F, c.C, c.KH, c.KW], dtype);
      const b = c.bias ? randomTensor(rng, [c.F], dtype) : null;
      const p = { stride: c.S, padding: c.P };
      const fast = on(backend).conv.forward(x, w, b, p, { ws: createWorkspace() });
      const ref = conv2dForwardNaive(x, w, b, p);
      const dout = randomTensor(rng, [...ref.out.shape], dtype);
      const g = on(backend).conv.backward(dout, fast.cache, { ws: createWorkspace() });
      const r = conv2dBackwardNaive(dout, ref.cache);
      const name = convName(c);
      expect(relMaxError(fast.out.data, ref.out.data), `${name} out`).toBeLessThanOrEqual(looser);
      expect(relMaxError(g.dx.data, r.dx.data), `${name} dx`).toBeLessThanOrEqual(looser);
      expect(relMaxError(g.dw.data, r.dw.data), `${name} dw`).toBeLessThanOrEqual(looser);
    }
  });

  it('fused ReLU: forward { relu: true } and backward { reluOutput } equal conv then ReLU, naive', () => {
    for (const [i, c] of convCases(60, 13).entries()) {
      const rng = createRng(`conv-relu-${i}`);
      const x = randomTensor(rng, [c.N, c.C, c.H, c.W], dtype);
      const w = randomTensor(rng, [c.F, c.C, c.KH, c.KW], dtype);
      const b = c.bias ? randomTensor(rng, [c.F], dtype) : null;
      const p = { stride: c.S, padding: c.P };
      const ws = createWorkspace();
      const fast = on(backend).conv.forward(x, w, b, p, { ws: ws, relu: true });
      const dout = randomTensor(rng, [...fast.out.shape], dtype);
      const dout0 = [...dout.data];
      const g = on(backend).conv.backward(dout, fast.cache, { ws, reluOutput: fast.out });
      expect([...dout.data], 'dout is not modified').toEqual(dout0);

      const conv = conv2dForwardNaive(x.to('float64'), w.to('float64'), b ? b.to('float64') : null, p);
      const relu = reluForwardNaive(conv.out);
      const r = conv2dBackwardNaive(reluBackwardNaive(dout.to('float64'), relu.cache).dx, conv.cache);
      const name = convName(c);
      expect(relMaxError(fast.out.data, relu.out.data), `${name} out`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dx.data, r.dx.data), `${name} dx`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dw.data, r.dw.data), `${name} dw`).toBeLessThanOrEqual(tol);
      if (c.bias) expect(relMaxError(g.db!.data, r.db!.data), `${name} db`).toBeLessThanOrEqual(tol);
    }
  });

  it('workspace reuse: no stale values; dwInto/dbInto add, plain dw/db overwrite; computeDx: false', () => {
    const rng = createRng('conv-reuse');
    const p = { stride: 1, padding: 2 };
    const w = randomTensor(rng, [4, 3, 5, 5], dtype), b = randomTensor(rng, [4], dtype);
    const ws = createWorkspace();
    const results: Array<{ out: number[]; dx: number[]; dw: number[]; db: number[] }> = [];
    const inputs = [0, 1].map(() => ({ x: randomTensor(rng, [2, 3, 9, 7], dtype), dout: randomTensor(rng, [2, 4, 9, 7], dtype) }));
    let firstOut: Tensor | null = null;
    for (const { x, dout } of inputs) {
      const f = on(backend).conv.forward(x, w, b, p, { ws });
      firstOut ??= f.out;
      const g = on(backend).conv.backward(dout, f.cache, { ws });
      results.push({ out: [...f.out.data], dx: [...g.dx.data], dw: [...g.dw.data], db: [...g.db!.data] });
      const ref = conv2dForwardNaive(x.to('float64'), w.to('float64'), b.to('float64'), p);
      const r = conv2dBackwardNaive(dout.to('float64'), ref.cache);
      // The second call overwrote every buffer: it matches its own oracle, not a sum with the first.
      expect(relMaxError(f.out.data, ref.out.data)).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dx.data, r.dx.data)).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dw.data, r.dw.data)).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.db!.data, r.db!.data)).toBeLessThanOrEqual(tol);
    }
    // The output buffer really is reused (that is the point, and the documented caveat).
    expect(on(backend).conv.forward(inputs[0].x, w, b, p, { ws }).out).toBe(firstOut);

    // Accumulating: grad starts at g0, two backward passes add dw(batch 0) + dw(batch 1).
    const dwInto = randomTensor(rng, [4, 3, 5, 5], dtype), dbInto = randomTensor(rng, [4], dtype);
    const dw0 = [...dwInto.data], db0 = [...dbInto.data];
    for (const [i, { x, dout }] of inputs.entries()) {
      const f = on(backend).conv.forward(x, w, b, p, { ws });
      const g = on(backend).conv.backward(dout, f.cache, { ws, dwInto, dbInto, computeDx: i === 0 });
      expect(g.dw).toBe(dwInto);
      expect(g.db).toBe(dbInto);
      if (i === 1) expect(g.dx).toBeNull();
    }
    const dwSum = dw0.map((v, k) => v + results[0].dw[k] + results[1].dw[k]);
    const dbSum = db0.map((v, k) => v + results[0].db[k] + results[1].db[k]);
    expect(relMaxError(dwInto.data, dwSum)).toBeLessThanOrEqual(tol * 10);
    expect(relMaxError(dbInto.data, dbSum)).toBeLessThanOrEqual(tol * 10);

    // A new shape with the same workspace: buffers are reallocated, results still right.
    const x2 = randomTensor(rng, [3, 3, 6, 11], dtype);
    const f2 = on(backend).conv.forward(x2, w, b, p, { ws });
    const ref2 = conv2dForwardNaive(x2.to('float64'), w.to('float64'), b.to('float64'), p);
    expect(f2.out.shape).toEqual([3, 4, 6, 11]);
    expect(relMaxError(f2.out.data, ref2.out.data)).toBeLessThanOrEqual(tol);
  });
});

describe('conv2d fast: backend selection', () => {
  it("'auto' takes the TypeScript path for float64 and gives the same answer", () => {
    const rng = createRng('auto');
    const x = randomTensor(rng, [2, 2, 6, 5], 'float64'), w = randomTensor(rng, [3, 2, 3, 3], 'float64');
    const p = { stride: 1, padding: 1 };
    const a = conv2dForwardFast(x, w, null, p);
    const t = conv2dForwardFast(x, w, null, p, { ws: createWorkspace() });
    expect([...a.out.data]).toEqual([...t.out.data]);
  });
  it("the wasm pair refuses float64 loudly", () => {
    const x = Tensor.zeros([1, 1, 4, 4], 'float64'), w = Tensor.zeros([1, 1, 3, 3], 'float64');
    expect(() => on('wasm').conv.forward(x, w, null, { stride: 1, padding: 0 }, { ws: createWorkspace() })).toThrow(/float32 only/);
  });
  it('wasm memory grows for a big call and stays correct for a small one after it', () => {
    const rng = createRng('grow');
    const ws = createWorkspace();
    const p = { stride: 1, padding: 2 };
    for (const shape of [[2, 1, 8, 8], [16, 3, 40, 40], [1, 1, 8, 8]]) {
      const x = randomTensor(rng, shape, 'float32'), w = randomTensor(rng, [5, shape[1], 5, 5], 'float32');
      const f = on('wasm').conv.forward(x, w, null, p, { ws });
      const ref = conv2dForwardNaive(x.to('float64'), w.to('float64'), null, p);
      expect(relMaxError(f.out.data, ref.out.data), shapeName(shape)).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('maxPool2d fast == naive (exactly: same maxima, same argmax on ties, same dx)', () => {
  it('300 random configurations, with many ties, float32 on both paths and float64', () => {
    const rng = createRng('pool');
    let done = 0;
    while (done < 300) {
      const N = 1 + rng.int(4), C = 1 + rng.int(5), H = 1 + rng.int(13), W = 1 + rng.int(13);
      const K = 1 + rng.int(4), S = 1 + rng.int(4);
      if (H < K || W < K) continue;
      // done % 8 === 0: the 2x2/2 fast path, whatever was drawn.
      const p = done % 8 === 0 && H >= 2 && W >= 2 ? { kernelSize: 2, stride: 2 } : { kernelSize: K, stride: S };
      const dtype: DType = done % 3 ? 'float32' : 'float64';
      const backend = done % 3 === 1 ? 'wasm' : 'ts';
      const x = Tensor.zeros([N, C, H, W], dtype);
      for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform() < 0.03 ? NaN : rng.int(4) - 2; // few distinct values: ties everywhere; a few NaNs
      const ws = createWorkspace();
      const fast = on(backend).pool.forward(x, p, { ws });
      const ref = maxPool2dForwardNaive(x, p);
      const name = `x=${shapeName([N, C, H, W])} size=${p.kernelSize} stride=${p.stride} ${dtype} ${backend}`;
      expect(fast.out.shape, name).toEqual(ref.out.shape);
      expect([...fast.out.data], name).toEqual([...ref.out.data]);
      expect([...fast.cache.argmax], name).toEqual([...ref.cache.argmax]);
      const dout = randomTensor(rng, [...ref.out.shape], dtype);
      const dx = on(backend).pool.backward(dout, fast.cache, { ws }).dx;
      const dxRef = maxPool2dBackwardNaive(dout, ref.cache).dx;
      expect(dx.dtype, name).toBe(dtype);
      expect([...dx.data], name).toEqual([...dxRef.data]);
      // Reuse: a second backward with other values overwrites dx entirely.
      const dout2 = randomTensor(rng, [...ref.out.shape], dtype);
      expect([...on(backend).pool.backward(dout2, fast.cache, { ws }).dx.data], name).toEqual([...maxPool2dBackwardNaive(dout2, ref.cache).dx.data]);
      done++;
    }
  });
  it('NaN inputs: the same choice as the naive kernel (a NaN wins its window)', () => {
    const x = Tensor.from([[[[NaN, 1, 2, NaN, 4], [3, NaN, 0, 5, 1], [1, 2, NaN, 0, 7]]]], 'float64');
    for (const p of [{ kernelSize: 2, stride: 2 }, { kernelSize: 2, stride: 1 }, { kernelSize: 3, stride: 1 }]) {
      for (const backend of ['ts', 'wasm'] as const) {
        const x32 = x.to('float32');
        const fast = on(backend).pool.forward(x32, p, { ws: createWorkspace() });
        const ref = maxPool2dForwardNaive(x32, p);
        expect([...fast.cache.argmax], backend).toEqual([...ref.cache.argmax]);
        expect([...fast.out.data], backend).toEqual([...ref.out.data]);
      }
      expect([...maxPool2dForwardFast(x, p).cache.argmax]).toEqual([...maxPool2dForwardNaive(x, p).cache.argmax]);
    }
  });
});

describe.each(paths)('dense fast == naive ($label)', ({ backend, dtype, tol }) => {
  it(`200 random configurations: out, dx, dw, db within ${tol}; accumulation into given grads`, () => {
    const rng = createRng(`dense-${backend}-${dtype}`);
    for (let t = 0; t < 200; t++) {
      const N = 1 + rng.int(6), I = 1 + rng.int(40), O = 1 + rng.int(12), bias = rng.uniform() < 0.7;
      const x = randomTensor(rng, [N, I], dtype), w = randomTensor(rng, [O, I], dtype);
      const b = bias ? randomTensor(rng, [O], dtype) : null;
      const ws = createWorkspace();
      const fast = on(backend).dense.forward(x, w, b, { ws });
      const ref = denseForwardNaive(x.to('float64'), w.to('float64'), b ? b.to('float64') : null);
      const dout = randomTensor(rng, [N, O], dtype);
      const g = on(backend).dense.backward(dout, fast.cache, { ws });
      const r = denseBackwardNaive(dout.to('float64'), ref.cache);
      const name = `x=${shapeName([N, I])} w=${shapeName([O, I])}${bias ? '' : ' nobias'}`;
      expect(relMaxError(fast.out.data, ref.out.data), `${name} out`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dx.data, r.dx.data), `${name} dx`).toBeLessThanOrEqual(tol);
      expect(relMaxError(g.dw.data, r.dw.data), `${name} dw`).toBeLessThanOrEqual(tol);
      if (bias) expect(relMaxError(g.db!.data, r.db!.data), `${name} db`).toBeLessThanOrEqual(tol);
      // Accumulate into given gradients, skipping dx.
      const dwInto = randomTensor(rng, [O, I], dtype), dbInto = randomTensor(rng, [O], dtype);
      const dwSum = Array.from(dwInto.data, (v, k) => v + r.dw.data[k]);
      const dbSum = Array.from(dbInto.data, (v, k) => v + (r.db ? r.db.data[k] : 0));
      const g2 = on(backend).dense.backward(dout, fast.cache, { ws, dwInto, dbInto, computeDx: false });
      expect(g2.dx).toBeNull();
      expect(relMaxError(dwInto.data, dwSum), `${name} dwInto`).toBeLessThanOrEqual(tol * 10);
      if (bias) expect(relMaxError(dbInto.data, dbSum), `${name} dbInto`).toBeLessThanOrEqual(tol * 10);
    }
  });
});

describe('relu fast == naive', () => {
  for (const [inPlace, backend] of [[false, 'ts'], [true, 'ts'], [false, 'fast'], [true, 'fast']] as const) {
    it(`exactly, with inPlace: ${inPlace}, ${backend} (fast: wasm for float32)`, () => {
      const rng = createRng(`relu-${inPlace}`);
      for (let t = 0; t < 50; t++) {
        const dtype: DType = t % 2 ? 'float32' : 'float64';
        const shape = [1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(7)];
        const x = randomTensor(rng, shape, dtype);
        x.data[0] = 0; // the kink: derivative 0, as in the naive kernel
        x.data[1 % x.size] = -0; // stays -0 (toEqual tells -0 from +0)
        if (t % 5 === 0) x.data[x.size - 1] = NaN; // passes through, as in the naive kernel
        const ref = reluForwardNaive(x);
        const dout = randomTensor(rng, shape, dtype);
        const dxRef = reluBackwardNaive(dout, ref.cache).dx;
        const ws = createWorkspace();
        const fast = on(backend).relu.forward(inPlace ? x.clone() : x, { ws, inPlace });
        const dx = on(backend).relu.backward(inPlace ? dout.clone() : dout, fast.cache, { ws, inPlace }).dx;
        expect([...fast.out.data]).toEqual([...ref.out.data]);
        expect([...dx.data]).toEqual([...dxRef.data]);
      }
    });
  }
});
