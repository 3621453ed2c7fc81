// The in-page training benchmark, in a Web Worker as the playground trains: the reference network
// of ConvNetJS's MNIST demo (models.ts createSmallModel; bench/peers/common.ts), SGD lr 0.01,
// momentum 0.9, batch 32, on the first training digits in order, from the same initial weights,
// with miniconv (wasm SIMD kernels), ConvNetJS 0.3.0 (float64, one image at a time) or TF.js's wasm
// backend (bench-tfjs.ts). Images per second = images / time of the batches, the first batch (buffer
// allocation) excluded. A request with task 'infer' times inference instead (bench-infer.ts).

import convnetjs, { type Net } from 'convnetjs';
import { initWasmKernels, wasmStatus } from 'miniconv';
import { Conv2D } from 'miniconv';
import { Dense } from 'miniconv';
import { SGD } from 'miniconv';
import { Tensor } from 'miniconv';
import { trainStep } from 'miniconv';
import { type DigitSet, decodeDigits } from '../digits-format.ts';
import { createSmallModel } from '../models.ts';
import { type InferTiming, inferConvnet, inferMiniconv, inferTfjs, maxLogitDiff } from './bench-infer.ts';
import { fixtureOf, setupTfjsWasm, trainTfjs } from './bench-tfjs.ts';
import { buildModel as buildTfjsModel } from '../../../bench/peers/tfjs-model.ts';

export type BenchLibrary = 'miniconv' | 'convnetjs' | 'tfjs-wasm';
export interface BenchRequest { library: BenchLibrary; images: number; base: string; task?: 'train' | 'infer'; passes?: number }
export interface BenchResult { library: string; images: number; seconds: number; imagesPerSec: number; firstLoss: number; lastLoss: number; backend: string }
/** An inference run (task 'infer'): bench-infer.ts's timing; for TF.js, how far its logits are from miniconv's. */
export interface InferResult extends InferTiming { library: BenchLibrary; task: 'infer'; backend: string; maxLogitDiff?: number }

const B = 32, LR = 0.01, MOMENTUM = 0.9, SEED = 1;
let sets: { train: DigitSet; test: DigitSet } | null = null;
let backend = '';

async function loadSets(base: string): Promise<{ train: DigitSet; test: DigitSet }> {
  if (sets) return sets;
  const [digits, wasm] = await Promise.all(['digits.bin', 'kernels.wasm'].map(async (f) => new Uint8Array(await (await fetch(new URL(f, base))).arrayBuffer())));
  initWasmKernels(wasm);
  backend = wasmStatus();
  sets = decodeDigits(digits);
  return sets;
}

async function load(base: string): Promise<DigitSet> {
  return (await loadSets(base)).train;
}

function benchMiniconv(set: DigitSet, images: number): BenchResult {
  const model = createSmallModel(SEED);
  const opt = new SGD(model.params(), { lr: LR, momentum: MOMENTUM });
  const x = new Tensor([B, 1, 28, 28]);
  const batches = Math.floor(images / B);
  let ms = 0, firstLoss = NaN, lastLoss = NaN;
  for (let b = 0; b < batches; b++) {
    x.data.set(set.images.subarray(b * B * 784, (b + 1) * B * 784));
    const t0 = performance.now();
    const { loss } = trainStep(model, opt, x, set.labels.subarray(b * B, (b + 1) * B));
    if (b > 0) ms += performance.now() - t0;
    if (b === 0) firstLoss = loss;
    lastLoss = loss;
  }
  const timed = (batches - 1) * B;
  return { library: 'miniconv', images: timed, seconds: ms / 1000, imagesPerSec: (timed * 1000) / ms, firstLoss, lastLoss, backend: `miniconv (${backend})` };
}

