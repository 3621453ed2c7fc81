// Input normalisation as the first step of a network, so that training, evaluation, prediction,
// the page and the ONNX export all apply the same numbers (it is a layer of the model: Normalize).
// Two modes:
//   'dataset'  z = (x - mean[c]) / std[c]: the per-channel mean and standard deviation of the
//              training set (torchvision's Normalize, Keras's Normalization layer)
//   'image'    per-picture standardisation of each channel (TensorFlow's per_image_standardization,
//              per channel), with its polarity made such that the background is dark: the sign is
//              chosen so that the mean of the border pixels comes out below the plane's mean. A red
//              square on blue and a blue square on red then give the same planes, which is what a
//              small set whose colours and light/dark polarity vary needs (README: own pictures).
//
// Glossary: N = batch, C = channels, H, W = input size, P = H*W values per plane. Index letters n, c, j.
//
// Forward of 'image', for each plane x (P values) of picture n, channel c:
//   m = 1/P sum_j x_j            v = 1/P sum_j (x_j - m)^2         s = max(sqrt(v), STD_FLOOR)
//   b = mean of the border pixels (first and last row and column)  g = (b > m) ? -1 : 1
//   z_j = g (x_j - m) / s
// STD_FLOOR keeps a flat plane (a channel in which the picture has no contrast) flat instead of
// blowing its noise up: values are in 0..1, and 0.05 is about 13 grey levels.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

/** The smallest standard deviation 'image' mode divides by (values in 0..1; 0.05 is about 13 grey levels): a flat plane stays flat. */
export const STD_FLOOR = 0.05;

/** What Normalize applies: the training set's per-channel `mean` and `std` ('dataset'), or per-picture standardisation with the background made dark ('image'). */
export type NormalizeParams = { mode: 'dataset'; mean: readonly number[]; std: readonly number[] } | { mode: 'image' };

/** What the forward keeps for the backward. */
export interface NormalizeCache {
  /** (N, C, H, W) the output. */
  z: Tensor;
  /** Per plane (N*C): g / s, and whether s was the floor (then the plane's s did not depend on x). */
  scale: Float64Array;
  /** Per plane (N*C): 1 when the plane's standard deviation was below STD_FLOOR and the floor was used. */
  floored: Uint8Array;
  /** The mode the forward ran in. */
  mode: 'dataset' | 'image';
}

