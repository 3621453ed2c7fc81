// 2-D max pooling, forward and backward.
//
// Glossary: N = batch, C = channels, H, W = input size, KH x KW = window (square here: KW = KH), S = stride,
// OH, OW = output size: OH = floor((H - KH) / S) + 1, OW = floor((W - KH) / S) + 1 (no padding).
// A window may overlap its neighbours (S < KH) or skip pixels (S > KH).

import { Tensor, allocLike, shapeStr } from '../tensor.ts';

/** The settings of maxPool2dForward*: a square window and its stride (no padding). */
export interface MaxPool2dParams {
  /** The window is kernelSize x kernelSize. */
  kernelSize: number;
  /** Step between windows, in pixels. */
  stride: number;
}

/** What maxPool2dForward* keeps for the backward pass: which input won each window. */
export interface MaxPool2dCache {
  /** The input's shape, (N, C, H, W). */
  inShape: readonly number[];
  /** (N, C, OH, OW): flat index into x of each window's maximum. */
  argmax: Int32Array;
  /** The input's element type, which dx gets. */
  dtype: 'float32' | 'float64';
}

/** Checks the input (N, C, H, W) and the window; returns N, C, H, W, KH (window), S (stride), OH, OW. Throws naming `who`, expected and received. */
export function maxPool2dDims(x: Tensor, p: MaxPool2dParams, who = 'maxPool2d') {
  if (x.rank !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${x.rank} ${shapeStr(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const { kernelSize: KH, stride: S } = p;
  if (!Number.isInteger(KH) || KH < 1) throw new RangeError(`${who}: kernelSize must be an integer >= 1, got ${KH}`);
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`${who}: stride must be an integer >= 1, got ${S}`);
  if (H < KH || W < KH) throw new Error(`${who}: window ${KH}x${KH} is larger than the input ${H}x${W} ${shapeStr(x.shape)}`);
  return { N, C, H, W, KH, S, OH: Math.floor((H - KH) / S) + 1, OW: Math.floor((W - KH) / S) + 1 };
}

/**
 * out[n,c,i,j] = max over 0 <= m, k < KH of x[n, c, i*S + m, j*S + k]
 * The position of each maximum (the first one, on ties) is kept for the backward pass.
 * A NaN in a window wins it, so that it propagates (as in PyTorch) instead of hiding.
 *
 * @param x (N, C, H, W)
 * @returns out (N, C, OH, OW)
 */
export function maxPool2dForwardNaive(x: Tensor, p: MaxPool2dParams): { out: Tensor; cache: MaxPool2dCache } {
  const { N, C, H, W, KH, S, OH, OW } = maxPool2dDims(x, p);
  const out = allocLike(x.data, N * C * OH * OW); // (N, C, OH, OW)
  const argmax = new Int32Array(out.length); // (N, C, OH, OW)
  const xd = x.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = (n * C + c) * H * W;
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let best = -Infinity;
          let where = -1;
          for (let m = 0; m < KH; m++) {
            for (let k = 0; k < KH; k++) {
              const idx = plane + (i * S + m) * W + (j * S + k);
              if (xd[idx] > best || where < 0 || xd[idx] !== xd[idx]) { best = xd[idx]; where = idx; }
            }
          }
          const o = ((n * C + c) * OH + i) * OW + j;
          out[o] = best;
          argmax[o] = where;
        }
      }
    }
  }
  return { out: new Tensor([N, C, OH, OW], out), cache: { inShape: x.shape, argmax, dtype: x.dtype } };
}

/**
 * The gradient flows only to the input that won each window: dx[argmax[o]] += dy[o].
 * (With overlapping windows one input can win several times; the += sums them.)
 *
 * @param dy (N, C, OH, OW)
 * @returns dx (N, C, H, W)
 */
export function maxPool2dBackwardNaive(dy: Tensor, cache: MaxPool2dCache): { dx: Tensor } {
  const [N, C] = cache.inShape;
  const outLen = cache.argmax.length;
  if (dy.size !== outLen || dy.shape[0] !== N || dy.shape[1] !== C) {
    throw new Error(`maxPool2d backward: dy must have ${outLen} values in shape [${N}, ${C}, OH, OW], got ${shapeStr(dy.shape)}`);
  }
  const n = cache.inShape.reduce((a, d) => a * d, 1);
  const dx = cache.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const dd = dy.data;
  for (let o = 0; o < outLen; o++) dx[cache.argmax[o]] += dd[o];
  return { dx: new Tensor(cache.inShape, dx) };
}
