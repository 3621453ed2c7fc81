// The input normalisation a model expects, x' = (x - mean) / std, per channel or for all channels.
// A model trained elsewhere often expects it (PyTorch's transforms.Normalize((0.5,), (0.5,)) maps
// 0..1 to -1..1); `miniconv import --mean 0.5 --std 0.5` records it in the model file's metadata
// under `preprocess`, and predict/eval apply it with applyPreprocess before the forward pass.

import { Tensor, shapeStr } from '../../tensor.ts';
import type { Dataset } from '../../dataset.ts';

/** A preprocessing record that does not fit (a bad value, or a per-channel list of the wrong length). */
export class PreprocessError extends RangeError {
  /** 'PreprocessError', so that a caller (or a log) can tell it from other RangeErrors. */
  override readonly name = 'PreprocessError';
}

/** (x - mean) / std; a number applies to every channel, an array gives one value per channel. */
export interface Preprocess {
  /** Subtracted from every pixel (0..1 scale): one number for all channels, or one per channel (C). */
  mean: number | number[];
  /** Divides every pixel after the mean is subtracted, each > 0: one number, or one per channel (C). */
  std: number | number[];
}

/**
 * Checks a preprocessing record (from an option or a model file): finite means, positive finite
 * stds, and per-channel arrays of the right length. Returns a clean copy.
 * @param channels the model's input channels (C of the input shape), to check per-channel arrays
 */
export function checkPreprocess(p: unknown, channels: number, who = 'preprocess'): Preprocess {
  if (!p || typeof p !== 'object') throw new TypeError(`${who}: expected { mean, std }, got ${JSON.stringify(p)}`);
  const read = (key: 'mean' | 'std'): number | number[] => {
    const v = (p as Record<string, unknown>)[key];
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && (key === 'mean' || x > 0);
    const what = key === 'mean' ? 'a finite number' : 'a positive finite number';
    if (Array.isArray(v)) {
      if (v.length !== channels) throw new PreprocessError(`${who}: ${key} has ${v.length} values, expected one per input channel (${channels})`);
      v.forEach((x, c) => { if (!ok(x)) throw new PreprocessError(`${who}: ${key}[${c}] must be ${what}, got ${String(x)}`); });
      return [...v] as number[];
    }
    if (!ok(v)) throw new PreprocessError(`${who}: ${key} must be ${what} or an array of one per channel, got ${JSON.stringify(v)}`);
    return v;
  };
  return { mean: read('mean'), std: read('std') };
}

/**
 * x' = (x - mean) / std, channel by channel, into a new tensor (x is not changed).
 * @param x (N, C, H, W) images or (N, C) features; channel c is axis 1
 */
export function applyPreprocess(x: Tensor, p: Preprocess): Tensor {
  if (x.rank < 2) throw new Error(`applyPreprocess: input must be (N, C, ...), got ${shapeStr(x.shape)}`);
  const [N, C] = x.shape;
  const { mean, std } = checkPreprocess(p, C, 'applyPreprocess');
  const per = x.size / (N * C); // values per channel of one item: H*W (or 1)
  const y = Tensor.zeros(x.shape, x.dtype);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const m = Array.isArray(mean) ? mean[c] : mean;
      const s = Array.isArray(std) ? std[c] : std;
      const off = (n * C + c) * per;
      for (let k = off; k < off + per; k++) y.data[k] = (x.data[k] - m) / s;
    }
  }
  return y;
}

/**
 * The preprocessing a model file records (`metadata.preprocess`), checked against its input shape;
 * undefined when it records none. `file` names the model file in errors.
 */
export function modelPreprocess(metadata: Readonly<Record<string, unknown>>, inputShape: readonly number[], file: string): Preprocess | undefined {
  if (metadata.preprocess === undefined) return undefined;
  return checkPreprocess(metadata.preprocess, inputShape[0], `${file}: metadata.preprocess`);
}

/** A copy of `set` with (x - mean) / std applied to its images (the labels are shared). */
export function preprocessDataset(set: Dataset, p: Preprocess): Dataset {
  const x = new Tensor([set.count, ...set.shape], set.images);
  return { ...set, images: Float32Array.from(applyPreprocess(x, p).data) };
}
