// The fixture of `npm run bench -- --model NAME` (bench/zoo.ts): one zoo model's seeded initial
// weights, its architecture, the order of the training images and the optimiser settings, written
// once by the driver and read by every library's script, so that miniconv (bench/zoo-miniconv.ts) and
// TF.js (bench/peers/tfjs-zoo.ts) train the same network from the same start on the same batches.
//
// Layouts are miniconv's (= PyTorch's): conv weight (F, C/G, KH, KW), dense weight (out, in), images
// (N, 1, 28, 28). Each script converts to its own.
import { readFileSync, writeFileSync } from 'node:fs';
import type { LayerConfig } from '../src/layers/layer.ts';
import { modelFromConfig } from '../src/layers/from-config.ts';
import type { Sequential } from '../src/layers/sequential.ts';
import { createRng } from '../src/rng.ts';
import { ZOO_NAMES, zooModel } from '../src/train/zoo.ts';
import type { OptimizerName } from '../src/optim/factory.ts';

/** One named tensor of the model (a param or a buffer), as `model.params()` / `model.buffers()` name it. */
export interface ZooTensor { name: string; shape: number[]; data: number[] }

export interface ZooFixture {
  model: string;
  seed: number;
  /** `model.config()`: the architecture, layer by layer. */
  config: LayerConfig;
  /** One image, [C, H, W]. */
  inputShape: number[];
  classes: number;
  /** Multiply-adds per image (`model.macs()`, what `summary` shows). */
  macsPerImage: number;
  paramCount: number;
  params: ZooTensor[];
  /** Batch norm's running statistics (they start at 0 and 1, but are written anyway). */
  buffers: ZooTensor[];
  trainOrder: number[];
  batchSize: number;
  /** The zoo model's default optimiser, at its base rate (no schedule: a bench run is shorter than an epoch). */
  optimizer: { name: OptimizerName; lr: number; momentum: number; nesterov: boolean; weightDecay: number; betas: [number, number]; eps: number };
  inferBatch: number;
  inferImages: number;
}

/** The fixture of zoo model `name`, built with `seed`; `trainCount` is the size of the training set. */
export function makeZooFixture(name: string, seed: number, trainCount: number, trainImages: number, inferImages = 2000): ZooFixture {
  const zoo = zooModel(name);
  const model = zoo.build(seed);
  const inputShape = [1, 28, 28];
  const out = model.outputShape([1, ...inputShape]);
  const d = zoo.defaults;
  const order = createRng(`miniconv-zoo-bench-order-${seed}`).shuffle(Array.from({ length: trainCount }, (_, i) => i));
  const dump = (t: { name: string; value: { shape: readonly number[]; data: ArrayLike<number> } }): ZooTensor => ({ name: t.name, shape: [...t.value.shape], data: Array.from(t.value.data) });
  return {
    model: name,
    seed,
    config: model.config(),
    inputShape,
    classes: out[1],
    macsPerImage: model.macs([1, ...inputShape]),
    paramCount: model.params().reduce((s, p) => s + p.value.size, 0),
    params: model.params().map(dump),
    buffers: model.buffers().map(dump),
    trainOrder: order.slice(0, trainImages),
    batchSize: d.batchSize,
    optimizer: {
      name: d.optimizer, lr: d.lr, momentum: d.momentum, nesterov: d.nesterov, weightDecay: d.weightDecay,
      betas: [0.9, 0.999], eps: 1e-8, // miniconv's Adam defaults (PyTorch's); the zoo does not change them
    },
    inferBatch: 100,
    inferImages,
  };
}

export function writeZooFixture(file: string, fx: ZooFixture): void {
  writeFileSync(file, JSON.stringify(fx));
}

export function loadZooFixture(file: string): ZooFixture {
  const fx = JSON.parse(readFileSync(file, 'utf8')) as Partial<ZooFixture>;
  if (typeof fx.model !== 'string' || !ZOO_NAMES.includes(fx.model)) throw new Error(`${file}: 'model' must be one of ${ZOO_NAMES.join(', ')}, got ${JSON.stringify(fx.model)}`);
  if (!fx.config || fx.config.type !== 'Sequential') throw new Error(`${file}: 'config' must be a Sequential layer config`);
  for (const key of ['params', 'buffers', 'trainOrder', 'inputShape'] as const) {
    if (!Array.isArray(fx[key])) throw new Error(`${file}: '${key}' must be an array`);
  }
  for (const t of [...fx.params!, ...fx.buffers!]) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`${file}: tensor '${t.name}' has ${t.data.length} numbers, its shape [${t.shape.join(', ')}] needs ${n}`);
  }
  for (const key of ['batchSize', 'inferBatch', 'inferImages', 'classes', 'macsPerImage'] as const) {
    if (typeof fx[key] !== 'number' || !(fx[key] >= 1)) throw new Error(`${file}: '${key}' must be a number >= 1, got ${JSON.stringify(fx[key])}`);
  }
  if (!fx.optimizer || typeof fx.optimizer.lr !== 'number') throw new Error(`${file}: 'optimizer' must be { name, lr, momentum, nesterov, weightDecay, betas, eps }`);
  return fx as ZooFixture;
}

/** The fixture's model as a miniconv Sequential with the fixture's weights and buffers (checked by name and shape). */
export function zooModelFromFixture(fx: Pick<ZooFixture, 'config' | 'params' | 'buffers'>): Sequential {
  const model = modelFromConfig(fx.config);
  const load = (have: { name: string; value: { shape: readonly number[]; data: ArrayLike<number> & { set(a: ArrayLike<number>): void } } }[], want: ZooTensor[], what: string) => {
    if (have.length !== want.length) throw new Error(`zoo fixture: the model has ${have.length} ${what}, the fixture ${want.length}`);
    have.forEach((t, i) => {
      const w = want[i];
      if (t.name !== w.name || t.value.shape.join() !== w.shape.join()) {
        throw new Error(`zoo fixture: ${what} ${i} is ${t.name} [${t.value.shape.join(', ')}] in the model, ${w.name} [${w.shape.join(', ')}] in the fixture`);
      }
      t.value.data.set(w.data);
    });
  };
  load(model.params(), fx.params, 'params');
  load(model.buffers(), fx.buffers, 'buffers');
  return model;
}

/** The run a script makes of the fixture: the training order truncated by --train-images, whole batches only. */
export function resolveZooRun(fx: ZooFixture, args: { trainImages: number | null; inferImages: number | null }, data: { train: { count: number }; test: { count: number } }) {
  const order = args.trainImages === null ? fx.trainOrder : fx.trainOrder.slice(0, args.trainImages);
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0 || i >= data.train.count) throw new Error(`trainOrder holds ${i}, not an index into the ${data.train.count} training images`);
  }
  const batches = Math.floor(order.length / fx.batchSize);
  if (batches < 1) throw new Error(`--train-images ${order.length} is less than one batch of ${fx.batchSize}`);
  const inferImages = Math.min(args.inferImages ?? fx.inferImages, data.test.count);
  return { order, batches, trainImages: batches * fx.batchSize, inferImages };
}
