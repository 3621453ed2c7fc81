// Global average pooling: each channel's whole H x W plane averaged to one number, (N, C, H, W) ->
// (N, C). It has no window and no weights, so a network that ends in it (then a Dense layer) takes
// inputs of any height and width: the Dense layer always sees C features.
//
// Glossary: N = batch, C = channels, H, W = input size. Index letters: n, c, ih, iw.
//
// The naive pair is the formula; the fast pair is the same single pass over the input, writing into a
// workspace's reused buffers (no allocation per batch). TypeScript on every fast backend: one add per
// input value is bound by memory, and there is no wasm kernel.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

/** What globalAvgPool2dForward* keeps for the backward pass. */
export interface GlobalAvgPool2dCache {
  /** The input's shape, (N, C, H, W). */
  inShape: readonly number[];
  /** The input's element type, which dx gets. */
  dtype: 'float32' | 'float64';
}

/** Checks the input; returns the dimensions. */
export function globalAvgPool2dDims(inShape: readonly number[], who = 'globalAvgPool2d') {
  if (inShape.length !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${inShape.length} ${shapeStr(inShape)}`);
  const [N, C, H, W] = inShape;
  if (H < 1 || W < 1) throw new RangeError(`${who}: input ${shapeStr(inShape)} has an empty ${H}x${W} plane; expected at least 1x1`);
  return { N, C, H, W };
}

/**
 * y[n, c] = 1/(H*W) * sum_ih sum_iw x[n, c, ih, iw]
 *
 * @param x (N, C, H, W)
 * @returns out = y (N, C), and the cache (the input's shape)
 */
export function globalAvgPool2dForwardNaive(x: Tensor): { out: Tensor; cache: GlobalAvgPool2dCache } {
  const { N, C, H, W } = globalAvgPool2dDims(x.shape);
  const y = allocLike(x.data, N * C); // (N, C)
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) sum += x.data[((n * C + c) * H + ih) * W + iw];
      }
      y[n * C + c] = sum / (H * W);
    }
  }
  return { out: new Tensor([N, C], y), cache: { inShape: x.shape, dtype: x.dtype } };
}

/**
 * Every pixel of a plane had weight 1/(H*W) in its average:
 *   dx[n, c, ih, iw] = dy[n, c] / (H*W)
 *
 * @param dy (N, C)
 * @returns dx (N, C, H, W)
 */
export function globalAvgPool2dBackwardNaive(dy: Tensor, cache: GlobalAvgPool2dCache): { dx: Tensor } {
  const { N, C, H, W } = globalAvgPool2dDims(cache.inShape);
  checkShape('globalAvgPool2d backward', 'dy', dy, [N, C]);
  const dx = cache.dtype === 'float64' ? new Float64Array(N * C * H * W) : new Float32Array(N * C * H * W); // (N, C, H, W)
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) dx[((n * C + c) * H + ih) * W + iw] = dy.data[n * C + c] / (H * W);
      }
    }
  }
  return { dx: new Tensor(cache.inShape, dx) };
}

/** The forward pass into reused buffers: `out` is the workspace's, overwritten by the next forward with it. */
export function globalAvgPool2dForwardFast(x: Tensor, opts: { ws?: Workspace } = {}): { out: Tensor; cache: GlobalAvgPool2dCache } {
  const { N, C, H, W } = globalAvgPool2dDims(x.shape, 'globalAvgPool2dForwardFast');
  const out = wsTensor(opts.ws, 'out', [N, C], x.dtype); // (N, C)
  const xd = x.data, y = out.data, HW = H * W;
  for (let plane = 0; plane < N * C; plane++) {
    let sum = 0;
    for (let k = plane * HW; k < (plane + 1) * HW; k++) sum += xd[k];
    y[plane] = sum / HW;
  }
  return { out, cache: { inShape: x.shape, dtype: x.dtype } };
}

/** The backward pass into reused buffers: `dx` is the workspace's, overwritten by the next backward with it. */
export function globalAvgPool2dBackwardFast(dy: Tensor, cache: GlobalAvgPool2dCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  const who = 'globalAvgPool2dBackwardFast';
  const { N, C, H, W } = globalAvgPool2dDims(cache.inShape, who);
  checkShape(who, 'dy', dy, [N, C]);
  const dx = wsTensor(opts.ws, 'dx', cache.inShape, cache.dtype); // (N, C, H, W)
  const HW = H * W;
  for (let plane = 0; plane < N * C; plane++) dx.data.fill(dy.data[plane] / HW, plane * HW, (plane + 1) * HW);
  return { dx };
}

/** The global-average-pool family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const globalAvgPool2dKernels: KernelFamily<typeof globalAvgPool2dForwardFast, typeof globalAvgPool2dBackwardFast> = {
  naive: { forward: globalAvgPool2dForwardNaive, backward: globalAvgPool2dBackwardNaive },
  ts: { forward: globalAvgPool2dForwardFast, backward: globalAvgPool2dBackwardFast },
};
