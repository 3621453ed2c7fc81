// Hyperbolic tangent, forward and backward. Works on any shape, element by element.
//
//   y[k]  = tanh(x[k])                 (in (-1, 1); LeCun's LeNet-5 squashing function, up to scale)
//   dx[k] = dy[k] * (1 - y[k]^2)       (the derivative read off the output, so the cache holds y)
//
// The fast pair writes the output and dx into workspace buffers, so that a training loop allocates
// nothing. Math.tanh is slow (more than half of LeNet-5's inference time), so for float32
// the fast forward evaluates a rational function instead: tanh(x) ~ x * P(u) / Q(u) with u = (x / 9)^2,
// P of degree 5 and Q of degree 4, fitted (least squares on the relative error, reweighted towards
// minimax) on [0, 9], where its relative error is below 1.7e-9, a thirtieth of float32's half-ulp: the
// float32 results are those of Math.tanh but for a rare last bit. Beyond |x| = 9, tanh(x) is within
// 3.1e-8 of +-1 and float32 rounds it to +-1. 4 to 7 ns an element here, against 20 to 35 for
// Math.tanh; float64 keeps Math.tanh (the gradient checks run in float64).

import { Tensor, allocLike, checkShape } from '../tensor.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

/** What tanhForward* keeps for the backward pass (dx = dy * (1 - y^2)). */
export interface TanhCache {
  /** The output, any shape. */
  y: Tensor;
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

// x * P(u) / Q(u), u = (x / 9)^2: the coefficients of u^0, u^1, ... (see the header).
const P0 = 0.9999999987651934, P1 = 11.082681751252226, P2 = 25.39990539037367, P3 = 14.91671854437101, P4 = 1.322902018317376, P5 = -0.042930016689538435;
const Q1 = 38.082680776251436, Q2 = 178.83241466906972, Q3 = 209.59801399045202, Q4 = 55.60040523245159;

/** tanh(x) to float32 accuracy (see the header): the rational function for |x| < 9, else +-1. NaN stays NaN. */
export function tanhFloat32(x: number): number {
  if (x >= 9) return 1;
  if (x <= -9) return -1;
  const u = (x / 9) * (x / 9);
  return (x * (P0 + u * (P1 + u * (P2 + u * (P3 + u * (P4 + u * P5)))))) / (1 + u * (Q1 + u * (Q2 + u * (Q3 + u * Q4))));
}

/** tanhForwardNaive into a workspace buffer (overwritten by the next forward with it); float32 by tanhFloat32. */
export function tanhForwardFast(x: Tensor, opts: { ws?: Workspace } = {}): { out: Tensor; cache: TanhCache } {
  const out = wsTensor(opts.ws, 'out', x.shape, x.dtype);
  const xd = x.data, od = out.data;
  if (od instanceof Float32Array) {
    for (let k = 0; k < xd.length; k++) od[k] = tanhFloat32(xd[k]);
  } else {
    for (let k = 0; k < xd.length; k++) od[k] = Math.tanh(xd[k]);
  }
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

/** The tanh family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const tanhKernels: KernelFamily<typeof tanhForwardFast, typeof tanhBackwardFast> = {
  naive: { forward: tanhForwardNaive, backward: tanhBackwardNaive },
  ts: { forward: tanhForwardFast, backward: tanhBackwardFast },
};
