// Logistic sigmoid, forward and backward. Works on any shape, element by element.
//
//   y[k]  = 1 / (1 + exp(-x[k]))       (in (0, 1))
//   dx[k] = dy[k] * y[k] * (1 - y[k])  (the derivative read off the output, so the cache holds y)
//
// Written as exp(x) / (1 + exp(x)) for x < 0, so that exp never overflows (1 / (1 + exp(1000)) would
// still be 0, but the two-sided form keeps full relative precision for very negative x).
// The fast pair is the same loops with the output and dx in workspace buffers, so that a training
// loop allocates nothing; Math.exp is the cost either way, and TypeScript is all it needs.

import { Tensor, allocLike, checkShape } from '../tensor.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

/** What sigmoidForward* keeps for the backward pass (dx = dy * y * (1 - y)). */
export interface SigmoidCache {
  /** The output, any shape. */
  y: Tensor;
}

/** 1 / (1 + exp(-v)), without overflow. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** y = sigmoid(x), elementwise. */
export function sigmoidForwardNaive(x: Tensor): { out: Tensor; cache: SigmoidCache } {
  const out = allocLike(x.data, x.size);
  for (let k = 0; k < x.size; k++) out[k] = sigmoid(x.data[k]);
  const y = new Tensor(x.shape, out);
  return { out: y, cache: { y } };
}

/** dx = dy * y * (1 - y). */
export function sigmoidBackwardNaive(dy: Tensor, cache: SigmoidCache): { dx: Tensor } {
  checkShape('sigmoid backward', 'dy', dy, cache.y.shape);
  const yd = cache.y.data;
  const dx = allocLike(yd, yd.length);
  for (let k = 0; k < yd.length; k++) dx[k] = dy.data[k] * yd[k] * (1 - yd[k]);
  return { dx: new Tensor(cache.y.shape, dx) };
}

/** sigmoidForwardNaive into a workspace buffer (overwritten by the next forward with it). */
export function sigmoidForwardFast(x: Tensor, opts: { ws?: Workspace } = {}): { out: Tensor; cache: SigmoidCache } {
  const out = wsTensor(opts.ws, 'out', x.shape, x.dtype);
  const xd = x.data, od = out.data;
  for (let k = 0; k < xd.length; k++) od[k] = sigmoid(xd[k]);
  return { out, cache: { y: out } };
}

/** sigmoidBackwardNaive into a workspace buffer. */
export function sigmoidBackwardFast(dy: Tensor, cache: SigmoidCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  checkShape('sigmoidBackwardFast', 'dy', dy, cache.y.shape);
  const dx = wsTensor(opts.ws, 'dx', dy.shape, cache.y.dtype);
  const yd = cache.y.data, dd = dy.data, dxd = dx.data;
  for (let k = 0; k < yd.length; k++) dxd[k] = dd[k] * yd[k] * (1 - yd[k]);
  return { dx };
}

/** The sigmoid family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const sigmoidKernels: KernelFamily<typeof sigmoidForwardFast, typeof sigmoidBackwardFast> = {
  naive: { forward: sigmoidForwardNaive, backward: sigmoidBackwardNaive },
  ts: { forward: sigmoidForwardFast, backward: sigmoidBackwardFast },
};
