// Fully connected (dense, linear) layer, forward and backward.
//
// Glossary: N = batch, I = input features, O = output features.
// Weight layout (O, I), as in PyTorch's nn.Linear.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';

export interface DenseCache {
  x: Tensor; // (N, I)
  w: Tensor; // (O, I)
  hasBias: boolean;
}

export function denseDims(x: Tensor, w: Tensor, b: Tensor | null, who = 'dense') {
  if (w.rank !== 2) throw new Error(`${who}: weight must be rank 2 (O, I), got ${shapeStr(w.shape)}`);
  const [O, I] = w.shape;
  if (x.rank !== 2) throw new Error(`${who}: input must be rank 2 (N, ${I}), but got rank ${x.rank} ${shapeStr(x.shape)}; put a Flatten before it`);
  if (x.shape[1] !== I) throw new Error(`${who}: input has ${x.shape[1]} features ${shapeStr(x.shape)}, expected ${I}`);
  if (b && (b.rank !== 1 || b.shape[0] !== O)) throw new Error(`${who}: bias must have shape [${O}], got ${shapeStr(b.shape)}`);
  return { N: x.shape[0], I, O };
}

/**
 * out[n,o] = b[o] + sum_i x[n,i] * w[o,i]
 * @param x (N, I)  @param w (O, I)  @param b (O) or null
 * @returns out (N, O)
 */
export function denseForwardNaive(x: Tensor, w: Tensor, b: Tensor | null): { out: Tensor; cache: DenseCache } {
  const { N, I, O } = denseDims(x, w, b);
  const out = allocLike(x.data, N * O); // (N, O)
  const xd = x.data, wd = w.data;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let sum = b ? b.data[o] : 0;
      for (let i = 0; i < I; i++) sum += xd[n * I + i] * wd[o * I + i];
      out[n * O + o] = sum;
    }
  }
  return { out: new Tensor([N, O], out), cache: { x, w, hasBias: b !== null } };
}

/**
 * dx[n,i] = sum_o dout[n,o] * w[o,i]     (dx = dout . w)
 * dw[o,i] = sum_n dout[n,o] * x[n,i]     (dw = dout^T . x)
 * db[o]   = sum_n dout[n,o]
 * @param dout (N, O)
 * @returns dx (N, I), dw (O, I), db (O) or null
 */
export function denseBackwardNaive(dout: Tensor, cache: DenseCache): { dx: Tensor; dw: Tensor; db: Tensor | null } {
  const { x, w } = cache;
  const { N, I, O } = denseDims(x, w, null, 'dense backward');
  checkShape('dense backward', 'dout', dout, [N, O]);
  const xd = x.data, wd = w.data, dd = dout.data;
  const dx = allocLike(xd, N * I); // (N, I)
  const dw = allocLike(xd, O * I); // (O, I)
  const db = allocLike(xd, O); // (O)
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = dd[n * O + o];
      db[o] += g;
      for (let i = 0; i < I; i++) {
        dx[n * I + i] += g * wd[o * I + i];
        dw[o * I + i] += g * xd[n * I + i];
      }
    }
  }
  return { dx: new Tensor([N, I], dx), dw: new Tensor([O, I], dw), db: cache.hasBias ? new Tensor([O], db) : null };
}
