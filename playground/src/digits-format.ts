// The playground's digit asset (digits.bin): the 10,000 digits of the `mnist` package, already split
// 8,000 / 2,000 exactly as `miniconv train` splits them (datasets/mnist.ts, loadDigits), in one
// compact binary file instead of the package's 30 MB of JSON.
//
// The package stores every pixel as a decimal rounded to 3 places (round(k / 255, 3)), so there are
// at most 256 distinct values: the file holds them once, as a float32 palette, and each pixel as a
// one-byte index into it. Decoding gives the very float32 values that loadDigits gives.
//
// Layout (little-endian):
//   0   'MCDG'                      magic
//   4   u32 version (1)
//   8   u32 trainCount, 12 u32 testCount
//   16  u32 checksum                FNV-1a (32-bit) of every byte from offset 20 to the end
//   20  f32[256] palette            pixel value of each code
//   1044 u8[trainCount + testCount] labels, the training set's first
//   ...  u8[(trainCount + testCount) * 784] pixel codes, image after image

export const DIGITS_MAGIC = 'MCDG';
export const DIGITS_VERSION = 1;
export const PIXELS = 28 * 28;
const HEADER = 20;
const PALETTE = 256;

/** One labelled set, the layout of src/dataset.ts (kept structural so the page does not import datasets/). */
export interface DigitSet {
  images: Float32Array; // (count, 1, 28, 28), values 0..1
  labels: Uint8Array; // (count)
  count: number;
  shape: [number, number, number];
}

/** FNV-1a, 32-bit: a small checksum that catches a truncated or damaged download. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Encodes a train and a test set (pixels must take at most 256 distinct values). */
export function encodeDigits(train: DigitSet, test: DigitSet): Uint8Array {
  const count = train.count + test.count;
  const palette: number[] = [];
  const codeOf = new Map<number, number>();
  const codes = new Uint8Array(count * PIXELS);
  let k = 0;
  for (const set of [train, test]) {
    if (set.images.length !== set.count * PIXELS) throw new Error(`encodeDigits: a set of ${set.count} images must hold ${set.count * PIXELS} pixels, got ${set.images.length}`);
    for (const v of set.images) {
      let code = codeOf.get(v);
      if (code === undefined) {
        if (palette.length === PALETTE) throw new Error(`encodeDigits: the pixels take more than ${PALETTE} distinct values; this format holds at most ${PALETTE}`);
        code = palette.length;
        palette.push(v);
        codeOf.set(v, code);
      }
      codes[k++] = code;
    }
  }
  const bytes = new Uint8Array(HEADER + 4 * PALETTE + count + count * PIXELS);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = DIGITS_MAGIC.charCodeAt(i);
  view.setUint32(4, DIGITS_VERSION, true);
  view.setUint32(8, train.count, true);
  view.setUint32(12, test.count, true);
  palette.forEach((v, i) => view.setFloat32(HEADER + 4 * i, v, true));
  bytes.set(train.labels, HEADER + 4 * PALETTE);
  bytes.set(test.labels, HEADER + 4 * PALETTE + train.count);
  bytes.set(codes, HEADER + 4 * PALETTE + count);
  view.setUint32(16, fnv1a(bytes.subarray(HEADER)), true);
  return bytes;
}

/** Decodes and checks digits.bin; throws an error naming what is wrong (magic, version, size, checksum, label). */
export function decodeDigits(bytes: Uint8Array, source = 'digits.bin'): { train: DigitSet; test: DigitSet } {
  const bad = (what: string) => new Error(`${source}: ${what}`);
  if (bytes.length < HEADER + 4 * PALETTE) throw bad(`is ${bytes.length} bytes, too short for the ${HEADER + 4 * PALETTE}-byte header; rebuild it with npm run playground:build`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== DIGITS_MAGIC) throw bad(`starts with ${JSON.stringify(magic)}, expected "${DIGITS_MAGIC}" (not a miniconv digit file)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== DIGITS_VERSION) throw bad(`has version ${version}, expected ${DIGITS_VERSION}`);
  const trainCount = view.getUint32(8, true), testCount = view.getUint32(12, true);
  const count = trainCount + testCount;
  const expected = HEADER + 4 * PALETTE + count + count * PIXELS;
  if (bytes.length !== expected) throw bad(`is ${bytes.length} bytes, expected ${expected} for ${trainCount} + ${testCount} digits (truncated download?)`);
  const sum = fnv1a(bytes.subarray(HEADER));
  if (sum !== view.getUint32(16, true)) throw bad(`checksum ${sum.toString(16)} does not match the header's ${view.getUint32(16, true).toString(16)}: the file is damaged`);
  const palette = new Float32Array(PALETTE);
  for (let i = 0; i < PALETTE; i++) palette[i] = view.getFloat32(HEADER + 4 * i, true);
  const labelsAt = HEADER + 4 * PALETTE, codesAt = labelsAt + count;
  const labels = bytes.subarray(labelsAt, labelsAt + count);
  for (let i = 0; i < count; i++) if (labels[i] > 9) throw bad(`label ${i} is ${labels[i]}, expected a digit 0..9`);
  const set = (first: number, n: number): DigitSet => {
    const images = new Float32Array(n * PIXELS);
    const codes = bytes.subarray(codesAt + first * PIXELS, codesAt + (first + n) * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = palette[codes[i]];
    return { images, labels: labels.slice(first, first + n), count: n, shape: [1, 28, 28] };
  };
  return { train: set(0, trainCount), test: set(trainCount, testCount) };
}
