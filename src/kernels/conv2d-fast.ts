// 2-D convolution, the fast pair: im2col + GEMM, and a direct kernel for depthwise convolution. Same
// results as conv2dForwardNaive / conv2dBackwardNaive in conv2d.ts (within float rounding), same
// arguments, plus optional extras for speed (a workspace, skipping dx, accumulating the parameter
// gradients in place).
//
// Glossary of dimension letters:
//   N = batch, C = input channels, H, W = input height and width, G = groups,
//   F = filters (output channels), KH, KW = kernel height and width, S = stride, P = padding,
//   D = dilation, OH, OW = output height and width: OH = floor((H + 2P - D*(KH-1) - 1) / S) + 1, likewise OW,
//   CG = C/G and FG = F/G, the input channels and filters of one group,
//   K = CG*KH*KW, the length of one receptive field, Q = OH*OW, the output pixels of one image.
//
// The idea (im2col, as in Caffe and CS231n's fast_layers.py). Copy every receptive field of image n
// (of group g's channels c = g*CG + cg) into a column of a matrix:
//   col[(cg*KH + u)*KW + v, i*OW + j] = x[n, c, i*S + u*D - P, j*S + v*D - P]     (0 in the padding)   (K, Q)
// Then each sum of the naive loops is a row-times-column product, and the whole layer is three GEMMs
// per group (w[g] is rows g*FG .. (g+1)*FG - 1 of w, already an (FG, K) matrix):
//   forward:  y[n, g] (FG, Q)  = w[g] (FG, K) . col (K, Q)  + b[f] on row f
//   dw:       dw[g] (FG, K)   += dy[n, g] (FG, Q) . col^T (Q, K)       (summed over the batch)
//   dx:       dcol (K, Q)      = w[g]^T (K, FG) . dy[n, g] (FG, Q),  then col2im adds each dcol entry
//                                back onto the input pixel its col entry was copied from
// and db[f] is the sum of dy over n, i, j.
//
// Which code runs (the documented rule):
//   - groups = C > 1 (depthwise), any dilation: a direct kernel, as each group's GEMM would have an
//     inner dimension of KH*KW (9), too thin to pay for im2col. In WebAssembly SIMD (wasm/assembly/
//     depthwise.ts) for float32 with the wasm kernels loaded (backend 'wasm'), else depthwise.ts;
//   - groups = 1, dilation = 1, float32, wasm kernels loaded (backend 'wasm'): all of it in
//     WebAssembly SIMD (wasm/assembly/conv.ts, one image at a time). Same products, but col is never
//     written out: each of its entries is read straight from the zero-padded image through two small
//     offset tables (col[k, q] sits at koff[k] + pix[q]), which saves the memory traffic of a matrix
//     25x the image's size. dx is computed there as the convolution of dy with the flipped kernel;
//   - anything else (1 < groups < C, or groups 1 with dilation > 1, float64, or backend 'ts'): the
//     TypeScript im2col + GEMM below (gemm.ts), one group at a time. The wasm build has no such conv;
//     on the 'wasm' backend these layers run this TypeScript code, reading and writing plain arrays.
//   - with { winograd: true } (opt-in, a Conv2D built with winograd: true), a 3x3 stride-1 conv with
//     groups 1, dilation 1 and padding <= 2 runs Winograd F(2x2,3x3) instead (winograd.ts), in wasm
//     SIMD for float32, else in TypeScript; any other conv ignores the option.
// See workspace.ts for the backend choice and the buffer-reuse contract.
// Optional fusion: forward { relu: true } applies a ReLU to the output, and backward { reluOutput }
// passes dy back through that ReLU first, so a Conv2D + ReLU pair costs one kernel call each way.
// For inference only, forward { pool: { kernelSize, stride } } also max-pools the output: on the wasm
// path each image's convolution is pooled while it is still in cache (conv2dForwardPooled in
// wasm/assembly/conv.ts), so the full-size activation is never written out and read back; elsewhere
// the output is pooled after the convolution by the max-pool kernels. The values are those of the
// layers run one by one, bit for bit. Such a forward has no backward (the output is the pool's).

