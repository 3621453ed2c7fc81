// The standard MNIST IDX files (http://yann.lecun.com/exdb/mnist/ format):
//   images: magic 0x00000803, count, rows, cols (big-endian int32), then count*rows*cols unsigned bytes
//   labels: magic 0x00000801, count, then count unsigned bytes
// Plain or gzipped (.gz), read with node's zlib. A user with the full 60,000 / 10,000 MNIST
// passes its folder with --data DIR.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MAX_IDX_BYTES, formatBytes, readRegularFile } from '../src/io/safe-read.ts';
import type { Dataset } from '../src/dataset.ts';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/** Reads a regular file of at most `maxBytes` (default MAX_IDX_BYTES), gunzipped to at most as much. */
function readMaybeGzip(file: string, maxBytes = MAX_IDX_BYTES): Buffer {
  let buf = readRegularFile(file, maxBytes, 'IDX');
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`IDX: ${file} decompresses to more than ${formatBytes(maxBytes)}`);
      throw new Error(`IDX: ${file} looks gzipped but does not decompress (${(e as Error).message}); is it truncated?`);
    }
  }
  return buf;
}

/** Reads an IDX image file into (count, 1, rows, cols) floats in 0..1; the file, and its content if gzipped, at most `maxBytes`. */
export function readIdxImages(file: string, maxBytes = MAX_IDX_BYTES): { images: Float32Array; count: number; rows: number; cols: number } {
  const buf = readMaybeGzip(file, maxBytes);
  if (buf.length < 16) throw new Error(`IDX: ${file} is too short for an image file header (${buf.length} bytes, expected at least 16)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IMAGES_MAGIC) {
    throw new Error(`IDX: ${file} has magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000803 (unsigned-byte images)`);
  }
  const count = buf.readUInt32BE(4), rows = buf.readUInt32BE(8), cols = buf.readUInt32BE(12);
  const need = 16 + count * rows * cols;
  if (buf.length < need) throw new Error(`IDX: ${file} is truncated: ${buf.length} bytes, expected ${need} for ${count} images of ${rows}x${cols}`);
  const images = new Float32Array(count * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = buf[16 + i] / 255;
  return { images, count, rows, cols };
}

/** Reads an IDX label file; every label must be a class index below `classes` (default 10, the digits). */
export function readIdxLabels(file: string, classes = 10, maxBytes = MAX_IDX_BYTES): Uint8Array {
  const buf = readMaybeGzip(file, maxBytes);
  if (buf.length < 8) throw new Error(`IDX: ${file} is too short for a label file header (${buf.length} bytes, expected at least 8)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== LABELS_MAGIC) {
    throw new Error(`IDX: ${file} has magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x00000801 (unsigned-byte labels)`);
  }
  const count = buf.readUInt32BE(4);
  if (buf.length < 8 + count) throw new Error(`IDX: ${file} is truncated: ${buf.length} bytes, expected ${8 + count} for ${count} labels`);
  const labels = Uint8Array.from(buf.subarray(8, 8 + count));
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`IDX: ${file}: label ${labels[bad]} (label number ${bad}) is outside 0..${classes - 1}`);
  return labels;
}

/** Reads one image file and its label file into a Dataset, checking that they agree. */
export function readIdxPair(imagesFile: string, labelsFile: string, maxBytes = MAX_IDX_BYTES): Dataset {
  const { images, count, rows, cols } = readIdxImages(imagesFile, maxBytes);
  const labels = readIdxLabels(labelsFile, 10, maxBytes);
  if (count === 0) throw new Error(`IDX: ${imagesFile} holds no images`);
  if (labels.length !== count) {
    throw new Error(`IDX: ${imagesFile} holds ${count} images but ${labelsFile} holds ${labels.length} labels; they must match`);
  }
  return { images, labels, count, shape: [1, rows, cols] };
}

/** Finds a file by its standard name, plain or .gz, trying both the '-idx3-ubyte' and '.idx3-ubyte' spellings. */
function find(dir: string, stem: string, kind: 'idx1' | 'idx3'): string {
  const candidates = [`${stem}-${kind}-ubyte`, `${stem}.${kind}-ubyte`].flatMap((n) => [n, `${n}.gz`]);
  for (const c of candidates) if (existsSync(join(dir, c))) return join(dir, c);
  throw new Error(`IDX: no ${stem}-${kind}-ubyte file (plain or .gz) in ${dir}`);
}

/** Loads the full MNIST from a folder holding the four standard files: 60,000 train / 10,000 test. */
export function loadIdxMnist(dir: string, maxBytes = MAX_IDX_BYTES): { train: Dataset; test: Dataset } {
  if (!existsSync(dir)) throw new Error(`IDX: no such folder: ${dir}`);
  return { train: readMnistPair(dir, 'train', maxBytes), test: readMnistPair(dir, 't10k', maxBytes) };
}

/** One of MNIST's two pairs of files (`train` or `t10k`), checked to hold 28x28 digits. */
export function readMnistPair(dir: string, stem: 'train' | 't10k', maxBytes = MAX_IDX_BYTES): Dataset {
  if (!existsSync(dir)) throw new Error(`IDX: no such folder: ${dir}`);
  const imagesFile = find(dir, `${stem}-images`, 'idx3');
  const set = readIdxPair(imagesFile, find(dir, `${stem}-labels`, 'idx1'), maxBytes);
  if (set.shape[1] !== 28 || set.shape[2] !== 28) throw new Error(`IDX: ${imagesFile} holds ${set.shape[1]}x${set.shape[2]} images; MNIST digits are 28x28`);
  return set;
}

/** Encodes images (0..1 floats) and labels as IDX buffers: the inverse of the readers, for tests and tools. */
export function encodeIdx(set: Dataset): { images: Buffer; labels: Buffer } {
  const [, rows, cols] = set.shape;
  const images = Buffer.alloc(16 + set.count * rows * cols);
  images.writeUInt32BE(IMAGES_MAGIC, 0); images.writeUInt32BE(set.count, 4);
  images.writeUInt32BE(rows, 8); images.writeUInt32BE(cols, 12);
  for (let i = 0; i < set.count * rows * cols; i++) images[16 + i] = Math.round(Math.min(1, Math.max(0, set.images[i])) * 255);
  const labels = Buffer.alloc(8 + set.count);
  labels.writeUInt32BE(LABELS_MAGIC, 0); labels.writeUInt32BE(set.count, 4);
  labels.set(set.labels, 8);
  return { images, labels };
}
