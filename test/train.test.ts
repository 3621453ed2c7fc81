// The training loop: reproducible to the bit for a seed, better than chance by far, loud on divergence.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, createRng } from '../src/index.ts';
import { evaluate, fit, fitAsync } from '../src/train/index.ts';
import { TrainingDivergedError } from '../src/errors.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { takeFirst } from '../src/dataset.ts';

const { train, test } = loadDigits();
const small = (seed: number) => {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 4 }),
    new Flatten(), new Dense({ inFeatures: 4 * 7 * 7, outFeatures: 10, rng, weightInit: 'xavierUniform' }),
  ]);
};
function run(seed: number) {
  const model = small(seed);
  const opt = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
  const history = fit(model, takeFirst(train, 400), { epochs: 2, batchSize: 20, optimizer: opt, seed, testSet: takeFirst(test, 300) });
  return { model, history };
}

describe('fit', () => {
  it('a short seeded run (400 images, 2 epochs) is reproducible to the bit and beats chance by a wide margin', () => {
    const a = run(3), b = run(3);
    expect(a.model.params().map((p) => Array.from(p.value.data))).toEqual(b.model.params().map((p) => Array.from(p.value.data)));
    expect(a.history.epochs.map((e) => e.trainLoss)).toEqual(b.history.epochs.map((e) => e.trainLoss));
    expect(a.history.epochs[1].testAccuracy).toBeGreaterThan(0.6); // chance is 0.1
    expect(a.history.epochs[1].trainLoss).toBeLessThan(a.history.epochs[0].trainLoss);
    const c = run(4);
    expect(c.history.epochs[0].trainLoss).not.toBe(a.history.epochs[0].trainLoss);
  });

  it('fitAsync gives the same result as fit and lets other work run between batches', async () => {
    const a = run(5);
    const model = small(5);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const history = await fitAsync(model, takeFirst(train, 400), {
      epochs: 2, batchSize: 20, optimizer: new SGD(model.params(), { lr: 0.05, momentum: 0.9 }), seed: 5, testSet: takeFirst(test, 300),
    });
    clearInterval(timer);
    expect(history.epochs.map((e) => e.trainLoss)).toEqual(a.history.epochs.map((e) => e.trainLoss));
    expect(ticks).toBeGreaterThan(5);
  });

  it('reports every batch and epoch, and the last partial batch is trained on', () => {
    const model = small(6);
    const batches: number[] = [];
    const h = fit(model, takeFirst(train, 50), {
      epochs: 1, batchSize: 16, optimizer: new SGD(model.params(), { lr: 0.01 }), onBatchEnd: (b) => batches.push(b.seen),
    });
    expect(batches).toEqual([16, 32, 48, 50]);
    expect(h.epochs).toHaveLength(1);
  });

  it('a NaN loss stops training with an error naming the epoch and batch', () => {
    const model = small(7);
    const optimizer = new SGD(model.params(), { lr: 0.01 });
    // One corrupt image (a NaN pixel) among 60: training stops at the batch that holds it.
    const set = takeFirst(train, 60);
    const images = set.images.slice();
    images[17 * 784 + 300] = NaN;
    const seen: number[] = [];
    expect(() => fit(model, { ...set, images }, { epochs: 1, batchSize: 20, optimizer, seed: 1, onBatchEnd: (b) => seen.push(b.batch) }))
      .toThrow(new RegExp(`^fit: training diverged at epoch 1, batch ${seen.length + 1}: softmaxCrossEntropy: logits hold NaN`));
    expect(seen.length).toBeLessThan(3);
    // The error is typed: callers catch it by class and read where it happened.
    let caught: unknown;
    const again = small(7);
    try { fit(again, { ...set, images }, { epochs: 1, batchSize: 20, optimizer: new SGD(again.params(), { lr: 0.01 }), seed: 1 }); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(TrainingDivergedError);
    const d = caught as TrainingDivergedError;
    expect([d.epoch, d.batch, Number.isNaN(d.value)]).toEqual([1, seen.length + 1, true]);
  });

  it('rejects bad options', () => {
    const model = small(8);
    const optimizer = new SGD(model.params(), { lr: 0.01 });
    expect(() => fit(model, train, { epochs: 0, batchSize: 8, optimizer })).toThrow('fit: epochs must be an integer >= 1, got 0');
    expect(() => fit(model, train, { epochs: 1, batchSize: 2.5, optimizer })).toThrow('fit: batchSize must be an integer >= 1, got 2.5');
  });
});

describe('evaluate', () => {
  it('gives loss, accuracy and a confusion matrix that adds up', () => {
    const r = evaluate(small(9), takeFirst(test, 123));
    expect(r.count).toBe(123);
    expect(r.confusion.flat().reduce((a, v) => a + v, 0)).toBe(123);
    const diagonal = r.confusion.reduce((a, row, k) => a + row[k], 0);
    expect(r.accuracy).toBeCloseTo(diagonal / 123, 12);
    for (let k = 0; k < 10; k++) expect(r.confusion[k].reduce((a, v) => a + v, 0)).toBe(Array.from(test.labels.subarray(0, 123)).filter((l) => l === k).length);
  });
});