import { Tensor, checkShape, type FloatArray } from '../tensor.ts';
import { type Conv2dCache, type Conv2dParams, conv2dBackwardNaive, conv2dDims, conv2dForwardNaive } from './conv2d.ts';
import { type KernelFamily, accumulating } from './backend.ts';
import { reluBackwardNaive, reluForwardNaive } from './relu.ts';
import { gemm } from './gemm.ts';
import { type MaxPool2dParams, maxPool2dForwardNaive } from './max-pool2d.ts';
import { maxPool2dForwardFast } from './max-pool2d-fast.ts';
import { depthwiseBackward, depthwiseForward, depthwiseScratchSizes, endInside, firstInside } from './depthwise.ts';
import { type Workspace, createWorkspace, pickWasm, wsFloat, wsTensor } from './workspace.ts';
import { type WasmKernels, fitsInWasm } from './wasm/loader.ts';
import { winogradConv2dBackward, winogradConv2dForward, winogradRuns } from './winograd.ts';

type Dims = ReturnType<typeof conv2dDims>;

/** Options of conv2dForwardFast. */
export interface Conv2dForwardOptions {
  /** Reuse buffers across calls: `out` is then the workspace's, overwritten by the next forward with it. */
  ws?: Workspace;
  /**
   * Also apply a ReLU: out = max(0, conv(x)), written `v < 0 ? 0 : v` like reluForwardNaive. Fusing
   * saves the separate ReLU layer's trips through memory (and, on the wasm path, its copies in and
   * out of wasm memory). Then give the output to conv2dBackwardFast as `reluOutput`.
   */
  relu?: boolean;
  /**
   * Also max-pool the output (after the ReLU, if any), for inference: out is then (N, F, POH, POW),
   * POH = floor((OH - kernelSize) / stride) + 1, likewise POW, the output of maxPool2dForwardFast
   * on the convolution's. No backward pass can follow such a forward.
   */
  pool?: MaxPool2dParams;
  /**
   * Run a 3x3 stride-1 conv (groups 1, dilation 1, padding <= 2) by Winograd F(2x2,3x3) (winograd.ts):
   * 2.25x fewer multiplications, float32 results that differ from this path's in the last bits.
   * Other convs ignore it. Give the same option to conv2dBackwardFast.
   */
  winograd?: boolean;
}

/**
 * y[n,f,i,j] = b[f] + sum_cg sum_u sum_v x[n, g*CG + cg, i*S + u*D - P, j*S + v*D - P] * w[f, cg, u, v]
 * with g = floor(f / FG), f's group (see conv2dForwardNaive).
 *
 * @param x (N, C, H, W)
 * @param w (F, C/G, KH, KW)
 * @param b (F) or null
 * @param opts.ws optional workspace: `out` is then its buffer, overwritten by the next forward with it
 * @param opts.relu true fuses a ReLU after the convolution
 * @param opts.pool for inference: max-pool the output too (then out is (N, F, POH, POW), see the option)
 * @returns out = y (N, F, OH, OW), and the cache for conv2dBackwardFast (the same as the naive cache:
 *          either backward accepts either cache)
 */
export function conv2dForwardFast(
  x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, opts: Conv2dForwardOptions = {},
): { out: Tensor; cache: Conv2dCache } {
  const who = 'conv2dForwardFast';
  const { ws } = opts;
  const d = conv2dDims(x, w, b, p, who);
  const relu = opts.relu === true;
  if (opts.winograd && !opts.pool) {
    const out = winogradConv2dForward(x, w, b, p, { ws, relu }); // null: Winograd does not apply here
    if (out) return { out, cache: { x, w, hasBias: b !== null, p } };
  }
  if (opts.pool) return forwardPooled(x, w, b, p, d, relu, opts.pool, ws, opts.winograd === true);
  const wasm = wasmHasConv(d) ? pickWasm(ws, who, x.data, w.data, b?.data) : null;
  const out = wsTensor(ws, 'out', [d.N, d.F, d.OH, d.OW], x.dtype, wasm); // (N, F, OH, OW)
  // A call too big for wasm memory runs on the TypeScript path instead (wasm/memory.ts).
  const inWasm = wasm !== null && fitsInWasm(() => (isDepthwise(d)
    ? depthwiseForwardWasm(wasm, d, x.data, w.data, b ? b.data : null, out.data, relu)
    : forwardWasm(wasm, d, x.data, w.data, b ? b.data : null, out.data, relu)));
  if (!inWasm) forwardTs(d, x.data, w.data, b ? b.data : null, out.data, relu, ws);
  return { out, cache: { x, w, hasBias: b !== null, p } };
}

