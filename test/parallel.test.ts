// Data parallelism over worker threads: the same gradients as one thread, reproducible runs, clear errors.
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, BatchNorm2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D, type Optimizer, ReLU, SGD, Sequential, Tensor, createRng, softmaxCrossEntropy } from '../src/index.ts';
import { fit } from '../src/train/index.ts';
import { type Augment, randomElastic, randomShift } from '../src/train/augment.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { reduceAndUpdate } from '../src/train/worker-step.ts';
import { C_DONE, ctrlOffset } from '../src/train/parallel-protocol.mjs';
import { TrainingDivergedError } from '../src/errors.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { takeFirst } from '../src/dataset.ts';

const { train, test } = loadDigits();
const build = (seed: number) => {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
    new Conv2D({ inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, rng }), new ReLU(),
    new Flatten(), new Dense({ inFeatures: 6 * 6 * 6, outFeatures: 10, rng }),
  ]);
};
const x = new Tensor([13, 1, 28, 28], train.images.slice(0, 13 * 784)); // 13: slices of 5, 4, 4 on 3 threads
const y = train.labels.subarray(0, 13);

describe('reduceAndUpdate without an optimiser (the gradient reduction, a stripe per thread)', () => {
  it('for 1 to 5 threads, the stripes together give the bits of one thread summing in thread order', () => {
    const rng = createRng(7);
    const sizes = [5, 1, 13, 2, 9]; // 30 values, not a multiple of most thread counts
    for (let T = 1; T <= 5; T++) {
      const grads = Array.from({ length: T }, () => sizes.map((n) => Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1)));
      const want = grads[0].map((g, k) => g.map((v, i) => { let s = v; for (let w = 1; w < T; w++) s = Math.fround(s + grads[w][k][i]); return s; }));
      const others = grads.slice(1).map((t) => t.map((g) => g.slice()));
      for (let t = T - 1; t >= 0; t--) reduceAndUpdate(grads, t, T, null); // any order of the stripes
      grads[0].forEach((g, k) => expect(Array.from(g), `T=${T} param ${k}`).toEqual(Array.from(want[k])));
      grads.slice(1).forEach((t, w) => t.forEach((g, k) => expect(g).toEqual(others[w][k]))); // the other threads' untouched
    }
  });
});

