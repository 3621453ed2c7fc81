// The training loop: seeded shuffling every epoch, mini-batch SGD, per-epoch evaluation.
// trainingSteps() is the loop itself, one batch per next(); fit() runs it to the end, fitAsync()
// yields to the event loop between batches, and the playground's trainer steps it from a Web
// Worker: one loop, so that the same seed gives the same weights wherever it runs. Callbacks
// (earlyStopping, restoreBest: callbacks.ts) and a stop signal end a run early. Nothing here imports
// a Node-only module: the threaded trainer (threads > 1) is reached through parallel-factory.ts.

import { type Dataset, copyImage } from '../dataset.ts';
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

/** What onBatchEnd gets after every optimizer step: where the run is and the batch's figures. */
export interface BatchInfo {
  /** The epoch, 1-based. */
  epoch: number;
  /** The batch within the epoch, 1-based. */
  batch: number;
  /** Batches per epoch (ceil(train.count / batchSize)). */
  batches: number;
  /** Mean cross-entropy loss of this batch (natural log, per image). */
  loss: number;
  /** Fraction of this batch's images classified right, in [0, 1]. */
  accuracy: number;
  /** Images seen so far in this epoch, this batch included. */
  seen: number;
  /** Seconds since the epoch started. */
  seconds: number;
}

/** What onEpochEnd gets, and History.epochs holds, for every finished epoch. */
export interface EpochInfo {
  /** The epoch, 1-based. */
  epoch: number;
  /** Mean loss over the epoch's images (each batch's mean weighted by its size). */
  trainLoss: number;
  /** Fraction of the epoch's training images classified right, in [0, 1] (while the weights changed). */
  trainAccuracy: number;
  /** Mean loss on the held-out set after the epoch; only with a testSet (= test.loss). */
  testLoss?: number;
  /** Fraction of the held-out set classified right after the epoch, in [0, 1]; only with a testSet (= test.accuracy). */
  testAccuracy?: number;
  /** Training time of the epoch, in seconds (the held-out evaluation excluded). */
  seconds: number;
  /** Training images per second over the epoch (train.count / seconds). */
  imagesPerSec: number;
  /** The whole held-out evaluation (loss, accuracy, count, and what evaluate's options asked for); only with a testSet. */
  test?: Evaluation;
}

/**
 * What a callback can do to the run it is called from: read the model and optimiser, and ask the
 * loop to stop (Keras's `model.stop_training = true`).
 */
export interface TrainingControl {
  /** The model being trained (the one given to fit). */
  readonly model: Layer;
  /** The optimiser updating it (FitOptions.optimizer); a callback may set its lr. */
  readonly optimizer: Optimizer;
  /** Whether the run evaluates a held-out set after every epoch (fit's testSet). */
  readonly hasTestSet: boolean;
  /**
   * Ends the run: called from onBatchEnd, no further batch is trained (the unfinished epoch is not
   * in the history); from onEpochBegin, that epoch is not started; from onEpochEnd, no further
   * epoch starts. `reason` goes into History.stopped.
   */
  stopTraining(reason?: string): void;
}

/**
 * Callbacks of a training run, in the order they are called: onTrainBegin, then per epoch
 * onEpochBegin, onBatchEnd after every batch, onEpochEnd (after the held-out evaluation), and
 * onTrainEnd with the history once the run ends (all epochs done or stopped; not on an error).
 */
/** What fit calls as training goes, as Keras's callbacks; `run.stop()` (TrainingControl) ends training after the current batch. */
export interface FitCallbacks {
  /** Before the first batch. */
  onTrainBegin?: (run: TrainingControl) => void;
  /** epoch is 1-based. */
  onEpochBegin?: (epoch: number, run: TrainingControl) => void;
  /** After every optimizer step, with the batch's loss and position. */
  onBatchEnd?: (info: BatchInfo, run: TrainingControl) => void;
  /** After every epoch, with its mean training loss and, when a testSet is given, its test accuracy. */
  onEpochEnd?: (info: EpochInfo, run: TrainingControl) => void;
  /** Once training has ended (all epochs, or stopped), with the whole History. */
  onTrainEnd?: (history: History, run: TrainingControl) => void;
}

