// Winograd minimal filtering for 3x3, stride-1, groups-1, dilation-1 convolutions (Lavin & Gray 2016,
// "Fast Algorithms for Convolutional Neural Networks"): the same convolution as conv2dForwardNaive in
// conv2d.ts with fewer multiplications, in exchange for extra additions and a little float error.
// See docs/winograd.md and `miniconv explain winograd` for the derivation with numbers.
//
// Glossary of dimension letters:
//   N = batch, CI = input channels, CO = output channels, H, W = input height and width, P = padding,
//   OH = H + 2P - 2, OW = W + 2P - 2 (a 3x3 kernel at stride 1),
//   m = output tile side (2 for F(2x2,3x3), 4 for F(4x4,3x3)), A = m + 2, the input tile side,
//   TH = ceil(OH/m), TW = ceil(OW/m) the tiles of one image, T = the tiles of a chunk of NB images,
//   xi = 0 .. A*A-1, a position in the transformed A x A tile.
//
// The 1-D algorithm F(m, 3): m outputs of a 3-tap correlation y[k] = sum_j g[j] d[k + j] from m + 2
// inputs, as   y = At [ (G g) ⊙ (Bt d) ]   with A products instead of 3m. In 2-D it nests:
//   Y (m x m) = At [ (G g G^T) ⊙ (Bt d Bt^T) ] At^T          for a 3x3 kernel g and an A x A input tile d.
// Summed over the input channels, the ⊙ becomes A*A independent matrix products (the GEMMs):
//   U[xi] (CO, CI) = (G w[co, ci] G^T)[xi]                   the weights, transformed once per call
//   V[xi] (CI, T)  = (Bt d[ci, t] Bt^T)[xi]                  every input tile t, transformed
//   M[xi] (CO, T)  = U[xi] . V[xi]                           A*A GEMMs (gemm.ts)
//   y[co, tile t]  = At M[., co, t] At^T  (+ bias, ReLU)     the m x m output tile, cut at the border
//
// The backward pass, by the same transforms:
//   dx  is the convolution of dy with the kernel turned 180 degrees and its two channel axes swapped,
//       at padding 2 - P: the forward algorithm with { flipped: true } (P <= 2);
//   dw  is the correlation of x with dy: by the transposition principle the SAME three matrices, used
//       the other way round (z[j] = sum_k dy[k] d[k + j] = sum_xi G[xi, j] (At^T dy)[xi] (Bt d)[xi]):
//         Mw[xi] (CO, CI) = sum_t DY[xi] (CO, T) . V[xi]^T (T, CI)   with DY = At^T dy_tile At (A x A)
//         dw[co, ci] (3 x 3) += G^T Mw[., co, ci] G
//       and V the forward's input transform of the same tiles.
//
// Error: the transforms add and subtract values (F(4,3) also scales by 1/4 .. 1/24 and by up to 8),
// so the float32 result carries more rounding than im2col's direct sums: measured in
// test/winograd.test.ts and documented there; in float64 it is exact to ~1e-15 (gradient checks).
// The images are processed in chunks of NB so that the transformed tiles (A*A*max(CI, CO)*T values)
// stay near 2^16 values (256 KiB in float32: V and M stay in the L2 cache; 2^14 and 2^18 measured
// no better), whatever the batch size; the wasm kernel uses 2^13 (see WASM_CHUNK_VALUES).
//
// Where it runs: the conv family's TypeScript and wasm pairs (conv2d-ts.ts, conv2d-wasm.ts, through the
// slot of winograd-pass.ts that the last line of this file fills) with
// { winograd: true } (a Conv2D built with winograd: true) call winogradConv2dForward /
// winogradConv2dBackward below, which return null when the conv is not 3x3, stride 1, dilation 1,
// groups 1 with padding <= 2, or when the cost model (winogradPays) says Winograd does not pay on its
// shape: the caller then runs its usual code. The fallback rule of backend.ts
// applies as to any conv (float64, or a call that does not fit in wasm memory: the TypeScript pair). It is opt-in because its float32 results differ from im2col's in the last bits, and
// the same seed must keep giving the same trained bits.

