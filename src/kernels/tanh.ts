// Hyperbolic tangent, forward and backward. Works on any shape, element by element.
//
//   y[k]  = tanh(x[k])                 (in (-1, 1); LeCun's LeNet-5 squashing function, up to scale)
//   dx[k] = dy[k] * (1 - y[k]^2)       (the derivative read off the output, so the cache holds y)
//
// The fast pair is the same loops with the output and dx in workspace buffers, so that a training
// loop allocates nothing; Math.tanh is the cost either way, and TypeScript is all it needs.

import { Tensor, allocLike, checkShape } from '../tensor.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

export interface TanhCache {
  y: Tensor; // the output, any shape
}

/** y = tanh(x), elementwise. */
export function tanhForwardNaive(x: Tensor): { out: Tensor; cache: TanhCache } {
  const out = allocLike(x.data, x.size);
  for (let k = 0; k < x.size; k++) out[k] = Math.tanh(x.data[k]);
  const y = new Tensor(x.shape, out);
  return { out: y, cache: { y } };
}

/** dx = dy * (1 - y^2). */
export function tanhBackwardNaive(dy: Tensor, cache: TanhCache): { dx: Tensor } {
  checkShape('tanh backward', 'dy', dy, cache.y.shape);
  const yd = cache.y.data;
  const dx = allocLike(yd, yd.length);
  for (let k = 0; k < yd.length; k++) dx[k] = dy.data[k] * (1 - yd[k] * yd[k]);
  return { dx: new Tensor(cache.y.shape, dx) };
}

/** tanhForwardNaive into a workspace buffer (overwritten by the next forward with it). */
export function tanhForwardFast(x: Tensor, opts: { ws?: Workspace } = {}): { out: Tensor; cache: TanhCache } {
  const out = wsTensor(opts.ws, 'out', x.shape, x.dtype);
  const xd = x.data, od = out.data;
  for (let k = 0; k < xd.length; k++) od[k] = Math.tanh(xd[k]);
  return { out, cache: { y: out } };
}

/** tanhBackwardNaive into a workspace buffer. */
export function tanhBackwardFast(dy: Tensor, cache: TanhCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  checkShape('tanhBackwardFast', 'dy', dy, cache.y.shape);
  const dx = wsTensor(opts.ws, 'dx', dy.shape, cache.y.dtype);
  const yd = cache.y.data, dd = dy.data, dxd = dx.data;
  for (let k = 0; k < yd.length; k++) dxd[k] = dd[k] * (1 - yd[k] * yd[k]);
  return { dx };
}

/** The tanh family for the backends (see backend.ts). */
export const tanhKernels: KernelFamily<typeof tanhForwardFast, typeof tanhBackwardFast> = {
  naive: { forward: tanhForwardNaive, backward: tanhBackwardNaive },
  fast: { forward: tanhForwardFast, backward: tanhBackwardFast },
};
