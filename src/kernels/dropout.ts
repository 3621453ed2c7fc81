// Dropout (Srivastava et al., 2014), inverted as in PyTorch: in training mode each value is zeroed
// with probability p and the survivors are scaled by 1 / (1 - p), so that the expected output equals
// the input and evaluation mode is the identity, with nothing to rescale. Works on any shape.
//
//   mask[k] = 0 with probability p, else 1 / (1 - p)      (one draw of rng.uniform() per value, in order)
//   y[k]    = x[k] * mask[k]                             training mode (identity when p = 0)
//   y       = x                                          evaluation mode
//   dx[k]   = dy[k] * mask[k]                            (dx = dy in evaluation mode)
//
// The randomness comes in as an argument (the layer's own seeded stream): the kernels keep no state.
// The naive and the fast pair draw the same numbers in the same order, so from the same rng they give
// the same mask. The fast pair reuses its buffers; dropout is one multiply per value, so TypeScript.

import { Tensor, allocLike, checkShape, type FloatArray } from '../tensor.ts';
import type { Rng } from '../rng.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsFloat, wsTensor } from './workspace.ts';

/** The settings of dropoutForward*: the probability, the mode, and the random stream. */
export interface DropoutParams {
  /** Probability of zeroing a value, in [0, 1). */
  p: number;
  /** true: draw a mask; false (evaluation mode): the identity. */
  training: boolean;
  /** Where the mask's random numbers come from (used in training mode only). */
  rng: Rng;
}

/** What dropoutForward* keeps for the backward pass (dx = dy * mask). */
export interface DropoutCache {
  /** The input's shape (any). */
  shape: readonly number[];
  /** (x's shape): 0 or 1 / (1 - p) per value; null when the forward pass was the identity. */
  mask: FloatArray | null;
}

function checkP(p: number, who: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`${who}: p must be a number in [0, 1), got ${String(p)}`);
}

/** y = x * mask in training mode (mask as in the header), y = x (the same tensor) otherwise. */
export function dropoutForwardNaive(x: Tensor, p: DropoutParams): { out: Tensor; cache: DropoutCache } {
  checkP(p.p, 'dropout');
  if (!p.training || p.p === 0) return { out: x, cache: { shape: x.shape, mask: null } };
  const mask = allocLike(x.data, x.size); // (x's shape)
  const out = allocLike(x.data, x.size); // (x's shape)
  for (let k = 0; k < x.size; k++) {
    mask[k] = p.rng.uniform() < p.p ? 0 : 1 / (1 - p.p);
    out[k] = x.data[k] * mask[k];
  }
  return { out: new Tensor(x.shape, out), cache: { shape: x.shape, mask } };
}

/** dx = dy * mask (dx = dy, the same tensor, when the forward pass was the identity). */
export function dropoutBackwardNaive(dy: Tensor, cache: DropoutCache): { dx: Tensor } {
  checkShape('dropout backward', 'dy', dy, cache.shape);
  const { mask } = cache;
  if (!mask) return { dx: dy };
  const dx = allocLike(dy.data, dy.size); // (x's shape)
  for (let k = 0; k < dy.size; k++) dx[k] = dy.data[k] * mask[k];
  return { dx: new Tensor(dy.shape, dx) };
}

/** dropoutForwardNaive with the mask and the output in workspace buffers (overwritten by the next call). */
export function dropoutForwardFast(x: Tensor, p: DropoutParams, opts: { ws?: Workspace } = {}): { out: Tensor; cache: DropoutCache } {
  checkP(p.p, 'dropoutForwardFast');
  if (!p.training || p.p === 0) return { out: x, cache: { shape: x.shape, mask: null } };
  const mask = wsFloat(opts.ws, 'mask', x.dtype, x.size); // (x's shape)
  const out = wsTensor(opts.ws, 'out', x.shape, x.dtype); // (x's shape)
  const xd = x.data, od = out.data, keep = 1 / (1 - p.p), drop = p.p, rng = p.rng;
  for (let k = 0; k < xd.length; k++) {
    const m = rng.uniform() < drop ? 0 : keep;
    mask[k] = m;
    od[k] = xd[k] * m;
  }
  return { out, cache: { shape: x.shape, mask } };
}

/** dropoutBackwardNaive into a workspace buffer. */
export function dropoutBackwardFast(dy: Tensor, cache: DropoutCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  checkShape('dropoutBackwardFast', 'dy', dy, cache.shape);
  const { mask } = cache;
  if (!mask) return { dx: dy };
  const dx = wsTensor(opts.ws, 'dx', dy.shape, dy.dtype);
  const dd = dy.data, dxd = dx.data;
  for (let k = 0; k < dd.length; k++) dxd[k] = dd[k] * mask[k];
  return { dx };
}

/** The dropout family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const dropoutKernels: KernelFamily<typeof dropoutForwardFast, typeof dropoutBackwardFast> = {
  naive: { forward: dropoutForwardNaive, backward: dropoutBackwardNaive },
  ts: { forward: dropoutForwardFast, backward: dropoutBackwardFast },
};
