// What Keras and TF.js users reach for (issue 25 §5), and the loop behind fit as public API (26 §2):
// trainingSteps, callbacks, a stop signal, earlyStopping, restoreBest, History's per-metric arrays,
// and model.predict. On 200 real digits and a small network, so that every test takes a second or two.
import { describe, expect, it } from 'vitest';
import { loadDigits } from '../datasets/mnist.ts';
import { BatchNorm2D } from '../src/layers/batch-norm2d.ts';
import { Conv2D } from '../src/layers/conv2d.ts';
import { Dense } from '../src/layers/dense.ts';
import { Dropout } from '../src/layers/dropout.ts';
import { Flatten } from '../src/layers/flatten.ts';
import { MaxPool2D } from '../src/layers/max-pool2d.ts';
import { ReLU } from '../src/layers/relu.ts';
import { Sequential } from '../src/layers/sequential.ts';
import { softmax } from '../src/kernels/softmax-xent.ts';
import { SGD } from '../src/optim/sgd.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { earlyStopping, restoreBest } from '../src/train/callbacks.ts';
import { takeFirst } from '../src/dataset.ts';
import { type EpochInfo, type FitOptions, fit, fitAsync, trainingSteps } from '../src/train/fit.ts';
import { evaluate } from '../src/train/metrics.ts';

const { train, test } = loadDigits();
const part = takeFirst(train, 200), held = takeFirst(test, 100);
const small = (seed = 1, extra = false) => {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }),
    ...(extra ? [new BatchNorm2D({ numFeatures: 4 })] : []),
    new ReLU(), new MaxPool2D({ size: 4 }), new Flatten(),
    ...(extra ? [new Dropout({ p: 0.5, seed })] : []),
    new Dense({ inFeatures: 4 * 7 * 7, outFeatures: 10, rng, weightInit: 'xavierUniform' }),
  ]);
};
const opts = (model: Sequential, more: Partial<FitOptions> = {}): FitOptions => ({
  epochs: 3, batchSize: 32, seed: 2, optimizer: new SGD(model.params(), { lr: 0.05, momentum: 0.9 }), ...more,
});
const weights = (m: Sequential) => m.params().map((p) => Array.from(p.value.data));

describe('trainingSteps: the loop behind fit, one batch per next()', () => {
  it('yields every batch with its figures, the epoch figures on its last batch, and trains the weights fit trains', () => {
    const a = small(), b = small();
    const history = fit(a, part, opts(a, { testSet: held }));
    const run = trainingSteps(b, part, opts(b, { testSet: held }));
    const steps = [];
    let r = run.next();
    while (!r.done) { steps.push(r.value); r = run.next(); }
    expect(steps).toHaveLength(3 * 7); // ceil(200 / 32) = 7 batches an epoch
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(steps[6]).toMatchObject({ epoch: 1, batch: 7, batches: 7, images: 200 - 6 * 32 });
    expect(steps.filter((s) => s.epochEnd).map((s) => s.epochEnd!.testAccuracy)).toEqual(history.epochs.map((e) => e.testAccuracy));
    expect(r.value.metrics.trainLoss).toEqual(history.metrics.trainLoss);
    expect(weights(b)).toEqual(weights(a));
  });

  it('runs without end when epochs is Infinity, for a caller that decides when to stop; fit refuses it', () => {
    const m = small();
    const run = trainingSteps(m, part, opts(m, { epochs: Infinity }));
    let last;
    for (let i = 0; i < 30; i++) last = run.next().value;
    expect(last).toMatchObject({ step: 30, epoch: 5, batch: 2 });
    expect(() => fit(m, part, opts(m, { epochs: Infinity }))).toThrow('fit: epochs must be an integer >= 1, got Infinity');
    expect(() => trainingSteps(m, part, opts(m, { epochs: 0 })).next()).toThrow('trainingSteps: epochs must be an integer >= 1 or Infinity, got 0');
  });
});

