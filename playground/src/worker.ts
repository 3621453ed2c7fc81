// The training worker: holds the data, the model and the run; the page only draws what it reports.
// Training runs in slices of at most SLICE_MS, with the event loop turning between them, so that
// pause, step, predict and backprop messages are answered within a batch or two; reports go out
// at most every REPORT_MS.

import { type WebThreads, initWasmKernels, startWebThreads, wasmStatus } from 'miniconv';
import { Conv2D } from 'miniconv';
import { deserializeModel, serializeModel, type Snapshot } from 'miniconv';
import { countParams } from 'miniconv';
import { Tensor } from 'miniconv';
import { drawHeatmap, readNumber, toFullyConvolutional } from 'miniconv';
import { type Dataset, type Sequential, imageRange } from 'miniconv';
import { decodeDigits } from './digits-format.ts';
import { activations, backpropOnDigit } from './inspect-net.ts';
import { LR_DECAY, type RunConfig, buildModel, checkConfig } from './models.ts';
import { type ClassesRequest, type PictureRecordOf, classesRun } from './own-classes.ts';
import type { FromWorker, GalleryItem, KernelData, NumberRead, Progress, TaskInfo, ToWorker } from './protocol.ts';
import { Trainer } from './trainer.ts';

const SLICE_MS = 40;
const REPORT_MS = 150;
/** Held-out accuracy for the live curve: these many test digits, every HELD_OUT_EVERY_MS of training. */
const HELD_OUT_COUNT = 500;
const HELD_OUT_EVERY_MS = 2000;
/** Held-out digits whose probabilities the backprop panel shows before and after its one step. */
const BACKPROP_OTHERS = 6;
/** The gallery scores this many held-out digits and shows the first GALLERY_SHOWN of its order. */
const GALLERY_FROM = 500;
const GALLERY_SHOWN = 24;

interface EpochRecord { epoch: number; trainLoss: number; trainAccuracy: number; testLoss: number; testAccuracy: number; seconds: number }

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

/**
 * What the page trains on now, and so what "the current model" reads: the bundled digits, or your
 * own classes (the "Your classes" panel). Every panel works on the current task's model, input shape
 * and class names, which 'ready' sends them.
 */
interface Task {
  train: Dataset;
  test: Dataset;
  info: TaskInfo;
  /** Your classes: how their pictures were read (kept in the model file), and the model's builder for a fresh net. */
  picture: { record: PictureRecordOf; fresh: () => Sequential } | null;
}
const DIGIT_CLASSES = Array.from({ length: 10 }, (_, k) => String(k));
let digits: { train: Dataset; test: Dataset };
/** The digit run's settings (the Train panel's), kept while your classes train: a loaded digit model trains with them. */
let digitConfig: RunConfig;
let task: Task;
let train: Dataset, test: Dataset;
let backend = '';
/** The kernels' bytes this worker loaded (the threads load the same build), or null on the TypeScript kernels. */
let wasmBytes: Uint8Array | null = null;
/** The second thread, started once at init (null: training on this thread alone), and the status line's words for it. */
let threads: WebThreads | null = null;
let threadsNote = '';
let trainer: Trainer;
let modelLabel = '';
let running = false;
let layer2 = false;
let pending: Progress['steps'] = [];
let heldOut: Progress['heldOut'] = null;
let lastReport = 0, lastHeldOut = 0;
/** The last RATE_STEPS steps' images and milliseconds, for images per second. */
const RATE_STEPS = 30;
let rate: Array<{ images: number; ms: number }> = [];
let epochStats = { loss: 0, correct: 0, images: 0, ms: 0 };
let history: EpochRecord[] = [];
let snapshots: Snapshot[] = [];
let loopScheduled = false;

/**
 * Fetches the digits and the wasm kernels from the page's folder (`base`). The relaxed-SIMD build
 * (fused multiply-add) where the engine runs it, else the plain SIMD build: Chromium 156 instantiates
 * the relaxed one on a page that is not cross-origin isolated too (measured with
 * bench/relaxed-simd-browser.ts, 2026-12-07), so no isolation is asked for.
 */