/** The options of fit(model, data, options) and fitAsync. */
export interface FitOptions extends FitCallbacks {
  /** Passes over the training set; a positive integer. */
  epochs: number;
  /** Images per optimizer step; the last batch of an epoch may be smaller. */
  batchSize: number;
  /** The optimizer that updates the model's params (new SGD(model.params(), ...), Adam, AdamW). */
  optimizer: Optimizer;
  /** Seed of the per-epoch shuffle (default 0). */
  seed?: number;
  /** Evaluated after every epoch when given. */
  testSet?: Dataset;
  /**
   * Threads (default 1). With more than one, every batch is split across worker threads that share
   * the weights (see parallel.ts); a seeded run stays bit-reproducible for a given thread count.
   * Needs a Sequential model and Node's worker_threads (import src/train/parallel.ts once, or pass
   * `parallelTrainer`); in a browser, pass the `parallelTrainer` of startWebThreads (Web Workers, on a
   * cross-origin isolated page), with the same bits as Node's on as many threads.
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
  /** More callbacks (e.g. earlyStopping(), restoreBest()), called after the ones given directly, in order. */
  callbacks?: FitCallbacks[];
  /**
   * Stops the run when aborted (AbortController): checked before every batch, so the batch under
   * way finishes and the weights are never left half-updated; the history so far is returned, with
   * History.stopped saying where. Already aborted: no batch is trained.
   */
  signal?: AbortSignal;
}

/** Options of trainingSteps: fit's, but `epochs` may be Infinity (the caller decides when to stop). */
export interface TrainingStepsOptions extends Omit<FitOptions, 'epochs'> {
  /** Passes over the training set; Infinity to train until the caller stops asking for steps. */
  epochs: number;
}

/** What trainingSteps yields after every batch: the batch's figures, and the epoch's when it ended with this batch. */
export interface TrainingStep extends BatchInfo {
  /** 1-based, over the whole run. */
  step: number;
  /** Images in this batch (the epoch's last batch may be shorter). */
  images: number;
  /** Set on an epoch's last batch: the epoch's figures (held-out ones included), as onEpochEnd got them. */
  epochEnd?: EpochInfo;
}

/** The run's figures: every epoch's record, the same per metric (Keras's history.history), and whether it was stopped early. */
export interface History {
  /** One record per finished epoch, in order (a stopped epoch's unfinished part not included). */
  epochs: EpochInfo[];
  /** One value per finished epoch, per metric (testLoss and testAccuracy only with a testSet); lr is the rate the epoch trained at. */
  metrics: { trainLoss: number[]; trainAccuracy: number[]; testLoss: number[]; testAccuracy: number[]; lr: number[] };
  /** Set when the run ended before its last epoch: the batch it stopped after (0: before the epoch's first) and why. */
  stopped?: { epoch: number; batch: number; reason: string };
}

/**
 * Trains synchronously. Throws a TrainingDivergedError, naming the epoch and batch, if the logits or
 * the loss become NaN or infinite.
 */
export function fit(model: Layer, train: Dataset, opts: FitOptions): History {
  const run = steps(model, train, opts, 'fit', false);
  let r = run.next();
  while (!r.done) r = run.next();
  return r.value;
}

/** Trains like fit(), but yields to the event loop (setTimeout 0) after every batch. */
export async function fitAsync(model: Layer, train: Dataset, opts: FitOptions): Promise<History> {
  const run = steps(model, train, opts, 'fitAsync', false);
  let r = run.next();
  while (!r.done) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    r = run.next();
  }
  return r.value;
}

/**
 * The training loop, one batch per next(): the generator fit() and fitAsync() drive, for a caller
 * that wants to pause, step or interleave other work (the playground's worker). Each next() trains
 * one batch and yields its figures (TrainingStep), with the epoch's when the batch ended one; the
 * generator returns the History when the run ends. Options and seeds are fit's: for the same
 * options it trains the very same weights. Its checks run on the first next().
 */