describe('callbacks', () => {
  it('are called in order: train begin, epoch begin, every batch, epoch end (after the held-out figures), train end', () => {
    const m = small();
    const calls: string[] = [];
    const cb = (tag: string) => ({
      onTrainBegin: () => calls.push(`${tag}train+`),
      onEpochBegin: (e: number) => calls.push(`${tag}epoch+${e}`),
      onBatchEnd: (b: { batch: number }) => calls.push(`${tag}b${b.batch}`),
      onEpochEnd: (e: EpochInfo) => calls.push(`${tag}epoch-${e.epoch}:${e.testAccuracy !== undefined}`),
      onTrainEnd: (h: { epochs: unknown[] }) => calls.push(`${tag}train-${h.epochs.length}`),
    });
    fit(m, takeFirst(part, 64), opts(m, { epochs: 2, testSet: held, ...cb(''), callbacks: [cb('L')] }));
    expect(calls).toEqual([
      'train+', 'Ltrain+',
      'epoch+1', 'Lepoch+1', 'b1', 'Lb1', 'b2', 'Lb2', 'epoch-1:true', 'Lepoch-1:true',
      'epoch+2', 'Lepoch+2', 'b1', 'Lb1', 'b2', 'Lb2', 'epoch-2:true', 'Lepoch-2:true',
      'train-2', 'Ltrain-2',
    ]);
  });

  it('a bad callback or signal is refused by name', () => {
    const m = small();
    expect(() => fit(m, part, opts(m, { onEpochEnd: 3 as never }))).toThrow('fit: onEpochEnd must be a function, got number');
    expect(() => fit(m, part, opts(m, { callbacks: {} as never }))).toThrow('fit: callbacks must be an array of objects');
    expect(() => fit(m, part, opts(m, { signal: 'stop' as never }))).toThrow('fit: signal must be an AbortSignal');
  });
});

describe('stopping a run', () => {
  it('stopTraining() from a batch ends the run after that batch; the unfinished epoch is not in the history', () => {
    const m = small();
    let batches = 0;
    const h = fit(m, part, opts(m, { onBatchEnd: (b, run) => { batches++; if (b.epoch === 2 && b.batch === 3) run.stopTraining('enough'); } }));
    expect(batches).toBe(7 + 3);
    expect(h.epochs).toHaveLength(1);
    expect(h.stopped).toEqual({ epoch: 2, batch: 3, reason: 'enough' });
  });

  it('stopTraining() from an epoch end: no further epoch; the run stops with the same weights as a shorter one', () => {
    const a = small(), b = small();
    const h = fit(a, part, opts(a, { onEpochEnd: (e, run) => { if (e.epoch === 2) run.stopTraining(); } }));
    fit(b, part, opts(b, { epochs: 2 }));
    expect(h.epochs).toHaveLength(2);
    expect(h.stopped).toEqual({ epoch: 3, batch: 0, reason: 'stopTraining() was called' });
    expect(weights(a)).toEqual(weights(b));
  });

  it('an AbortSignal stops fitAsync between batches, from outside the run', async () => {
    const m = small();
    const ac = new AbortController();
    let batches = 0;
    const h = await fitAsync(m, part, opts(m, { signal: ac.signal, onBatchEnd: () => { if (++batches === 4) setTimeout(() => ac.abort('the user pressed stop'), 0); } }));
    expect(batches).toBe(4); // fitAsync yields after every batch: the abort lands before the 5th
    expect(h.stopped).toEqual({ epoch: 1, batch: 4, reason: 'the signal was aborted (the user pressed stop)' });
    expect(h.epochs).toHaveLength(0);
  });

  it('an aborted signal trains nothing', () => {
    const m = small();
    const before = weights(m);
    const ac = new AbortController();
    ac.abort();
    const h = fit(m, part, opts(m, { signal: ac.signal }));
    expect(h.stopped?.epoch).toBe(1);
    expect(h.stopped?.batch).toBe(0);
    expect(weights(m)).toEqual(before);
  });
});

