// The training loop: seeded shuffling every epoch, mini-batch SGD, per-epoch evaluation.
// fit() runs to the end; fitAsync() yields to the event loop between batches, so that the same
// loop can run in a browser page without freezing it. Nothing here imports a Node-only module: the
// threaded trainer (threads > 1) is reached through parallel-factory.ts.

import { type Dataset, copyImage } from './dataset.ts';
import type { Layer } from '../layers/layer.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { createRng } from '../rng.ts';
import { Tensor } from '../tensor.ts';
import { type Evaluation, checkDataset, evaluate } from './metrics.ts';
import { type ParallelTrainerFactory, registeredParallelTrainer } from './parallel-factory.ts';
import { trainStep } from './step.ts';
import { type Augment, isSplitAugment } from './augment.ts';
import { Sequential } from '../layers/sequential.ts';
import { TrainingDivergedError } from '../errors.ts';
import { type Schedule, applySchedule } from '../optim/schedules.ts';

export interface BatchInfo {
  epoch: number; // 1-based
  batch: number; // 1-based, within the epoch
  batches: number; // batches per epoch
  loss: number; // mean loss of this batch
  accuracy: number; // accuracy on this batch
  seen: number; // images seen so far in this epoch
  seconds: number; // since the epoch started
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number; // mean over the epoch's batches, weighted by batch size
  trainAccuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  seconds: number; // training time of the epoch (evaluation excluded)
  imagesPerSec: number;
  test?: Evaluation;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  /** Seed of the per-epoch shuffle (default 0). */
  seed?: number;
  /** Evaluated after every epoch when given. */
  testSet?: Dataset;
  onBatchEnd?: (info: BatchInfo) => void;
  onEpochEnd?: (info: EpochInfo) => void;
  /**
   * Threads (default 1). With more than one, every batch is split across worker threads that share
   * the weights (see parallel.ts); a seeded run stays bit-reproducible for a given thread count.
   * Needs a Sequential model and Node's worker_threads (import src/train/parallel.ts once, or pass
   * `parallelTrainer`); in a browser page keep 1.
   */
  threads?: number;
  /** Builds the threaded trainer for threads > 1 (default: the one parallel.ts registers when loaded). */
  parallelTrainer?: ParallelTrainerFactory;
  /** Changes each training batch in place before the step (e.g. randomShift(2)); drawn from a seeded rng. */
  augment?: Augment;
  /**
   * Learning rate decay: the optimiser's lr is multiplied by this factor after every epoch
   * (PyTorch's ExponentialLR). Default 1 (constant). Not together with `schedule`.
   */
  lrDecay?: number;
  /**
   * Learning-rate schedule (see optim/schedules.ts): before epoch e (1-based) the optimiser's lr is
   * set to schedule(e - 1), e.g. cosineAnnealingLR(0.01, { tMax: epochs }). Not together with `lrDecay`.
   */
  schedule?: Schedule;
}

export interface History {
  epochs: EpochInfo[];
}

/**
 * Trains synchronously. Throws a TrainingDivergedError, naming the epoch and batch, if the logits or
 * the loss become NaN or infinite.
 */
export function fit(model: Layer, train: Dataset, opts: FitOptions): History {
  const run = trainingRun(model, train, opts);
  let r = run.next();
  while (!r.done) r = run.next();
  return r.value;
}

/**
 * One turn of the event loop: setImmediate where there is one (Node: 0.1 ms, where setTimeout(0)
 * costs 1.5 ms, about 7% of a 64-digit batch; signals and I/O are still seen), else setTimeout(0).
 */
const yieldToEventLoop: () => Promise<void> = typeof setImmediate === 'function'
  ? () => new Promise<void>((resolve) => setImmediate(resolve))
  : () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Trains like fit(), but yields to the event loop after every batch (so that `train` sees Ctrl-C). */
export async function fitAsync(model: Layer, train: Dataset, opts: FitOptions): Promise<History> {
  const run = trainingRun(model, train, opts);
  let r = run.next();
  while (!r.done) {
    await yieldToEventLoop();
    r = run.next();
  }
  return r.value;
}

function checkFitOptions(train: Dataset, opts: FitOptions): void {
  if (opts?.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
    throw new RangeError(`fit: threads must be an integer >= 1, got ${opts.threads}`);
  }
  if (!opts || typeof opts !== 'object') throw new TypeError('fit: expected options { epochs, batchSize, optimizer, ... }');
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`fit: epochs must be an integer >= 1, got ${opts.epochs}`);
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`fit: batchSize must be an integer >= 1, got ${opts.batchSize}`);
  if (opts.lrDecay !== undefined && !(opts.lrDecay > 0 && opts.lrDecay <= 1)) throw new RangeError(`fit: lrDecay must be in (0, 1], got ${opts.lrDecay}`);
  if (opts.schedule !== undefined && typeof opts.schedule !== 'function') throw new TypeError('fit: schedule must be a function of the epoch, e.g. cosineAnnealingLR(0.01, { tMax: 10 })');
  if (opts.schedule !== undefined && opts.lrDecay !== undefined && opts.lrDecay !== 1) {
    throw new RangeError(`fit: give either schedule or lrDecay (${opts.lrDecay}), not both: exponentialLR(lr, { gamma }) is the schedule lrDecay describes`);
  }
  if (!opts.optimizer || typeof opts.optimizer.step !== 'function') throw new TypeError('fit: optimizer must be an optimiser such as new SGD(model.params(), { lr })');
  checkDataset('fit', train, 'the training set');
  if (train.count < 1) throw new RangeError('fit: the training set is empty');
  if (opts.testSet !== undefined) {
    checkDataset('fit', opts.testSet, 'the test set');
    if (opts.testSet.count < 1) throw new RangeError('fit: the test set is empty; pass none (testSet undefined) or one with images');
  }
}