describe('ParallelTrainer', () => {
  const reference = build(1);
  const { loss: refLoss, grad } = softmaxCrossEntropy(reference.forward(x), y);
  reference.backward(grad);
  const trainers: ParallelTrainer[] = [];
  afterAll(() => trainers.forEach((t) => t.close()));

  for (const threads of [2, 3]) {
    it(`${threads} threads give the gradients and loss of one thread (float32 rounding aside)`, () => {
      const model = build(1);
      const t = new ParallelTrainer(model, [1, 28, 28], { threads });
      trainers.push(t);
      const { loss } = t.computeGradients(x, y);
      expect(loss).toBeCloseTo(refLoss, 5);
      model.params().forEach((p, k) => {
        const want = reference.params()[k].grad.data;
        let maxErr = 0, maxVal = 0;
        for (let i = 0; i < want.length; i++) { maxErr = Math.max(maxErr, Math.abs(p.grad.data[i] - want[i])); maxVal = Math.max(maxVal, Math.abs(want[i])); }
        expect(maxErr / maxVal, p.name).toBeLessThan(1e-5);
      });
      // Inference on every thread equals the plain forward pass.
      const logits = t.predict(x);
      const plain = build(1).forward(x);
      for (let i = 0; i < plain.size; i++) expect(logits.data[i]).toBeCloseTo(plain.data[i], 4);
    });
  }

  it('a seeded two-thread run is bit-reproducible and learns', () => {
    const run = () => {
      const model = build(2);
      const h = fit(model, takeFirst(train, 600), { epochs: 1, batchSize: 16, optimizer: new SGD(model.params(), { lr: 0.02, momentum: 0.9 }), seed: 2, threads: 2, testSet: takeFirst(test, 200) });
      return { w: model.params().map((p) => Array.from(p.value.data)), h };
    };
    const a = run(), b = run();
    expect(a.w).toEqual(b.w);
    expect(a.h.epochs[0].testAccuracy).toBeGreaterThan(0.4);
  });

  it('each thread augments its own slice: the same weights as augmenting the whole batch on the main thread, on 2 and 3 threads', () => {
    const run = (threads: number, augment: Augment) => {
      const model = build(3);
      fit(model, takeFirst(train, 90), { epochs: 1, batchSize: 13, optimizer: new SGD(model.params(), { lr: 0.02, momentum: 0.9 }), seed: 4, threads, augment });
      return model.params().map((p) => Array.from(p.value.data));
    };
    for (const [threads, make] of [[3, () => randomElastic()], [2, () => randomShift(2)]] as const) {
      const shared = run(threads, make()); // split: the workers warp their slices
      const whole = make();
      const mainOnly = run(threads, (images, n, shape, rng) => whole(images, n, shape, rng)); // a plain function: main thread only
      expect(shared).toEqual(mainOnly);
    }
  });

  it('rejects augmentation draws when built without an augmentation', () => {
    const t = new ParallelTrainer(build(1), [1, 28, 28], { threads: 2 });
    trainers.push(t);
    expect(() => t.computeGradients(x, y, new Float64Array(100))).toThrow('ParallelTrainer: augmentation draws given, but the trainer was built without an augmentation (opts.augment)');
  });

  it('an error on a worker stops training with its message, naming the epoch and batch', () => {
    const model = build(3);
    const set = takeFirst(train, 64);
    const images = set.images.slice().fill(NaN);
    expect(() => fit(model, { ...set, images }, { epochs: 1, batchSize: 32, optimizer: new SGD(model.params(), { lr: 0.01 }), threads: 2 }))
      .toThrow(/^fit: training diverged at epoch 1, batch 1: .*logits hold NaN/);
    // Only a worker's slice holds the NaN: the error keeps its class across the thread boundary.
    // fit shuffles with createRng('fit-<seed>'); with one batch of 64 on 2 threads, shuffled
    // positions 32..63 are worker 1's slice: spoil the image that lands at position 40.
    const order = createRng('fit-0').shuffle(Int32Array.from({ length: 64 }, (_, i) => i));
    const half = set.images.slice();
    half.fill(NaN, order[40] * 784, (order[40] + 1) * 784);
    let caught: unknown;
    const again = build(3);
    try { fit(again, { ...set, images: half }, { epochs: 1, batchSize: 64, optimizer: new SGD(again.params(), { lr: 0.01 }), threads: 2 }); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(TrainingDivergedError);
    expect((caught as TrainingDivergedError).message).toMatch(/^fit: training diverged at epoch 1, batch 1: worker 1: .*logits hold NaN/);
    expect([(caught as TrainingDivergedError).epoch, (caught as TrainingDivergedError).batch]).toEqual([1, 1]);
  });

  it('a step whose slice fails, on the main thread or on a worker, leaves the weights and the step count as they were, and the next step runs', () => {
    // Batch of 13 on 3 threads: slices 0-4 (main thread), 5-8 (worker 1), 9-12 (worker 2).
    for (const spoiled of [2, 6, 11]) {
      const model = build(6), optimizer = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
      const t = new ParallelTrainer(model, [1, 28, 28], { threads: 3, optimizer });
      trainers.push(t);
      const bad = new Tensor(x.shape, x.data.slice());
      bad.data.fill(NaN, spoiled * 784, (spoiled + 1) * 784);
      const before = model.params().map((p) => Array.from(p.value.data));
      expect(() => t.trainStep(bad, y), `image ${spoiled}`).toThrow(TrainingDivergedError);
      expect(model.params().map((p) => Array.from(p.value.data)), `image ${spoiled}`).toEqual(before);
      expect(optimizer.steps).toBe(0);
      t.trainStep(x, y); // no thread is left waiting at the barrier
      expect(optimizer.steps).toBe(1);
      const fresh = build(6), freshOpt = new SGD(fresh.params(), { lr: 0.05, momentum: 0.9 });
      const u = new ParallelTrainer(fresh, [1, 28, 28], { threads: 3, optimizer: freshOpt });
      trainers.push(u);
      u.trainStep(x, y);
      expect(model.params().map((p) => Array.from(p.value.data)), `image ${spoiled}`).toEqual(fresh.params().map((p) => Array.from(p.value.data)));
    }
  });

  it('a momentum changed between steps (setMomentum, the playground\'s control) reaches every thread\'s stripe of the update', () => {
    // Reference: the same gradients (2 threads), the update applied by this thread alone.
    const run = (shared: boolean) => {
      const model = build(6), optimizer = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
      const t = new ParallelTrainer(model, [1, 28, 28], { threads: 2, optimizer: shared ? optimizer : undefined });
      trainers.push(t);
      const step = () => { if (shared) t.trainStep(x, y); else { t.computeGradients(x, y); optimizer.step(); } };
      step(); step();
      optimizer.setMomentum(0.2);
      step(); step();
      return model.params().map((p) => Array.from(p.value.data));
    };
    expect(run(true)).toEqual(run(false)); // before the fix, worker 1's stripe went on with momentum 0.9
  });

  it('a failed step is reported only once every worker has left it (a report while one was still at the barrier once hung CI)', () => {
    // Worker 1's slice fails; worker 2 is often still waking from the barrier when worker 1 is done.
    // Reported then, the next step reset the barrier under worker 2 and all three threads waited on
    // each other for ever (2026-11-30). So after every throw, each worker's "done" must be this job's.
    const model = build(6), optimizer = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
    const t = new ParallelTrainer(model, [1, 28, 28], { threads: 3, optimizer });
    trainers.push(t);
    const inside = t as unknown as { ctrl: Int32Array; seq: number };
    const bad = new Tensor(x.shape, x.data.slice());
    bad.data.fill(NaN, 6 * 784, 7 * 784); // image 6: worker 1's slice (5-8)
    for (let i = 0; i < 200; i++) {
      expect(() => t.trainStep(bad, y)).toThrow(/^worker 1: /);
      const stillInside = [1, 2].filter((w) => Atomics.load(inside.ctrl, ctrlOffset(w) + C_DONE) !== inside.seq);
      expect(stillInside, `step ${i}`).toEqual([]); // before the fix: within 1-7 steps here
      t.trainStep(x, y);
    }
    expect(optimizer.steps).toBe(200);
  }, 60_000);

  it('many short steps in a row never hang (a lost wake-up once stalled training)', () => {
    // A tiny model makes each step a few microseconds, so the workers finish while the main thread
    // is between reading the "done" flag and going to sleep: the window where a wake-up can be lost.
    const rng = createRng(5);
    const tiny = new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng })]);
    const t = new ParallelTrainer(tiny, [1, 28, 28], { threads: 2 });
    trainers.push(t);
    const xs = new Tensor([2, 1, 28, 28], train.images.slice(0, 2 * 784));
    for (let i = 0; i < 3000; i++) t.computeGradients(xs, train.labels.subarray(0, 2));
    expect(tiny.params()[0].grad.data.some((v) => v !== 0)).toBe(true);
  }, 60_000);

  describe('trainStep: the update shared out, each thread its stripe', () => {
    // The optimisers a run can use, each on a model of its own; the reference steps on the main thread.
    const optimizers: Array<[string, (m: Sequential) => Optimizer]> = [
      ['SGD with momentum and weight decay', (m) => new SGD(m.params(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 })],
      ['SGD with Nesterov momentum', (m) => new SGD(m.params(), { lr: 0.05, momentum: 0.9, nesterov: true })],
      ['plain SGD', (m) => new SGD(m.params(), { lr: 0.05 })],
      ['Adam', (m) => new Adam(m.params(), { lr: 3e-3, weightDecay: 1e-4 })],
      ['AdamW', (m) => new AdamW(m.params(), { lr: 3e-3 })],
    ];
    const batches = [0, 1, 2, 3].map((b) => ({
      x: new Tensor([13, 1, 28, 28], train.images.slice(b * 13 * 784, (b + 1) * 13 * 784)), y: train.labels.subarray(b * 13, (b + 1) * 13),
    }));
    for (const [name, make] of optimizers) {
      for (const threads of [2, 3]) {
        it(`${name}, ${threads} threads: the weights of computeGradients + step() on the main thread, bit for bit, with the lr changed between steps`, () => {
          const run = (shared: boolean) => {
            const model = build(6);
            const opt = make(model);
            const t = new ParallelTrainer(model, [1, 28, 28], { threads, optimizer: shared ? opt : undefined });
            try {
              batches.forEach(({ x: xb, y: yb }, b) => {
                opt.lr *= b === 2 ? 0.5 : 1; // a schedule between steps reaches the workers
                if (shared) t.trainStep(xb, yb);
                else { t.computeGradients(xb, yb); opt.step(); }
              });
            } finally { t.close(); }
            return model.params().map((p) => Array.from(p.value.data));
          };
          const want = run(false), got = run(true);
          expect(got).toEqual(want);
          expect(got).not.toEqual(build(6).params().map((p) => Array.from(p.value.data))); // it did train
        });
      }
    }

    it('an optimiser it cannot replicate (a subclass, or over some of the params) steps on the main thread, with the same result', () => {
      class HalfSGD extends SGD { // a user's variant: SGD's config(), other arithmetic
        protected override updateParam(k: number, from: number, to: number): void {
          const w = this.params[k].value.data, g = this.params[k].grad.data;
          for (let i = from; i < to; i++) w[i] -= 0.5 * this.lr * g[i];
        }
      }
      for (const make of [(m: Sequential) => new HalfSGD(m.params(), { lr: 0.1 }), (m: Sequential) => new SGD(m.params().slice(2), { lr: 0.1, momentum: 0.9 })]) {
        const run = (viaTrainStep: boolean) => {
          const model = build(7);
          const opt = make(model);
          const t = new ParallelTrainer(model, [1, 28, 28], { threads: 2, optimizer: opt });
          try {
            for (const { x: xb, y: yb } of batches) {
              if (viaTrainStep) t.trainStep(xb, yb);
              else { t.computeGradients(xb, yb); opt.step(); }
            }
          } finally { t.close(); }
          return model.params().map((p) => Array.from(p.value.data));
        };
        expect(run(true)).toEqual(run(false));
      }
    });

    it('trainStep without an optimiser says what it needs', () => {
      const t = new ParallelTrainer(build(1), [1, 28, 28], { threads: 2 });
      trainers.push(t);
      expect(() => t.trainStep(x, y)).toThrow('ParallelTrainer: trainStep needs the optimiser at construction (opts.optimizer)');
    });
  });

  it('predict: every thread takes chunks of 16 until none is left; the logits are those of the model on those chunks, bit for bit, for any thread count', () => {
    const model = build(8);
    model.eval();
    for (const n of [5, 16, 53]) {
      const xs = new Tensor([n, 1, 28, 28], test.images.slice(0, n * 784));
      const want = new Float32Array(n * 10);
      for (let s = 0; s < n; s += 16) {
        const m = Math.min(16, n - s);
        want.set(model.forward(new Tensor([m, 1, 28, 28], xs.data.slice(s * 784, (s + m) * 784))).data, s * 10);
      }
      for (const threads of [2, 3]) {
        const t = new ParallelTrainer(model, [1, 28, 28], { threads });
        try {
          for (let again = 0; again < 2; again++) expect(Array.from(t.predict(xs).data), `n=${n}, ${threads} threads`).toEqual(Array.from(want));
        } finally { t.close(); }
      }
    }
  });

  it('rejects a bad thread count', () => {
    expect(() => new ParallelTrainer(build(4), [1, 28, 28], { threads: 0 })).toThrow('ParallelTrainer: threads must be an integer >= 1, got 0');
  });
});

