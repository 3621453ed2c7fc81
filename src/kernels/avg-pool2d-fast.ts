// 2-D average pooling, the fast pair: the same results and cache as avgPool2dForwardNaive /
// avgPool2dBackwardNaive (avg-pool2d.ts), with reusable buffers and the window loops turned inside
// out. TypeScript on every fast backend: the pass is a few adds per input value, bound by memory, and
// has no wasm kernel (the 'wasm' backend runs this code, reading wasm-resident inputs in place).
//
// Glossary: N = batch, C = channels, H, W = input size, KH x KW = window (square: KW = KH), S = stride,
// OH, OW = output size: OH = floor((H - KH) / S) + 1, OW = floor((W - KW) / S) + 1.
//
// Forward, one output row i at a time: add the window's KH input rows into the row of sums, each
// input row read once along j (x[.., i*S + u, j*S + v] for v = 0..KW-1), then scale by 1/(KH*KW).
// Backward is the same walk with the arrows reversed: dx[.., i*S + u, j*S + v] += dy[.., i, j] / (KH*KW).

import { Tensor, checkShape, type FloatArray } from '../tensor.ts';
import { type AvgPool2dCache, type AvgPool2dParams, avgPool2dBackwardNaive, avgPool2dDims, avgPool2dForwardNaive } from './avg-pool2d.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

/**
 * y[n,c,i,j] = 1/(KH*KW) * sum_u sum_v x[n, c, i*S + u, j*S + v]
 *
 * @param x (N, C, H, W)
 * @param opts.ws optional workspace: `out` is then its buffer, overwritten by the next forward with it
 * @returns out = y (N, C, OH, OW), and the cache (interchangeable with the naive one)
 */
export function avgPool2dForwardFast(x: Tensor, p: AvgPool2dParams, opts: { ws?: Workspace } = {}): { out: Tensor; cache: AvgPool2dCache } {
  const { N, C, H, W, KH, KW, S, OH, OW } = avgPool2dDims(x.shape, p, 'avgPool2dForwardFast');
  const out = wsTensor(opts.ws, 'out', [N, C, OH, OW], x.dtype); // (N, C, OH, OW)
  const xd = x.data, y = out.data;
  const scale = 1 / (KH * KW);
  for (let plane = 0; plane < N * C; plane++) {
    const xPlane = plane * H * W; // x[n, c] (H, W)
    for (let i = 0; i < OH; i++) {
      const row = (plane * OH + i) * OW; // y[n, c, i, :]
      y.fill(0, row, row + OW);
      for (let u = 0; u < KH; u++) {
        const xRow = xPlane + (i * S + u) * W;
        for (let j = 0; j < OW; j++) {
          let s = 0;
          for (let src = xRow + j * S; src < xRow + j * S + KW; src++) s += xd[src];
          y[row + j] += s;
        }
      }
      for (let j = row; j < row + OW; j++) y[j] *= scale;
    }
  }
  return { out, cache: { inShape: x.shape, p, dtype: x.dtype } };
}

/**
 * dx[n, c, i*S + u, j*S + v] += dy[n,c,i,j] / (KH*KW)
 *
 * @param dy (N, C, OH, OW)
 * @param opts.ws optional workspace: `dx` is then its buffer, overwritten by the next backward with it
 * @returns dx (N, C, H, W)
 */
export function avgPool2dBackwardFast(dy: Tensor, cache: AvgPool2dCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  const who = 'avgPool2dBackwardFast';
  const { N, C, H, W, KH, KW, S, OH, OW } = avgPool2dDims(cache.inShape, cache.p, who);
  checkShape(who, 'dy', dy, [N, C, OH, OW]);
  const dx = wsTensor(opts.ws, 'dx', cache.inShape, cache.dtype); // (N, C, H, W)
  scatter(dy.data, dx.data, N * C, H, W, KH, KW, S, OH, OW);
  return { dx };
}

function scatter(dy: FloatArray, dx: FloatArray, planes: number, H: number, W: number, KH: number, KW: number, S: number, OH: number, OW: number): void {
  const scale = 1 / (KH * KW);
  dx.fill(0);
  for (let plane = 0; plane < planes; plane++) {
    const xPlane = plane * H * W; // dx[n, c] (H, W)
    for (let i = 0; i < OH; i++) {
      const row = (plane * OH + i) * OW; // dy[n, c, i, :]
      for (let u = 0; u < KH; u++) {
        const xRow = xPlane + (i * S + u) * W;
        for (let j = 0; j < OW; j++) {
          const d = dy[row + j] * scale;
          for (let dst = xRow + j * S; dst < xRow + j * S + KW; dst++) dx[dst] += d;
        }
      }
    }
  }
}

/** The average-pool family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const avgPool2dKernels: KernelFamily<typeof avgPool2dForwardFast, typeof avgPool2dBackwardFast> = {
  naive: { forward: avgPool2dForwardNaive, backward: avgPool2dBackwardNaive },
  ts: { forward: avgPool2dForwardFast, backward: avgPool2dBackwardFast },
};
