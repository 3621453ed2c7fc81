// Seeded randomness. Every random number in miniconv comes from an Rng made
// here from an explicit seed, so the same seed gives the same model, bit for bit.
/// <reference path="./seedrandom-arc4.d.ts" />
import seedrandom from 'seedrandom/seedrandom.js'; // the ARC4 generator alone (see seedrandom-arc4.d.ts)
import { Tensor, shapeSize, shapeStr } from './tensor.ts';

/** A seeded stream of random numbers (seedrandom's ARC4 underneath): the same seed gives the same sequence on every platform. */
export interface Rng {
  /** The seed it was created with (a number or a string), as given to createRng. */
  readonly seed: number | string;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (mean 0, variance 1), by the Box-Muller transform. */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T;
}

/** A new Rng seeded with `seed` (a finite number or a string; throws otherwise). Two Rngs with the same seed draw the same numbers. */
export function createRng(seed: number | string): Rng {
  if (typeof seed !== 'number' && typeof seed !== 'string') {
    throw new TypeError(`createRng: seed must be a number or a string, got ${typeof seed}`);
  }
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new RangeError(`createRng: seed must be finite, got ${seed}`);
  }
  const prng = seedrandom(String(seed));
  let spare: number | null = null;
  const rng: Rng = {
    seed,
    uniform: () => prng(),
    normal() {
      if (spare !== null) { const s = spare; spare = null; return s; }
      // 1 - u keeps the log argument in (0, 1].
      const u = 1 - prng();
      const v = prng();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.floor(prng() * n),
    shuffle(a) {
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(prng() * (i + 1));
        const t = a[i]; a[i] = a[j]; a[j] = t;
      }
      return a;
    },
  };
  return rng;
}

/**
 * How a parameter is first filled:
 * - 'heNormal': N(0, 2 / fanIn), for layers followed by ReLU (He et al., 2015); the default.
 * - 'xavierUniform': U(-a, a) with a = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio, 2010).
 * - 'zeros'.
 * - a Tensor of the right shape (copied), e.g. the seed article's hand-made kernel.
 * - a function (shape, rng) => Tensor or array of values.
 */
export type Initializer =
  | 'heNormal'
  | 'xavierUniform'
  | 'zeros'
  | Tensor
  | ((shape: readonly number[], rng: Rng) => Tensor | ArrayLike<number>);

export interface Fans { fanIn: number; fanOut: number }

/** A float32 tensor of `shape` filled by the initialiser `init` (fans give heNormal's and xavierUniform's scale; `rng` is needed by those and by a function; `who` names the layer in errors). Throws when a given tensor or function has the wrong size. */
export function initTensor(init: Initializer, shape: readonly number[], fans: Fans, rng: Rng | undefined, who: string): Tensor {
  const n = shapeSize(shape);
  const needRng = init === 'heNormal' || init === 'xavierUniform' || typeof init === 'function';
  if (needRng && !rng) {
    throw new TypeError(`${who}: initialiser '${typeof init === 'function' ? 'function' : init}' needs an rng; pass { rng: createRng(seed) }`);
  }
  if (init instanceof Tensor) {
    if (init.size !== n || init.shape.length !== shape.length || init.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`${who}: initial tensor has shape ${shapeStr(init.shape)}, expected ${shapeStr(shape)}`);
    }
    return new Tensor(shape, Float32Array.from(init.data));
  }
  if (typeof init === 'function') {
    const v = init(shape, rng as Rng);
    const data = v instanceof Tensor ? v.data : v;
    if (data.length !== n) {
      throw new RangeError(`${who}: initialiser function returned ${data.length} values, expected ${n} for shape ${shapeStr(shape)}`);
    }
    return new Tensor(shape, Float32Array.from(data));
  }
  const out = new Float32Array(n);
  switch (init) {
    case 'zeros':
      break;
    case 'heNormal': {
      const std = Math.sqrt(2 / fans.fanIn);
      for (let i = 0; i < n; i++) out[i] = std * (rng as Rng).normal();
      break;
    }
    case 'xavierUniform': {
      const a = Math.sqrt(6 / (fans.fanIn + fans.fanOut));
      for (let i = 0; i < n; i++) out[i] = a * (2 * (rng as Rng).uniform() - 1);
      break;
    }
    default:
      throw new RangeError(`${who}: unknown initialiser '${String(init)}', expected 'heNormal', 'xavierUniform', 'zeros', a Tensor or a function`);
  }
  return new Tensor(shape, out);
}
