// 2-D convolution, the TypeScript pair: im2col + GEMM (gemm.ts), and a direct kernel for depthwise
// convolution (depthwise.ts). Any dtype. Same results as conv2dForwardNaive / conv2dBackwardNaive in
// conv2d.ts (within float rounding), same arguments, plus optional extras for speed (a workspace,
// skipping dx, accumulating the parameter gradients in place, a fused ReLU, a fused max pool).
// The family (the three implementations by name, and the fast pair) is in conv2d-fast.ts.
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
// Groups = C > 1 (depthwise), any dilation, runs a direct kernel instead, as each group's GEMM would
// have an inner dimension of KH*KW (9), too thin to pay for im2col.
// With { winograd: true }, a 3x3 stride-1 conv (groups 1, dilation 1, padding <= 2) runs Winograd
// F(2x2,3x3) instead (winograd.ts, reached through winograd-pass.ts; opt-in, see Conv2dForwardOptions.winograd).
// Fusion: forward { relu: true } applies a ReLU to the output, and backward { reluOutput } passes dy
// back through that ReLU first; forward { pool } (inference) max-pools the output after the
// convolution with maxPool2dForwardTs (conv2d-pool.ts).

import { Tensor, checkShape, type FloatArray } from '../tensor.ts';
import { type Conv2dCache, type Conv2dParams, conv2dDims } from './conv2d.ts';
import { gemm } from './gemm.ts';
import { type MaxPool2dParams, } from './max-pool2d.ts';
import { maxPool2dForwardTs } from './max-pool2d-fast.ts';
import { depthwiseBackward, depthwiseForward, depthwiseScratchSizes, endInside, firstInside } from './depthwise.ts';
import { pooledDims, poolWorkspace } from './conv2d-pool.ts';
import { type Workspace, wsFloat, wsTensor } from './workspace.ts';
import { winogradPass } from './winograd-pass.ts';

export type Conv2dDims = ReturnType<typeof conv2dDims>;
type Dims = Conv2dDims;

/** Options of the conv forward kernels (conv2dForwardTs, conv2dForwardWasm, conv2dForwardFast). */
export interface Conv2dForwardOptions {
  /** Reuse buffers across calls: `out` is then the workspace's, overwritten by the next forward with it. */
  ws?: Workspace;
  /**
   * Also apply a ReLU: out = max(0, conv(x)), written `v < 0 ? 0 : v` like reluForwardNaive. Fusing
   * saves the separate ReLU layer's trips through memory (and, on the wasm path, its copies in and
   * out of wasm memory). Then give the output to the backward kernel as `reluOutput`.
   */
  relu?: boolean;
  /**
   * Also max-pool the output (after the ReLU, if any), for inference: out is then (N, F, POH, POW),
   * POH = floor((OH - kernelSize) / stride) + 1, likewise POW, the output of the max-pool kernels
   * on the convolution's. No backward pass can follow such a forward.
   */
  pool?: MaxPool2dParams;
  /**
   * Run a 3x3 stride-1 conv (groups 1, dilation 1, padding <= 2) by Winograd F(2x2,3x3) (winograd.ts):
   * 2.25x fewer multiplications, float32 results that differ from the usual path's in the last bits.
   * Other convs ignore it. Give the same option to the backward kernel.
   */
  winograd?: boolean;
}

