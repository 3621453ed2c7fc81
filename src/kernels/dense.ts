// Fully connected (dense, linear) layer, forward and backward.
//
// Glossary: N = batch, IN = input features, OUT = output features.
// Weight layout (OUT, IN), as in PyTorch's nn.Linear.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';

/** What denseForward* keeps for the backward pass. */
export interface DenseCache {
  /** The input, (N, IN). */
  x: Tensor;
  /** The weight, (OUT, IN). */
  w: Tensor;
  /** Whether the forward pass had a bias (then backward returns db). */
  hasBias: boolean;
}

/** Checks x (N, IN), w (OUT, IN) and b (OUT) or null; returns N, IN, OUT. Throws naming `who`, expected and received. */
export function denseDims(x: Tensor, w: Tensor, b: Tensor | null, who = 'dense') {
  if (w.rank !== 2) throw new Error(`${who}: weight must be rank 2 (OUT, IN), got ${shapeStr(w.shape)}`);
  const [OUT, IN] = w.shape;
  if (x.rank !== 2) throw new Error(`${who}: input must be rank 2 (N, ${IN}), but got rank ${x.rank} ${shapeStr(x.shape)}; put a Flatten before it`);
  if (x.shape[1] !== IN) throw new Error(`${who}: input has ${x.shape[1]} features ${shapeStr(x.shape)}, expected ${IN}`);
  if (b && (b.rank !== 1 || b.shape[0] !== OUT)) throw new Error(`${who}: bias must have shape [${OUT}], got ${shapeStr(b.shape)}`);
  return { N: x.shape[0], IN, OUT };
}

/**
 * out[n,o] = b[o] + sum_i x[n,i] * w[o,i]
 * @param x (N, IN)  @param w (OUT, IN)  @param b (OUT) or null
 * @returns out (N, OUT)
 */
export function denseForwardNaive(x: Tensor, w: Tensor, b: Tensor | null): { out: Tensor; cache: DenseCache } {
  const { N, IN, OUT } = denseDims(x, w, b);
  const out = allocLike(x.data, N * OUT); // (N, OUT)
  const xd = x.data, wd = w.data;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OUT; o++) {
      let sum = b ? b.data[o] : 0;
      for (let i = 0; i < IN; i++) sum += xd[n * IN + i] * wd[o * IN + i];
      out[n * OUT + o] = sum;
    }
  }
  return { out: new Tensor([N, OUT], out), cache: { x, w, hasBias: b !== null } };
}

/**
 * dx[n,i] = sum_o dy[n,o] * w[o,i]     (dx = dy . w)
 * dw[o,i] = sum_n dy[n,o] * x[n,i]     (dw = dy^T . x)
 * db[o]   = sum_n dy[n,o]
 * @param dy (N, OUT)
 * @returns dx (N, IN), dw (OUT, IN), db (OUT) or null
 */
export function denseBackwardNaive(dy: Tensor, cache: DenseCache): { dx: Tensor; dw: Tensor; db: Tensor | null } {
  const { x, w } = cache;
  const { N, IN, OUT } = denseDims(x, w, null, 'dense backward');
  checkShape('dense backward', 'dy', dy, [N, OUT]);
  const xd = x.data, wd = w.data, dd = dy.data;
  const dx = allocLike(xd, N * IN); // (N, IN)
  const dw = allocLike(xd, OUT * IN); // (OUT, IN)
  const db = allocLike(xd, OUT); // (OUT)
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OUT; o++) {
      const g = dd[n * OUT + o];
      db[o] += g;
      for (let i = 0; i < IN; i++) {
        dx[n * IN + i] += g * wd[o * IN + i];
        dw[o * IN + i] += g * xd[n * IN + i];
      }
    }
  }
  return { dx: new Tensor([N, IN], dx), dw: new Tensor([OUT, IN], dw), db: cache.hasBias ? new Tensor([OUT], db) : null };
}
