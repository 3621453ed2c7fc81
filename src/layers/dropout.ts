// Dropout: in training mode zeroes each value with probability p and scales the rest by 1 / (1 - p)
// (inverted dropout, as in PyTorch); in evaluation mode (model.eval()) the identity. No parameters.
// The formulas are in kernels/dropout.ts.
//
// Seeded: the layer draws one number from the rng it is given and seeds its own stream with it, so
// its masks depend only on that rng and on how many batches it has seen, not on what else draws from
// the rng later. The seed is in config(), so a model rebuilt from a file starts the same stream again.

import { type Rng, createRng } from '../rng.ts';
import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { type DropoutCache, dropoutKernels } from '../kernels/dropout.ts';
import { Layer, type LayerConfig } from './layer.ts';

/** Options of `new Dropout(...)`: the drop probability and where its randomness comes from; see Dropout. */
export interface DropoutOptions {
  /** Probability of zeroing each value, in [0, 1); default 0.5. */
  p?: number;
  /** The layer's stream is seeded by one draw from it. Give this or `seed`. */
  rng?: Rng;
  /** The seed of the layer's own stream (a model file stores it); instead of rng. */
  seed?: number;
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  /** The layer's name in summaries and errors; default: `dropout_<n>` given by the Sequential it is added to. */
  name?: string;
}

/** Inverted dropout (as PyTorch's Dropout): in training mode zeroes each value with probability p and scales the rest by 1 / (1 - p); in evaluation mode (model.eval()) the identity. Any shape in, same shape out; no parameters; its masks come from its own seeded stream. */
export class Dropout extends Layer {
  readonly type = 'Dropout';
  /** Probability of zeroing each value in training mode, in [0, 1) (default 0.5). */
  readonly p: number;
  /** The seed of this layer's own stream of random numbers. */
  readonly seed: number;
  private rng: Rng;
  /** While holdRandomness(true): the layer's own stream, put back by holdRandomness(false). */
  private ownRng: Rng | null = null;
  private cache: DropoutCache | null = null;

  constructor(opts: DropoutOptions = {}) {
    super();
    const who = `Dropout${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { p, rng }`);
    this.name = opts.name ?? '';
    const p = opts.p ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`${who}: p must be a number in [0, 1), got ${String(p)}`);
    this.p = p;
    if (opts.seed !== undefined) {
      if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new RangeError(`${who}: seed must be an integer >= 0, got ${String(opts.seed)}`);
      this.seed = opts.seed;
    } else if (opts.rng && typeof opts.rng.uniform === 'function') {
      this.seed = Math.floor(opts.rng.uniform() * 2 ** 32);
    } else {
      throw new TypeError(`${who}: needs an rng for its masks; pass { p, rng: createRng(seed) }`);
    }
    this.rng = createRng(this.seed);
    this.setBackend(opts.backend);
  }

  /** Stream k > 0 of the seed: the masks of a replica on another thread (stream 0 is the layer's own). */
  override useRandomStream(stream: number): void {
    this.rng = createRng(stream === 0 ? this.seed : `${this.seed}/${stream}`);
  }

  /** Held: every forward draws its mask from one fresh stream (the same mask each time); the own stream waits untouched. */
  override holdRandomness(hold: boolean): void {
    if (hold && this.ownRng === null) this.ownRng = this.rng;
    else if (!hold && this.ownRng !== null) { this.rng = this.ownRng; this.ownRng = null; }
  }

  /** Training mode: x times a fresh random mask; evaluation mode: x itself. */
  forwardView(x: Tensor): Tensor {
    const k = this.kernels(dropoutKernels);
    if (this.ownRng !== null) this.rng = createRng(`${this.seed}/held`);
    const { out, cache } = k.forward(x, { p: this.p, training: this.training, rng: this.rng }, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  /** dx = dy times the mask of the last forward pass (dy itself if that pass was the identity). */
  backwardView(dy: Tensor): Tensor {
    const k = this.kernels(dropoutKernels);
    return k.backward(dy, this.needCache(this.cache), { ws: k.ws }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, p: this.p, seed: this.seed };
  }
}
