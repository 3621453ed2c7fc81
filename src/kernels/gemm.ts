// General matrix multiply (GEMM), the workhorse under the fast convolution and dense kernels:
//
//   C = alpha * op(A) * op(B) + beta * C          every matrix row-major, in a flat typed array
//
// Glossary (docs/names.md): rows, cols = the rows and columns of C, inner = the summed dimension.
//   op(A) is (rows, inner): A itself, stored (rows, inner), or A^T with A stored (inner, rows)   (transA)
//   op(B) is (inner, cols): B itself, stored (inner, cols), or B^T with B stored (cols, inner)   (transB)
//   Each matrix is given as (array, offset, leading dimension): element [i, j] of a stored matrix
//   is array[offset + i*ld + j], so a matrix can be a block of a larger array without a copy.
//   MR x NR = the register tile, KC / MC / NC = the cache blocks.
//
// Three implementations, one signature:
//   gemmNaive  the triple loop: the definition, and the oracle the others are tested against
//   gemm       the blocked, register-tiled TypeScript version: any dtype, ~2-3 GFLOP/s on one core
//              (its inner 4x4 kernel alone ~4; bench/gemm.ts measures it)
//   gemmWasm   the WebAssembly SIMD version (./wasm/assembly/gemm.ts): float32 only, ~20-29 GFLOP/s
//              on the reference network's shapes
// The convolution kernels do not call gemmWasm: they run im2col and GEMM together inside wasm,
// so that the big im2col matrix never crosses between JavaScript and WebAssembly memory.

import type { FloatArray } from '../tensor.ts';
import { getWasmKernels, wasmStatus } from './wasm/loader.ts';

/**
 * C = alpha * op(A) * op(B) + beta * C, by the definition. With beta = 0, C's old values are
 * ignored (even NaN), as in BLAS.
 *
 * @param A op(A) is (rows, inner); stored (rows, inner) with row stride lda, or (inner, rows) when transA
 * @param B op(B) is (inner, cols); stored (inner, cols) with row stride ldb, or (cols, inner) when transB
 * @param C (rows, cols) with row stride ldc
 */
export function gemmNaive(
  transA: boolean, transB: boolean, rows: number, cols: number, inner: number, alpha: number,
  A: FloatArray, aOff: number, lda: number, B: FloatArray, bOff: number, ldb: number,
  beta: number, C: FloatArray, cOff: number, ldc: number,
): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) {
        const a = transA ? A[aOff + k * lda + i] : A[aOff + i * lda + k];
        const b = transB ? B[bOff + j * ldb + k] : B[bOff + k * ldb + j];
        sum += a * b;
      }
      const c = cOff + i * ldc + j;
      C[c] = beta === 0 ? alpha * sum : alpha * sum + beta * C[c];
    }
  }
}

// ---- the blocked TypeScript GEMM ----
//
// The loops follow GotoBLAS (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"):
//   for each NC-wide block of columns of C
//     for each KC-deep slice of the inner dimension:  pack op(B)[slice, block] into NR-column panels (Bp)
//       for each MC-tall block of rows:               pack op(A)[rows, slice] into MR-row panels (Ap)
//         for each panel pair:                        the micro-kernel: a 4 x 4 tile of C in 16 locals
// Packing copies each panel into the exact order the micro-kernel reads it (k-major, 4 values per k),
// whatever the transposes, so the hot loop walks two arrays sequentially; the blocks keep a B panel
// (KC x NR) in L1 and the A block (MC x KC) in L2 while they are reused. The packed panels are always
// Float64Array, so the micro-kernel sees one array type (V8 compiles it once) and sums in double.

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 512;

// Packing buffers, shared by every call: they only hold copies made and consumed within one call.
const Ap = new Float64Array(MC * KC); // (MC/MR, KC, MR)
const Bp = new Float64Array(KC * NC); // (NC/NR, KC, NR)

/**
 * C = alpha * op(A) * op(B) + beta * C, blocked and register-tiled; same arguments as gemmNaive.
 * Works on Float32Array and Float64Array alike (sums in double precision either way).
 */
