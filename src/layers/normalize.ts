// Normalize: the input normalisation as the network's first layer (no parameters; the formulas are
// in kernels/normalize.ts). Being part of the model, it is saved in the model file and applied
// identically by fit, evaluate, predict, the page, the worker threads and the ONNX export.
//   new Normalize({ mode: 'dataset', mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] })
//   new Normalize({ mode: 'image' })   // per-picture, per-channel standardisation, background dark

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { type NormalizeCache, type NormalizeParams, normalizeDims, normalizeKernels } from '../kernels/normalize.ts';
import { Layer, type LayerConfig, checkDy, rankError } from './layer.ts';

/** Normalize's options: the NormalizeParams, plus the layer's `name` and `backend` as for every layer. */
export type NormalizeOptions = NormalizeParams & { name?: string; backend?: Backend };

/** Input normalisation as the model's first layer, (N, C, H, W) -> (N, C, H, W); no parameters (kernels/normalize.ts). */
export class Normalize extends Layer {
  readonly type = 'Normalize';
  /** The mode and, for 'dataset', the per-channel mean and std it applies. */
  readonly settings: NormalizeParams;
  private cache: NormalizeCache | null = null;

  constructor(opts: NormalizeOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`Normalize: expected { mode: 'dataset', mean, std } or { mode: 'image' }, got ${String(opts)}`);
    this.name = opts.name ?? '';
    if (opts.mode === 'image') this.settings = { mode: 'image' };
    else if (opts.mode === 'dataset') {
      const list = (v: unknown, key: string, positive: boolean): number[] => {
        if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
          throw new RangeError(`Normalize: ${key} must be a non-empty array of ${positive ? 'positive ' : ''}finite numbers, one per channel, got ${JSON.stringify(v)}`);
        }
        return [...v] as number[];
      };
      const mean = list(opts.mean, 'mean', false), std = list(opts.std, 'std', true);
      if (mean.length !== std.length) throw new RangeError(`Normalize: mean has ${mean.length} values and std ${std.length}; expected one of each per channel`);
      this.settings = { mode: 'dataset', mean, std };
    } else {
      throw new RangeError(`Normalize: mode must be 'dataset' (mean and std per channel) or 'image' (each picture standardised), got ${JSON.stringify((opts as { mode?: unknown }).mode)}`);
    }
    this.setBackend(opts.backend);
  }

  forwardView(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const k = this.kernels(normalizeKernels);
    const { out, cache } = k.forward(x, this.settings, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  backwardView(dy: Tensor): Tensor {
    const cache = this.needCache(this.cache);
    checkDy(this.label, dy, cache.z.shape);
    const k = this.kernels(normalizeKernels);
    return k.backward(dy, cache, { ws: k.ws }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length !== 4) throw rankError(this.label, ['N', 'C', 'H', 'W'], s);
    normalizeDims(s, this.settings, this.label);
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, ...this.settings } as LayerConfig;
  }
}
