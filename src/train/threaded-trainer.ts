// Data parallelism over the batch with worker threads (Node's worker_threads, a page's Web Workers) and SharedArrayBuffer.
//
// The weights live in shared memory that the main thread and every worker see. For one SGD step
// the batch of N images is cut into T slices (T = threads); thread t runs forward and backward on
// its slice with the upstream gradient scaled by n_t / N, so that the slices' parameter gradients
// add up to the gradient of the mean loss over the whole batch. A built-in augmentation is shared
// the same way: the main thread draws the batch's random numbers (a few per image, augment.ts's
// SplitAugment), and each thread warps its own slice in place before its step, so the images have
// the same bits as when one thread warps them all. The main thread computes slice 0
// itself. The threads then meet at a barrier (worker-step.ts's arrive: the last one in wakes the
// others), and past it every thread sums the threads' gradients over its own stripe of the
// parameters, in a fixed order (0 + 1 + 2 ...: worker-step.ts's reduceRange), into the model's
// gradients, which live in shared memory too; so a seeded run is bit-reproducible for a given thread
// count. A step is one job for a worker, slice and stripe, with one wake-up each way: until
// 2026-11-30 the reduction was a second job, whose round trip cost the reference network's 2-thread
// steps about 0.2 ms of 2.5. Then the optimiser updates the shared weights, and that is shared out
// too (trainStep): SGD, Adam and AdamW are elementwise (optim/optimizer.ts), so each thread updates
// the same stripe it has just summed, with its replica of the optimiser over the shared weights and
// the shared state (velocity, moments), at the learning rate and step count the main thread hands
// out. The bits are those of one thread updating every weight; no thread waits while another does
// the serial part. A failed step is reported once every thread has left it (waitAll).
//
// predict() shares a batch out differently: it is cut into fixed chunks of 16 images, and each thread
// takes the next free chunk until none is left, so that a thread that gets less of a core (this
// machine's cores are shared) takes fewer chunks instead of keeping the others waiting; the bounds
// depend on the batch alone, so the logits have the same bits whoever ran which chunk.
//
// Threads wake each other with Atomics.wait / Atomics.notify on a small shared control array
// (its layout: parallel-protocol.mjs): a step costs microseconds of synchronisation, not a message
// round trip. Each thread's step on its slice is worker-step.ts, and a worker's loop worker-loop.ts.
//
// Nothing here is Node's or the browser's: where the other threads come from is a ThreadHost.
// parallel.ts (ParallelTrainer) gives Node's worker_threads; web-threads.ts gives a page's Web
// Workers, started ahead (a browser starts a worker only once the thread that created it returns
// to its event loop, and this constructor waits synchronously for its workers).

import { TrainingDivergedError } from '../errors.ts';
import type { Sequential } from '../layers/sequential.ts';
import type { Param } from '../layers/layer.ts';
import { Tensor } from '../tensor.ts';
import {
  BARRIER_INTS, CMD_EXIT, CMD_PREDICT, CMD_TRAIN, CTRL_STRIDE, C_AUGMENT, C_BATCH, C_CMD, C_COUNT, C_DONE, C_ERROR, C_SEQ, C_START, C_STATUS, C_UPDATE,
  ERROR_BYTES, FAILED, JOB_DIVERGED, NO_ERROR, RESULTS_STRIDE, SCALARS, SCALAR_LR, SCALAR_MOMENTUM, SCALAR_STEPS, STARTING, ctrlOffset, readError,
} from './parallel-protocol.mjs';
import { type WorkerSetup, arrive, predictChunks, reduceAndUpdate, trainSlice } from './worker-step.ts';
import type { ElementwiseOptimizer, Optimizer } from '../optim/optimizer.ts';
import { canReplicate, liveSettings } from '../optim/replica.ts';
import { type AugmentSpec, type SplitAugment, augmentFromSpec } from './augment.ts';