async function init(base: string, requested: number | null, notIsolated: string | null): Promise<void> {
  const [digitBytes, relaxed, plain] = await Promise.all([
    fetchBytes(new URL('digits.bin', base)),
    fetchBytes(new URL('kernels-relaxed.wasm', base)).catch((e: Error) => e),
    fetchBytes(new URL('kernels.wasm', base)).catch((e: Error) => e),
  ]);
  const set = decodeDigits(digitBytes);
  digits = { train: set.train, test: set.test };
  const why: string[] = [];
  backend = '';
  for (const [bytes, what] of [[relaxed, 'WebAssembly relaxed SIMD kernels (fused multiply-add)'], [plain, 'WebAssembly SIMD kernels']] as const) {
    if (bytes instanceof Error) { why.push(bytes.message); continue; }
    try {
      initWasmKernels(bytes);
      if (wasmStatus() === 'wasm') { backend = what; wasmBytes = bytes; break; }
      why.push(wasmStatus());
    } catch (e) {
      why.push(`this browser cannot run ${what === 'WebAssembly SIMD kernels' ? 'the wasm SIMD build' : 'the relaxed SIMD build'}: ${(e as Error).message}`);
    }
  }
  if (!backend) backend = `TypeScript kernels (${why.join('; ')})`;
  await startThreads(requested, notIsolated);
}

/** The worker thread that shares every batch with this one, where the page can have it (the status line says why not). */
async function startThreads(requested: number | null, notIsolated: string | null): Promise<void> {
  const cores = navigator.hardwareConcurrency || 1;
  const count = requested ?? Math.min(2, cores);
  if (count === 1) {
    threadsNote = requested === 1 ? '1 thread (the URL asks for threads=1)' : '1 thread: this device reports one core';
    return;
  }
  if (notIsolated !== null) {
    threadsNote = `1 thread: not cross-origin isolated because ${notIsolated}`;
    return;
  }
  try {
    threads = await startWebThreads({
      threads: count, wasm: wasmBytes,
      createWorker: () => new Worker(new URL('./thread-worker.ts', import.meta.url), { type: 'module', name: 'miniconv-thread' }),
    });
    threadsNote = `${count} threads (cross-origin isolated)`;
  } catch (e) {
    threadsNote = `1 thread: the second thread could not start (${(e as Error).message})`;
  }
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const file = url.pathname.split('/').pop();
  const r = await fetch(url).catch((e: Error) => { throw new Error(`${file}: ${e.message}`); });
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/**
 * A fresh run (or a loaded model). 'ready' goes first: the panels clear what they show of the last
 * run on it, and only then come this run's snapshots (a loaded file's own, then 'init').
 */
function reset(config: RunConfig, model?: { model: Trainer['model']; label: string; snapshots?: Snapshot[] }, classes?: ClassesRequest): void {
  running = false;
  const r = classes ? classesRun(classes) : null; // a bad request throws here, with the last run as it was
  if (trainer) trainer.close(); // the last run's: its threads wait for this run's trainer
  if (classes && r) {
    const shape = r.train.shape;
    task = {
      train: r.train, test: r.test, picture: { record: r.picture, fresh: r.build },
      info: { kind: 'classes', classes: r.classes, inputShape: [...shape], epochs: classes.epochs },
    };
    trainer = new Trainer(r.config, r.train, undefined, undefined, r.run); // on this thread (trainer.ts says why)
    modelLabel = `your classes (${r.classes.join(', ')})`;
  } else {
    digitConfig = config;
    task = { ...digits, picture: null, info: { kind: 'digits', classes: DIGIT_CLASSES, inputShape: [1, 28, 28], epochs: null } };
    trainer = new Trainer(config, digits.train, model?.model, threads ? { count: threads.threads, factory: threads.parallelTrainer } : undefined);
    modelLabel = model?.label ?? config.model;
  }
  ({ train, test } = task);
  pending = [];
  heldOut = null;
  history = [];
  snapshots = [];
  epochStats = { loss: 0, correct: 0, images: 0, ms: 0 };
  rate = [];
  post({ type: 'ready', backend, threads: threadsNote, trainCount: train.count, testCount: test.count, config: trainer.config, model: modelLabel, params: countParams(trainer.model), task: task.info });
  const first = firstConv();
  for (const s of model?.snapshots ?? []) {
    if (!first || s.param !== first.weight.name || s.value.shape.join() !== first.weight.value.shape.join()) continue;
    const weight = Float32Array.from(s.value.data);
    post({ type: 'snapshot', label: `${s.label} (from the file)`, step: 0, weight, shape: s.value.shape as [number, number, number, number] }, [weight.buffer]);
  }
  takeSnapshot(model ? 'loaded' : 'init');
  // A loaded model has learned already: its held-out accuracy is there to show before any step.
  if (model) measureHeldOut();
  report(true);
}

/** Snapshots of the first layer's kernels at steps 0, 10, 20, 50, 100, 200, 500, ... and at each epoch end. */
function snapshotDue(step: number): boolean {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, step)));
  return step >= 10 && [1, 2, 5].some((m) => m * p === step);
}