/**
 * conv2dForwardFast with opts.pool: the convolution (and its ReLU) max-pooled, for inference. On the
 * wasm gather path in one pass per image (conv2dForwardPooled); elsewhere the convolution into a
 * workspace buffer, then maxPool2dForwardFast on it (with a workspace of its own, see poolWorkspace).
 */
function forwardPooled(
  x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, d: Dims, relu: boolean, pool: MaxPool2dParams, ws: Workspace | undefined,
  winograd: boolean,
): { out: Tensor; cache: Conv2dCache } {
  const who = 'conv2dForwardFast';
  const { PK, PS, POH, POW } = pooledDims(d, pool, who);
  const cache = { x, w, hasBias: b !== null, p };
  const wasm = wasmHasConv(d) && !isDepthwise(d) && !(winograd && winogradRuns(d)) ? pickWasm(ws, who, x.data, w.data, b?.data) : null;
  if (wasm) {
    // Not 'out': a layer that alternates training and inference keeps both buffers instead of reallocating.
    const out = wsTensor(ws, 'pooled', [d.N, d.F, POH, POW], x.dtype, wasm); // (N, F, POH, POW)
    const pooled = { PK, PS, POH, POW };
    if (fitsInWasm(() => forwardWasm(wasm, d, x.data, w.data, b ? b.data : null, out.data, relu, pooled))) return { out, cache };
  }
  const unpooled = conv2dForwardFast(x, w, b, p, { ws, relu, winograd }).out; //  (N, F, OH, OW)
  return { out: maxPool2dForwardFast(unpooled, pool, { ws: poolWorkspace(ws) }).out, cache };
}

/** The pooling window and output size of a pooled forward; throws naming `who` on a window that does not fit. */
function pooledDims(d: Dims, pool: MaxPool2dParams, who: string): { PK: number; PS: number; POH: number; POW: number } {
  const { kernelSize: PK, stride: PS } = pool;
  if (!Number.isInteger(PK) || PK < 1) throw new RangeError(`${who}: pool.kernelSize must be an integer >= 1, got ${PK}`);
  if (!Number.isInteger(PS) || PS < 1) throw new RangeError(`${who}: pool.stride must be an integer >= 1, got ${PS}`);
  if (d.OH < PK || d.OW < PK) throw new RangeError(`${who}: the ${PK}x${PK} pooling window is larger than the convolution's output ${d.OH}x${d.OW}`);
  return { PK, PS, POH: Math.floor((d.OH - PK) / PS) + 1, POW: Math.floor((d.OW - PK) / PS) + 1 };
}

/** Each conv workspace's own workspace for the max-pool kernel of a pooled forward off the wasm path (their buffer names would clash). */
const poolWorkspaces = new WeakMap<Workspace, Workspace>();
function poolWorkspace(ws: Workspace | undefined): Workspace | undefined {
  if (!ws) return undefined;
  let pws = poolWorkspaces.get(ws);
  if (!pws) poolWorkspaces.set(ws, pws = createWorkspace({ backend: ws.backend }));
  return pws;
}

/** Options of conv2dBackwardFast; all optional. */
export interface Conv2dBackwardOptions {
  /** Reuse buffers (dx, dw, db, im2col) across calls; dx, dw, db are then overwritten by the next backward. */
  ws?: Workspace;
  /** false: do not compute dx (a network's first layer has no use for it) and return dx = null. Default true. */
  computeDx?: boolean;
  /** (F, C/G, KH, KW): ADD dw into this tensor (a layer's weight.grad) instead of returning a new one; it is returned as dw. */
  dwInto?: Tensor;
  /** (F): likewise ADD db into it. Ignored when the layer has no bias. */
  dbInto?: Tensor | null;
  /**
   * (N, F, OH, OW): the output of a forward pass with { relu: true }. dy is then taken as the
   * gradient with respect to that ReLU's output, and passed back through the ReLU first
   * (zeroed where reluOutput <= 0) - the ReLU layer's backward pass, fused.
   */
  reluOutput?: Tensor;
  /** The forward ran with { winograd: true }: so does the backward (see Conv2dForwardOptions.winograd). */
  winograd?: boolean;
}