import type { FloatArray, Tensor } from '../tensor.ts';
import { type Conv2dCache, type Conv2dParams, conv2dDims } from './conv2d.ts';
import { gemm } from './gemm.ts';
import { type Workspace, requireWasm, wsFloat, wsTensor } from './workspace.ts';
import type { WasmKernels } from './wasm/loader.ts';
import { provideWinograd } from './winograd-pass.ts';
import { backwardOperands } from './conv2d-ts.ts'; // (conv2d-ts.ts imports this file too: only functions cross, at call time)

/** The matrices of F(m, 3): Bt (A x A), G (A x 3), At (m x A), A = m + 2. */
export interface WinogradTransform {
  readonly name: string;
  readonly m: number;
  readonly A: number;
  readonly Bt: readonly (readonly number[])[];
  readonly G: readonly (readonly number[])[];
  readonly At: readonly (readonly number[])[];
}

/** F(2, 3), interpolation points 0, 1, -1 and infinity: 4 products for 2 outputs of a 3-tap filter (6 directly). */
export const F2X3: WinogradTransform = {
  name: 'F(2x2,3x3)', m: 2, A: 4,
  Bt: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  G: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  At: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

/** F(4, 3), points 0, 1, -1, 2, -2 and infinity: 6 products for 4 outputs (12 directly); 36 for 16 in 2-D (144). */
export const F4X3: WinogradTransform = {
  name: 'F(4x4,3x3)', m: 4, A: 6,
  Bt: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  At: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/**
 * The 1-D algorithm, for teaching and testing: y[k] = sum_j g[j] d[k + j] (k < m) as At [(G g) ⊙ (Bt d)].
 * @param d the m + 2 inputs
 * @param g the 3 taps
 * @returns the m outputs and the A products it took
 */
export function winograd1d(t: WinogradTransform, d: readonly number[], g: readonly number[]): { y: number[]; products: number[] } {
  if (d.length !== t.A || g.length !== 3) throw new RangeError(`winograd1d: ${t.name} takes ${t.A} inputs and 3 taps, got ${d.length} and ${g.length}`);
  const products = t.Bt.map((row, xi) => dotRow(row, d) * dotRow(t.G[xi], g));
  return { y: t.At.map((row) => dotRow(row, products)), products };
}

function dotRow(row: readonly number[], v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += row[i] * v[i];
  return s;
}

/** Whether a conv with these options can run as Winograd F(m x m, 3 x 3): a 3x3 kernel, stride 1, dilation 1, groups 1. */
export function winogradApplies(d: { KH: number; KW: number; S: number; D: number; G: number }): boolean {
  return d.KH === 3 && d.KW === 3 && d.S === 1 && d.D === 1 && d.G === 1;
}

/** The sizes of a Winograd convolution: N images of CI channels H x W into CO channels, padding P. */
export interface WinogradDims {
  N: number; CI: number; H: number; W: number; CO: number; P: number;
}

/** The values the transformed tiles of one chunk may hold (see the header). */
const CHUNK_VALUES = 1 << 16;

/**
 * Images per chunk, the tiles of one image and the output size. `rowMultiple`: the tiles of a row are
 * rounded up to a multiple of it (the wasm kernel's 4 tiles per v128).
 */
export function winogradPlan(t: WinogradTransform, d: WinogradDims, rowMultiple = 1, chunkValues = CHUNK_VALUES) {
  const channels = Math.max(d.CI, d.CO);
  const OH = d.H + 2 * d.P - 2, OW = d.W + 2 * d.P - 2;
  if (OH < 1 || OW < 1) throw new RangeError(`winograd: input ${d.H}x${d.W} with padding ${d.P} is smaller than the 3x3 kernel`);
  const TH = Math.ceil(OH / t.m), TW = Math.ceil(Math.ceil(OW / t.m) / rowMultiple) * rowMultiple;
  const perImage = t.A * t.A * channels * TH * TW;
  const NB = Math.max(1, Math.min(d.N, Math.floor(chunkValues / perImage)));
  return { OH, OW, TH, TW, NB };
}

/** Options of winogradForward. */
export interface WinogradForwardOptions {
  /** w is the weight of the convolution this one is the input gradient of: (CI, CO, 3, 3) read turned 180 degrees. */
  flipped?: boolean;
  /** Apply a ReLU to the output. */
  relu?: boolean;
  /** (N, CI, H, W): use x only where mask > 0, 0 elsewhere (dy through a fused ReLU, its output being the mask). */
  mask?: FloatArray | null;
  ws?: Workspace;
  /** Prefix of the workspace's buffer names (a pass that runs twice with different shapes keeps two sets). */
  tag?: string;
}

/**
 * y (N, CO, OH, OW) = the 3x3 stride-1 convolution of x (N, CI, H, W) with w (CO, CI, 3, 3) at padding P,
 * plus b (CO) if given; y is overwritten. With opts.flipped, w is (CI, CO, 3, 3) and the kernel used
 * is wf[co, ci, u, v] = w[ci, co, 2 - u, 2 - v] (the input gradient of the conv with weight w).
 */
export function winogradForward(
  t: WinogradTransform, d: WinogradDims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, opts: WinogradForwardOptions = {},
): void {
  const { N, CI, H, W, CO, P } = d;
  const { A, m } = t;
  const AA = A * A;
  const { OH, OW, TH, TW, NB } = winogradPlan(t, d);
  const dtype = x instanceof Float64Array ? 'float64' : 'float32';
  const tag = opts.tag ?? 'winograd';
  const U = wsFloat(opts.ws, `${tag}U`, dtype, AA * CO * CI); //          (A*A, CO, CI)
  transformWeights(t, w, CO, CI, opts.flipped === true, U);
  const T = NB * TH * TW;
  const V = wsFloat(opts.ws, `${tag}V`, dtype, AA * CI * T); //           (A*A, CI, T)
  const M = wsFloat(opts.ws, `${tag}M`, dtype, AA * CO * T); //           (A*A, CO, T)
  const tile = new Float64Array(AA), tmp = new Float64Array(AA), out = new Float64Array(m * m);
  for (let n0 = 0; n0 < N; n0 += NB) {
    const nb = Math.min(NB, N - n0), Tc = nb * TH * TW; // this chunk's images and tiles
    transformInput(t, x, opts.mask ?? null, n0, nb, CI, H, W, P, TH, TW, T, V, tile, tmp);
    for (let xi = 0; xi < AA; xi++) gemm(false, false, CO, Tc, CI, 1, U, xi * CO * CI, CI, V, xi * CI * T, T, 0, M, xi * CO * T, T);
    // The output tiles: y[n, co, ti*m + r, tj*m + s] = (At M At^T)[r, s] (+ b, ReLU), cut at OH, OW.
    for (let co = 0; co < CO; co++) {
      const bias = b ? b[co] : 0;
      for (let tt = 0; tt < Tc; tt++) {
        for (let xi = 0; xi < AA; xi++) tile[xi] = M[(xi * CO + co) * T + tt];
        sandwich(t.At, m, A, tile, tmp, out);
        const n = n0 + Math.floor(tt / (TH * TW)), ti = Math.floor(tt / TW) % TH, tj = tt % TW;
        for (let r = 0; r < m && ti * m + r < OH; r++) {
          for (let s = 0; s < m && tj * m + s < OW; s++) {
            const v = out[r * m + s] + bias;
            y[((n * CO + co) * OH + ti * m + r) * OW + tj * m + s] = opts.relu && v < 0 ? 0 : v;
          }
        }
      }
    }
  }
}

/**
 * dw (CO, CI, 3, 3) += the weight gradient of the 3x3 stride-1 convolution of x (N, CI, H, W) at
 * padding P given dy (N, CO, OH, OW): dw[co, ci, u, v] += sum_n,i,j dy[n, co, i, j] x[n, ci, i + u - P, j + v - P].
 * With mask (N, CO, OH, OW), dy counts only where mask > 0 (a fused ReLU).
 */
export function winogradWeightGrad(
  t: WinogradTransform, d: WinogradDims, x: FloatArray, dy: FloatArray, mask: FloatArray | null, dw: FloatArray, ws?: Workspace,
): void {
  const { N, CI, H, W, CO, P } = d;
  const { A, m } = t;
  const AA = A * A;
  const { OH, OW, TH, TW, NB } = winogradPlan(t, d);
  const dtype = x instanceof Float64Array ? 'float64' : 'float32';
  const T = NB * TH * TW;
  const V = wsFloat(ws, 'winogradDwV', dtype, AA * CI * T); //          (A*A, CI, T)
  const DY = wsFloat(ws, 'winogradDwDY', dtype, AA * CO * T); //        (A*A, CO, T)
  const Mw = wsFloat(ws, 'winogradDwMw', dtype, AA * CO * CI); //       (A*A, CO, CI)
  const tile = new Float64Array(AA), tmp = new Float64Array(AA), g = new Float64Array(m * m), z = new Float64Array(9);
  const AtT = transpose(t.At), GT = transpose(t.G);
  for (let n0 = 0; n0 < N; n0 += NB) {
    const nb = Math.min(NB, N - n0), Tc = nb * TH * TW;
    transformInput(t, x, null, n0, nb, CI, H, W, P, TH, TW, T, V, tile, tmp);
    // DY[xi, co, t] = (At^T dy_tile At)[xi]: dy's m x m tile, zero past OH, OW.
    for (let co = 0; co < CO; co++) {
      for (let tt = 0; tt < Tc; tt++) {
        const n = n0 + Math.floor(tt / (TH * TW)), ti = Math.floor(tt / TW) % TH, tj = tt % TW;
        for (let r = 0; r < m; r++) {
          for (let s = 0; s < m; s++) {
            const i = ti * m + r, j = tj * m + s;
            const k = ((n * CO + co) * OH + i) * OW + j;
            g[r * m + s] = i < OH && j < OW && (!mask || mask[k] > 0) ? dy[k] : 0;
          }
        }
        sandwich(AtT, A, m, g, tmp, tile);
        for (let xi = 0; xi < AA; xi++) DY[(xi * CO + co) * T + tt] = tile[xi];
      }
    }
    // Mw[xi] (CO, CI) = sum over tiles DY[xi] (CO, T) . V[xi]^T (T, CI), summed over the chunks.
    for (let xi = 0; xi < AA; xi++) gemm(false, true, CO, CI, Tc, 1, DY, xi * CO * T, T, V, xi * CI * T, T, n0 === 0 ? 0 : 1, Mw, xi * CO * CI, CI);
  }
  for (let o = 0; o < CO * CI; o++) {
    for (let xi = 0; xi < AA; xi++) tile[xi] = Mw[xi * CO * CI + o];
    sandwich(GT, 3, A, tile, tmp, z);
    for (let k = 0; k < 9; k++) dw[o * 9 + k] += z[k];
  }
}

/** U[xi, co, ci] = (G g G^T)[xi] with g = w[co, ci] (3 x 3), or flipped: g[u][v] = w[ci, co, 2 - u, 2 - v]. */
function transformWeights(t: WinogradTransform, w: FloatArray, CO: number, CI: number, flipped: boolean, U: FloatArray): void {
  const AA = t.A * t.A;
  const g = new Float64Array(9), tmp = new Float64Array(t.A * 3), u = new Float64Array(AA);
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < CI; ci++) {
      for (let k = 0; k < 9; k++) g[k] = flipped ? w[(ci * CO + co) * 9 + 8 - k] : w[(co * CI + ci) * 9 + k];
      sandwich(t.G, t.A, 3, g, tmp, u);
      for (let xi = 0; xi < AA; xi++) U[(xi * CO + co) * CI + ci] = u[xi];
    }
  }
}