/** Checks the input and the parameters; returns the dimensions. */
export function normalizeDims(inShape: readonly number[], p: NormalizeParams, who = 'normalize') {
  if (inShape.length !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${inShape.length} ${shapeStr(inShape)}`);
  const [N, C, H, W] = inShape;
  if (p.mode === 'dataset' && (p.mean.length !== C || p.std.length !== C)) {
    throw new Error(`${who}: input ${shapeStr(inShape)} has ${C} channels, but the normalisation holds ${p.mean.length} means and ${p.std.length} stds (one per channel)`);
  }
  if (p.mode === 'image' && (H < 2 || W < 2)) throw new RangeError(`${who}: per-picture normalisation needs pictures of at least 2x2, got ${H}x${W}`);
  return { N, C, H, W, P: H * W };
}

/** The statistics of one plane: g / s, and whether s is the floor. */
function planeStats(x: ArrayLike<number>, off: number, H: number, W: number): { m: number; scale: number; floored: boolean } {
  const P = H * W;
  let sum = 0;
  for (let j = off; j < off + P; j++) sum += x[j];
  const m = sum / P;
  let sq = 0;
  for (let j = off; j < off + P; j++) sq += (x[j] - m) * (x[j] - m);
  const sd = Math.sqrt(sq / P);
  let border = 0;
  for (let iw = 0; iw < W; iw++) border += x[off + iw] + x[off + (H - 1) * W + iw];
  for (let ih = 1; ih < H - 1; ih++) border += x[off + ih * W] + x[off + ih * W + W - 1];
  const b = border / (2 * W + 2 * (H - 2));
  const g = b > m ? -1 : 1;
  const floored = !(sd > STD_FLOOR);
  return { m, scale: g / (floored ? STD_FLOOR : sd), floored };
}

/**
 * 'dataset': z[n, c, j] = (x[n, c, j] - mean[c]) / std[c]
 * 'image':   z[n, c, j] = g (x[n, c, j] - m) / s, with m, s, g of plane (n, c) (see the top of the file)
 *
 * @param x (N, C, H, W)
 * @returns out = z (N, C, H, W), and the cache
 */
export function normalizeForwardNaive(x: Tensor, p: NormalizeParams): { out: Tensor; cache: NormalizeCache } {
  const { N, C, H, W, P } = normalizeDims(x.shape, p);
  const z = allocLike(x.data, N * C * P); // (N, C, H, W)
  const scale = new Float64Array(N * C), floored = new Uint8Array(N * C); // (N, C)
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const off = (n * C + c) * P;
      let m: number;
      if (p.mode === 'dataset') {
        m = p.mean[c];
        scale[n * C + c] = 1 / p.std[c];
      } else {
        const st = planeStats(x.data, off, H, W);
        m = st.m;
        scale[n * C + c] = st.scale;
        floored[n * C + c] = st.floored ? 1 : 0;
      }
      for (let j = 0; j < P; j++) z[off + j] = (x.data[off + j] - m) * scale[n * C + c];
    }
  }
  return { out: new Tensor(x.shape, z), cache: { z: new Tensor(x.shape, z), scale, floored, mode: p.mode } };
}

/**
 * 'dataset': dx = dy / std[c].
 * 'image': with u = (x - m) / s and k = g / s, the derivative of z = g u through m and s gives
 *   dx_j = k (dy_j - mean(dy) - z_j mean(dy z))     when s = sqrt(v) (then ds/dx_j = (x_j - m) / (P s))
 *   dx_j = k (dy_j - mean(dy))                       when s is the floor (s does not move with x)
 * (g = +-1 is piecewise constant: z_j * mean(dy z) = u_j * mean(dy u).)
 *
 * @param dy (N, C, H, W)
 * @returns dx (N, C, H, W)
 */
export function normalizeBackwardNaive(dy: Tensor, cache: NormalizeCache): { dx: Tensor } {
  const [N, C, H, W] = cache.z.shape;
  checkShape('normalize backward', 'dy', dy, cache.z.shape);
  const dx = allocLike(cache.z.data, N * C * H * W); // (N, C, H, W)
  backwardInto(dy.data, cache, dx);
  return { dx: new Tensor(cache.z.shape, dx) };
}

function backwardInto(dy: ArrayLike<number>, cache: NormalizeCache, dx: Float32Array | Float64Array): void {
  const [N, C, H, W] = cache.z.shape;
  const P = H * W, z = cache.z.data;
  for (let plane = 0; plane < N * C; plane++) {
    const off = plane * P, k = cache.scale[plane];
    if (cache.mode === 'dataset') {
      for (let j = off; j < off + P; j++) dx[j] = dy[j] * k;
      continue;
    }
    let meanDy = 0, meanDyZ = 0;
    for (let j = off; j < off + P; j++) { meanDy += dy[j]; meanDyZ += dy[j] * z[j]; }
    meanDy /= P;
    meanDyZ = cache.floored[plane] ? 0 : meanDyZ / P;
    for (let j = off; j < off + P; j++) dx[j] = k * (dy[j] - meanDy - z[j] * meanDyZ);
  }
}

/** The forward pass into reused buffers: `out` is the workspace's, overwritten by the next forward with it. */
export function normalizeForwardFast(x: Tensor, p: NormalizeParams, opts: { ws?: Workspace } = {}): { out: Tensor; cache: NormalizeCache } {
  const { N, C, H, W, P } = normalizeDims(x.shape, p, 'normalizeForwardFast');
  const out = wsTensor(opts.ws, 'out', x.shape, x.dtype); // (N, C, H, W)
  const scale = new Float64Array(N * C), floored = new Uint8Array(N * C); // (N, C): small
  const xd = x.data, z = out.data;
  for (let plane = 0; plane < N * C; plane++) {
    const off = plane * P, c = plane % C;
    let m: number;
    if (p.mode === 'dataset') { m = p.mean[c]; scale[plane] = 1 / p.std[c]; }
    else { const st = planeStats(xd, off, H, W); m = st.m; scale[plane] = st.scale; floored[plane] = st.floored ? 1 : 0; }
    const k = scale[plane];
    for (let j = off; j < off + P; j++) z[j] = (xd[j] - m) * k;
  }
  return { out, cache: { z: out, scale, floored, mode: p.mode } };
}

/** The backward pass into reused buffers: `dx` is the workspace's, overwritten by the next backward with it. */
export function normalizeBackwardFast(dy: Tensor, cache: NormalizeCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  checkShape('normalizeBackwardFast', 'dy', dy, cache.z.shape);
  const dx = wsTensor(opts.ws, 'dx', cache.z.shape, cache.z.dtype); // (N, C, H, W)
  backwardInto(dy.data, cache, dx.data);
  return { dx };
}

/**
 * The normalise family for the backends (see backend.ts): the naive pair and the TypeScript pair;
 * no wasm kernel (two passes over each plane, bound by memory, once per batch on the input only),
 * so the 'wasm' backend runs the TypeScript pair.
 */
export const normalizeKernels: KernelFamily<typeof normalizeForwardFast, typeof normalizeBackwardFast> = {
  naive: { forward: normalizeForwardNaive, backward: normalizeBackwardNaive },
  ts: { forward: normalizeForwardFast, backward: normalizeBackwardFast },
};
