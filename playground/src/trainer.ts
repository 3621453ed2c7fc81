// The page's training run: the loop of src/train/fit.ts taken apart into single steps, so that the
// worker can start, pause and step it and report between batches. Same seeds as fit(): the epoch
// order comes from createRng(`fit-${seed}`), the augmentation from createRng(`augment-${seed}`).
// No DOM, no worker API: the tests run it in Node too.

import type { Sequential } from '../../src/layers/sequential.ts';
import { SGD } from '../../src/optim/sgd.ts';
import { type Rng, createRng } from '../../src/rng.ts';
import { Tensor } from '../../src/tensor.ts';
import { type Augment, randomAffine, randomElastic, randomShift } from '../../src/train/augment.ts';
import { type Evaluation, evaluate } from '../../src/train/metrics.ts';
import { trainStep } from '../../src/train/step.ts';
import type { DigitSet } from './digits-format.ts';
import { type AugmentName, LR_DECAY, type RunConfig, WEIGHT_DECAY, buildModel, checkConfig } from './models.ts';

const AUGMENTS: Record<AugmentName, () => Augment | undefined> = {
  elastic: () => randomElastic(),
  affine: () => randomAffine(),
  shift: () => randomShift(2),
  none: () => undefined,
};

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
  private readonly order: Int32Array;
  private readonly rng: Rng;
  private readonly augmentRng: Rng;
  private readonly augment: Augment | undefined;
  private readonly full: Tensor; // (B, 1, 28, 28), reused
  private readonly last: Tensor; // the epoch's last, shorter batch (or `full`)
  private readonly labels: Uint8Array;

  /** A fresh run; `model` replaces the configured one (e.g. a loaded model file). */
  constructor(config: RunConfig, private readonly train: DigitSet, model?: Sequential) {
    this.config = checkConfig({ ...config });
    this.model = model ?? buildModel(config.model, config.seed);
    this.optimizer = new SGD(this.model.params(), { lr: config.lr, momentum: config.momentum, weightDecay: WEIGHT_DECAY });
    this.rng = createRng(`fit-${config.seed}`);
    this.augmentRng = createRng(`augment-${config.seed}`);
    this.augment = AUGMENTS[config.augment]();
    const B = config.batchSize;
    this.order = Int32Array.from({ length: train.count }, (_, i) => i);
    this.batches = Math.ceil(train.count / B);
    this.full = new Tensor([B, ...train.shape]);
    const lastN = train.count - (this.batches - 1) * B;
    this.last = lastN === B ? this.full : new Tensor([lastN, ...train.shape]);
    this.labels = new Uint8Array(B);
  }

  /** One SGD step on the next batch (a new epoch reshuffles first); throws if the loss stops being finite. */
  trainBatch(): StepResult {
    if (this.batch === 0) this.rng.shuffle(this.order);
    const B = this.config.batchSize, per = 784, b = this.batch;
    const x = b === this.batches - 1 ? this.last : this.full;
    const n = x.shape[0];
    for (let i = 0; i < n; i++) {
      const src = this.order[b * B + i];
      x.data.set(this.train.images.subarray(src * per, (src + 1) * per), i * per);
      this.labels[i] = this.train.labels[src];
    }
    const y = this.labels.subarray(0, n);
    this.augment?.(x.data as Float32Array, n, this.train.shape, this.augmentRng);
    const r = trainStep(this.model, this.optimizer, x, y);
    if (!Number.isFinite(r.loss)) {
      throw new Error(`training: the loss is ${r.loss} at epoch ${this.epoch}, batch ${b + 1}; lower the learning rate and press reset`);
    }
    this.step++;
    this.batch++;
    const result: StepResult = {
      step: this.step, epoch: this.epoch, batch: this.batch, loss: r.loss, accuracy: r.correct / n, images: n, epochEnded: false,
    };
    if (this.batch === this.batches) {
      result.epochEnded = true;
      this.batch = 0;
      this.epoch++;
      this.optimizer.lr *= LR_DECAY;
    }
    return result;
  }

  /** Loss, accuracy and confusion matrix on (the first `limit` digits of) a set. */
  evaluate(set: DigitSet, limit = set.count): Evaluation {
    const n = Math.min(limit, set.count);
    return evaluate(this.model, { ...set, images: set.images.subarray(0, n * 784), labels: set.labels.subarray(0, n), count: n }, { batchSize: 100 });
  }
}