export function gemm(
  transA: boolean, transB: boolean, rows: number, cols: number, inner: number, alpha: number,
  A: FloatArray, aOff: number, lda: number, B: FloatArray, bOff: number, ldb: number,
  beta: number, C: FloatArray, cOff: number, ldc: number,
): void {
  if (rows <= 0 || cols <= 0) return;
  if (inner <= 0) {
    scaleC(rows, cols, beta, C, cOff, ldc);
    return;
  }
  for (let jc = 0; jc < cols; jc += NC) {
    const nc = Math.min(NC, cols - jc);
    for (let pc = 0; pc < inner; pc += KC) {
      const kc = Math.min(KC, inner - pc);
      const betaBlock = pc === 0 ? beta : 1; // later slices add onto the first slice's result
      packB(transB, kc, nc, B, transB ? bOff + jc * ldb + pc : bOff + pc * ldb + jc, ldb);
      for (let ic = 0; ic < rows; ic += MC) {
        const mc = Math.min(MC, rows - ic);
        packA(transA, mc, kc, A, transA ? aOff + pc * lda + ic : aOff + ic * lda + pc, lda);
        for (let jr = 0; jr < nc; jr += NR) {
          for (let ir = 0; ir < mc; ir += MR) {
            micro4x4(kc, Ap, ir * kc, Bp, jr * kc, tile);
            storeTile(C, cOff + (ic + ir) * ldc + jc + jr, ldc, Math.min(MR, mc - ir), Math.min(NR, nc - jr), alpha, betaBlock);
          }
        }
      }
    }
  }
}

/**
 * The micro-kernel: tile[r*4 + c] = sum_k ap[ia + 4k + r] * bp[ib + 4k + c], a (4, 4) block of products
 * summed in 16 local variables (V8 keeps most of them in registers). It is kept this small, with
 * the write into C in a separate function, because V8 optimises a small hot loop best: the same loop
 * with the alpha/beta/edge logic inline ran at half the speed.
 */
function micro4x4(kc: number, ap: Float64Array, ia: number, bp: Float64Array, ib: number, tile: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < kc; k++) {
    const a0 = ap[ia], a1 = ap[ia + 1], a2 = ap[ia + 2], a3 = ap[ia + 3];
    const b0 = bp[ib], b1 = bp[ib + 1], b2 = bp[ib + 2], b3 = bp[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ia += 4;
    ib += 4;
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
  tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
  tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
}
const tile = new Float64Array(MR * NR); // (MR, NR): one micro-kernel result

/** The valid (mr, nr) corner of the tile into C at C[c] (row stride ldc): C = alpha * tile + beta * C. */
function storeTile(C: FloatArray, c: number, ldc: number, mr: number, nr: number, alpha: number, beta: number): void {
  for (let i = 0; i < mr; i++, c += ldc) {
    for (let j = 0; j < nr; j++) {
      C[c + j] = beta === 0 ? alpha * tile[i * NR + j] : alpha * tile[i * NR + j] + beta * C[c + j];
    }
  }
}

/** Ap[panel][k][r] = op(A)[panel*MR + r, k] for the (mc, kc) block at A[a0]; rows past mc are zeros. */
function packA(transA: boolean, mc: number, kc: number, A: FloatArray, a0: number, lda: number): void {
  // op(A)[i, k] is A[a0 + i*rs + k*cs]: rs, cs = lda, 1 for A itself, 1, lda for A stored transposed.
  const rs = transA ? 1 : lda, cs = transA ? lda : 1;
  let p = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    if (ir + MR <= mc) {
      const r0 = a0 + ir * rs;
      for (let k = 0, o = r0; k < kc; k++, o += cs, p += MR) {
        Ap[p] = A[o]; Ap[p + 1] = A[o + rs]; Ap[p + 2] = A[o + 2 * rs]; Ap[p + 3] = A[o + 3 * rs];
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) Ap[p++] = ir + r < mc ? A[a0 + (ir + r) * rs + k * cs] : 0;
      }
    }
  }
}