/**
 * V[xi, ci, t] = (Bt d Bt^T)[xi] for the A x A input tile d of every tile t of images n0 .. n0+nb-1:
 * d[a][c] = x[n, ci, ti*m + a - P, tj*m + c - P] (0 outside the image, and where mask <= 0).
 */
function transformInput(
  t: WinogradTransform, x: FloatArray, mask: FloatArray | null, n0: number, nb: number, CI: number, H: number, W: number, P: number,
  TH: number, TW: number, T: number, V: FloatArray, tile: Float64Array, tmp: Float64Array,
): void {
  const { A, m } = t;
  for (let ci = 0; ci < CI; ci++) {
    for (let tt = 0; tt < nb * TH * TW; tt++) {
      const n = n0 + Math.floor(tt / (TH * TW)), ti = Math.floor(tt / TW) % TH, tj = tt % TW;
      for (let a = 0; a < A; a++) {
        const ih = ti * m + a - P;
        for (let c = 0; c < A; c++) {
          const iw = tj * m + c - P;
          const k = ((n * CI + ci) * H + ih) * W + iw;
          tile[a * A + c] = ih >= 0 && ih < H && iw >= 0 && iw < W && (!mask || mask[k] > 0) ? x[k] : 0;
        }
      }
      sandwich(t.Bt, A, A, tile, tmp, tile);
      for (let xi = 0; xi < A * A; xi++) V[(xi * CI + ci) * T + tt] = tile[xi];
    }
  }
}

