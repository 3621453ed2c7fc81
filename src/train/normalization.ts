// The input normalisation a training run chooses (`--normalize dataset|image|none`), as the
// parameters of the Normalize layer that goes first in the model (layers/normalize.ts).

import type { NormalizeParams } from '../kernels/normalize.ts';
import { type Dataset, bytesOf, imageRange, imageSize } from '../dataset.ts';

export type NormalizeMode = 'dataset' | 'image' | 'none';
export const NORMALIZE_MODES: readonly NormalizeMode[] = ['dataset', 'image', 'none'];

/** Per-channel mean and standard deviation of a whole set (read a batch at a time; sums in float64). */
export function channelStats(set: Dataset): { mean: number[]; std: number[] } {
  const [C, H, W] = set.shape, P = H * W, per = imageSize(set);
  if (set.count === 0) throw new RangeError('channelStats: the set is empty; there is nothing to measure');
  const sum = new Float64Array(C), sq = new Float64Array(C);
  const batch = 256;
  const scratch = bytesOf(set) ? new Float32Array(Math.min(batch, set.count) * per) : undefined; // a batch decoded from bytes
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const x = imageRange(set, start, n, scratch);
    for (let k = 0; k < n; k++) {
      for (let c = 0; c < C; c++) {
        const off = k * per + c * P;
        for (let j = off; j < off + P; j++) { sum[c] += x[j]; sq[c] += x[j] * x[j]; }
      }
    }
  }
  const count = set.count * P;
  const mean = Array.from(sum, (s) => s / count);
  // A channel that never changes (a set of black pictures) would divide by zero: floor it at 1/255.
  const std = Array.from(sq, (s, c) => Math.max(1 / 255, Math.sqrt(Math.max(0, s / count - mean[c] * mean[c]))));
  return { mean, std };
}

/** The Normalize parameters of a mode for a training set, or undefined for 'none'. */
export function normalizationFor(mode: NormalizeMode, train: Dataset): NormalizeParams | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'image') return { mode: 'image' };
  return { mode: 'dataset', ...channelStats(train) };
}