/** The gradients: dx (N, C, H, W), dw (F, C/G, KH, KW), db (F) or null without bias. */
export interface Conv2dGrads {
  dx: Tensor;
  dw: Tensor;
  db: Tensor | null;
}

/**
 * The backward pass: dx, dw, db as conv2dBackwardNaive computes them (see conv2d.ts).
 * @param dy (N, F, OH, OW)
 * @param cache from conv2dForwardFast or conv2dForwardNaive
 * @returns dx (N, C, H, W) or null when computeDx is false; dw (F, C/G, KH, KW); db (F) or null
 */
export function conv2dBackwardFast(dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions & { computeDx?: true }): Conv2dGrads;
export function conv2dBackwardFast(dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions): Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null };
export function conv2dBackwardFast(dy: Tensor, cache: Conv2dCache, opts: Conv2dBackwardOptions = {}): Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null } {
  const who = 'conv2dBackwardFast';
  const { x, w, hasBias, p } = cache;
  const { ws, computeDx = true, dwInto, dbInto, reluOutput } = opts;
  const d = conv2dDims(x, w, null, p, who);
  checkShape(who, 'dy', dy, [d.N, d.F, d.OH, d.OW]);
  if (reluOutput) checkShape(who, 'reluOutput', reluOutput, dy.shape);
  if (dwInto) checkShape(who, 'dwInto', dwInto, w.shape);
  if (hasBias && dbInto) checkShape(who, 'dbInto', dbInto, [d.F]);
  if (opts.winograd) {
    const grads = winogradConv2dBackward(dy, cache, opts); // null: Winograd does not apply here
    if (grads) return grads;
  }

  const mask = reluOutput?.data ?? null;
  const wasm = wasmHasConv(d) ? pickWasm(ws, who, x.data, w.data, dy.data, dwInto?.data, hasBias ? dbInto?.data : null, mask) : null;
  const dx = computeDx ? wsTensor(ws, 'dx', x.shape, x.dtype, wasm) : null; //   (N, C, H, W)
  const dw = dwInto ?? wsTensor(ws, 'dw', w.shape, x.dtype); //                 (F, C/G, KH, KW)
  const db = hasBias ? (dbInto ?? wsTensor(ws, 'db', [d.F], x.dtype)) : null; // (F)
  const accumulate = { dw: dwInto !== undefined, db: hasBias && dbInto != null };

  const inWasm = wasm !== null && fitsInWasm(() => (isDepthwise(d)
    ? depthwiseBackwardWasm(wasm, d, x.data, w.data, dy.data, mask, dx?.data ?? null, dw.data, db?.data ?? null, accumulate)
    : backwardWasm(wasm, d, x.data, w.data, dy.data, mask, dx?.data ?? null, dw.data, db?.data ?? null, accumulate)));
  if (!inWasm) {
    let g = dy.data; // (N, F, OH, OW)
    if (mask) {
      // Through the fused ReLU first (reluBackwardNaive's rule), into a scratch copy: dy is the caller's.
      const gm = wsFloat(ws, 'dyMasked', dy.dtype, g.length);
      for (let i = 0; i < g.length; i++) gm[i] = mask[i] > 0 ? g[i] : 0;
      g = gm;
    }
    backwardTs(d, x.data, w.data, g, dx?.data ?? null, dw.data, db?.data ?? null, accumulate, ws);
  }
  return { dx, dw, db };
}

// ---- the TypeScript path (any dtype) ----