/** out (p x p) = L S L^T for L (p x q) and S (q x q), all row-major; tmp holds p*q values; out may be S. */
function sandwich(L: readonly (readonly number[])[], p: number, q: number, S: ArrayLike<number>, tmp: Float64Array, out: Float64Array): void {
  for (let i = 0; i < p; i++) { // tmp = L S (p x q)
    for (let j = 0; j < q; j++) {
      let s = 0;
      for (let k = 0; k < q; k++) if (L[i][k] !== 0) s += L[i][k] * S[k * q + j];
      tmp[i * q + j] = s;
    }
  }
  for (let i = 0; i < p; i++) { // out = tmp L^T (p x p)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < q; k++) if (L[j][k] !== 0) s += tmp[i * q + k] * L[j][k];
      out[i * p + j] = s;
    }
  }
}

function transpose(L: readonly (readonly number[])[]): number[][] {
  return L[0].map((_, j) => L.map((row) => row[j]));
}

// ---- WebAssembly SIMD, F(2x2,3x3), float32 (wasm/assembly/winograd.ts) ----
// Same arguments as winogradForward and winogradWeightGrad without the transform (always F2X3). The
// transforms there run in float32 (here in TypeScript in float64), four tiles per v128, and the
// products are summed with multiply-adds (fused on the relaxed-SIMD build). Each lays out all its
// buffers before running anything, so a WasmMemoryError (memory.ts) comes before any output is
// written: the caller can then run the TypeScript pair instead (backend.ts's fallback rule).