/** Bp[panel][k][c] = op(B)[k, panel*NR + c] for the (kc, nc) block at B[b0]; columns past nc are zeros. */
function packB(transB: boolean, kc: number, nc: number, B: FloatArray, b0: number, ldb: number): void {
  // op(B)[k, j] is B[b0 + k*rs + j*cs]: rs, cs = ldb, 1 for B itself, 1, ldb for B stored transposed.
  const rs = transB ? 1 : ldb, cs = transB ? ldb : 1;
  let p = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    if (jr + NR <= nc) {
      const c0 = b0 + jr * cs;
      for (let k = 0, o = c0; k < kc; k++, o += rs, p += NR) {
        Bp[p] = B[o]; Bp[p + 1] = B[o + cs]; Bp[p + 2] = B[o + 2 * cs]; Bp[p + 3] = B[o + 3 * cs];
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let c = 0; c < NR; c++) Bp[p++] = jr + c < nc ? B[b0 + k * rs + (jr + c) * cs] : 0;
      }
    }
  }
}

/** C = beta * C: the whole GEMM when inner = 0. */
function scaleC(rows: number, cols: number, beta: number, C: FloatArray, cOff: number, ldc: number): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const o = cOff + i * ldc + j;
      C[o] = beta === 0 ? 0 : beta * C[o];
    }
  }
}

// ---- the WebAssembly GEMM, for float32 ----

/**
 * C = alpha * op(A) * op(B) + beta * C in WebAssembly SIMD; same arguments as gemmNaive, but all three
 * arrays must be Float32Array. Copies A, B (and C when beta != 0) into wasm memory and C back out.
 * Throws when the wasm kernels are unavailable (see wasmStatus()), and a WasmMemoryError, having
 * written nothing, when the call does not fit in wasm memory (the dense family then runs gemm).
 */
export function gemmWasm(
  transA: boolean, transB: boolean, rows: number, cols: number, inner: number, alpha: number,
  A: FloatArray, aOff: number, lda: number, B: FloatArray, bOff: number, ldb: number,
  beta: number, C: FloatArray, cOff: number, ldc: number,
): void {
  const wasm = getWasmKernels();
  if (!wasm) throw new Error(`gemmWasm: the WebAssembly kernels are unavailable: ${wasmStatus()}`);
  if (!(A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array)) {
    throw new TypeError('gemmWasm: A, B and C must be Float32Array (the wasm kernels are float32 only)');
  }
  if (rows <= 0 || cols <= 0) return;
  // The stored extents: rows x leading dimension, minus the unused tail of the last row.
  const aLen = transA ? (inner - 1) * lda + rows : (rows - 1) * lda + inner;
  const bLen = transB ? (cols - 1) * ldb + inner : (inner - 1) * ldb + cols;
  const cLen = (rows - 1) * ldc + cols;
  const Cs = C.subarray(cOff, cOff + cLen);
  const call = wasm.call(); // see wasm/memory.ts: operands already in wasm memory are used in place
  const aPtr = inner > 0 ? call.input(A.subarray(aOff, aOff + aLen)) : 0;
  const bPtr = inner > 0 ? call.input(B.subarray(bOff, bOff + bLen)) : 0;
  // C is read when beta != 0. And when ldc > cols its rows are interleaved with data the GEMM must not
  // change: copied in as well (inout), that data goes back out unchanged with the whole extent.
  const resident = wasm.addressOf(Cs) !== null;
  const cPtr = beta !== 0 || (ldc !== cols && !resident) ? call.inout(Cs) : call.output(Cs);
  const scratch = call.scratch(wasm.gemmScratch);
  call.ready(); // a WasmMemoryError when too big for wasm memory, before anything is written (see withFallback in backend.ts)
  wasm.exports.gemm(transA ? 1 : 0, transB ? 1 : 0, rows, cols, inner, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc, scratch);
  call.done();
}