describe('earlyStopping and restoreBest', () => {
  // A rate so high that the held-out loss gets worse after a few epochs: something to stop and restore.
  const wild = (m: Sequential, more: Partial<FitOptions> = {}) => opts(m, { epochs: 12, testSet: held, optimizer: new SGD(m.params(), { lr: 0.3, momentum: 0.9 }), ...more });

  it('earlyStopping stops once the monitored figure has not improved for `patience` epochs', () => {
    const m = small();
    const f = small();
    const full = fit(f, part, wild(f));
    const losses = full.metrics.testLoss;
    // Where the rule says it must stop, from the full run's figures (the same seed gives the same run).
    let best = Infinity, wait = 0, expected = 0;
    for (let e = 0; e < losses.length; e++) {
      if (losses[e] < best) { best = losses[e]; wait = 0; } else if (++wait > 1) { expected = e + 1; break; }
    }
    expect(expected).toBeGreaterThan(0); // the test needs a run that gets worse
    const es = earlyStopping({ monitor: 'val_loss', patience: 1 });
    const h = fit(m, part, wild(m, { callbacks: [es] }));
    expect(h.epochs).toHaveLength(expected);
    expect(es.stoppedEpoch).toBe(expected);
    expect(h.stopped?.reason).toMatch(/^earlyStopping: testLoss has not improved on .* for 2 epochs$/);
    expect(h.metrics.testLoss).toEqual(losses.slice(0, expected));
  });

  it('restoreBest puts back the best held-out epoch\'s weights and BatchNorm statistics at the end', () => {
    const m = small(1, true);
    const rb = restoreBest({ monitor: 'testAccuracy' });
    const h = fit(m, part, wild(m, { epochs: 6, callbacks: [rb] }));
    const accs = h.metrics.testAccuracy;
    const bestEpoch = accs.indexOf(Math.max(...accs)) + 1;
    expect(rb.bestEpoch).toBe(bestEpoch);
    expect(evaluate(m, held).accuracy).toBe(accs[bestEpoch - 1]);
    // The same run cut at the best epoch holds the same weights and buffers.
    const cut = small(1, true);
    fit(cut, part, wild(cut, { epochs: bestEpoch }));
    expect(weights(m)).toEqual(weights(cut));
    expect(m.buffers().map((b) => Array.from(b.value.data))).toEqual(cut.buffers().map((b) => Array.from(b.value.data)));
  });

  it('refuse a figure the run does not measure, and bad options, by name', () => {
    const m = small();
    expect(() => fit(m, part, opts(m, { callbacks: [earlyStopping()] }))).toThrow("earlyStopping: monitor 'testLoss' is measured on a held-out set, and this run has none: pass fit's testSet, or monitor 'trainLoss'");
    expect(() => earlyStopping({ monitor: 'f1' as never })).toThrow('earlyStopping: monitor must be one of testLoss, testAccuracy, trainLoss, trainAccuracy');
    expect(() => earlyStopping({ patience: -1 })).toThrow('earlyStopping: patience must be an integer >= 0 (epochs), got -1');
    expect(() => restoreBest({ monitor: 'accuracy' }).onTrainBegin!({ hasTestSet: false } as never)).not.toThrow();
  });
});

describe('History', () => {
  it('has one array per metric, and the learning rate each epoch trained at', () => {
    const m = small();
    const h = fit(m, part, opts(m, { testSet: held, lrDecay: 0.5 }));
    expect(h.metrics.trainLoss).toEqual(h.epochs.map((e) => e.trainLoss));
    expect(h.metrics.trainAccuracy).toEqual(h.epochs.map((e) => e.trainAccuracy));
    expect(h.metrics.testLoss).toEqual(h.epochs.map((e) => e.testLoss));
    expect(h.metrics.testAccuracy).toEqual(h.epochs.map((e) => e.testAccuracy));
    expect(h.metrics.lr).toEqual([0.05, 0.025, 0.0125]);
    expect(h.stopped).toBeUndefined();
  });
});

describe('model.predict', () => {
  it('gives probabilities in evaluation mode, batched, within rounding whatever the batch, and keeps the mode', () => {
    const m = small(3, true);
    fit(m, part, opts(m, { epochs: 1 }));
    m.train();
    const x = new Tensor([100, 1, 28, 28], held.images.slice(0, 100 * 784));
    const p = m.predict(x);
    expect(p.shape).toEqual([100, 10]);
    expect(m.training).toBe(true);
    for (let i = 0; i < 100; i++) expect(Array.from(p.data.subarray(i * 10, i * 10 + 10)).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    const p7 = m.predict(x, { batchSize: 7 }); // other batches, other summation blocks: the same to float32 rounding
    expect(Math.max(...Array.from(p7.data, (v, i) => Math.abs(v - p.data[i])))).toBeLessThan(1e-6);
    m.eval();
    const expected = softmax(m.forward(x));
    m.train();
    expect(Array.from(p.data)).toEqual(Array.from(expected.data)); // evaluation mode: no dropout, BatchNorm's running statistics
    expect(() => m.predict(new Tensor([784], held.images.slice(0, 784)))).toThrow('predict: x must be a batch (N, ...input shape) with N >= 1, got [784]');
    expect(() => m.predict(x, { batchSize: 0 })).toThrow('predict: batchSize must be an integer >= 1, got 0');
  });
});
