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
import { type Evaluation, evaluate } from 'miniconv';
import { type TrainingStep, trainingSteps } from 'miniconv';
import type { History } from 'miniconv';
import type { DigitSet } from './digits-format.ts';
import { LR_DECAY, type RunConfig, WEIGHT_DECAY, buildModel, checkConfig } from './models.ts';

export interface StepResult {
  step: number; // 1-based, over the whole run
  epoch: number; // 1-based
  batch: number; // 1-based, within the epoch
  loss: number;
  accuracy: number; // on this batch
  images: number; // in this batch
  epochEnded: boolean;
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
  /** Threads that share each batch (1: this one alone). */
  readonly threads: number;
  private readonly run: Generator<TrainingStep, History, void>;
  private failed: Error | null = null;

  /**
   * A fresh run; `model` replaces the configured one (e.g. a loaded model file). With `threads`,
   * every batch is shared out over `threads.count` threads by the trainer `threads.factory` builds
   * (WebThreads.parallelTrainer in the page, ParallelTrainer's in Node).
   */
  constructor(config: RunConfig, train: DigitSet, model?: Sequential, threads?: { count: number; factory: NonNullable<FitOptions['parallelTrainer']> }) {
    this.config = checkConfig({ ...config });
    this.model = model ?? buildModel(config.model, config.seed);
    this.optimizer = new SGD(this.model.params(), { lr: config.lr, momentum: config.momentum, weightDecay: WEIGHT_DECAY });
    this.batches = Math.ceil(train.count / config.batchSize);
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

  /** One SGD step on the next batch (a new epoch reshuffles first); throws if the loss stops being finite. */
  trainBatch(): StepResult {
    if (this.failed) throw this.failed;
    let r: IteratorResult<TrainingStep, History>;
    try {
      r = this.run.next();
    } catch (e) {
      this.failed = new Error(`training: ${(e as Error).message.replace(/^trainingSteps: /, '')}; press reset to start again`);
      throw this.failed;
    }
    if (r.done) throw new Error('training: the run has ended; press reset to start again');
    const s = r.value;
    this.step = s.step;
    this.batch = s.epochEnd ? 0 : s.batch;
    this.epoch = s.epochEnd ? s.epoch + 1 : s.epoch;
    return { step: s.step, epoch: s.epoch, batch: s.batch, loss: s.loss, accuracy: s.accuracy, images: s.images, epochEnded: s.epochEnd !== undefined };
  }

  /** Loss, accuracy and confusion matrix on (the first `limit` digits of) a set. */
  evaluate(set: DigitSet, limit = set.count, keepProbs = false): Evaluation {
    const n = Math.min(limit, set.count);
    return evaluate(this.model, { ...set, images: set.images.subarray(0, n * 784), labels: set.labels.subarray(0, n), count: n }, { batchSize: 100, keepProbs });
  }
}