/** Where a threaded trainer's other threads come from: Node's worker_threads (parallel.ts) or a page's Web Workers (web-threads.ts). */
export interface ThreadHost {
  /**
   * Starts thread `setup.index` (1-based; 0 is the caller's) on its setup: the thread runs
   * worker-loop.ts's serveTrainingThread(setup), which sets its status in the shared control block
   * (READY, or FAILED with the reason in its error block) and returns on CMD_EXIT. Returns how to
   * stop it once it has been sent CMD_EXIT.
   */
  start(setup: WorkerSetup): { stop(): void };
}

/** The options of a ThreadedTrainer (ParallelTrainer's, with the thread count and its host required). */
export interface ThreadedTrainerOptions {
  /** Total threads including the calling one. */
  threads: number;
  /** Where the other threads run. */
  host: ThreadHost;
  /** The largest batch (default 1024): the shared input buffers are allocated for it. */
  maxBatch?: number;
  /** Classes of the output (default: the model's output size). */
  classes?: number;
  /** A built-in augmentation that every thread applies to its own slice (augment.ts's spec). */
  augment?: AugmentSpec;
  /** What trainStep() updates with (see the constructor). */
  optimizer?: Optimizer;
}

export class ThreadedTrainer {
  readonly threads: number;
  private readonly workers: Array<{ stop(): void }> = [];
  private readonly ctrl: Int32Array;
  private readonly input: Float32Array;
  private readonly labels: Int32Array;
  private readonly logits: Float32Array;
  private readonly results: Float64Array;
  private readonly allGrads: Float32Array[][]; // [thread][param]: thread 0's are the model's own
  private readonly params: Param[];
  private readonly per: number;
  private readonly errors: SharedArrayBuffer;
  private readonly augment: SplitAugment | null;
  private readonly draws: Float64Array; // (maxBatch, drawsPerImage)
  /** The optimiser of trainStep(), and whether every thread applies its stripe of the update. */
  private readonly optimizer: Optimizer | null;
  private readonly sharedOptimizer: ElementwiseOptimizer | null;
  private readonly scalars: Float64Array; // [lr, steps, momentum] of the current update, for the workers
  private readonly claims: Int32Array; // [next chunk] of a predict (predictChunks)
  private readonly barrier: Int32Array; // [arrived, abort] of a training step (worker-step.ts's arrive)
  private seq = 0;

  /**
   * @param model the model to train; its weights are moved into shared memory (same values)
   * @param inputShape one image, e.g. [1, 28, 28]
   * @param opts.threads total threads including this one
   * @param opts.host where the other threads run
   * @param opts.optimizer what trainStep() updates with; an SGD, Adam or AdamW over exactly model.params()
   *   has its state moved into shared memory (same values) and every thread applies its stripe of
   *   each update; any other optimiser steps on this thread
   */
  constructor(private readonly model: Sequential, readonly inputShape: readonly number[], opts: ThreadedTrainerOptions) {
    const threads = opts.threads;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`ParallelTrainer: threads must be an integer >= 1, got ${threads}`);
    if (threads > 1 && typeof SharedArrayBuffer === 'undefined') {
      throw new Error(`ParallelTrainer: ${threads} threads need SharedArrayBuffer, which this context does not have (a browser page gets it only when cross-origin isolated: COOP same-origin and COEP require-corp); use threads: 1`);
    }
    this.threads = threads;
    const maxBatch = opts.maxBatch ?? 1024;
    const classes = opts.classes ?? model.outputShape([1, ...inputShape])[1];
    this.per = inputShape.reduce((a, d) => a * d, 1);
    const W = threads - 1;
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    const ctrl = sab(4 * CTRL_STRIDE * Math.max(1, W));
    const input = sab(4 * maxBatch * this.per), labels = sab(4 * maxBatch), logits = sab(4 * maxBatch * classes);
    const results = sab(8 * RESULTS_STRIDE * Math.max(1, W));
    const errors = sab(ERROR_BYTES * Math.max(1, W));
    this.errors = errors;
    this.augment = opts.augment ? augmentFromSpec(opts.augment) : null;
    if (this.augment && inputShape.length !== 3) throw new Error(`ParallelTrainer: augmentation needs images of shape [C, H, W], got ${inputShape.join('x')}`);
    const draws = sab(8 * maxBatch * (this.augment?.drawsPerImage ?? 0));
    this.draws = new Float64Array(draws);
    this.ctrl = new Int32Array(ctrl);
    this.input = new Float32Array(input);
    this.labels = new Int32Array(labels);
    this.logits = new Float32Array(logits);
    this.results = new Float64Array(results);

