// One training loop (issue 26 §2): fit(), fitAsync(), the command line and the page's trainer all
// run trainingSteps(). Same seed, same bits: the weights below must not move when the loop is
// refactored. The hashes were produced by running this very file on the code before the refactor
// (commit dd7a9db: fit.ts's private trainingRun and playground/src/trainer.ts's own copy of the
// loop), with placeholder hashes so that each assertion printed the value it got: sha256 of every param's float32 bytes, in params() order.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../datasets/mnist.ts';
import { createDigitModel } from '../src/train/digit-model.ts';
import { fit, fitAsync } from '../src/train/fit.ts';
import { randomAffine, randomElastic } from '../src/train/augment.ts';
import { takeFirst } from '../src/dataset.ts';
import { SGD } from '../src/optim/sgd.ts';
import { cosineAnnealingLR } from '../src/optim/schedules.ts';
import type { Layer } from '../src/layers/layer.ts';
import { DEFAULT_CONFIG, buildModel } from '../playground/src/models.ts';
import { Trainer } from '../playground/src/trainer.ts';

const { train, test: held } = loadDigits();
const part = takeFirst(train, 300);
const heldPart = takeFirst(held, 100);

function hash(model: Layer): string {
  const h = createHash('sha256');
  for (const p of model.params()) h.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
  return h.digest('hex').slice(0, 16);
}

const HASHES = {
  fitDefaultElastic: '174df24f00b356b3',
  fitAsyncSmallAffineSchedule: 'd4341681945d3f8b',
  pageTrainerSmallElastic: 'f76e5542a1687dbd',
};

describe('same seed, same bits through the one training loop', () => {
  test('fit: the default model, elastic warps, lr decay, a held-out set (300 digits, 2 epochs, last batch short)', () => {
    const model = createDigitModel(3).setBackend('ts');
    fit(model, part, {
      epochs: 2, batchSize: 64, seed: 3, augment: randomElastic(), lrDecay: 0.85, testSet: heldPart,
      optimizer: new SGD(model.params(), { lr: 0.04, momentum: 0.9, weightDecay: 5e-4 }),
    });
    expect(hash(model)).toBe(HASHES.fitDefaultElastic);
  }, 60_000);

  test('fitAsync: the small model, affine, a cosine schedule', async () => {
    const model = buildModel('small', 5).setBackend('ts');
    await fitAsync(model, part, {
      epochs: 2, batchSize: 50, seed: 5, augment: randomAffine(), schedule: cosineAnnealingLR(0.02, { tMax: 2 }),
      optimizer: new SGD(model.params(), { lr: 0.02, momentum: 0.9, nesterov: true }),
    });
    expect(hash(model)).toBe(HASHES.fitAsyncSmallAffineSchedule);
  }, 60_000);

  test("the page's trainer: the small model, elastic, 2 epochs and a bit of the third (lr decay 0.85)", () => {
    const t = new Trainer({ ...DEFAULT_CONFIG, model: 'small', augment: 'elastic', batchSize: 64, lr: 0.02, seed: 7 }, part);
    t.model.setBackend('ts');
    for (let i = 0; i < 12; i++) t.trainBatch(); // 5 batches an epoch
    expect(t.epoch).toBe(3);
    expect(hash(t.model)).toBe(HASHES.pageTrainerSmallElastic);
  }, 60_000);
});