/**
 * The wasm kernel's chunks are smaller than the TypeScript pair's: 2^13 values (32 KiB, so one
 * image at the zoo's shapes, whose V and M then stay in L1 or near it): 2^13 to 2^15 measured 5-15%
 * faster than 2^16 on the zoo's convs, 2^17 up to 2x slower (bench/winograd.ts's shapes, 2026-12-07).
 */
const WASM_CHUNK_VALUES = 1 << 13;

/** The wasm kernel's chunk: images per chunk, tiles (rounded up to a panel of 8), the padded plane's floats. */
function wasmPlan(d: WinogradDims) {
  const { TH, TW, NB } = winogradPlan(F2X3, d, 4, WASM_CHUNK_VALUES);
  return { NB, T: Math.ceil((NB * TH * TW) / 8) * 8, plane: (2 * TH + 2) * (2 * TW + 2) };
}
const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * winogradForward(F2X3, ...) in wasm; x, w, b, y, mask float32. With opts.pool, y is (N, CO, OH/2, OW/2)
 * (floored): the 2x2 stride-2 max pool of the conv (after bias and ReLU), taken from each output tile
 * as it is made; its values are those of maxPool2dForwardWasm on the unpooled output, bit for bit.
 */
export function winogradForwardWasm(
  wasm: WasmKernels, d: WinogradDims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray,
  opts: { flipped?: boolean; relu?: boolean; mask?: FloatArray | null; pool?: boolean } = {},
): void {
  const { N, CI, H, W, CO, P } = d;
  const { NB, T, plane } = wasmPlan(d);
  const COP = roundUp4(CO);
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //                            (N, CI, H, W)
  const maskPtr = opts.mask ? call.input(opts.mask) : 0; // (N, CI, H, W)
  const wPtr = call.input(w); //                            (CO, CI, 3, 3), or (CI, CO, 3, 3) flipped
  const bPtr = b ? call.input(b) : 0; //                    (CO)
  const yPtr = call.output(y); //                           (N, CO, OH, OW), or pooled (N, CO, OH/2, OW/2)
  const U = call.scratch(16 * COP * CI * 4); //             (16, COP/4, CI, 4)
  const V = call.scratch(16 * CI * T * 4); //               (16, T/8, CI, 8)
  const xp = call.scratch(plane * 4); //                    one zero-padded plane
  call.ready();
  e.winogradF2Weights(wPtr, U, CO, CI, opts.flipped ? 1 : 0);
  e.winogradF2Forward(xPtr, maskPtr, U, bPtr, yPtr, N, CI, H, W, CO, P, NB, V, xp, opts.relu ? 1 : 0, opts.pool ? 1 : 0);
  call.done();
}

