// CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html), read from a folder the
// user downloaded and unpacked (cifar-10-batches-bin/, or the folder that holds it):
//   data_batch_1.bin .. data_batch_5.bin   10,000 records each (the ones present are read, in order)
//   test_batch.bin                         10,000 records
//   batches.meta.txt                       the 10 class names, one a line
// A record is 3,073 bytes: the label (0..9), then 1,024 red, 1,024 green and 1,024 blue values of a
// 32x32 picture, row after row: already (C, H, W) bytes, so a set is held as bytes (byteDataset)
// with no conversion: 150 MB for the 50,000 training pictures instead of 600 MB of float32.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_IDX_BYTES, formatBytes, readRegularFile } from '../src/io/safe-read.ts';
import { type Dataset, byteDataset } from '../src/dataset.ts';
import { readClassNames } from './class-names.ts';

/** One CIFAR-10 picture: 3 channels (RGB) of 32x32. */
export const CIFAR_SHAPE: [number, number, number] = [3, 32, 32];
const PER = 3 * 32 * 32;
const RECORD = 1 + PER;
const WHO = 'CIFAR-10';
const BYTE_PALETTE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Reads one batch file: its pictures as bytes and its labels, each below `classes`. */
export function readCifarBatch(file: string, classes: number, maxBytes = MAX_IDX_BYTES): { codes: Uint8Array; labels: Uint8Array } {
  const buf = readRegularFile(file, maxBytes, WHO);
  if (buf.length === 0 || buf.length % RECORD !== 0) {
    throw new Error(`${WHO}: ${file} is ${buf.length} bytes, not a whole number of ${RECORD}-byte records (a label and a 3x32x32 picture); is it truncated, or the Python version?`);
  }
  const n = buf.length / RECORD;
  const codes = new Uint8Array(n * PER), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = buf[i * RECORD];
    if (label >= classes) throw new Error(`${WHO}: ${file} record ${i} has label ${label}, outside 0..${classes - 1}`);
    labels[i] = label;
    codes.set(buf.subarray(i * RECORD + 1, (i + 1) * RECORD), i * PER);
  }
  return { codes, labels };
}

/** The folder that holds the batch files: `dir` itself or its cifar-10-batches-bin/. */
function batchesDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${WHO}: no such folder: ${dir}`);
  if (existsSync(join(dir, 'test_batch.bin'))) return dir;
  const inner = join(dir, 'cifar-10-batches-bin');
  if (existsSync(join(inner, 'test_batch.bin'))) return inner;
  throw new Error(`${WHO}: no test_batch.bin in ${dir} (nor in its cifar-10-batches-bin/); download the binary version and unpack it there`);
}

/**
 * Loads CIFAR-10 from the binary batch files in `dir`: the training set from data_batch_1..5.bin
 * (those present, at least one), the test set from test_batch.bin; class names from
 * batches.meta.txt (or the 10 standard names when it is missing).
 */
export function loadCifar10(dir: string, opts: { maxBytes?: number } = {}): { train: Dataset; test: Dataset; classes: string[] } {
  const root = batchesDir(dir);
  const meta = join(root, 'batches.meta.txt');
  const classes = existsSync(meta) ? readClassNames(meta, WHO) : ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  if (classes.length < 2) throw new Error(`${WHO}: ${meta} names ${classes.length} class; expected the 10 CIFAR-10 class names, one a line`);
  const trainFiles = [1, 2, 3, 4, 5].map((k) => join(root, `data_batch_${k}.bin`)).filter((f) => existsSync(f));
  if (trainFiles.length === 0) throw new Error(`${WHO}: no data_batch_1.bin .. data_batch_5.bin in ${root}`);
  const read = (files: string[]): Dataset => {
    const parts = files.map((f) => readCifarBatch(f, classes.length, opts.maxBytes));
    const total = parts.reduce((s, p) => s + p.labels.length, 0);
    if (total * PER > 2 ** 31) throw new Error(`${WHO}: ${files.length} batch files hold ${total} pictures (${formatBytes(total * PER)}); too many for one set`);
    const codes = new Uint8Array(total * PER), labels = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { codes.set(p.codes, at * PER); labels.set(p.labels, at); at += p.labels.length; }
    return Object.assign(byteDataset(codes, BYTE_PALETTE, labels, [...CIFAR_SHAPE]), { classes: [...classes] });
  };
  return { train: read(trainFiles), test: read([join(root, 'test_batch.bin')]), classes };
}

/** Encodes pictures ((N, 3, 32, 32) bytes) and labels as a CIFAR-10 batch file: the inverse of readCifarBatch, for tests and tools. */
export function encodeCifarBatch(codes: Uint8Array, labels: Uint8Array): Buffer {
  const out = Buffer.alloc(labels.length * RECORD);
  for (let i = 0; i < labels.length; i++) {
    out[i * RECORD] = labels[i];
    out.set(codes.subarray(i * PER, (i + 1) * PER), i * RECORD + 1);
  }
  return out;
}
