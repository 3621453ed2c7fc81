// 2-D average pooling, forward and backward (PyTorch's AvgPool2d without padding).
//
// Glossary: N = batch, C = channels, H, W = input size, KH x KW = window (square here: KW = KH),
// S = stride, OH, OW = output size: OH = floor((H - KH) / S) + 1, OW = floor((W - KW) / S) + 1.
// Index letters: n, c, i, j output row and column, u, v row and column inside the window.
// A window may overlap its neighbours (S < KH) or skip pixels (S > KH); rows and columns past the
// last whole window are dropped, as in PyTorch.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';

/** The settings of avgPool2dForward*: a square window and its stride (no padding). */
export interface AvgPool2dParams {
  /** The window is kernelSize x kernelSize. */
  kernelSize: number;
  /** Step between windows, in pixels. */
  stride: number;
}

/** What avgPool2dForward* keeps for the backward pass. */
export interface AvgPool2dCache {
  /** The input's shape, (N, C, H, W). */
  inShape: readonly number[];
  /** The settings of the forward pass. */
  p: AvgPool2dParams;
  /** The input's element type, which dx gets. */
  dtype: 'float32' | 'float64';
}

/** Checks the input and options; returns the dimensions. Throws naming `who`, expected and received. */
export function avgPool2dDims(inShape: readonly number[], p: AvgPool2dParams, who = 'avgPool2d') {
  if (inShape.length !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${inShape.length} ${shapeStr(inShape)}`);
  const [N, C, H, W] = inShape;
  const { kernelSize: KH, stride: S } = p;
  if (!Number.isInteger(KH) || KH < 1) throw new RangeError(`${who}: kernelSize must be an integer >= 1, got ${KH}`);
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`${who}: stride must be an integer >= 1, got ${S}`);
  if (H < KH || W < KH) throw new RangeError(`${who}: window ${KH}x${KH} is larger than the input ${H}x${W} ${shapeStr(inShape)}`);
  return { N, C, H, W, KH, KW: KH, S, OH: Math.floor((H - KH) / S) + 1, OW: Math.floor((W - KH) / S) + 1 };
}

/**
 * y[n,c,i,j] = 1/(KH*KW) * sum_u sum_v x[n, c, i*S + u, j*S + v]
 *
 * @param x (N, C, H, W)
 * @returns out = y (N, C, OH, OW), and the cache avgPool2dBackwardNaive needs (the input's shape only)
 */
export function avgPool2dForwardNaive(x: Tensor, p: AvgPool2dParams): { out: Tensor; cache: AvgPool2dCache } {
  const { N, C, H, W, KH, KW, S, OH, OW } = avgPool2dDims(x.shape, p);
  const y = allocLike(x.data, N * C * OH * OW); // (N, C, OH, OW)
  const xd = x.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let sum = 0;
          for (let u = 0; u < KH; u++) {
            for (let v = 0; v < KW; v++) sum += xd[((n * C + c) * H + i * S + u) * W + j * S + v];
          }
          y[((n * C + c) * OH + i) * OW + j] = sum / (KH * KW);
        }
      }
    }
  }
  return { out: new Tensor([N, C, OH, OW], y), cache: { inShape: x.shape, p, dtype: x.dtype } };
}

/**
 * Each input in a window had weight 1/(KH*KW) in that window's average, so
 *   dx[n, c, i*S + u, j*S + v] += dy[n,c,i,j] / (KH*KW)
 * (with overlapping windows an input collects from each; a dropped row or column gets 0).
 *
 * @param dy (N, C, OH, OW)
 * @returns dx (N, C, H, W)
 */
export function avgPool2dBackwardNaive(dy: Tensor, cache: AvgPool2dCache): { dx: Tensor } {
  const { N, C, H, W, KH, KW, S, OH, OW } = avgPool2dDims(cache.inShape, cache.p);
  checkShape('avgPool2d backward', 'dy', dy, [N, C, OH, OW]);
  const dx = cache.dtype === 'float64' ? new Float64Array(N * C * H * W) : new Float32Array(N * C * H * W); // (N, C, H, W)
  const dyd = dy.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const d = dyd[((n * C + c) * OH + i) * OW + j] / (KH * KW);
          for (let u = 0; u < KH; u++) {
            for (let v = 0; v < KW; v++) dx[((n * C + c) * H + i * S + u) * W + j * S + v] += d;
          }
        }
      }
    }
  }
  return { dx: new Tensor(cache.inShape, dx) };
}