/**
 * The backward pass in wasm, in one call: dw (CO, CI, 3, 3) += winogradWeightGrad(F2X3, ...); unless
 * db is null, db (CO) += the sum of dy (through mask), in float32 per image as the default wasm path
 * sums it; unless dx is null,
 * dx (N, CI, H, W) = the forward algorithm on dy (through mask) with the kernel turned (padding 2 - P).
 */
export function winogradBackwardWasm(
  wasm: WasmKernels, d: WinogradDims, x: FloatArray, w: FloatArray, dy: FloatArray, mask: FloatArray | null, dx: FloatArray | null, dw: FloatArray,
  db: FloatArray | null = null,
): void {
  const { N, CI, H, W, CO, P } = d;
  const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
  const dxd: WinogradDims = { N, CI: CO, H: OH, W: OW, CO: CI, P: 2 - P }; // dx's pass: dy in, dx out
  const pw = wasmPlan(d), px = wasmPlan(dxd);
  const CIP = roundUp4(CI);
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //                                (N, CI, H, W)
  const wPtr = call.input(w); //                                (CO, CI, 3, 3)
  const dyPtr = call.input(dy); //                              (N, CO, OH, OW)
  const maskPtr = mask ? call.input(mask) : 0; //               (N, CO, OH, OW)
  const dwPtr = call.output(dw, 'add'); //                      (CO, CI, 3, 3)
  const dbPtr = db ? call.inout(db) : 0; //                     (CO), added onto
  const dxPtr = dx ? call.output(dx) : 0; //                    (N, CI, H, W)
  const V = call.scratch(16 * Math.max(CI * pw.T, dx ? CO * px.T : 0) * 4); // dw's V (16, CI, T), then dx's (16, CO, Tx)
  const DY = call.scratch(16 * CO * pw.T * 4); //                              (16, CO, T)
  const Mw = call.scratch(16 * Math.max(CO * CI, dx ? CIP * CO : 0) * 4); // (16, CO, CI); dx's U (16, CIP/4, CO, 4)
  const xp = call.scratch(Math.max(pw.plane, dx ? px.plane : 0) * 4); //  zero-padded planes
  const dp = call.scratch(pw.plane * 4);
  call.ready(); // (a WasmMemoryError comes from here, before anything is written)
  e.winogradF2WeightGrad(xPtr, dyPtr, maskPtr, dwPtr, dbPtr, N, CI, H, W, CO, P, pw.NB, V, DY, Mw, xp, dp);
  if (dx) {
    e.winogradF2Weights(wPtr, Mw, CI, CO, 1);
    e.winogradF2Forward(dyPtr, maskPtr, Mw, 0, dxPtr, N, CO, OH, OW, CI, 2 - P, px.NB, V, xp, 0, 0);
  }
  call.done();
}

