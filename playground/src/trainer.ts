// The page's training run: the library's loop (trainingSteps, src/train/fit.ts, the generator behind
// fit() and fitAsync()) stepped one batch at a time, so that the worker can start, pause and step it
// and report between batches. Shuffling, batch filling, augmentation, the divergence check and the
// learning-rate decay are the library's: the same settings train the same weights as fit().
// On more than one thread each batch is shared out by the library's threaded trainer (in the page on
// Web Workers, web-threads.ts; in Node on worker_threads), with the bits of fit({ threads }).
// No DOM, no worker API: the tests run it in Node too.

import type { FitOptions, Sequential } from 'miniconv';
import { SGD } from 'miniconv';
import { augmentByName } from 'miniconv';
import { type Dataset, type Evaluation, evaluate, takeFirst } from 'miniconv';
import { type TrainingStep, trainingSteps } from 'miniconv';
import type { History } from 'miniconv';
import { PICTURE_MODEL, type RestoreBest, restoreBest } from 'miniconv';
import { scheduleFromSpec } from 'miniconv/digits';
import { LR_DECAY, type RunConfig, WEIGHT_DECAY, buildModel, checkConfig } from './models.ts';

/**
 * A run on your own pictures (the "Your classes" panel), as `miniconv train --images` trains one:
 * the picture model (createPictureModel, with the Normalize layer first) and its defaults
 * (PICTURE_MODEL: SGD with Nesterov momentum, weight decay, the cosine schedule over a fixed number
 * of epochs, the 'picture' augmentation), the held-out pictures scored after every epoch, and
 * restoreBest: when the last epoch ends the model holds the weights of the best held-out epoch.
 */
export interface PictureRun {
  /** The held-out pictures (a stratified split, stratifiedSplit). */
  test: Dataset;
  /** Epochs of the run (it ends after them, unlike a digit run). */
  epochs: number;
  /** The model, built by the caller (createPictureModel with the input shape, class count and normalisation). */
  model: Sequential;
}

export interface StepResult {
  step: number; // 1-based, over the whole run
  epoch: number; // 1-based
  batch: number; // 1-based, within the epoch
  loss: number;
  accuracy: number; // on this batch
  images: number; // in this batch
  epochEnded: boolean;
  /** At an epoch's end of a picture run: the held-out evaluation the training loop made. */
  test?: Evaluation;
}

export class Trainer {
  readonly config: RunConfig;
  model: Sequential;
  readonly optimizer: SGD;
  step = 0;
  epoch = 1;
  /** Batches done in the current epoch. */
  batch = 0;
  readonly batches: number;
  /** A picture run: its epochs, and the restoreBest callback that puts the best held-out epoch back at its end. */
  readonly picture: { epochs: number; best: RestoreBest } | null;
  /** Set when a picture run has trained its last epoch (a digit run never ends). */
  finished: History | null = null;
  /** Threads that share each batch (1: this one alone). */
  readonly threads: number;
  private readonly run: Generator<TrainingStep, History, void>;
  private failed: Error | null = null;

  /**
   * A fresh run; `model` replaces the configured one (e.g. a loaded model file). With `threads`,
   * every batch is shared out over `threads.count` threads by the trainer `threads.factory` builds
   * (WebThreads.parallelTrainer in the page, ParallelTrainer's in Node). With `picture`, a run on
   * your own pictures (see PictureRun): config gives its lr, momentum, batch size, augmentation and
   * seed; it trains on this thread (a few dozen pictures in batches of 8: sharing them out would cost more than it saves).
   */
  constructor(config: RunConfig, train: Dataset, model?: Sequential, threads?: { count: number; factory: NonNullable<FitOptions['parallelTrainer']> }, picture?: PictureRun) {
    this.config = checkConfig({ ...config });
    this.batches = Math.ceil(train.count / config.batchSize);
    if (picture) {
      const d = PICTURE_MODEL.defaults;
      this.model = picture.model;
      this.optimizer = new SGD(this.model.params(), { lr: config.lr, momentum: config.momentum, nesterov: d.nesterov && config.momentum > 0, weightDecay: d.weightDecay });
      const best = restoreBest();
      this.picture = { epochs: picture.epochs, best };
      this.threads = 1;
      this.run = trainingSteps(this.model, train, {
        epochs: picture.epochs, batchSize: config.batchSize, optimizer: this.optimizer, seed: config.seed,
        augment: augmentByName(config.augment, 'playground'), schedule: scheduleFromSpec(d.schedule ?? 'cosine', config.lr, picture.epochs),
        testSet: picture.test, callbacks: [best],
      });
      return;
    }
    this.picture = null;
    this.model = model ?? buildModel(config.model, config.seed);
    this.optimizer = new SGD(this.model.params(), { lr: config.lr, momentum: config.momentum, weightDecay: WEIGHT_DECAY });
    this.threads = threads?.count ?? 1;
    // The page trains for as long as you let it: no last epoch, the lr decays by LR_DECAY after each.
    this.run = trainingSteps(this.model, train, {
      epochs: Infinity, batchSize: config.batchSize, optimizer: this.optimizer, seed: config.seed,
      augment: augmentByName(config.augment, 'playground'), lrDecay: LR_DECAY,
      threads: this.threads, parallelTrainer: threads?.factory,
    });
  }

  /** Ends the run: the threads' trainer is closed (its workers wait for the next run's). */
  close(): void {
    this.run.return(undefined as never);
  }

  /**
   * One SGD step on the next batch (a new epoch reshuffles first); throws if the loss stops being
   * finite. Null once a picture run has ended (`finished` holds its history; restoreBest has put
   * the best held-out epoch's weights back).
   */
  trainBatch(): StepResult | null {
    if (this.failed) throw this.failed;
    if (this.finished) return null;
    let r: IteratorResult<TrainingStep, History>;
    try {
      r = this.run.next();
    } catch (e) {
      this.failed = new Error(`training: ${(e as Error).message.replace(/^trainingSteps: /, '')}; press reset to start again`);
      throw this.failed;
    }
    if (r.done) {
      this.finished = r.value;
      return null;
    }
    const s = r.value;
    this.step = s.step;
    this.batch = s.epochEnd ? 0 : s.batch;
    this.epoch = s.epochEnd ? s.epoch + 1 : s.epoch;
    return {
      step: s.step, epoch: s.epoch, batch: s.batch, loss: s.loss, accuracy: s.accuracy, images: s.images, epochEnded: s.epochEnd !== undefined,
      ...(s.epochEnd?.test ? { test: s.epochEnd.test } : {}),
    };
  }

  /** Loss, accuracy and confusion matrix on (the first `limit` pictures of) a set. */
  evaluate(set: Dataset, limit = set.count, keepProbs = false): Evaluation {
    return evaluate(this.model, takeFirst(set, limit), { batchSize: 100, keepProbs });
  }
}