function takeSnapshot(label: string): void {
  const conv = firstConv();
  if (!conv) return;
  const weight = Float32Array.from(conv.weight.value.data);
  snapshots.push({ label, param: conv.weight.name, value: new Tensor(conv.weight.value.shape, weight.slice()) });
  post({ type: 'snapshot', label, step: trainer.step, weight, shape: conv.weight.value.shape as [number, number, number, number] }, [weight.buffer]);
}

function convLayers(): Conv2D[] {
  return trainer.model.layers.filter((l): l is Conv2D => l instanceof Conv2D);
}

function firstConv(): Conv2D | undefined {
  return convLayers()[0];
}

function kernelData(): KernelData[] {
  return convLayers().slice(0, layer2 ? 2 : 1).map((c) => ({
    layer: c.name, shape: c.weight.value.shape as KernelData['shape'],
    weight: Float32Array.from(c.weight.value.data), grad: Float32Array.from(c.weight.grad.data),
  }));
}

/** Training speed over the last steps (the time of the steps alone: evaluation and reporting excluded). */
function imagesPerSec(): number | null {
  if (rate.length < 5) return null;
  const images = rate.reduce((a, r) => a + r.images, 0), ms = rate.reduce((a, r) => a + r.ms, 0);
  return ms > 0 ? (images * 1000) / ms : null;
}

function report(force = false): void {
  const now = performance.now();
  if (!force && now - lastReport < REPORT_MS) return;
  lastReport = now;
  const kernels = kernelData();
  const m: Progress = {
    type: 'progress', running, step: trainer.step, epoch: trainer.epoch, batch: trainer.batch, batches: trainer.batches,
    lr: trainer.optimizer.lr, steps: pending, imagesPerSec: imagesPerSec(), heldOut, kernels,
  };
  pending = [];
  heldOut = null;
  post(m, kernels.flatMap((k) => [k.weight.buffer, k.grad.buffer]));
}

/** One batch, with its bookkeeping: curves, epoch end (full held-out evaluation), snapshots. */
function oneStep(): void {
  const ended = trainer.finished !== null;
  const t0 = performance.now();
  const r = trainer.trainBatch();
  const ms = performance.now() - t0;
  if (!r) {
    if (ended) throw new Error(`training: this run has trained its ${trainer.picture?.epochs} epochs; press Train in the Your classes panel for a new one`);
    finish();
    return;
  }
  rate.push({ images: r.images, ms });
  if (rate.length > RATE_STEPS) rate.shift();
  epochStats.loss += r.loss * r.images;
  epochStats.correct += r.accuracy * r.images;
  epochStats.images += r.images;
  epochStats.ms += ms;
  pending.push({ step: r.step, loss: r.loss, accuracy: r.accuracy });
  if (snapshotDue(r.step)) takeSnapshot(`step ${r.step}`);
  if (performance.now() - lastHeldOut > HELD_OUT_EVERY_MS || trainer.step === 1) measureHeldOut();
  if (r.epochEnded) {
    const t = r.test ?? trainer.evaluate(test);
    const seconds = epochStats.ms / 1000;
    history.push({ epoch: r.epoch, trainLoss: epochStats.loss / epochStats.images, trainAccuracy: epochStats.correct / epochStats.images, testLoss: t.loss, testAccuracy: t.accuracy, seconds });
    epochStats = { loss: 0, correct: 0, images: 0, ms: 0 };
    takeSnapshot(`epoch ${r.epoch}`);
    heldOut = { step: r.step, loss: t.loss, accuracy: t.accuracy, count: t.count, epochEnd: r.epoch };
    post({ type: 'epoch', epoch: r.epoch, step: r.step, seconds, test: t });
    lastHeldOut = performance.now();
  }
}

