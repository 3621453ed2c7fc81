// What one thread does with its slice of a shared batch: the main thread runs it on slice 0, every
// worker (worker-loop.ts) on its own. The arithmetic is forwardBackward from step.ts, the same as a
// single-threaded trainStep, with the loss gradient scaled by the slice's share of the batch.

import type { Backend } from '../kernels/backend.ts';
import type { Sequential } from '../layers/sequential.ts';
import { Tensor } from '../tensor.ts';
import { forwardBackward } from './step.ts';
import type { AugmentSpec } from './augment.ts';
import type { ElementwiseOptimizer } from '../optim/optimizer.ts';
import { B_ABORT, B_ARRIVED } from './parallel-protocol.mjs';

/** What a worker is given once, at start (workerData). */
export interface WorkerSetup {
  config: ReturnType<Sequential['config']>;
  backend: Backend; // the main model's backend: every replica runs the same arithmetic
  inputShape: number[]; // one image: [C, H, W]
  classes: number;
  maxBatch: number;
  index: number; // worker number, 1-based (0 is the main thread)
  ctrl: SharedArrayBuffer; // Int32 control blocks (parallel-protocol.mjs)
  input: SharedArrayBuffer; // (maxBatch, C, H, W) float32
  labels: SharedArrayBuffer; // (maxBatch) int32
  logits: SharedArrayBuffer; // (maxBatch, classes) float32
  results: SharedArrayBuffer; // per worker: [lossSum, correct] float64
  errors: SharedArrayBuffer; // per worker: ERROR_BYTES of message text
  values: SharedArrayBuffer[]; // one per param: the shared weights
  buffers: SharedArrayBuffer[]; // one per buffer (batch norm's running statistics): the main thread's, read when predicting
  grads: SharedArrayBuffer[]; // one per param: this worker's gradients
  allGrads: SharedArrayBuffer[][]; // [thread][param]: every thread's gradients (thread 0's are the model's), for the reduction
  augment: AugmentSpec | null; // the training augmentation each thread applies to its own slice
  draws: SharedArrayBuffer; // (maxBatch, drawsPerImage) float64: the augmentation's random draws for the batch
  /** The optimiser every thread applies to its stripe after the reduction (null: the main thread updates alone). */
  optimizer: { config: Record<string, unknown>; state: SharedArrayBuffer[] } | null;
  scalars: SharedArrayBuffer; // float64 [lr, steps, momentum] of the current update (parallel-protocol.mjs)
  claims: SharedArrayBuffer; // int32 [next chunk]: predict()'s chunks, claimed by whichever thread is free (predictChunks)
  barrier: SharedArrayBuffer; // int32 [arrived, abort]: the threads meet here between their slices and the reduction (arrive)
}

/**
 * Forward and backward over images [start, start + count) of the shared batch of n, with the loss
 * gradient scaled by count / n. Parameter gradients are ADDED into the model's grads (zeroed by the
 * caller). Returns the slice's summed loss and number of right predictions.
 */
export function trainSlice(
  model: Sequential, input: Float32Array, labels: Int32Array, inputShape: readonly number[],
  start: number, count: number, n: number,
): { lossSum: number; correct: number } {
  if (count === 0) return { lossSum: 0, correct: 0 };
  model.train();
  const per = inputShape.reduce((a, d) => a * d, 1);
  const x = new Tensor([count, ...inputShape], input.subarray(start * per, (start + count) * per)); // (count, C, H, W)
  const y = labels.subarray(start, start + count);
  const { loss, correct } = forwardBackward(model, x, y, count / n);
  return { lossSum: loss * count, correct };
}

/** Forward over images [start, start + count) of the shared batch, logits into the shared output. */
function predictSlice(model: Sequential, input: Float32Array, logits: Float32Array, inputShape: readonly number[], start: number, count: number): void {
  if (count === 0) return;
  const wasTraining = model.training;
  model.eval(); // predictions in evaluation mode (batch norm's running statistics, no dropout)
  const per = inputShape.reduce((a, d) => a * d, 1);
  const out = model.forward(new Tensor([count, ...inputShape], input.subarray(start * per, (start + count) * per))); // (count, classes)
  model.train(wasTraining);
  logits.set(out.data, start * out.shape[1]);
}

