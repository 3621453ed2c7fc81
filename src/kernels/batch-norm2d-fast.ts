// 2-D batch normalisation, the fast pair: the same results as batchNorm2dForwardNaive /
// batchNorm2dBackwardNaive (batch-norm2d.ts, where the formulas and their derivation are), with
// buffers reused between calls and fewer passes over the activations:
//   forward   y = x * scale[c] + shift[c], with scale = w * invStd and shift = b - mean * scale,
//             so xhat is never stored: backward recomputes it from x, mean and invStd
//   backward  one pass for the two sums per channel, one pass to write dx
// Each (n, c) plane of H*W values is contiguous, so every loop runs over a contiguous range.
// TypeScript only: the loops are branch-free multiply-adds that V8 compiles well; batch norm is a
// few passes over the activations where a convolution beside it does KH*KW*C multiply-adds per value.
//
// Glossary: N = batch, C = channels, H, W = height and width, M = N*H*W.

import { Tensor, checkShape } from '../tensor.ts';
import { type BatchNorm2dCache, type BatchNorm2dParams, batchNorm2dBackwardNaive, batchNorm2dDims, batchNorm2dForwardNaive } from './batch-norm2d.ts';
import { type BackwardOptions, type KernelFamily, accumulating } from './backend.ts';
import { type Workspace, wsFloat, wsTensor } from './workspace.ts';

/**
 * Batch normalisation forward, the fast TypeScript kernel (same formula as batchNorm2dForwardNaive):
 * y = w * (x - mean) / sqrt(var + eps) + b per channel, with the batch's statistics in training mode
 * (updating the running ones) and the running ones in evaluation mode.
 * @param x (N, C, H, W)  @param w (C) gamma  @param b (C) beta
 * @param p mode, eps, momentum, running statistics (updated in place in training mode)
 * @param opts.ws optional workspace: `out` is then its buffer, overwritten by the next forward with it
 * @returns out (N, C, H, W) and the cache (interchangeable with the naive one)
 */
export function batchNorm2dForwardFast(x: Tensor, w: Tensor, b: Tensor, p: BatchNorm2dParams, opts: { ws?: Workspace } = {}): { out: Tensor; cache: BatchNorm2dCache } {
  const { ws } = opts;
  const { N, C, M } = batchNorm2dDims(x, w, b, p, 'batchNorm2dForwardFast');
  const HW = M / N;
  const xd = x.data;
  const mean = wsFloat(ws, 'mean', 'float64', C) as Float64Array; //     (C)
  const invStd = wsFloat(ws, 'invStd', 'float64', C) as Float64Array; // (C)
  for (let c = 0; c < C; c++) {
    let m: number, v: number;
    if (p.training) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let s = (n * C + c) * HW, e = s + HW; s < e; s++) sum += xd[s];
      m = sum / M;
      let sq = 0;
      for (let n = 0; n < N; n++) for (let s = (n * C + c) * HW, e = s + HW; s < e; s++) { const d = xd[s] - m; sq += d * d; }
      v = sq / M;
      p.runningMean.data[c] = (1 - p.momentum) * p.runningMean.data[c] + p.momentum * m;
      p.runningVar.data[c] = (1 - p.momentum) * p.runningVar.data[c] + p.momentum * v * M / (M - 1);
    } else {
      m = p.runningMean.data[c];
      v = p.runningVar.data[c];
    }
    mean[c] = m;
    invStd[c] = 1 / Math.sqrt(v + p.eps);
  }
  const out = wsTensor(ws, 'out', x.shape, x.dtype); // (N, C, H, W)
  const od = out.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const scale = w.data[c] * invStd[c], shift = b.data[c] - mean[c] * scale;
      for (let s = (n * C + c) * HW, e = s + HW; s < e; s++) od[s] = xd[s] * scale + shift;
    }
  }
  return { out, cache: { x, w, mean, invStd, training: p.training } };
}

/**
 * Batch normalisation backward, the fast TypeScript kernel (same formulas as batchNorm2dBackwardNaive):
 * dx through the batch's mean and variance in training mode, through the fixed running ones in evaluation mode.
 * @param dy (N, C, H, W)
 * @param opts.ws reuse dx between calls; opts.dwInto / dbInto (C): ADD dw / db into them; computeDx false: dx is null
 * @returns dx (N, C, H, W) or null, dw (C), db (C)
 */
export function batchNorm2dBackwardFast(dy: Tensor, cache: BatchNorm2dCache, opts: BackwardOptions = {}): { dx: Tensor | null; dw: Tensor; db: Tensor } {
  const who = 'batchNorm2dBackwardFast';
  const { x, w, mean, invStd, training } = cache;
  const { ws, computeDx = true, dwInto, dbInto } = opts;
  checkShape(who, 'dy', dy, x.shape);
  const [N, C, H, W] = x.shape;
  const HW = H * W, M = N * HW;
  if (dwInto) checkShape(who, 'dwInto', dwInto, [C]);
  if (dbInto) checkShape(who, 'dbInto', dbInto, [C]);
  const xd = x.data, dd = dy.data;
  const dw = dwInto ?? wsTensor(ws, 'dw', [C], w.dtype); // (C)
  const db = dbInto ?? wsTensor(ws, 'db', [C], w.dtype); // (C)
  const dx = computeDx ? wsTensor(ws, 'dx', x.shape, x.dtype) : null; // (N, C, H, W)
  for (let c = 0; c < C; c++) {
    const m = mean[c], is = invStd[c];
    let sumDy = 0, sumDyXhat = 0;
    for (let n = 0; n < N; n++) {
      for (let s = (n * C + c) * HW, e = s + HW; s < e; s++) {
        sumDy += dd[s];
        sumDyXhat += dd[s] * (xd[s] - m) * is;
      }
    }
    dw.data[c] = (dwInto ? dw.data[c] : 0) + sumDyXhat;
    db.data[c] = (dbInto ? db.data[c] : 0) + sumDy;
    if (!dx) continue;
    const dxd = dx.data, k = w.data[c] * is;
    for (let n = 0; n < N; n++) {
      const start = (n * C + c) * HW;
      if (training) {
        // dx = k/M * (M*dy - sumDy - xhat*sumDyXhat), with xhat = (x - m) * is
        const meanDy = sumDy / M, meanDyXhat = sumDyXhat / M;
        for (let s = start, e = s + HW; s < e; s++) dxd[s] = k * (dd[s] - meanDy - (xd[s] - m) * is * meanDyXhat);
      } else {
        for (let s = start, e = s + HW; s < e; s++) dxd[s] = k * dd[s];
      }
    }
  }
  return { dx, dw, db };
}

type BatchNorm2dForward = (x: Tensor, w: Tensor, b: Tensor, p: BatchNorm2dParams, opts?: { ws?: Workspace }) => { out: Tensor; cache: BatchNorm2dCache };
type BatchNorm2dBackward = (dy: Tensor, cache: BatchNorm2dCache, opts?: BackwardOptions) => { dx: Tensor | null; dw: Tensor; db: Tensor };

/** The batch-norm family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const batchNorm2dKernels: KernelFamily<BatchNorm2dForward, BatchNorm2dBackward> = {
  naive: { forward: batchNorm2dForwardNaive, backward: accumulating(batchNorm2dBackwardNaive) },
  ts: { forward: batchNorm2dForwardFast, backward: batchNorm2dBackwardFast },
};