/** Options of the conv backward kernels; all optional. */
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
/** What conv2dBackward* returns. */
export interface Conv2dGrads {
  /** dL/dx, (N, C, H, W). */
  dx: Tensor;
  /** dL/dw, (F, C/G, KH, KW) (the dwInto tensor when one was given). */
  dw: Tensor;
  /** dL/db, (F); null when the layer has no bias. */
  db: Tensor | null;
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
 * @returns out = y (N, F, OH, OW), and the cache for a conv backward (the same as the naive cache:
 *          every backward accepts every cache)
 */
export function conv2dForwardTs(
  x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, opts: Conv2dForwardOptions = {},
): { out: Tensor; cache: Conv2dCache } {
  const who = 'conv2dForwardTs';
  const { ws, winograd } = opts;
  const d = conv2dDims(x, w, b, p, who);
  const relu = opts.relu === true;
  const cache = { x, w, hasBias: b !== null, p };
  if (opts.pool) {
    pooledDims(d, opts.pool, who);
    const unpooled = conv2dForwardTs(x, w, b, p, { ws, relu, winograd }).out; // (N, F, OH, OW)
    return { out: maxPool2dForwardTs(unpooled, opts.pool, { ws: poolWorkspace(ws) }).out, cache };
  }
  if (winograd) {
    const out = winogradPass('conv2dForwardTs').forward('ts', x, w, b, p, { ws, relu }); // null: Winograd does not apply to this conv
    if (out) return { out, cache };
  }
  const out = wsTensor(ws, 'out', [d.N, d.F, d.OH, d.OW], x.dtype); // (N, F, OH, OW)
  forwardTs(d, x.data, w.data, b ? b.data : null, out.data, relu, ws);
  return { out, cache };
}

/**
 * The backward pass: dx, dw, db as conv2dBackwardNaive computes them (see conv2d.ts).
 * @param dy (N, F, OH, OW)
 * @param cache from any conv forward
 * @returns dx (N, C, H, W) or null when computeDx is false; dw (F, C/G, KH, KW); db (F) or null
 */
export function conv2dBackwardTs(dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions & { computeDx?: true }): Conv2dGrads;
export function conv2dBackwardTs(dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions): Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null };
export function conv2dBackwardTs(dy: Tensor, cache: Conv2dCache, opts: Conv2dBackwardOptions = {}): Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null } {
  if (opts.winograd) {
    const grads = winogradPass('conv2dBackwardTs').backward('ts', dy, cache, opts); // null: Winograd does not apply to this conv
    if (grads) return grads;
  }
  const { ws, computeDx = true, reluOutput } = opts;
  const { d, dx, dw, db, accumulate } = backwardOperands('conv2dBackwardTs', dy, cache, opts, null);
  let g = dy.data; // (N, F, OH, OW)
  if (reluOutput) {
    // Through the fused ReLU first (reluBackwardNaive's rule), into a scratch copy: dy is the caller's.
    const mask = reluOutput.data;
    const gm = wsFloat(ws, 'dyMasked', dy.dtype, g.length);
    for (let i = 0; i < g.length; i++) gm[i] = mask[i] > 0 ? g[i] : 0;
    g = gm;
  }
  backwardTs(d, cache.x.data, cache.w.data, g, computeDx ? dx!.data : null, dw.data, db?.data ?? null, accumulate, ws);
  return { dx, dw, db };
}

/**
 * What every conv backward does first: checks dy and the options against the cache, and takes dx,
 * dw and db from the workspace (dx in wasm memory with `wasm`), or dwInto and dbInto.
 */
export function backwardOperands(
  who: string, dy: Tensor, cache: Conv2dCache, opts: Conv2dBackwardOptions, wasm: import('./wasm/loader.ts').WasmKernels | null,
): { d: Dims; dx: Tensor | null; dw: Tensor; db: Tensor | null; accumulate: { dw: boolean; db: boolean } } {
  const { x, w, hasBias, p } = cache;
  const { ws, computeDx = true, dwInto, dbInto, reluOutput } = opts;
  const d = conv2dDims(x, w, null, p, who);
  checkShape(who, 'dy', dy, [d.N, d.F, d.OH, d.OW]);
  if (reluOutput) checkShape(who, 'reluOutput', reluOutput, dy.shape);
  if (dwInto) checkShape(who, 'dwInto', dwInto, w.shape);
  if (hasBias && dbInto) checkShape(who, 'dbInto', dbInto, [d.F]);
  const dx = computeDx ? wsTensor(ws, 'dx', x.shape, x.dtype, wasm) : null; //   (N, C, H, W)
  const dw = dwInto ?? wsTensor(ws, 'dw', w.shape, x.dtype); //                 (F, C/G, KH, KW)
  const db = hasBias ? (dbInto ?? wsTensor(ws, 'db', [d.F], x.dtype)) : null; // (F)
  return { d, dx, dw, db, accumulate: { dw: dwInto !== undefined, db: hasBias && dbInto != null } };
}

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

/** The depthwise case (groups = C > 1), which runs a direct kernel (depthwise.ts, or its wasm twin). */
export function isDepthwise(d: Dims): boolean {
  return d.G > 1 && d.CG === 1;
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