/** Images per chunk of a threaded predict (predictChunks): fused inference runs as fast per image from batch 8 up. */
export const PREDICT_CHUNK = 16;

/**
 * Predicts chunks of the shared batch of n until none is left: each thread claims the next chunk
 * number from the shared counter (Atomics.add), so a thread that gets less of a core than the others
 * simply takes fewer chunks instead of holding everyone up. The chunks' bounds depend on n alone
 * (PREDICT_CHUNK images each), so the logits have the same bits whichever thread ran which chunk.
 */
export function predictChunks(model: Sequential, input: Float32Array, logits: Float32Array, inputShape: readonly number[], n: number, claims: Int32Array): void {
  for (;;) {
    const start = Atomics.add(claims, 0, 1) * PREDICT_CHUNK;
    if (start >= n) return;
    predictSlice(model, input, logits, inputShape, start, Math.min(PREDICT_CHUNK, n - start));
  }
}

/**
 * The barrier between a training step's slices and its reduction: counts this thread in and waits
 * until all `threads` are, so that every thread's gradients are complete before any thread sums them.
 * A thread whose slice failed passes `failed`: it sets the abort flag before it counts itself in, and
 * the return value, true when no thread failed, tells each thread whether to go on to reduce.
 */
export function arrive(barrier: Int32Array, threads: number, failed = false): boolean {
  if (failed) Atomics.store(barrier, B_ABORT, 1);
  if (Atomics.add(barrier, B_ARRIVED, 1) + 1 === threads) {
    Atomics.notify(barrier, B_ARRIVED); // the last one in wakes the others
  } else {
    for (;;) {
      const arrived = Atomics.load(barrier, B_ARRIVED);
      if (arrived >= threads) break;
      Atomics.wait(barrier, B_ARRIVED, arrived, 1000); // bounded, as waitAll's: a missed wake-up costs a second
    }
  }
  return Atomics.load(barrier, B_ABORT) === 0;
}

/**
 * Thread t's stripe of T over `total` weights laid end to end (every parameter after the other):
 * the t-th of T near-equal runs, [lo, hi). The reduction and the update share the weights out this way.
 */
export function stripe(t: number, T: number, total: number): [number, number] {
  return [Math.floor((t * total) / T), Math.floor(((t + 1) * total) / T)];
}

/**
 * The gradient reduction of weights [lo, hi), every parameter laid end to end: every thread's
 * gradients summed into thread 0's (the model's own). The sum is in thread order (0 + 1 + 2 ...), as
 * a single thread would do it, so the result has the same bits whoever reduces which range.
 * grads[thread][param] (the param's length).
 */
export function reduceRange(grads: Float32Array[][], lo: number, hi: number): void {
  let offset = 0; // where param k starts in the end-to-end layout
  for (let k = 0; k < grads[0].length && offset < hi; k++) {
    const g = grads[0][k], from = Math.max(lo - offset, 0), to = Math.min(hi - offset, g.length);
    for (let w = 1; w < grads.length; w++) {
      const d = grads[w][k];
      for (let i = from; i < to; i++) g[i] += d[i];
    }
    offset += g.length;
  }
}

/**
 * Thread t's share of a step after the backward passes: the reduction of its stripe and, with an
 * optimiser, the update of the same stripe. Both walk the stripe a block at a time, so that the
 * summed gradients are still in this core's cache when the update reads them. The bits are those of
 * reducing everything and then updating everything: each weight's arithmetic is the same.
 */
export function reduceAndUpdate(grads: Float32Array[][], t: number, T: number, optimizer: ElementwiseOptimizer | null): void {
  const total = grads[0].reduce((s, g) => s + g.length, 0);
  const [lo, hi] = stripe(t, T, total);
  const BLOCK = 4096; // 16 KB of each array: well inside a core's L1/L2
  for (let a = lo; a < hi; a += BLOCK) {
    const b = Math.min(a + BLOCK, hi);
    reduceRange(grads, a, b);
    optimizer?.updateStripe(a, b);
  }
}