function forwardTs(d: Dims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, relu: boolean, ws?: Workspace): void {
  if (isDepthwise(d)) return depthwiseForward(d, x, w, b, y, relu, wsFloat(ws, 'xPadded', dtypeOf(x), depthwiseScratchSizes(d).xp));
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D, G, CG, FG } = d;
  const K = CG * KH * KW, Q = OH * OW;
  const col = wsFloat(ws, 'col', dtypeOf(x), K * Q); // (K, Q)
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      im2col(x, (n * C + g * CG) * H * W, CG, H, W, KH, KW, S, P, OH, OW, col, D);
      const o = (n * F + g * FG) * Q; // y[n, g] (FG, Q)
      if (b) for (let f = 0; f < FG; f++) y.fill(b[g * FG + f], o + f * Q, o + (f + 1) * Q);
      gemm(false, false, FG, Q, K, 1, w, g * FG * K, K, col, 0, Q, b ? 1 : 0, y, o, Q);
    }
    if (relu) for (let q = n * F * Q; q < (n + 1) * F * Q; q++) y[q] = y[q] < 0 ? 0 : y[q];
  }
}

function backwardTs(
  d: Dims, x: FloatArray, w: FloatArray, dy: FloatArray, dx: FloatArray | null, dw: FloatArray,
  db: FloatArray | null, accumulate: { dw: boolean; db: boolean }, ws?: Workspace,
): void {
  if (!accumulate.dw) dw.fill(0);
  if (db && !accumulate.db) db.fill(0);
  if (isDepthwise(d)) {
    const sizes = depthwiseScratchSizes(d);
    const scratch = { xp: wsFloat(ws, 'xPadded', dtypeOf(x), sizes.xp), gp: wsFloat(ws, 'dyBordered', dtypeOf(x), sizes.gp) };
    return depthwiseBackward(d, x, w, dy, dx, dw, db, scratch);
  }
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D, G, CG, FG } = d;
  const K = CG * KH * KW, Q = OH * OW;
  const col = wsFloat(ws, 'col', dtypeOf(x), K * Q); //                    (K, Q)
  const dcol = dx ? wsFloat(ws, 'dcol', dtypeOf(x), K * Q) : null; //       (K, Q)
  for (let n = 0; n < N; n++) {
    if (db) {
      for (let f = 0; f < F; f++) {
        let s = 0;
        for (let q = (n * F + f) * Q; q < (n * F + f + 1) * Q; q++) s += dy[q];
        db[f] += s;
      }
    }
    for (let g = 0; g < G; g++) {
      const xOff = (n * C + g * CG) * H * W; // x[n, g*CG] (CG, H, W)
      const o = (n * F + g * FG) * Q; //        dy[n, g] (FG, Q)
      im2col(x, xOff, CG, H, W, KH, KW, S, P, OH, OW, col, D);
      // dw[g] (FG, K) += dy[n, g] (FG, Q) . col^T: col is stored (K, Q), hence transB.
      gemm(false, true, FG, K, Q, 1, dy, o, Q, col, 0, Q, 1, dw, g * FG * K, K);
      if (dx && dcol) {
        // dcol (K, Q) = w[g]^T . dy[n, g]: w[g] is stored (FG, K), hence transA.
        gemm(true, false, K, Q, FG, 1, w, g * FG * K, K, dy, o, Q, 0, dcol, 0, Q);
        col2im(dcol, CG, H, W, KH, KW, S, P, OH, OW, dx, xOff, D);
      }
    }
  }
}

/** The depthwise case (groups = C > 1), which runs the direct kernel of depthwise.ts. */
function isDepthwise(d: Dims): boolean {
  return d.G > 1 && d.CG === 1;
}

/** Whether the wasm build has a kernel for this conv: groups 1 with dilation 1 (conv.ts), or depthwise (depthwise.ts). */
function wasmHasConv(d: Dims): boolean {
  return (d.G === 1 && d.D === 1) || isDepthwise(d);
}

/**
 * One image's channels x[xOff ...] (C, H, W) -> col (K, Q), here C being the channels of one group:
 * col[(c*KH + u)*KW + v, i*OW + j] = x[c, i*S + u*D - P, j*S + v*D - P], or 0 where that is padding.
 */