describe('ParallelTrainer with batch norm and dropout', () => {
  const build2 = () => {
    const rng = createRng(5);
    return new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, bias: false, rng }), new BatchNorm2D({ numFeatures: 4 }), new ReLU(),
      new MaxPool2D({ kernelSize: 2 }), new Flatten(), new Dropout({ p: 0.3, rng }), new Dense({ inFeatures: 4 * 14 * 14, outFeatures: 10, rng }),
    ]);
  };

  it("predicts in evaluation mode on every thread, from the main thread's running statistics", () => {
    const model = build2();
    const t = new ParallelTrainer(model, [1, 28, 28], { threads: 2 });
    try {
      const opt = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
      for (let b = 0; b < 5; b++) {
        const xb = new Tensor([16, 1, 28, 28], train.images.slice(b * 16 * 784, (b + 1) * 16 * 784));
        t.computeGradients(xb, train.labels.subarray(b * 16, (b + 1) * 16));
        opt.step();
      }
      const bn = model.layers[1] as BatchNorm2D;
      expect(Array.from(bn.runningMean.data).some((v) => v !== 0)).toBe(true); // the main thread updated them
      const xt = new Tensor([20, 1, 28, 28], test.images.slice(0, 20 * 784));
      const threaded = t.predict(xt);
      model.eval();
      const single = model.forward(xt);
      for (let i = 0; i < single.size; i++) expect(threaded.data[i]).toBeCloseTo(single.data[i], 4);
    } finally {
      t.close();
    }
  });
});
