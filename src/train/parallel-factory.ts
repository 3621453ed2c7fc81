// How fit() reaches the threaded trainer without importing it. The trainer (parallel.ts) needs
// node:worker_threads and node:os, and a browser page imports the training loop, so fit.ts must not
// import it statically; fit() is synchronous, so it cannot import it lazily either. Instead
// parallel.ts registers its factory here when it is loaded (the CLI, the examples and Node users
// import it), or a caller passes one in FitOptions.parallelTrainer (a page: WebThreads.parallelTrainer,
// web-threads.ts).

import type { Sequential } from '../layers/sequential.ts';
import type { Tensor } from '../tensor.ts';
import type { AugmentSpec } from './augment.ts';
import type { Optimizer } from '../optim/optimizer.ts';

/** What fit() needs from a threaded trainer (ParallelTrainer has exactly this). */
export interface BatchTrainer {
  /**
   * The gradient of the batch's mean loss into the model's param grads (overwritten). With `draws`
   * (the augmentation's random draws for this batch, SplitAugment.draw), every thread first
   * augments its own slice of the batch with the augmentation given at construction.
   */
  computeGradients(x: Tensor, y: ArrayLike<number>, draws?: Float64Array): { loss: number; correct: number };
  /** computeGradients, then one step of the optimiser given at construction (shared out over the threads where it can be). */
  trainStep(x: Tensor, y: ArrayLike<number>, draws?: Float64Array): { loss: number; correct: number };
  /** The logits (N, classes) of a batch. */
  predict(x: Tensor): Tensor;
  close(): void;
}

export type ParallelTrainerFactory = (
  model: Sequential, inputShape: readonly number[], opts: { threads: number; maxBatch: number; augment?: AugmentSpec; optimizer?: Optimizer },
) => BatchTrainer;

let registered: ParallelTrainerFactory | null = null;

/** Called by parallel.ts when it is loaded. */
export function registerParallelTrainer(factory: ParallelTrainerFactory): void {
  registered = factory;
}

/** The registered factory, or null when parallel.ts was never loaded (e.g. in a browser page). */
export function registeredParallelTrainer(): ParallelTrainerFactory | null {
  return registered;
}