export function trainingSteps(model: Layer, train: Dataset, opts: TrainingStepsOptions): Generator<TrainingStep, History, void> {
  return steps(model, train, opts, 'trainingSteps', true);
}

function checkFitOptions(who: string, train: Dataset, opts: TrainingStepsOptions, endless: boolean): void {
  if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected options { epochs, batchSize, optimizer, ... }`);
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
    throw new RangeError(`${who}: threads must be an integer >= 1, got ${opts.threads}`);
  }
  if (!(Number.isInteger(opts.epochs) && opts.epochs >= 1) && !(endless && opts.epochs === Infinity)) {
    throw new RangeError(`${who}: epochs must be an integer >= 1${endless ? ' or Infinity' : ''}, got ${opts.epochs}`);
  }
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`${who}: batchSize must be an integer >= 1, got ${opts.batchSize}`);
  if (opts.lrDecay !== undefined && !(opts.lrDecay > 0 && opts.lrDecay <= 1)) throw new RangeError(`${who}: lrDecay must be in (0, 1], got ${opts.lrDecay}`);
  if (opts.schedule !== undefined && typeof opts.schedule !== 'function') throw new TypeError(`${who}: schedule must be a function of the epoch, e.g. cosineAnnealingLR(0.01, { tMax: 10 })`);
  if (opts.schedule !== undefined && opts.lrDecay !== undefined && opts.lrDecay !== 1) {
    throw new RangeError(`${who}: give either schedule or lrDecay (${opts.lrDecay}), not both: exponentialLR(lr, { gamma }) is the schedule lrDecay describes`);
  }
  if (!opts.optimizer || typeof opts.optimizer.step !== 'function') throw new TypeError(`${who}: optimizer must be an optimiser such as new SGD(model.params(), { lr })`);
  if (opts.callbacks !== undefined && (!Array.isArray(opts.callbacks) || opts.callbacks.some((c) => !c || typeof c !== 'object'))) {
    throw new TypeError(`${who}: callbacks must be an array of objects such as earlyStopping({ patience: 3 }), got ${String(opts.callbacks)}`);
  }
  for (const name of CALLBACK_NAMES) {
    for (const c of [opts, ...(opts.callbacks ?? [])]) {
      if (c[name] !== undefined && typeof c[name] !== 'function') throw new TypeError(`${who}: ${name} must be a function, got ${typeof c[name]}`);
    }
  }
  if (opts.signal !== undefined && (typeof opts.signal !== 'object' || opts.signal === null || typeof opts.signal.aborted !== 'boolean')) {
    throw new TypeError(`${who}: signal must be an AbortSignal (new AbortController().signal), got ${String(opts.signal)}`);
  }
  checkDataset(who, train, 'the training set');
  if (train.count < 1) throw new RangeError(`${who}: the training set is empty`);
  if (opts.testSet !== undefined) {
    checkDataset(who, opts.testSet, 'the test set');
    if (opts.testSet.count < 1) throw new RangeError(`${who}: the test set is empty; pass none (testSet undefined) or one with images`);
  }
}

const CALLBACK_NAMES = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/** The loop itself, as a generator that pauses after every batch. */
function* steps(model: Layer, train: Dataset, opts: TrainingStepsOptions, who: string, endless: boolean): Generator<TrainingStep, History, void> {
  checkFitOptions(who, train, opts, endless);
  if (typeof opts.optimizer.checkParamsOf === 'function') opts.optimizer.checkParamsOf(model.params(), who);
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
  const history: History = { epochs: [], metrics: { trainLoss: [], trainAccuracy: [], testLoss: [], testAccuracy: [], lr: [] } };
  const threads = opts.threads ?? 1;
  if (threads > 1 && !(model instanceof Sequential)) throw new TypeError(`${who}: threads > 1 needs a Sequential model`);
  const makeParallel = threads > 1 ? (opts.parallelTrainer ?? registeredParallelTrainer()) : null;
  if (threads > 1 && !makeParallel) {
    throw new Error(`${who}: threads > 1 needs the threaded trainer: import src/train/parallel.ts first (Node only), or pass parallelTrainer`);
  }
  // The callbacks given directly, then the list's.
  const callbacks: FitCallbacks[] = [opts, ...(opts.callbacks ?? [])];
  let stopReason: string | null = null;
  const control: TrainingControl = {
    model, optimizer, hasTestSet: opts.testSet !== undefined,
    stopTraining: (reason = 'stopTraining() was called') => { stopReason ??= String(reason); },
  };
  const aborted = () => {
    if (stopReason === null && opts.signal?.aborted) stopReason = `the signal was aborted${opts.signal.reason !== undefined ? ` (${String(opts.signal.reason)})` : ''}`;
    return stopReason !== null;
  };
  // A built-in augmentation is shared out too: this thread draws, each thread warps its own slice.
  const split = makeParallel && isSplitAugment(opts.augment) ? opts.augment : null;
  const draws = new Float64Array(split ? batchSize * split.drawsPerImage : 0);
  const parallel = makeParallel ? makeParallel(model as Sequential, train.shape, { threads, maxBatch: Math.max(batchSize, 256), augment: split?.spec, optimizer }) : null;
  const trainOn = (x: Tensor, y: Uint8Array) => parallel ? parallel.trainStep(x, y, split ? draws : undefined) : trainStep(model, optimizer, x, y);
  let step = 0;
  try {
    for (const c of callbacks) c.onTrainBegin?.(control);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.schedule) applySchedule(optimizer, opts.schedule, epoch - 1);
      for (const c of callbacks) c.onEpochBegin?.(epoch, control);
      if (aborted()) { history.stopped = { epoch, batch: 0, reason: stopReason! }; break; }
      const lr = optimizer.lr;
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
        if (split) split.draw(n, augmentRng, draws); // the pixel work happens on every thread, in trainOn()
        else opts.augment?.(x.data as Float32Array, n, train.shape, augmentRng);
        let r: { loss: number; correct: number };
        try {
          r = trainOn(x, y);
        } catch (e) {
          if (e instanceof TrainingDivergedError) {
            throw new TrainingDivergedError(`${who}: training diverged at epoch ${epoch}, batch ${b + 1}: ${e.message}`, { value: e.value, epoch, batch: b + 1 });
          }
          throw e;
        }
        if (!Number.isFinite(r.loss)) {
          throw new TrainingDivergedError(`${who}: the loss is ${r.loss} at epoch ${epoch}, batch ${b + 1}; lower the learning rate`, { value: r.loss, epoch, batch: b + 1 });
        }
        lossSum += r.loss * n;
        correct += r.correct;
        step++;
        const info: TrainingStep = {
          epoch, batch: b + 1, batches, loss: r.loss, accuracy: r.correct / n,
          seen: Math.min((b + 1) * batchSize, train.count), seconds: (performance.now() - t0) / 1000, step, images: n,
        };
        for (const c of callbacks) c.onBatchEnd?.({ ...info }, control);
        if (b === batches - 1) info.epochEnd = endEpoch(epoch, lr, lossSum, correct, t0);
        yield info;
        if (b < batches - 1 && aborted()) {
          history.stopped = { epoch, batch: b + 1, reason: stopReason! };
          break;
        }
      }
      if (history.stopped) break;
      if (aborted() && epoch < epochs) { history.stopped = { epoch: epoch + 1, batch: 0, reason: stopReason! }; break; }
    }
  } finally {
    parallel?.close();
  }
  for (const c of callbacks) c.onTrainEnd?.(history, control);
  return history;

  /** The end of an epoch: held-out evaluation, the record, onEpochEnd, the lr decay. */
  function endEpoch(epoch: number, lr: number, lossSum: number, correct: number, t0: number): EpochInfo {
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
    const m = history.metrics;
    m.trainLoss.push(info.trainLoss);
    m.trainAccuracy.push(info.trainAccuracy);
    if (info.testLoss !== undefined) m.testLoss.push(info.testLoss);
    if (info.testAccuracy !== undefined) m.testAccuracy.push(info.testAccuracy);
    m.lr.push(lr);
    for (const c of callbacks) c.onEpochEnd?.(info, control);
    if (!opts.schedule) optimizer.lr *= opts.lrDecay ?? 1;
    return info;
  }
}