// ---- the Conv2D family's Winograd pass (see "Where it runs" in the header) ----

type Dims = ReturnType<typeof conv2dDims>;

/**
 * The cost model: whether F(2x2,3x3) pays on a conv of C to F channels with an OH x OW output,
 * decided from the shape alone, never by timing, so that a model always runs the same kernels and
 * gives the same bits however loaded the machine is. It counts the wasm kernels' v128 instructions
 * per image: the default path's multiply-adds, OH*OW*9*C*F/4, against Winograd's, per tile (TH x TW4
 * tiles of 2x2 outputs, rows padded to 4 tiles) 16*C*roundUp(F, 4)/4 multiply-adds plus about 20
 * instructions per input and per output channel for the transforms (counted in
 * wasm/assembly/winograd.ts: about 80 per input channel and 70 per output channel for 4 tiles).
 * Winograd runs when it needs at most 1/1.15 of the default path's count. Measured (bench/winograd.ts,
 * 2026-12-07 23:45, CPU time, batch 32, forward + backward): where it says yes (16->16 at 14x14,
 * 16->32 and 32->32 at 7x7, 32->32 to 128->128 at 14x14) Winograd was 1.13x-1.50x as fast, where it
 * says no (1->8, 1->16 and 8->8 at 28x28, 8->16 at 14x14) 0.86x-1.19x, and its forward alone
 * 0.44x-1.05x. The model is a rough one: 8->16 at 14x14 (no, 1.19x) gained more than 16->32 at 7x7 (yes, 1.15x).
 */
export function winogradPays(d: { C: number; F: number; OH: number; OW: number }): boolean {
  const { C, F, OH, OW } = d;
  const tiles = Math.ceil(OH / 2) * Math.ceil(Math.ceil(OW / 2) / 4) * 4;
  const direct = (OH * OW * 9 * C * F) / 4;
  const winograd = tiles * ((16 * C * Math.ceil(F / 4) * 4) / 4 + 20 * C + 20 * F);
  return direct >= 1.15 * winograd;
}

/** Whether the conv kernels with { winograd: true } run this conv by Winograd: where it applies and pays (winogradPays). */
export function winogradRuns(d: Dims): boolean {
  return winogradApplies(d) && d.P <= 2 && winogradPays(d); // P <= 2: dx runs the forward algorithm at padding 2 - P
}

/**
 * The conv forward kernels' pass for { winograd: true } (conv2dForwardTs with impl 'ts', conv2dForwardWasm
 * with 'wasm'): y (N, F, OH, OW) = conv(x, w) + b (ReLU if relu), by F(2x2,3x3): in TypeScript in the
 * tensors' precision, or in wasm SIMD (float32; throws like the other wasm kernels otherwise). With
 * pool (wasm only), y is its 2x2 stride-2 max pool (N, F, OH/2, OW/2), made tile by tile. Returns
 * null when Winograd does not run this conv (winogradRuns): the caller runs its usual code.
 */