/** A ConvNetJS net of the reference network with the initial weights of createSmallModel(SEED), miniconv's. */
function convnetFromMiniconv(): Net {
  // The same network and the same initial weights as miniconv's.
  const init = createSmallModel(SEED);
  const [conv1, conv2] = init.layers.filter((l): l is Conv2D => l instanceof Conv2D);
  const dense = init.layers.find((l): l is Dense => l instanceof Dense)!;
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 8, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 3, stride: 3 },
    { type: 'softmax', num_classes: 10 },
  ]);
  const [, c1, , , c2, , , fc] = net.layers;
  const setConv = (layer: typeof c1, conv: Conv2D) => {
    const [F, C, KH, KW] = conv.weight.value.shape;
    const w = conv.weight.value.data;
    // ConvNetJS filter Vol (KW, KH, C): element (x, y, c) at ((KW * y) + x) * C + c.
    for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) for (let y = 0; y < KH; y++) for (let x = 0; x < KW; x++) layer.filters![f].w[(KW * y + x) * C + c] = w[((f * C + c) * KH + y) * KW + x];
    layer.biases!.w.set(conv.bias!.value.data);
  };
  setConv(c1, conv1);
  setConv(c2, conv2);
  // The dense layer reads the 4x4x16 pool output in ConvNetJS's (x, y, c) order; miniconv flattens (c, y, x).
  const dw = dense.weight.value.data;
  for (let o = 0; o < 10; o++) for (let c = 0; c < 16; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) fc.filters![o].w[(4 * y + x) * 16 + c] = dw[o * 256 + c * 16 + y * 4 + x];
  fc.biases!.w.set(dense.bias!.value.data);
  return net;
}

function benchConvnet(set: DigitSet, images: number): BenchResult {
  const net = convnetFromMiniconv();
  const trainer = new convnetjs.Trainer(net, { method: 'sgd', learning_rate: LR, momentum: MOMENTUM, batch_size: B, l1_decay: 0, l2_decay: 0 });
  const batches = Math.floor(images / B);
  let ms = 0, firstLoss = NaN, lastLoss = NaN;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    let loss = 0;
    for (let k = b * B; k < (b + 1) * B; k++) {
      const v = new convnetjs.Vol(28, 28, 1, 0);
      v.w.set(set.images.subarray(k * 784, (k + 1) * 784));
      loss += trainer.train(v, set.labels[k]).cost_loss;
    }
    if (b > 0) ms += performance.now() - t0;
    if (b === 0) firstLoss = loss / B;
    lastLoss = loss / B;
  }
  const timed = (batches - 1) * B;
  return { library: 'convnetjs', images: timed, seconds: ms / 1000, imagesPerSec: (timed * 1000) / ms, firstLoss, lastLoss, backend: 'ConvNetJS 0.3.0 (float64 JavaScript)' };
}

function benchTfjs(set: DigitSet, images: number, tfBackend: string): BenchResult {
  const fx = fixtureOf(createSmallModel(SEED), B, LR, MOMENTUM);
  const r = trainTfjs(fx, set, images);
  return { library: 'tfjs-wasm', images: r.timed, seconds: r.ms / 1000, imagesPerSec: (r.timed * 1000) / r.ms, firstLoss: r.firstLoss, lastLoss: r.lastLoss, backend: tfBackend };
}

/** Inference of the reference network with its initial weights (bench-infer.ts). */
async function benchInfer(library: BenchLibrary, test: DigitSet, images: number, passes: number): Promise<InferResult> {
  const n = Math.min(images, test.count);
  if (library === 'miniconv') return { library, task: 'infer', backend: `miniconv (${backend})`, ...inferMiniconv(createSmallModel(SEED), test, n, passes) };
  if (library === 'convnetjs') return { library, task: 'infer', backend: 'ConvNetJS 0.3.0 (float64 JavaScript)', ...inferConvnet(convnetFromMiniconv(), test, n, passes) };
  const tfBackend = await setupTfjsWasm();
  const model = buildTfjsModel(fixtureOf(createSmallModel(SEED), B, LR, MOMENTUM));
  return { library, task: 'infer', backend: tfBackend, maxLogitDiff: maxLogitDiff(createSmallModel(SEED), model, test, 100), ...inferTfjs(model, test, n, passes) };
}

self.onmessage = async (ev: MessageEvent<BenchRequest>) => {
  try {
    const { library, images, task = 'train' } = ev.data;
    if (task === 'infer') {
      (self as unknown as Worker).postMessage(await benchInfer(library, (await loadSets(ev.data.base)).test, images, ev.data.passes ?? 5));
      return;
    }
    const set = await load(ev.data.base);
    const r = library === 'miniconv' ? benchMiniconv(set, images)
      : library === 'tfjs-wasm' ? benchTfjs(set, images, await setupTfjsWasm())
      : benchConvnet(set, images);
    (self as unknown as Worker).postMessage(r);
  } catch (e) {
    (self as unknown as Worker).postMessage({ error: (e as Error).message });
  }
};