/** The loop itself, as a generator that pauses after every batch (fit and fitAsync drive it). */
function* trainingRun(model: Layer, train: Dataset, opts: FitOptions): Generator<void, History, void> {
  checkFitOptions(train, opts);
  if (typeof opts.optimizer.checkParamsOf === 'function') opts.optimizer.checkParamsOf(model.params(), 'fit');
  const { epochs, batchSize, optimizer } = opts;
  const rng = createRng(`fit-${opts.seed ?? 0}`);
  const augmentRng = createRng(`augment-${opts.seed ?? 0}`);
  const per = train.shape[0] * train.shape[1] * train.shape[2];
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const batches = Math.ceil(train.count / batchSize);
  // Batch buffers, allocated once: a full batch and, if the set does not divide evenly, the last one.
  const full = new Tensor([batchSize, ...train.shape]); // (B, C, H, W)
  const lastN = train.count - (batches - 1) * batchSize;
  const last = lastN === batchSize ? full : new Tensor([lastN, ...train.shape]);
  const labels = new Uint8Array(batchSize);
  const history: History = { epochs: [] };
  const threads = opts.threads ?? 1;
  if (threads > 1 && !(model instanceof Sequential)) throw new TypeError('fit: threads > 1 needs a Sequential model');
  const makeParallel = threads > 1 ? (opts.parallelTrainer ?? registeredParallelTrainer()) : null;
  if (threads > 1 && !makeParallel) {
    throw new Error('fit: threads > 1 needs the threaded trainer: import src/train/parallel.ts first (Node only), or pass parallelTrainer');
  }
  // A built-in augmentation is shared out too: this thread draws, each thread warps its own slice.
  const split = makeParallel && isSplitAugment(opts.augment) ? opts.augment : null;
  const draws = new Float64Array(split ? batchSize * split.drawsPerImage : 0);
  const parallel = makeParallel ? makeParallel(model as Sequential, train.shape, { threads, maxBatch: Math.max(batchSize, 256), augment: split?.spec, optimizer }) : null;
  const step = (x: Tensor, y: Uint8Array) => parallel ? parallel.trainStep(x, y, split ? draws : undefined) : trainStep(model, optimizer, x, y);
  try {

    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.schedule) applySchedule(optimizer, opts.schedule, epoch - 1);
      rng.shuffle(order);
      const t0 = performance.now();
      let lossSum = 0, correct = 0;
      for (let b = 0; b < batches; b++) {
        const x = b === batches - 1 ? last : full;
        const n = x.shape[0];
        for (let i = 0; i < n; i++) {
          const src = order[b * batchSize + i];
          copyImage(train, src, x.data as Float32Array, i * per); // decoded here if the set is held as bytes
          labels[i] = train.labels[src];
        }
        const y = labels.subarray(0, n);
        if (split) split.draw(n, augmentRng, draws); // the pixel work happens on every thread, in step()
        else opts.augment?.(x.data as Float32Array, n, train.shape, augmentRng);
        let r: { loss: number; correct: number };
        try {
          r = step(x, y);
        } catch (e) {
          if (e instanceof TrainingDivergedError) {
            throw new TrainingDivergedError(`fit: training diverged at epoch ${epoch}, batch ${b + 1}: ${e.message}`, { value: e.value, epoch, batch: b + 1 });
          }
          throw e;
        }
        if (!Number.isFinite(r.loss)) {
          throw new TrainingDivergedError(`fit: the loss is ${r.loss} at epoch ${epoch}, batch ${b + 1}; lower the learning rate`, { value: r.loss, epoch, batch: b + 1 });
        }
        lossSum += r.loss * n;
        correct += r.correct;
        opts.onBatchEnd?.({
          epoch, batch: b + 1, batches, loss: r.loss, accuracy: r.correct / n,
          seen: Math.min((b + 1) * batchSize, train.count), seconds: (performance.now() - t0) / 1000,
        });
        yield;
      }
      const seconds = (performance.now() - t0) / 1000;
      const info: EpochInfo = {
        epoch, trainLoss: lossSum / train.count, trainAccuracy: correct / train.count, seconds, imagesPerSec: train.count / seconds,
      };
      if (opts.testSet) {
        // In batches of the training batch (at least 32): the wasm memory of every thread grows to its
        // largest call and stays there, and evaluate()'s default of 200 added ~19 MB to `npm start`'s peak.
        const evalBatch = Math.max(batchSize, 32);
        info.test = evaluate(model, opts.testSet, { batchSize: evalBatch, predict: parallel ? (x) => parallel.predict(x) : undefined });
        info.testLoss = info.test.loss;
        info.testAccuracy = info.test.accuracy;
      }
      history.epochs.push(info);
      opts.onEpochEnd?.(info);
      if (!opts.schedule) optimizer.lr *= opts.lrDecay ?? 1;
    }
  } finally {
    parallel?.close();
  }
  return history;
}