/**
 * A run on your classes trained its last epoch: restoreBest has put back the weights of the best
 * held-out epoch; their held-out figures (and confusion matrix) are what the panels show now.
 */
function finish(): void {
  running = false;
  const best = trainer.picture!.best;
  const t = trainer.evaluate(test);
  heldOut = { step: trainer.step, loss: t.loss, accuracy: t.accuracy, count: t.count };
  takeSnapshot(`best epoch ${best.bestEpoch}`);
  post({ type: 'classesDone', bestEpoch: best.bestEpoch, epochs: trainer.finished!.epochs.length, test: t });
}

function measureHeldOut(): void {
  const e = trainer.evaluate(test, HELD_OUT_COUNT);
  heldOut = { step: trainer.step, loss: e.loss, accuracy: e.accuracy, count: e.count };
  lastHeldOut = performance.now();
}

function loop(): void {
  loopScheduled = false;
  if (!running) return;
  const start = performance.now();
  try {
    do oneStep(); while (running && performance.now() - start < SLICE_MS);
  } catch (e) {
    running = false;
    post({ type: 'error', message: (e as Error).message });
  }
  report(!running);
  schedule();
}

function schedule(): void {
  if (running && !loopScheduled) {
    loopScheduled = true;
    setTimeout(loop, 0);
  }
}

/** One input of the current task's shape: a 28x28 digit, or a C x 32 x 32 picture of your classes. */
function digit(pixels: Float32Array): Tensor {
  const shape = task.info.inputShape, size = shape[0] * shape[1] * shape[2];
  if (!(pixels instanceof Float32Array) || pixels.length !== size) throw new Error(`playground: the model reads ${shape.join(' x ')} = ${size} values, got ${pixels?.length}`);
  return new Tensor([1, ...shape], pixels);
}

/**
 * The number pad: readNumber (src/io/read-number.ts, what `miniconv read` runs) with the model in
 * training as the classifier, then the heat map of its fully convolutional twin over the pad (the page draws the boxes itself).
 */
function readPad(id: number, rgba: Uint8ClampedArray, width: number, height: number): NumberRead {
  const model = trainer.model;
  const classify = (x: Float32Array, n: number) => Float32Array.from(model.predict(new Tensor([n, 1, 28, 28], x)).data);
  const result = readNumber(rgba, width, height, classify, { source: 'number pad' });
  let heatmap: Uint8Array | null = null, heatmapError: string | null = null;
  try {
    heatmap = drawHeatmap(rgba, width, height, result, toFullyConvolutional(model, [1, 28, 28]).eval());
  } catch (e) {
    heatmapError = (e as Error).message;
  }
  return {
    type: 'numberRead', id, text: result.text, warnings: result.warnings, heatmap, heatmapError,
    digits: result.digits.map((d) => ({ digit: d.digit, p: d.p, box: d.box })),
  };
}