    // Move the weights into shared memory; the model keeps working on the same values.
    this.params = model.params();
    const share = (t: { value: Tensor }) => {
      const buf = sab(4 * t.value.size);
      const view = new Float32Array(buf);
      view.set(t.value.data);
      t.value = new Tensor(t.value.shape, view);
      return buf;
    };
    const values = this.params.map(share);
    // The buffers too (batch norm's running statistics), as in PyTorch's DataParallel: only the main
    // thread's replica updates them (from its slice of each batch); the workers read them to predict.
    const buffers = model.buffers().map(share);
    // Every thread's gradients in shared memory, the model's own (thread 0's) too: the reduction reads them all.
    const gradBuffers: SharedArrayBuffer[][] = [this.params.map((p) => {
      const buf = sab(4 * p.grad.size);
      new Float32Array(buf).set(p.grad.data);
      p.grad = new Tensor(p.grad.shape, new Float32Array(buf));
      return buf;
    })];
    for (let w = 1; w <= W; w++) gradBuffers.push(this.params.map((p) => sab(4 * p.value.size)));
    this.allGrads = gradBuffers.map((thread) => thread.map((g) => new Float32Array(g)));
    // The optimiser, shared out when it can be: its state moves into shared memory for the workers' replicas.
    this.optimizer = opts.optimizer ?? null;
    const o = this.optimizer;
    const sameParams = o !== null && o.params.length === this.params.length && o.params.every((p, k) => p === this.params[k]);
    this.sharedOptimizer = o !== null && sameParams && canReplicate(o) && W > 0 ? o : null;
    const scalars = sab(8 * SCALARS);
    this.scalars = new Float64Array(scalars);
    const claims = sab(4);
    this.claims = new Int32Array(claims);
    const barrier = sab(4 * BARRIER_INTS);
    this.barrier = new Int32Array(barrier);
    const optimizerState: SharedArrayBuffer[] = [];
    this.sharedOptimizer?.moveState((length) => {
      const buf = sab(8 * length);
      optimizerState.push(buf);
      return new Float64Array(buf);
    });
    const sharedOptimizer = this.sharedOptimizer ? { config: this.sharedOptimizer.config(), state: optimizerState } : null;
    for (let w = 1; w <= W; w++) {
      const grads = gradBuffers[w];
      const setup: WorkerSetup = {
        config: model.config(), backend: model.backend, inputShape: [...inputShape], classes, maxBatch, index: w,
        ctrl, input, labels, logits, results, errors, values, buffers, grads, augment: opts.augment ?? null, draws, allGrads: gradBuffers,
        optimizer: sharedOptimizer, scalars, claims, barrier,
      };
      try {
        this.workers.push(opts.host.start(setup));
      } catch (e) {
        this.close();
        throw new Error(`ParallelTrainer: worker ${w} could not be started: ${(e as Error).message}`);
      }
    }
    // Wait (synchronously) until every worker has loaded its replica, or one has failed.
    for (let w = 1; w <= W; w++) {
      const o = ctrlOffset(w);
      const deadline = Date.now() + 60_000;
      while (Atomics.load(this.ctrl, o + C_STATUS) === STARTING) {
        if (Date.now() > deadline) { this.close(); throw new Error(`ParallelTrainer: worker ${w} did not start within 60 s`); }
        Atomics.wait(this.ctrl, o + C_STATUS, STARTING, 100);
      }
      if (this.ctrl[o + C_STATUS] === FAILED) {
        const message = readError(errors, w);
        this.close();
        throw new Error(`ParallelTrainer: worker ${w} failed to start: ${message}`);
      }
    }
  }

  /** How many images of a batch of n each thread takes: as even as possible, the main thread first. */
  private slices(n: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let start = 0;
    for (let t = 0; t < this.threads; t++) {
      const count = Math.floor(n / this.threads) + (t < n % this.threads ? 1 : 0);
      out.push([start, count]);
      start += count;
    }
    return out;
  }

  private dispatch(cmd: number, n: number, augment = false, update = false): Array<[number, number]> {
    if (this.workers.length !== this.threads - 1) throw new Error('ParallelTrainer: used after close()');
    const slices = this.slices(n);
    this.seq++;
    for (let w = 1; w < this.threads; w++) {
      const o = ctrlOffset(w);
      this.ctrl[o + C_CMD] = cmd;
      this.ctrl[o + C_START] = slices[w][0];
      this.ctrl[o + C_COUNT] = slices[w][1];
      this.ctrl[o + C_BATCH] = n;
      this.ctrl[o + C_AUGMENT] = augment ? 1 : 0;
      this.ctrl[o + C_UPDATE] = update ? 1 : 0;
      Atomics.store(this.ctrl, o + C_SEQ, this.seq);
      Atomics.notify(this.ctrl, o + C_SEQ);
    }
    return slices;
  }

  private waitAll(): void {
    // Every worker first, then the failures: a failure reported while another worker was still in
    // the step (waking from the barrier, say) let the next step reset the barrier under it, and the
    // three threads then waited for each other for ever (seen in CI, 2026-11-30; test/parallel.test.ts).
    for (let w = 1; w < this.threads; w++) {
      const o = ctrlOffset(w);
      // Read the flag once per round and sleep only while it still holds that value: reading it a
      // second time for the wait could see the worker's "done" and then sleep forever.
      for (;;) {
        const done = Atomics.load(this.ctrl, o + C_DONE);
        if (done === this.seq) break;
        Atomics.wait(this.ctrl, o + C_DONE, done, 1000); // bounded: a missed wake-up costs a second, never a hang
      }
    }
    for (let w = 1; w < this.threads; w++) {
      const failure = this.ctrl[ctrlOffset(w) + C_ERROR];
      if (failure === NO_ERROR) continue;
      const message = `worker ${w}: ${readError(this.errors, w)}`;
      // A divergence keeps its class across the thread boundary, so that fit() can catch it by class.
      if (failure === JOB_DIVERGED) throw new TrainingDivergedError(message, { value: this.results[RESULTS_STRIDE * (w - 1)] });
      throw new Error(message);
    }
  }

  private load(x: Tensor, y: ArrayLike<number> | null): number {
    const n = x.shape[0];
    if (x.size !== n * this.per) throw new Error(`ParallelTrainer: input ${x.shape.join('x')} does not match one image of ${this.inputShape.join('x')}`);
    if (n * this.per > this.input.length) throw new RangeError(`ParallelTrainer: batch of ${n} exceeds the maximum of ${this.input.length / this.per}`);
    this.input.set(x.data, 0);
    if (y) for (let i = 0; i < n; i++) this.labels[i] = y[i];
    return n;
  }

  /**
   * Computes the gradient of the mean loss over the batch into model.params()' grads (overwriting
   * them), using every thread. Returns the mean loss and how many predictions were right.
   * The caller then runs optimizer.step() (or calls trainStep(), which shares the update out too).
   */
  computeGradients(x: Tensor, y: ArrayLike<number>, draws?: Float64Array): { loss: number; correct: number } {
    return this.run(x, y, draws, false);
  }

  /**
   * One optimiser step on the batch with the optimiser given at construction: the gradients, their
   * reduction and the update, each shared out over the threads (see the header). The grads hold the
   * batch's gradient afterwards, as after computeGradients(). Returns the mean loss and the number right.
   */
  trainStep(x: Tensor, y: ArrayLike<number>, draws?: Float64Array): { loss: number; correct: number } {
    if (!this.optimizer) throw new Error('ParallelTrainer: trainStep needs the optimiser at construction (opts.optimizer); or call computeGradients() and step it yourself');
    if (!this.sharedOptimizer) {
      const r = this.run(x, y, draws, false);
      this.optimizer.step();
      return r;
    }
    return this.run(x, y, draws, true);
  }

  private run(x: Tensor, y: ArrayLike<number>, draws: Float64Array | undefined, update: boolean): { loss: number; correct: number } {
    const n = this.load(x, y);
    const augment = draws ? this.augment : null;
    if (draws && !augment) throw new Error('ParallelTrainer: augmentation draws given, but the trainer was built without an augmentation (opts.augment)');
    if (augment) {
      const D = augment.drawsPerImage;
      if (draws!.length < n * D) throw new RangeError(`ParallelTrainer: expected ${n * D} augmentation draws for ${n} images, got ${draws!.length}`);
      this.draws.set(draws!.subarray(0, n * D));
    }
    // The update's lr and step count go out with the job; the step counts only once it is done.
    const optimizer = update && this.threads > 1 ? this.sharedOptimizer! : null;
    if (optimizer) {
      this.scalars[SCALAR_LR] = optimizer.lr;
      this.scalars[SCALAR_STEPS] = optimizer.steps + 1;
      this.scalars[SCALAR_MOMENTUM] = liveSettings(optimizer);
    }
    this.barrier.fill(0); // every worker is idle: the last step's barrier is behind them all
    const slices = this.dispatch(CMD_TRAIN, n, augment !== null, optimizer !== null);
    // Slice 0 on this thread, straight into the model's own gradients; then the barrier, and this
    // thread's stripe of the reduction and update while the workers do theirs (see the header).
    let r0 = { lossSum: 0, correct: 0 }, failure: unknown = null;
    try {
      for (const p of this.params) p.grad.data.fill(0);
      if (augment) {
        const [, count] = slices[0], D = augment.drawsPerImage;
        augment.apply(this.input.subarray(0, count * this.per), count, this.inputShape as [number, number, number], this.draws.subarray(0, count * D));
      }
      r0 = trainSlice(this.model, this.input, this.labels, this.inputShape, slices[0][0], slices[0][1], n);
    } catch (e) {
      failure = e ?? new Error('ParallelTrainer: the slice failed');
    }
    if (this.threads > 1 && arrive(this.barrier, this.threads, failure !== null) && failure === null) {
      if (optimizer) optimizer.steps++;
      reduceAndUpdate(this.allGrads, 0, this.threads, optimizer);
    }
    this.waitAll(); // a worker's failure is thrown here, after every thread has stopped
    if (failure !== null) throw failure;
    let lossSum = r0.lossSum, correct = r0.correct;
    for (let w = 1; w < this.threads; w++) {
      lossSum += this.results[RESULTS_STRIDE * (w - 1)];
      correct += this.results[RESULTS_STRIDE * (w - 1) + 1];
    }
    return { loss: lossSum / n, correct };
  }

  /** Forward pass over a batch on every thread: the logits (N, K). */
  predict(x: Tensor): Tensor {
    const n = this.load(x, null);
    Atomics.store(this.claims, 0, 0);
    this.dispatch(CMD_PREDICT, n); // every thread takes chunks until none is left (worker-step.ts's predictChunks)
    predictChunks(this.model, this.input, this.logits, this.inputShape, n, this.claims);
    this.waitAll();
    const K = this.logits.length / (this.input.length / this.per);
    return new Tensor([n, K], this.logits.slice(0, n * K));
  }

  /** Stops the workers. The model keeps its (shared-memory) weights and works on as before. */
  close(): void {
    for (let w = 1; w < this.threads; w++) {
      const o = ctrlOffset(w);
      this.ctrl[o + C_CMD] = CMD_EXIT;
      Atomics.store(this.ctrl, o + C_SEQ, ++this.seq);
      Atomics.notify(this.ctrl, o + C_SEQ);
    }
    for (const w of this.workers) w.stop();
    this.workers.length = 0;
  }
}
