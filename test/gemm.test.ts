// The GEMMs (src/kernels/gemm.ts) against the triple-loop definition gemmNaive: random sizes, both
// transposes, offsets and padded leading dimensions, alpha and beta; the TypeScript GEMM in float64
// and float32, the WebAssembly GEMM in float32. Also sizes that cross the cache blocks (KC = 256, MC = 128).
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/rng.ts';
import type { FloatArray } from '../src/tensor.ts';
import { gemm, gemmNaive, gemmWasm } from '../src/kernels/gemm.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { relMaxError } from './helpers.ts';

type Gemm = typeof gemmNaive;

beforeAll(async () => {
  await ensureWasmBuilt(); // a no-op when `npm test` already built it (pretest)
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

interface Case { tA: boolean; tB: boolean; M: number; N: number; K: number; alpha: number; beta: number; pad: number }

function caseName(c: Case): string {
  return `${c.tA ? 'At' : 'A'}${c.tB ? 'Bt' : 'B'} M=${c.M} N=${c.N} K=${c.K} alpha=${c.alpha} beta=${c.beta} pad=${c.pad}`;
}

/** Runs `impl` and gemmNaive (in float64) on the same random operands; returns the relative error. */
function compare(impl: Gemm, c: Case, dtype: 'float32' | 'float64', seed: number): number {
  const rng = createRng(seed);
  const make = (n: number): FloatArray => {
    const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal();
    return a;
  };
  const { tA, tB, M, N, K, alpha, beta, pad } = c;
  // Stored shapes, with `pad` unused columns per row and a few unused values in front (the offsets).
  const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  const aOff = 3, bOff = 1, cOff = 2;
  const A = make(aOff + lda * (tA ? K : M));
  const B = make(bOff + ldb * (tB ? N : K));
  const C = make(cOff + ldc * M);
  if (beta === 0) C.fill(NaN); // beta = 0 must ignore C entirely, NaN included
  const expected = Float64Array.from(C);
  gemmNaive(tA, tB, M, N, K, alpha, Float64Array.from(A), aOff, lda, Float64Array.from(B), bOff, ldb, beta, expected, cOff, ldc);
  const got = C.slice();
  impl(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, got, cOff, ldc);
  // Compare C's (M, N) block only; the padding columns must be untouched.
  const blockGot: number[] = [], blockExp: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      const o = cOff + i * ldc + j;
      if (j < N) { blockGot.push(got[o]); blockExp.push(expected[o]); }
      else if (!Object.is(got[o], C[o])) return Infinity;
    }
  }
  return relMaxError(blockGot, blockExp);
}

function randomCases(count: number, seed: number, maxDim: number): Case[] {
  const rng = createRng(seed);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    cases.push({
      tA: rng.uniform() < 0.5, tB: rng.uniform() < 0.5,
      M: 1 + rng.int(maxDim), N: 1 + rng.int(maxDim), K: 1 + rng.int(maxDim),
      alpha: [1, 1, 0.5, -2][rng.int(4)], beta: [0, 0, 1, -0.5][rng.int(4)], pad: rng.int(3),
    });
  }
  // Edge sizes: K = 0 (C = beta * C), 1 x 1, and blocks crossed in every dimension.
  cases.push({ tA: false, tB: false, M: 3, N: 5, K: 0, alpha: 1, beta: -0.5, pad: 1 });
  cases.push({ tA: true, tB: true, M: 1, N: 1, K: 1, alpha: 1, beta: 0, pad: 0 });
  cases.push({ tA: false, tB: true, M: 131, N: 37, K: 300, alpha: 1, beta: 1, pad: 2 });
  cases.push({ tA: true, tB: false, M: 9, N: 530, K: 260, alpha: 1, beta: 0, pad: 0 });
  cases.push({ tA: false, tB: false, M: 16, N: 196, K: 200, alpha: 1, beta: 0, pad: 0 }); // conv2's forward GEMM
  return cases;
}

const impls: Array<{ name: string; impl: Gemm; dtypes: Array<'float32' | 'float64'> }> = [
  { name: 'gemm (TypeScript)', impl: gemm, dtypes: ['float64', 'float32'] },
  { name: 'gemmWasm', impl: gemmWasm, dtypes: ['float32'] },
];

describe.each(impls)('$name equals gemmNaive', ({ impl, dtypes }) => {
  for (const dtype of dtypes) {
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    it(`${dtype}: 200 random shapes, transposes, offsets, alpha, beta (relative error <= ${tol})`, () => {
      for (const [i, c] of randomCases(200, 7, 40).entries()) {
        expect(compare(impl, c, dtype, 1000 + i), caseName(c)).toBeLessThanOrEqual(tol);
      }
    });
  }
});

describe('gemmWasm', () => {
  it('rejects float64 operands', () => {
    const a = new Float64Array(4);
    expect(() => gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, a, 0, 2)).toThrow(/Float32Array/);
  });
});