export function winogradConv2dForward(
  impl: 'ts' | 'wasm', x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, opts: { ws?: Workspace; relu?: boolean; pool?: boolean } = {},
): Tensor | null {
  const who = impl === 'wasm' ? 'conv2dForwardWasm (winograd)' : 'conv2dForwardTs (winograd)';
  const d = conv2dDims(x, w, b, p, who);
  if (!winogradRuns(d)) return null;
  const { ws } = opts;
  const wasm = impl === 'wasm' ? requireWasm(who, x.data, w.data, b?.data) : null;
  if (opts.pool && !wasm) throw new Error(`${who}: the fused 2x2 max pool is a wasm kernel; pool the output with maxPool2dForwardTs`);
  const out = opts.pool
    ? wsTensor(ws, 'pooled', [d.N, d.F, d.OH >> 1, d.OW >> 1], x.dtype, wasm) // (N, F, OH/2, OW/2)
    : wsTensor(ws, 'out', [d.N, d.F, d.OH, d.OW], x.dtype, wasm); //              (N, F, OH, OW)
  const wd: WinogradDims = { N: d.N, CI: d.C, H: d.H, W: d.W, CO: d.F, P: d.P };
  const fo = { relu: opts.relu === true, ws, tag: 'winogradFwd', pool: opts.pool === true };
  if (wasm) winogradForwardWasm(wasm, wd, x.data, w.data, b ? b.data : null, out.data, fo);
  else winogradForward(F2X3, wd, x.data, w.data, b ? b.data : null, out.data, fo);
  return out;
}

/**
 * The conv backward kernels' pass for { winograd: true }: dx by the forward algorithm on dy with the
 * kernel turned (padding 2 - P), dw by the transposed transforms, db by summing dy; dy first through
 * the fused ReLU (reluOutput) if given. dw and db are added into dwInto and dbInto when given. Returns
 * null when Winograd does not run this conv (winogradRuns).
 */
export function winogradConv2dBackward(
  impl: 'ts' | 'wasm', dy: Tensor, cache: Conv2dCache,
  opts: { ws?: Workspace; computeDx?: boolean; dwInto?: Tensor; dbInto?: Tensor | null; reluOutput?: Tensor } = {},
): { dx: Tensor | null; dw: Tensor; db: Tensor | null } | null {
  const who = impl === 'wasm' ? 'conv2dBackwardWasm (winograd)' : 'conv2dBackwardTs (winograd)';
  const { x, w, hasBias, p } = cache;
  if (!winogradRuns(conv2dDims(x, w, null, p, who))) return null;
  const { ws, dwInto, dbInto, reluOutput } = opts;
  const mask = reluOutput?.data ?? null;
  const wasm = impl === 'wasm' ? requireWasm(who, x.data, w.data, dy.data, dwInto?.data, hasBias ? dbInto?.data : null, mask) : null;
  const { d, dx, dw, db } = backwardOperands(who, dy, cache, opts, wasm); // checks the shapes; dx, dw, db
  const wd: WinogradDims = { N: d.N, CI: d.C, H: d.H, W: d.W, CO: d.F, P: d.P };
  if (!dwInto) dw.data.fill(0); // a workspace buffer: dw adds onto it
  if (wasm) {
    if (db && !dbInto) db.data.fill(0);
    winogradBackwardWasm(wasm, wd, x.data, w.data, dy.data, mask, dx?.data ?? null, dw.data, db?.data ?? null); // nothing written if it throws
    return { dx, dw, db };
  }
  winogradWeightGrad(F2X3, wd, x.data, dy.data, mask, dw.data, ws);
  if (dx) {
    const dxd: WinogradDims = { N: d.N, CI: d.F, H: d.OH, W: d.OW, CO: d.C, P: 2 - d.P };
    winogradForward(F2X3, dxd, dy.data, w.data, null, dx.data, { flipped: true, mask, ws, tag: 'winogradDx' });
  }
  if (db) { // db[f] += the sum of dy[., f] (through the mask), each image's in a double (as the wasm kernel does)
    if (!dbInto) db.data.fill(0);
    const Q = d.OH * d.OW, g = dy.data;
    for (let n = 0; n < d.N; n++) {
      for (let f = 0; f < d.F; f++) {
        let s = 0;
        for (let q = (n * d.F + f) * Q; q < (n * d.F + f + 1) * Q; q++) if (!mask || mask[q] > 0) s += g[q];
        db.data[f] += s;
      }
    }
  }
  return { dx, dw, db };
}

// Loading this file plugs it into the conv family (winograd-pass.ts).
provideWinograd({ forward: winogradConv2dForward, backward: winogradConv2dBackward, runs: winogradRuns });
