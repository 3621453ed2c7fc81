// 2-D convolution (cross-correlation, as in every deep-learning framework), forward and backward.
//
// Glossary of dimension letters:
//   N = batch, C = input channels, H, W = input height and width,
//   F = filters (output channels), KH, KW = kernel height and width,
//   OH, OW = output height and width, S = stride, P = padding.
// Output size: OH = floor((H + 2P - KH) / S) + 1, OW = floor((W + 2P - KW) / S) + 1.
//
// The naive pair below mirrors the formulas with plain loops: it is the text to read and the
// oracle the fast kernels (conv2d-fast.ts) are tested against.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';

export interface Conv2dParams {
  stride: number;
  padding: number;
}

export interface Conv2dCache {
  x: Tensor; // (N, C, H, W)
  w: Tensor; // (F, C, KH, KW)
  hasBias: boolean;
  p: Conv2dParams;
}

/** The output size along one axis: floor((in + 2*pad - k) / stride) + 1. */
export function convOutSize(inSize: number, k: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - k) / stride) + 1;
}

/** Checks shapes and options; returns the dimensions. Throws naming `who`, expected and received. */
export function conv2dDims(x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, who = 'conv2d') {
  if (x.rank !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${x.rank} ${shapeStr(x.shape)}`);
  if (w.rank !== 4) throw new Error(`${who}: weight must be rank 4 (F, C, KH, KW), but got rank ${w.rank} ${shapeStr(w.shape)}`);
  const [N, C, H, W] = x.shape;
  const [F, CW, KH, KW] = w.shape;
  if (C !== CW) throw new Error(`${who}: input has ${C} channels ${shapeStr(x.shape)}, expected ${CW} (weight ${shapeStr(w.shape)})`);
  if (b && (b.rank !== 1 || b.shape[0] !== F)) throw new Error(`${who}: bias must have shape [${F}], got ${shapeStr(b.shape)}`);
  const { stride: S, padding: P } = p;
  if (!Number.isInteger(S) || S < 1) throw new RangeError(`${who}: stride must be an integer >= 1, got ${S}`);
  if (!Number.isInteger(P) || P < 0) throw new RangeError(`${who}: padding must be an integer >= 0, got ${P}`);
  if (H + 2 * P < KH || W + 2 * P < KW) {
    throw new Error(`${who}: kernel ${KH}x${KW} is larger than the padded input ${H + 2 * P}x${W + 2 * P} (input ${shapeStr(x.shape)}, padding ${P})`);
  }
  const OH = convOutSize(H, KH, S, P);
  const OW = convOutSize(W, KW, S, P);
  return { N, C, H, W, F, KH, KW, OH, OW, S, P };
}

/**
 * out[n,f,i,j] = b[f] + sum_c sum_m sum_k x[n, c, i*S + m - P, j*S + k - P] * w[f, c, m, k]
 * (terms whose input index falls in the zero padding are left out).
 *
 * @param x (N, C, H, W)
 * @param w (F, C, KH, KW)
 * @param b (F) or null
 * @returns out (N, F, OH, OW) and the cache that conv2dBackwardNaive needs
 */
export function conv2dForwardNaive(x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams): { out: Tensor; cache: Conv2dCache } {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = conv2dDims(x, w, b, p);
  const out = allocLike(x.data, N * F * OH * OW); // (N, F, OH, OW)
  const xd = x.data, wd = w.data;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let sum = b ? b.data[f] : 0;
          for (let c = 0; c < C; c++) {
            for (let m = 0; m < KH; m++) {
              const y = i * S + m - P;
              if (y < 0 || y >= H) continue; // zero padding
              for (let k = 0; k < KW; k++) {
                const xx = j * S + k - P;
                if (xx < 0 || xx >= W) continue;
                sum += xd[((n * C + c) * H + y) * W + xx] * wd[((f * C + c) * KH + m) * KW + k];
              }
            }
          }
          out[((n * F + f) * OH + i) * OW + j] = sum;
        }
      }
    }
  }
  return { out: new Tensor([N, F, OH, OW], out), cache: { x, w, hasBias: b !== null, p } };
}

/**
 * Backward pass. Each output value out[n,f,i,j] touched x[n,c,y,xx] through w[f,c,m,k], so:
 *   dx[n,c,y,xx] += dout[n,f,i,j] * w[f,c,m,k]   (dx is the full convolution of dout with the flipped kernel)
 *   dw[f,c,m,k]  += dout[n,f,i,j] * x[n,c,y,xx]  (dw is the correlation of x with dout)
 *   db[f]        += dout[n,f,i,j]
 * with y = i*S + m - P, xx = j*S + k - P, over every in-range position.
 *
 * @param dout (N, F, OH, OW), the gradient of the loss with respect to out
 * @returns dx (N, C, H, W), dw (F, C, KH, KW), db (F) or null when the layer has no bias
 */
export function conv2dBackwardNaive(dout: Tensor, cache: Conv2dCache): { dx: Tensor; dw: Tensor; db: Tensor | null } {
  const { x, w, p } = cache;
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = conv2dDims(x, w, null, p);
  checkShape('conv2d backward', 'dout', dout, [N, F, OH, OW]);
  const dx = allocLike(x.data, x.size); // (N, C, H, W)
  const dw = allocLike(x.data, w.size); // (F, C, KH, KW)
  const db = allocLike(x.data, F); // (F)
  const xd = x.data, wd = w.data, dd = dout.data;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const g = dd[((n * F + f) * OH + i) * OW + j];
          db[f] += g;
          for (let c = 0; c < C; c++) {
            for (let m = 0; m < KH; m++) {
              const y = i * S + m - P;
              if (y < 0 || y >= H) continue;
              for (let k = 0; k < KW; k++) {
                const xx = j * S + k - P;
                if (xx < 0 || xx >= W) continue;
                const xi = ((n * C + c) * H + y) * W + xx;
                const wi = ((f * C + c) * KH + m) * KW + k;
                dx[xi] += g * wd[wi];
                dw[wi] += g * xd[xi];
              }
            }
          }
        }
      }
    }
  }
  return {
    dx: new Tensor(x.shape, dx),
    dw: new Tensor(w.shape, dw),
    db: cache.hasBias ? new Tensor([F], db) : null,
  };
}