function handle(m: ToWorker): void {
  switch (m.type) {
    case 'init': throw new Error('playground worker: init sent twice');
    case 'reset': reset(m.config); break;
    case 'classesTrain':
      reset(trainer.config, undefined, m.request);
      running = true;
      schedule();
      break;
    case 'start': running = true; report(true); schedule(); break;
    case 'pause': running = false; report(true); break;
    case 'step':
      running = false;
      oneStep();
      report(true);
      break;
    case 'layer2': layer2 = m.on; report(true); break;
    case 'predict': {
      const r = activations(trainer.model, digit(m.pixels));
      post({ type: 'prediction', id: m.id, probs: r.probs, activations: r.activations });
      break;
    }
    case 'readNumber': {
      if (task.picture) throw new Error('the number pad reads digits: train on the digits (Train panel) to use it');
      const r = readPad(m.id, m.rgba, m.width, m.height);
      post(r, r.heatmap ? [r.heatmap.buffer as ArrayBuffer] : []);
      break;
    }
    case 'backprop': {
      // The same step seen on a few held-out digits: one step on one picture moves the whole network.
      const n = Math.min(BACKPROP_OTHERS, test.count);
      const others = { x: new Tensor([n, ...task.info.inputShape], imageRange(test, 0, n).slice()), labels: test.labels.subarray(0, n) };
      const model = m.fresh ? (task.picture ? task.picture.fresh() : buildModel(trainer.config.model, trainer.config.seed)) : trainer.model;
      post({ type: 'backprop', id: m.id, report: backpropOnDigit(model, digit(m.pixels), m.label, m.lr, others) });
      break;
    }
    case 'rates': {
      const c = checkConfig({ ...trainer.config, lr: m.lr, momentum: m.momentum });
      trainer.optimizer.lr = c.lr;
      trainer.optimizer.setMomentum(c.momentum);
      report(true);
      break;
    }
    case 'gallery': {
      const n = Math.min(GALLERY_FROM, test.count);
      const e = trainer.evaluate(test, n, true);
      const items: GalleryItem[] = [];
      const K = task.info.classes.length;
      for (let i = 0; i < n; i++) {
        const p = e.probs!.subarray(i * K, (i + 1) * K);
        const top = Array.from(p, (v, k) => ({ k, p: v })).sort((a, b) => b.p - a.p).slice(0, 3);
        items.push({ index: i, pixels: imageRange(test, i, 1).slice(), label: test.labels[i], top });
      }
      // Mistakes first, the most confident one first; then the right ones, the least sure first.
      const wrong = (g: GalleryItem) => g.top[0].k !== g.label;
      items.sort((a, b) => Number(wrong(b)) - Number(wrong(a)) || (wrong(a) ? b.top[0].p - a.top[0].p : a.top[0].p - b.top[0].p));
      post({ type: 'gallery', id: m.id, step: trainer.step, count: n, items: items.slice(0, GALLERY_SHOWN) });
      break;
    }
    case 'load': {
      const { model, inputShape, metadata } = deserializeModel(m.text, m.file);
      if (inputShape.join(',') !== '1,28,28') {
        throw new Error(`${m.file}: the model takes inputs of shape [${inputShape.join(', ')}]; the page trains it further on its digits, [1, 28, 28]. ` +
          'A model of your own classes comes back with its data: load the data set file in the Your classes panel and train');
      }
      reset(digitConfig, { model, label: `${m.file} (loaded)`, snapshots: metadata.snapshots });
      break;
    }
    case 'save': {
      const c = trainer.config;
      // A model of your classes records its class names and how it reads a picture (metadata.picture),
      // so that `miniconv predict` and `eval` read a PNG as the page did.
      const own = task.picture ? {
        classes: task.info.classes, picture: task.picture.record,
        dataset: `your own classes (${task.info.classes.join(', ')}: ${train.count} train, ${test.count} held-out pictures), made in the miniconv playground`,
        optimizer: { ...trainer.optimizer.config(), lr: c.lr, schedule: 'cosine' },
        ...(trainer.finished ? { restoredEpoch: trainer.picture!.best.bestEpoch } : {}),
      } : {};
      const text = serializeModel(trainer.model, task.info.inputShape, {
        seed: c.seed, epochs: history.length, batchSize: c.batchSize, threads: trainer.threads,
        optimizer: { ...trainer.optimizer.config(), lr: c.lr, lrDecay: LR_DECAY }, augment: c.augment,
        dataset: 'bundled digits of the mnist package (8,000 train / 2,000 test), trained in the miniconv playground',
        date: new Date().toISOString(), history, steps: trainer.step, model: modelLabel, snapshots, ...own,
      });
      post({ type: 'saved', text });
      break;
    }
    default: throw new Error(`playground worker: unknown message ${JSON.stringify((m as { type?: unknown }).type)}`);
  }
}

// Messages are handled one at a time, in order; the first must be init (the data arrive before anything else runs).
let queue: Promise<void> | null = null;
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (!queue) {
    if (m.type !== 'init') { post({ type: 'error', message: `playground worker: expected init first, got ${m.type}` }); return; }
    queue = init(m.base, m.threads, m.notIsolated).catch((e: Error) => post({ type: 'error', message: `the training worker could not start: ${e.message}` }));
    return;
  }
  queue = queue.then(() => {
    try {
      handle(m);
    } catch (e) {
      post({ type: 'error', message: (e as Error).message, ...('id' in m ? { id: m.id } : {}) });
    }
  });
};
