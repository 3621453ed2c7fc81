// Rectified linear unit, forward and backward. Works on any shape, element by element.

import { Tensor, allocLike, checkShape } from '../tensor.ts';

export interface ReluCache {
  x: Tensor; // the input, any shape
}

/** out = max(0, x). (Written `x < 0 ? 0 : x` so that a NaN passes through, as in PyTorch, instead of hiding.) */
export function reluForwardNaive(x: Tensor): { out: Tensor; cache: ReluCache } {
  const out = allocLike(x.data, x.size);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) out[i] = xd[i] < 0 ? 0 : xd[i];
  return { out: new Tensor(x.shape, out), cache: { x } };
}

/** dx = dout where x > 0, else 0 (the derivative at exactly 0 is taken as 0, as in PyTorch). */
export function reluBackwardNaive(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  checkShape('relu backward', 'dout', dout, cache.x.shape);
  const xd = cache.x.data, dd = dout.data;
  const dx = allocLike(xd, xd.length);
  for (let i = 0; i < xd.length; i++) dx[i] = xd[i] > 0 ? dd[i] : 0;
  return { dx: new Tensor(cache.x.shape, dx) };
}
