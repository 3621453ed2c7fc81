// Evaluation: loss, accuracy and the confusion matrix of a model on a labelled set.

import { type Dataset, bytesOf, imageRange } from '../dataset.ts';
import type { Layer } from '../layers/layer.ts';
import { softmax, softmaxCrossEntropy } from '../kernels/softmax-xent.ts';
import { Tensor } from '../tensor.ts';

/** What evaluate(model, set) measures: mean loss, accuracy, the confusion matrix, and optionally every image's probabilities. */
export interface Evaluation {
  /** Mean softmax cross-entropy over the set (natural log, per image). */
  loss: number;
  /** Fraction of the set's images whose largest score is their label, in [0, 1]. */
  accuracy: number;
  /** confusion[true][predicted]: how many images of each class went to each prediction. */
  confusion: number[][];
  /** The number of images evaluated (the set's count). */
  count: number;
  /** The softmax probabilities (count, classes), image by image, when asked for with `keepProbs`. */
  probs?: Float32Array;
}

/** Index of the largest value in row n of an (N, classes) array (the first one on a tie). */
export function argmaxRow(data: ArrayLike<number>, n: number, classes: number): number {
  let best = 0;
  for (let k = 1; k < classes; k++) if (data[n * classes + k] > data[n * classes + best]) best = k;
  return best;
}

/**
 * The batch evaluate() runs the model on unless told otherwise, chosen by measurement
 * (`npx tsx bench/inference-profile.ts --threads 2`, 2026-11-30, this project's 2-core machine):
 * - on one thread, with Conv2D + ReLU + MaxPool2D fused in evaluation mode, images per second are
 *   flat from batch 8 to 256, within the machine's noise (reference network ~28,000 img/s, default
 *   digit model ~7,300), because each image's activations are pooled while still in cache;
 * - on two threads (fit() evaluates through ParallelTrainer.predict) every call pays for the split
 *   and for waiting on the slower thread, so larger batches scale better: for the digit model 1.0x
 *   one thread at batch 16, 1.3x at 100, 1.6-1.8x at 200-256.
 * 256 is also the largest batch fit()'s ParallelTrainer accepts (its maxBatch). A constant, not a
 * calibration at run time: the mean loss is summed batch by batch, so the batch size shows in its
 * last bits, and a given model and set must always give the same figures.
 */
export const EVAL_BATCH_SIZE = 256;

/** Options of evaluate. */
export interface EvaluateOptions {
  /** Images per forward pass; default EVAL_BATCH_SIZE. */
  batchSize?: number;
  /** The number of classes, which the model's scores per image must match; default: the set's classes, else the model's output width. */
  classes?: number;
  /** How to run the model on a batch (default model.forward), e.g. on several threads. */
  predict?: (x: Tensor) => Tensor;
  /** Also return every image's softmax probabilities (the report's confident mistakes use them). */
  keepProbs?: boolean;
}

/**
 * Checks that a Dataset holds what it says, before a loop reads it: `count` images of `shape` in
 * `images` (a Float32Array of at least count x C x H x W values) and `count` labels. A short buffer
 * would otherwise be read past its end as stale or missing data. Throws naming `who`.
 */
export function checkDataset(who: string, set: Dataset, what = 'the set'): void {
  if (!set || typeof set !== 'object') throw new TypeError(`${who}: ${what} must be a Dataset { images, labels, count, shape }, got ${String(set)}`);
  const { labels, count, shape } = set;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`${who}: ${what}'s count must be an integer >= 0, got ${String(count)}`);
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${who}: ${what}'s shape must be [C, H, W] of positive integers, got ${JSON.stringify(shape)}`);
  }
  // A set held as bytes (byteDataset) is checked on its bytes: reading `images` would decode them all.
  const bytes = bytesOf(set);
  const images = bytes?.codes ?? set.images;
  if (!bytes && !(images instanceof Float32Array)) throw new TypeError(`${who}: ${what}'s images must be a Float32Array, got ${(images as unknown as object)?.constructor?.name ?? String(images)}`);
  const per = shape[0] * shape[1] * shape[2];
  if (images.length < count * per) {
    throw new RangeError(`${who}: ${what}'s images hold ${images.length} values, but ${count} images of [${shape.join(', ')}] need ${count * per}`);
  }
  if (!labels || typeof labels.length !== 'number' || labels.length < count) {
    throw new RangeError(`${who}: ${what} has ${labels?.length ?? 'no'} labels for ${count} images`);
  }
}

/** Runs the model over a whole set in batches and scores it, in evaluation mode (model.eval()); the model's mode is restored afterwards. */
export function evaluate(model: Layer, set: Dataset, opts: EvaluateOptions = {}): Evaluation {
  checkDataset('evaluate', set);
  if (set.count === 0) throw new RangeError('evaluate: the set is empty (count 0); there is nothing to score');
  const wasTraining = model.training;
  model.eval();
  try {
    return score(model, set, opts);
  } finally {
    model.train(wasTraining);
  }
}

function score(model: Layer, set: Dataset, opts: EvaluateOptions): Evaluation {
  const predict = opts.predict ?? ((x: Tensor) => model.forward(x));
  const batchSize = opts.batchSize ?? EVAL_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`evaluate: batchSize must be an integer >= 1, got ${String(batchSize)}`);
  // The class count: given, else the set's class names, else the model's output width (first batch).
  let classes = opts.classes ?? set.classes?.length ?? 0;
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  let confusion: number[][] = [];
  let probs: Float32Array | undefined; // (count, classes)
  let lossSum = 0, correct = 0;
  const scratch = bytesOf(set) ? new Float32Array(Math.min(batchSize, set.count) * per) : undefined; // a batch decoded from bytes
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const x = new Tensor([n, ...set.shape], imageRange(set, start, n, scratch));
    const y = set.labels.subarray(start, start + n);
    const logits = predict(x); // (n, classes)
    if (start === 0) {
      classes ||= logits.shape[1];
      if (logits.shape[1] !== classes) throw new RangeError(`evaluate: the model gives ${logits.shape[1]} scores per picture, but the set has ${classes} classes${set.classes ? ` (${set.classes.join(', ')})` : ''}`);
      confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
      probs = opts.keepProbs ? new Float32Array(set.count * classes) : undefined;
    }
    lossSum += softmaxCrossEntropy(logits, y).loss * n;
    probs?.set(softmax(logits).data, start * classes);
    for (let i = 0; i < n; i++) {
      const p = argmaxRow(logits.data, i, classes);
      confusion[y[i]][p]++;
      if (p === y[i]) correct++;
    }
  }
  return { loss: lossSum / set.count, accuracy: correct / set.count, confusion, count: set.count, ...(probs ? { probs } : {}) };
}

/**
 * The confusion matrix as aligned text, true classes down, predictions across (columns by class
 * number). With class names, each row is labelled with its number and name ("2 cat").
 */
export function formatConfusion(confusion: number[][], classes?: readonly string[]): string {
  const w = Math.max(4, ...confusion.flat().map((v) => String(v).length + 1));
  const label = (t: number) => (classes ? `${t} ${classes[t] ?? ''}`.slice(0, 18) : String(t));
  const lw = Math.max(10, ...confusion.map((_, t) => label(t).length + 1));
  const head = 'true\\pred'.padEnd(lw) + confusion.map((_, k) => String(k).padStart(w)).join('');
  return [head, ...confusion.map((row, t) => label(t).padEnd(lw) + row.map((v) => String(v).padStart(w)).join(''))].join('\n');
}
