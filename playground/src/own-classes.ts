// A run on your own classes (the "Your classes" panel): the examples the page holds become a
// training and a held-out set, split as `miniconv train --images` splits a folder (stratifiedSplit,
// 20% of each class held out), and the model `miniconv train --images` builds for them (the
// picture model with the per-picture normalisation first). No DOM, no worker API: the tests run it in Node.

import { type Dataset, PICTURE_MODEL, type Sequential, byteDataset, createPictureModel, createRng, pictureToInput, stratifiedSplit } from 'miniconv';
import { EXAMPLE_BYTES, EXAMPLE_SIZE, checkClasses } from './classes-format.ts';
import { DEFAULT_CONFIG, type RunConfig } from './models.ts';
import type { PictureRun } from './trainer.ts';

/** Each class needs this many examples: one at least is held out, the rest train. */
export const MIN_EXAMPLES = 3;
/** The share of each class held out, as `miniconv train --images`. */
export const HELD_OUT = 0.2;
export const DEFAULT_EPOCHS = 40;
/** A small set trains in at least this many batches an epoch, of at least MIN_BATCH pictures (PICTURE_MODEL's 32 at most). */
export const BATCHES_PER_EPOCH = 4;
export const MIN_BATCH = 8;
export const MAX_EPOCHS = 500;

/** What the page sends to train on its classes: the names, every example (EXAMPLE_BYTES each, one after the other) with its label. */
export interface ClassesRequest {
  classes: string[];
  /** (count, 3, 32, 32) bytes. */
  codes: Uint8Array;
  /** (count) class indices. */
  labels: Uint8Array;
  /** 3: train on the colours; 1: on the grey (luma) pictures. */
  channels: 1 | 3;
  seed: number;
  epochs: number;
}

/** What the model file records of the pictures it reads (src/io/picture-input.ts, PictureRecord). */
export interface PictureRecordOf { size: [number, number]; channels: 1 | 3; fit: 'crop'; normalize: 'image' }

/** The sets, settings and model of a run on your classes; every bad input is an error naming it. */
export function classesRun(req: ClassesRequest): { train: Dataset; test: Dataset; config: RunConfig; run: PictureRun; build: () => Sequential; classes: string[]; picture: PictureRecordOf } {
  const classes = checkClasses(req.classes, 'your classes');
  const K = classes.length;
  if (req.channels !== 1 && req.channels !== 3) throw new RangeError(`your classes: channels must be 1 (grey) or 3 (colour), got ${JSON.stringify(req.channels)}`);
  if (!(Number.isInteger(req.epochs) && req.epochs >= 1 && req.epochs <= MAX_EPOCHS)) throw new RangeError(`your classes: epochs must be an integer from 1 to ${MAX_EPOCHS}, got ${req.epochs}`);
  const count = req.labels.length;
  if (req.codes.length !== count * EXAMPLE_BYTES) throw new RangeError(`your classes: ${req.codes.length} bytes of pictures for ${count} labels; expected ${EXAMPLE_BYTES} (3 x 32 x 32) per example`);
  const per = new Array<number>(K).fill(0);
  for (const l of req.labels) {
    if (l >= K) throw new RangeError(`your classes: label ${l} for ${K} classes`);
    per[l]++;
  }
  const few = per.map((n, k) => ({ n, k })).filter((c) => c.n < MIN_EXAMPLES);
  if (few.length > 0) {
    throw new RangeError(`your classes: ${few.map((c) => `"${classes[c.k]}" has ${c.n} example${c.n === 1 ? '' : 's'}`).join(', ')}; each class needs at least ${MIN_EXAMPLES} (one or more are held out to measure the accuracy)`);
  }
  const [H, W] = EXAMPLE_SIZE, C = req.channels;
  const shape: [number, number, number] = [C, H, W];
  // Grey: the luma of the kept RGB example, through the library's picture pipeline (as predict reads a picture).
  const codes = C === 3 ? req.codes : new Uint8Array(count * H * W);
  if (C === 1) {
    const rgba = new Uint8ClampedArray(H * W * 4);
    for (let i = 0; i < count; i++) {
      const ex = req.codes.subarray(i * EXAMPLE_BYTES, (i + 1) * EXAMPLE_BYTES);
      for (let p = 0; p < H * W; p++) {
        rgba[4 * p] = ex[p]; rgba[4 * p + 1] = ex[H * W + p]; rgba[4 * p + 2] = ex[2 * H * W + p]; rgba[4 * p + 3] = 255;
      }
      codes.set(pictureToInput(rgba, W, H, { size: [H, W], channels: 1 }), i * H * W);
    }
  }
  const palette = Float32Array.from({ length: 256 }, (_, i) => i / 255);
  const split = stratifiedSplit(req.labels, K, HELD_OUT, createRng(`classes-split-${req.seed}`));
  const take = (idx: number[]): Dataset => {
    const n = C * H * W;
    const c = new Uint8Array(idx.length * n), l = new Uint8Array(idx.length);
    idx.forEach((i, k) => { c.set(codes.subarray(i * n, (i + 1) * n), k * n); l[k] = req.labels[i]; });
    return Object.assign(byteDataset(c, palette, l, shape), { classes: [...classes] });
  };
  const d = PICTURE_MODEL.defaults;
  const train = take(split.train);
  // A few dozen pictures in batches of 32 would be one step an epoch: smaller batches (at least
  // BATCHES_PER_EPOCH of them, of 8 pictures or more) give the same epochs more steps at the same cost.
  const batchSize = Math.max(MIN_BATCH, Math.min(d.batchSize, Math.ceil(train.count / BATCHES_PER_EPOCH)));
  const config: RunConfig = { ...DEFAULT_CONFIG, lr: d.lr, momentum: d.momentum, batchSize, augment: d.augment, seed: req.seed };
  // The model of `miniconv train --images` for these pictures; `build` makes it afresh (the backprop panel's untrained net).
  const build = () => createPictureModel({ seed: req.seed, inputShape: shape, classes: K, normalize: { mode: 'image' } });
  const model = build();
  const test = take(split.test);
  return {
    train, test, config, classes,
    run: { test, epochs: req.epochs, model }, build,
    picture: { size: [H, W], channels: C, fit: 'crop', normalize: 'image' },
  };
}
