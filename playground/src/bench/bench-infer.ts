// Inference in the bench page's Web Worker (issue 27 §4): miniconv, TF.js-wasm and ConvNetJS predict
// the held-out digits with the reference network, from the same initial weights (createSmallModel),
// batches of 100 (ConvNetJS: one image at a time, its only way). Untimed warm-up passes first (up to
// WARMUP_PASSES, at most WARMUP_MS: engines optimise a function after it has run a while, as
// bench/peers/common.ts's warmUp says), then `passes` timed passes; images/s of the median pass.
// The weights are the initial ones, so the accuracy is near chance; what checks that the three run
// the same network is `maxLogitDiff`: TF.js's logits of the first batch against miniconv's.

import convnetjs, { type Net } from 'convnetjs';
import { Tensor } from 'miniconv';
import type { Sequential } from 'miniconv';
import type { DigitSet } from '../digits-format.ts';
import { PIXELS } from '../digits-format.ts';
import { logitsFused } from '../../../bench/peers/tfjs-model.ts';
import type { TfModel } from '../../../bench/peers/tfjs-model.ts';
import * as tf from '@tensorflow/tfjs-core';
import { predictTfjs } from './bench-tfjs.ts';

export const INFER_BATCH = 100;
const WARMUP_PASSES = 10;
const WARMUP_MS = 3000;

/** What an inference run measured. */
export interface InferTiming { images: number; imagesPerSec: number; passRates: number[]; accuracy: number; warmup: number }

/** Warm-up passes, then `passes` timed ones, of `pass` (which returns how many it got right). */
function timePasses(n: number, passes: number, pass: () => number): InferTiming {
  let warmup = 0;
  for (const t0 = performance.now(); warmup < WARMUP_PASSES && performance.now() - t0 < WARMUP_MS; warmup++) pass();
  const rates: number[] = [];
  let correct = 0;
  for (let r = 0; r < passes; r++) {
    const t0 = performance.now();
    correct = pass();
    rates.push((n * 1000) / (performance.now() - t0));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return { images: n, imagesPerSec: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2, passRates: rates, accuracy: correct / n, warmup };
}

const argmax = (v: ArrayLike<number>, at: number, k: number) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[at + j] > v[at + best]) best = j;
  return best;
};

/** miniconv in evaluation mode (Conv2D + ReLU + MaxPool2D fused by Sequential), as bench/miniconv-infer.ts. */
export function inferMiniconv(model: Sequential, test: DigitSet, n: number, passes: number): InferTiming {
  model.eval();
  return timePasses(n, passes, () => {
    let correct = 0;
    for (let s = 0; s < n; s += INFER_BATCH) {
      const m = Math.min(INFER_BATCH, n - s);
      const logits = model.forwardView(new Tensor([m, 1, 28, 28], test.images.subarray(s * PIXELS, (s + m) * PIXELS)));
      for (let j = 0; j < m; j++) if (argmax(logits.data, j * 10, 10) === test.labels[s + j]) correct++;
    }
    return correct;
  });
}

/** TF.js-wasm with its fused kernels (its fastest inference). */
export function inferTfjs(model: TfModel, test: DigitSet, n: number, passes: number): InferTiming {
  return timePasses(n, passes, () => {
    let correct = 0;
    for (let s = 0; s < n; s += INFER_BATCH) {
      const m = Math.min(INFER_BATCH, n - s);
      const p = predictTfjs(model, test.images, s, m);
      for (let j = 0; j < m; j++) if (p[j] === test.labels[s + j]) correct++;
    }
    return correct;
  });
}

/** ConvNetJS, one image at a time (net.forward of a Vol, not training), its float64 JavaScript. */
export function inferConvnet(net: Net, test: DigitSet, n: number, passes: number): InferTiming {
  const v = new convnetjs.Vol(28, 28, 1, 0);
  return timePasses(n, passes, () => {
    let correct = 0;
    for (let k = 0; k < n; k++) {
      v.w.set(test.images.subarray(k * PIXELS, (k + 1) * PIXELS));
      net.forward(v, false);
      if (net.getPrediction() === test.labels[k]) correct++;
    }
    return correct;
  });
}

/** The largest |difference| between TF.js's and miniconv's logits of the first `m` test digits: the same network, the same weights. */
export function maxLogitDiff(model: Sequential, tfModel: TfModel, test: DigitSet, m: number): number {
  model.eval();
  const mine = model.forwardView(new Tensor([m, 1, 28, 28], test.images.subarray(0, m * PIXELS))).data;
  const theirs = tf.tidy(() => logitsFused(tfModel, tf.tensor4d(test.images.subarray(0, m * PIXELS), [m, 28, 28, 1])).dataSync());
  let d = 0;
  for (let i = 0; i < mine.length; i++) d = Math.max(d, Math.abs(mine[i] - theirs[i]));
  return d;
}
