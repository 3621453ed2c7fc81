// Data parallelism over the batch with Node's worker_threads and SharedArrayBuffer: the threaded
// trainer (threaded-trainer.ts, where the design is described) with its threads started as Node
// workers. Each worker starts worker-entry.mjs, which runs worker.ts: worker-loop.ts's loop on the
// setup it is given as workerData. A page's Web Workers run the same loop (web-threads.ts).

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Sequential } from '../layers/sequential.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { registerParallelTrainer } from './parallel-factory.ts';
import type { AugmentSpec } from './augment.ts';
import { type ThreadHost, ThreadedTrainer } from './threaded-trainer.ts';

/** Node's threads: one worker_threads Worker per thread, given its setup as workerData. */
const nodeThreads: ThreadHost = {
  start(setup) {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: setup });
    worker.unref();
    return { stop: () => void worker.terminate() };
  },
};

/** The threaded trainer on Node's worker_threads (see threaded-trainer.ts for how a step is shared out). */
export class ParallelTrainer extends ThreadedTrainer {
  /**
   * @param model the model to train; its weights are moved into shared memory (same values)
   * @param inputShape one image, e.g. [1, 28, 28]
   * @param opts.threads total threads including this one (default: the number of cores)
   * @param opts.optimizer what trainStep() updates with; an SGD, Adam or AdamW over exactly model.params()
   *   has its state moved into shared memory (same values) and every thread applies its stripe of
   *   each update; any other optimiser steps on this thread
   */
  constructor(model: Sequential, inputShape: readonly number[], opts: { threads?: number; maxBatch?: number; classes?: number; augment?: AugmentSpec; optimizer?: Optimizer } = {}) {
    super(model, inputShape, { ...opts, threads: opts.threads ?? availableParallelism(), host: nodeThreads });
  }
}

// fit({ threads > 1 }) finds the trainer through this registration (see parallel-factory.ts).
registerParallelTrainer((model, inputShape, opts) => new ParallelTrainer(model, inputShape, opts));
