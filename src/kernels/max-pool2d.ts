// 2-D max pooling, forward and backward.
//
// Glossary: N = batch, C = channels, H, W = input size, K = window size (K x K), S = stride,
// OH, OW = output size: OH = floor((H - K) / S) + 1, OW = floor((W - K) / S) + 1 (no padding).
// A window may overlap its neighbours (S < K) or skip pixels (S > K).

import { Tensor, allocLike, shapeStr } from '../tensor.ts';

export interface MaxPool2dParams {
  size: number;
  stride: number;
}

export interface MaxPool2dCache {
  inShape: readonly number[]; // (N, C, H, W)
  argmax: Int32Array; // (N, C, OH, OW): flat index into x of each window's maximum
  dtype: 'float32' | 'float64';
}

export function maxPool2dDims(x: Tensor, p: MaxPool2dParams, who = 'maxPool2d') {
  if (x.rank !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${x.rank} ${shapeStr(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const { size: K, stride: S } = p;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`${who}: size must be an integer >= 1, got ${K}`);
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`${who}: stride must be an integer >= 1, got ${S}`);
  if (H < K || W < K) throw new Error(`${who}: window ${K}x${K} is larger than the input ${H}x${W} ${shapeStr(x.shape)}`);
  return { N, C, H, W, K, S, OH: Math.floor((H - K) / S) + 1, OW: Math.floor((W - K) / S) + 1 };
}

/**
 * out[n,c,i,j] = max over 0 <= m, k < K of x[n, c, i*S + m, j*S + k]
 * The position of each maximum (the first one, on ties) is kept for the backward pass.
 * A NaN in a window wins it, so that it propagates (as in PyTorch) instead of hiding.
 *
 * @param x (N, C, H, W)
 * @returns out (N, C, OH, OW)
 */
export function maxPool2dForwardNaive(x: Tensor, p: MaxPool2dParams): { out: Tensor; cache: MaxPool2dCache } {
  const { N, C, H, W, K, S, OH, OW } = maxPool2dDims(x, p);
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
          for (let m = 0; m < K; m++) {
            for (let k = 0; k < K; k++) {
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
 * The gradient flows only to the input that won each window: dx[argmax[o]] += dout[o].
 * (With overlapping windows one input can win several times; the += sums them.)
 *
 * @param dout (N, C, OH, OW)
 * @returns dx (N, C, H, W)
 */
export function maxPool2dBackwardNaive(dout: Tensor, cache: MaxPool2dCache): { dx: Tensor } {
  const [N, C] = cache.inShape;
  const outLen = cache.argmax.length;
  if (dout.size !== outLen || dout.shape[0] !== N || dout.shape[1] !== C) {
    throw new Error(`maxPool2d backward: dout must have ${outLen} values in shape [${N}, ${C}, OH, OW], got ${shapeStr(dout.shape)}`);
  }
  const n = cache.inShape.reduce((a, d) => a * d, 1);
  const dx = cache.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const dd = dout.data;
  for (let o = 0; o < outLen; o++) dx[cache.argmax[o]] += dd[o];
  return { dx: new Tensor(cache.inShape, dx) };
}
