// A labelled image set held in two flat arrays, the layout every loader returns. It lives at the
// bottom of src/, beside tensor.ts, so that everything that reads a set (the training loop and
// evaluation in train/, the report in inspect/, the ONNX input normalisation in io/) imports it from
// below, and needs nothing from datasets/ (the loaders import src/, never the other way round).
//
// A set can also be held as one byte per pixel (byteDataset): the bundled digits take 7.8 MB that
// way instead of 31 MB of float32, as torchvision keeps MNIST as uint8 and converts an image when it
// is read. The training loop and evaluate() read such a set a batch at a time (copyImage, imageRange),
// so its float32 pixels are never built whole; anything that reads `images` itself gets them, decoded
// on first read and then kept.

/** A labelled image set held in memory: (count, C, H, W) pixels in 0..1 and one class index per image, what fit, evaluate and the loaders use. */
export interface Dataset {
  /** Pixels of all images, image after image, each C*H*W values in 0..1: (count, C, H, W). */
  images: Float32Array;
  /** One class index per image: (count). */
  labels: Uint8Array;
  /** The number of images (labels.length). */
  count: number;
  /** Shape of one image: [C, H, W]. */
  shape: [number, number, number];
  /** The class names, index = label (e.g. the sorted folder names of loadImageFolder); absent for the digits (0..9). */
  classes?: string[];
}

/** One byte per pixel: pixel value = palette[code]. */
export interface ByteImages {
  /** One byte per pixel, image after image: (count, C, H, W). */
  codes: Uint8Array;
  /** (256): the pixel value each byte code stands for. */
  palette: Float32Array;
}

// The byte form of the sets byteDataset() made. Kept beside the set rather than in a field of it, so
// that a copy such as { ...set, images: other } (a plain object, not in here) is read from its own
// `images`, never from bytes that no longer match them.
const byteForm = new WeakMap<Dataset, ByteImages>();

/** The set's pixels as bytes, if it is held that way (byteDataset); undefined for a float32 set. */
export function bytesOf(set: Dataset): ByteImages | undefined {
  return byteForm.get(set);
}

/**
 * A Dataset held as one byte per pixel: image i is codes[i*C*H*W ..] and a pixel's value is
 * palette[code] (a palette of 256 values, so every byte stands for one). Its `images` are decoded
 * on first read and kept; fit() and evaluate() never read them, they decode a batch at a time.
 */
export function byteDataset(codes: Uint8Array, palette: Float32Array, labels: Uint8Array, shape: [number, number, number]): Dataset {
  const per = imageSize({ shape });
  if (!(codes instanceof Uint8Array) || !(palette instanceof Float32Array)) throw new TypeError('byteDataset: expected codes as a Uint8Array and the palette as a Float32Array');
  if (palette.length !== 256) throw new RangeError(`byteDataset: the palette must hold 256 values (one per byte), got ${palette.length}`);
  if (codes.length % per !== 0) throw new RangeError(`byteDataset: ${codes.length} codes are not a whole number of images of [${shape.join(', ')}] (${per} each)`);
  const count = codes.length / per;
  if (labels.length !== count) throw new RangeError(`byteDataset: ${labels.length} labels for ${count} images`);
  let images: Float32Array | null = null;
  const set: Dataset = {
    get images() {
      images ??= decode(codes, palette, 0, codes.length, new Float32Array(codes.length), 0);
      return images;
    },
    labels, count, shape,
  };
  byteForm.set(set, { codes, palette });
  return set;
}

/** out[at ..] = palette[codes[from ..to)]. */
function decode(codes: Uint8Array, palette: Float32Array, from: number, to: number, out: Float32Array, at: number): Float32Array {
  for (let i = from; i < to; i++) out[at + i - from] = palette[codes[i]];
  return out;
}

/** Copies image i of the set (C*H*W values) into out from offset `at`, decoding it if the set is held as bytes. */
export function copyImage(set: Dataset, i: number, out: Float32Array, at: number): void {
  const per = imageSize(set);
  const bytes = byteForm.get(set);
  if (bytes) decode(bytes.codes, bytes.palette, i * per, (i + 1) * per, out, at);
  else out.set(set.images.subarray(i * per, (i + 1) * per), at);
}

/**
 * Images [start, start + n) as float32: a view on `images` for a float32 set; for a set held as
 * bytes, decoded into `scratch` (a new array if it is missing or shorter than n*C*H*W values).
 */
export function imageRange(set: Dataset, start: number, n: number, scratch?: Float32Array): Float32Array {
  const per = imageSize(set);
  const bytes = byteForm.get(set);
  if (!bytes) return set.images.subarray(start * per, (start + n) * per);
  const out = scratch && scratch.length >= n * per ? scratch.subarray(0, n * per) : new Float32Array(n * per);
  return decode(bytes.codes, bytes.palette, start * per, (start + n) * per, out, 0);
}

/** The first `n` images of a set (views, no copy; a set held as bytes stays bytes). */
export function takeFirst(set: Dataset, n: number): Dataset {
  const k = Math.min(n, set.count);
  const per = imageSize(set);
  const bytes = byteForm.get(set);
  const classes = set.classes ? { classes: set.classes } : {};
  if (bytes) return Object.assign(byteDataset(bytes.codes.subarray(0, k * per), bytes.palette, set.labels.subarray(0, k), set.shape), classes);
  return { images: set.images.subarray(0, k * per), labels: set.labels.subarray(0, k), count: k, shape: set.shape, ...classes };
}

/** Values per image, C*H*W. */
export function imageSize(set: Pick<Dataset, 'shape'>): number {
  return set.shape[0] * set.shape[1] * set.shape[2];
}
