// Rectified linear unit, forward and backward. Works on any shape, element by element.

import { Tensor, allocLike, checkShape } from '../tensor.ts';

/** What reluForward* keeps for the backward pass (dx = dy where y > 0, else 0). */
export interface ReluCache {
  /**
   * The OUTPUT y, any shape. y > 0 exactly where x > 0 (NaN and -0 included), so it gives backward the
   * same mask as the input would, and lets the input's buffer be overwritten (in place, or by the layer below).
   */
  y: Tensor;
}

/** out = max(0, x). (Written `x < 0 ? 0 : x` so that a NaN passes through, as in PyTorch, instead of hiding.) */
export function reluForwardNaive(x: Tensor): { out: Tensor; cache: ReluCache } {
  const out = allocLike(x.data, x.size);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) out[i] = xd[i] < 0 ? 0 : xd[i];
  const y = new Tensor(x.shape, out);
  return { out: y, cache: { y } };
}

/** dx = dy where x > 0 (read off y > 0), else 0 (the derivative at exactly 0 is taken as 0, as in PyTorch). */
export function reluBackwardNaive(dy: Tensor, cache: ReluCache): { dx: Tensor } {
  checkShape('relu backward', 'dy', dy, cache.y.shape);
  const yd = cache.y.data, dd = dy.data;
  const dx = allocLike(yd, yd.length);
  for (let i = 0; i < yd.length; i++) dx[i] = yd[i] > 0 ? dd[i] : 0;
  return { dx: new Tensor(cache.y.shape, dx) };
}