export function im2col(
  x: FloatArray, xOff: number, C: number, H: number, W: number, KH: number, KW: number,
  S: number, P: number, OH: number, OW: number, col: FloatArray, D = 1,
): void {
  let dst = 0; // walks col row by row: (K, OH, OW)
  for (let c = 0; c < C; c++) {
    for (let u = 0; u < KH; u++) {
      for (let v = 0; v < KW; v++) {
        // The output columns j whose input column j*S + v*D - P is inside the image: jlo <= j < jhi.
        const jlo = firstInside(P - v * D, S, OW);
        const jhi = Math.max(jlo, endInside(W - 1 + P - v * D, S, OW));
        for (let i = 0; i < OH; i++, dst += OW) {
          const ih = i * S + u * D - P;
          if (ih < 0 || ih >= H) {
            for (let j = 0; j < OW; j++) col[dst + j] = 0; // this window row lies in the padding
            continue;
          }
          let src = xOff + (c * H + ih) * W + jlo * S + v * D - P;
          for (let j = 0; j < jlo; j++) col[dst + j] = 0;
          for (let j = jlo; j < jhi; j++, src += S) col[dst + j] = x[src];
          for (let j = jhi; j < OW; j++) col[dst + j] = 0;
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: dx[dxOff ...] (C, H, W) = for each input pixel, the sum of the dcol (K, Q)
 * entries that im2col copied from it. dx's C channels from dxOff are overwritten.
 */
export function col2im(
  dcol: FloatArray, C: number, H: number, W: number, KH: number, KW: number,
  S: number, P: number, OH: number, OW: number, dx: FloatArray, dxOff: number, D = 1,
): void {
  dx.fill(0, dxOff, dxOff + C * H * W);
  let src = 0; // walks dcol row by row: (K, OH, OW)
  for (let c = 0; c < C; c++) {
    for (let u = 0; u < KH; u++) {
      for (let v = 0; v < KW; v++) {
        const jlo = firstInside(P - v * D, S, OW);
        const jhi = Math.max(jlo, endInside(W - 1 + P - v * D, S, OW));
        for (let i = 0; i < OH; i++, src += OW) {
          const ih = i * S + u * D - P;
          if (ih < 0 || ih >= H) continue; // padding: no input pixel to send the gradient to
          let dst = dxOff + (c * H + ih) * W + jlo * S + v * D - P;
          for (let j = jlo; j < jhi; j++, dst += S) dx[dst] += dcol[src + j];
        }
      }
    }
  }
}

function dtypeOf(a: FloatArray): 'float32' | 'float64' {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

// ---- the WebAssembly path (float32) ----
// Each call lays out its operands in wasm memory (wasm/memory.ts: inputs that already live there are
// used in place, others copied in), runs the whole pass in wasm (wasm/assembly/conv.ts) and copies
// out the results that do not live there.

/** The forward pass in wasm; with `pool`, each image's output is max-pooled while in cache (conv2dForwardPooled). */
function forwardWasm(
  wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, b: FloatArray | null, out: FloatArray, relu: boolean,
  pool?: { PK: number; PS: number; POH: number; POW: number },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //       (N, C, H, W)
  const wPtr = call.input(w); //       (F, K)
  const bPtr = b ? call.input(b) : 0; // (F)
  const outPtr = call.output(out); //  (N, F, Q), or pooled (N, F, POH, POW)
  // packed weights, tables, padded image; pooled: also one image's (F, OH, OW)
  const scratch = call.scratch(pool ? e.conv2dForwardPooledScratch(C, H, W, F, KH, KW, S, P, OH, OW) : e.conv2dForwardScratch(C, H, W, F, KH, KW, S, P, OH, OW));
  call.ready();
  if (pool) e.conv2dForwardPooled(xPtr, wPtr, bPtr, outPtr, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, relu ? 1 : 0, pool.PK, pool.PS, pool.POH, pool.POW);
  else e.conv2dForward(xPtr, wPtr, bPtr, outPtr, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, relu ? 1 : 0);
  call.done();
}

function backwardWasm(
  wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, dy: FloatArray, mask: FloatArray | null, dx: FloatArray | null,
  dw: FloatArray, db: FloatArray | null, accumulate: { dw: boolean; db: boolean },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //                                  (N, C, H, W)
  const wPtr = call.input(w); //                                  (F, K)
  const dyPtr = call.input(dy); //                            (N, F, Q)
  const maskPtr = mask ? call.input(mask) : 0; //                 (N, F, Q) the fused ReLU's output
  const dxPtr = dx ? call.output(dx) : 0; //                      (N, C, H, W)
  const dwPtr = call.output(dw, accumulate.dw ? 'add' : 'copy'); // (F, K)
  const dbPtr = db ? call.output(db, accumulate.db ? 'add' : 'copy') : 0; // (F)
  const scratch = call.scratch(e.conv2dBackwardScratch(C, H, W, F, KH, KW, S, P, OH, OW)); // tables, packed operands, padded images
  call.ready();
  e.conv2dBackward(xPtr, wPtr, dyPtr, dxPtr, dwPtr, dbPtr, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, maskPtr);
  call.done();
}

function depthwiseForwardWasm(wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, relu: boolean): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //          (N, C, H, W)
  const wPtr = call.input(w); //          (F, 1, KH, KW)
  const bPtr = b ? call.input(b) : 0; //  (F)
  const yPtr = call.output(y); //         (N, F, OH, OW)
  const scratch = call.scratch(e.depthwiseForwardScratch(H, W, P)); // one zero-padded plane
  call.ready();
  e.depthwiseForward(xPtr, wPtr, bPtr, yPtr, N, C, H, W, F, KH, KW, S, P, D, OH, OW, scratch, relu ? 1 : 0);
  call.done();
}

function depthwiseBackwardWasm(
  wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, dy: FloatArray, mask: FloatArray | null, dx: FloatArray | null,
  dw: FloatArray, db: FloatArray | null, accumulate: { dw: boolean; db: boolean },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //                                  (N, C, H, W)
  const wPtr = call.input(w); //                                  (F, 1, KH, KW)
  const dyPtr = call.input(dy); //                                (N, F, OH, OW)
  const maskPtr = mask ? call.input(mask) : 0; //                 (N, F, OH, OW) the fused ReLU's output
  const dxPtr = dx ? call.output(dx) : 0; //                      (N, C, H, W)
  const dwPtr = call.output(dw, accumulate.dw ? 'add' : 'copy'); // (F, 1, KH, KW)
  const dbPtr = db ? call.output(db, accumulate.db ? 'add' : 'copy') : 0; // (F)
  const scratch = call.scratch(e.depthwiseBackwardScratch(H, W, P, D, OH, OW)); // padded plane, its gradient, masked dy
  call.ready();
  e.depthwiseBackward(xPtr, wPtr, dyPtr, dxPtr, dwPtr, dbPtr, N, C, H, W, F, KH, KW, S, P, D, OH, OW, scratch, maskPtr);
  call.done();
}

type Conv2dForward = (x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, opts?: Conv2dForwardOptions) => { out: Tensor; cache: Conv2dCache };
type Conv2dBackward = (dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions) => Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null };

/**
 * The conv family for the backends (see backend.ts): the naive pair (the formulas) and this fast pair.
 * The naive pair does a fused ReLU the plain way, with the ReLU's own naive kernels after the conv
 * (forward) and before it (backward), so that every backend honours the same options.
 */
export const conv2dKernels: KernelFamily<Conv2dForward, Conv2dBackward> = {
  naive: {
    forward(x, w, b, p, opts = {}) {
      const r = conv2dForwardNaive(x, w, b, p);
      const y = opts.relu ? reluForwardNaive(r.out).out : r.out;
      return { out: opts.pool ? maxPool2dForwardNaive(y, opts.pool).out : y, cache: r.cache };
    },
    backward(dy, cache, opts = {}) {
      const g = opts.reluOutput ? reluBackwardNaive(dy, { y: opts.reluOutput }).dx : dy;
      return accumulating(conv2dBackwardNaive)(g, cache, opts);
    },
  },
  fast: { forward: conv2dForwardFast, backward: conv2dBackwardFast },
};
