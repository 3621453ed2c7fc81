// Where inference time goes, layer by layer, and how throughput depends on the batch size: for the
// reference network of `npm run bench` and for the default digit model, on one thread, in
// evaluation mode, on the test digits.
//
//   npx tsx bench/inference-profile.ts [--model reference|digits|both] [--batches 1,2,4,...] [--images N] [--rounds R]
//        [--backend wasm|ts] [--layers] [--threads T]
//
// For each batch size it prints images per second of the whole model (model.forward, with the
// fusions Sequential makes) and the share of the time of each layer run on its own, unfused
// (layer.forwardView, in order): the "layers" column sums those, so "layers" minus "model" is what
// the fusions save. Each figure is the median of --rounds passes over --images test digits.
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { checkBackend, setDefaultBackend, wasmStatus } from '../src/kernels/index.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { median } from './rounds.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, batches: { type: 'string' }, images: { type: 'string' }, rounds: { type: 'string' }, backend: { type: 'string' },
    layers: { type: 'boolean' }, threads: { type: 'string' },
  },
});
const which = values.model ?? 'both';
if (!['reference', 'digits', 'both'].includes(which)) throw new Error(`inference-profile: --model must be reference, digits or both, got ${which}`);
const batches = (values.batches ?? '1,2,4,8,16,32,64,100,128,256').split(',').map(Number);
if (!batches.every((b) => Number.isInteger(b) && b >= 1)) throw new Error(`inference-profile: --batches must be positive integers, got ${values.batches}`);
const images = Number(values.images ?? 2000), rounds = Number(values.rounds ?? 5);
if (!(Number.isInteger(images) && images >= 1)) throw new Error(`inference-profile: --images must be an integer >= 1, got ${values.images}`);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`inference-profile: --rounds must be an integer >= 1, got ${values.rounds}`);
const threads = Number(values.threads ?? 1);
if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`inference-profile: --threads must be an integer >= 1, got ${values.threads}`);
if (values.backend) setDefaultBackend(checkBackend(values.backend, 'inference-profile --backend'));

const { test } = loadDigits();
const n = Math.min(images, test.count);
const PIXELS = 28 * 28;

/** The reference network of bench/miniconv.ts, He-initialised (the speed does not depend on the weights' values). */
function buildReference(): Sequential {
  const rng = createRng(1);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), // (N, 8, 28, 28)
    new ReLU(),
    new MaxPool2D({ kernelSize: 2, stride: 2 }), // (N, 8, 14, 14)
    new Conv2D({ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 2, rng }), // (N, 16, 14, 14)
    new ReLU(),
    new MaxPool2D({ kernelSize: 3, stride: 3 }), // (N, 16, 4, 4)
    new Flatten(),
    new Dense({ inFeatures: 256, outFeatures: 10, rng }),
  ]);
}

/** Seconds for `run` over the first n test digits in batches of B. */
function pass(B: number, run: (x: Tensor) => void): number {
  const t0 = performance.now();
  for (let s = 0; s < n; s += B) {
    const m = Math.min(B, n - s);
    run(new Tensor([m, 1, 28, 28], test.images.subarray(s * PIXELS, (s + m) * PIXELS)));
  }
  return (performance.now() - t0) / 1000;
}

/** Images per second of each of `runs` at each batch size: rounds in turns, medians. rates[k][b]. */
function rates(runs: Array<(B: number) => [number, (x: Tensor) => void]>): number[][] {
  const seconds = runs.map(() => batches.map(() => [] as number[]));
  for (let r = 0; r <= rounds; r++) { // round 0 allocates the buffers: not counted
    batches.forEach((B, b) => runs.forEach((make, k) => {
      const [size, run] = make(B);
      const t = pass(size, run);
      if (r > 0) seconds[k][b].push(t);
    }));
  }
  return seconds.map((perBatch) => perBatch.map((t) => n / median(t)));
}

function table(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
}

function profile(name: string, model: Sequential): void {
  model.eval();
  console.log(`\n${name}, ${wasmStatus()} kernels, ${n} test digits, median of ${rounds} passes; load average ${loadavg()[0].toFixed(1)}`);
  const forward = (x: Tensor) => { model.forward(x); };
  const parallel = threads > 1 ? new ParallelTrainer(model, [1, 28, 28], { threads, maxBatch: Math.max(...batches) }) : null;
  const runs: Array<(B: number) => [number, (x: Tensor) => void]> = [(B) => [B, forward]];
  if (parallel) runs.push((B) => [B, (x) => { parallel.predict(x); }], (B) => [Math.ceil(B / threads), forward]);
  const r = rates(runs);
  const header = ['batch', '1 thread img/s', ...(parallel ? [`${threads} threads img/s`, `ideal ${threads}`, `${threads} / 1`, `${threads} / ideal`] : [])];
  table([header, ...batches.map((B, b) => [
    String(B), r[0][b].toFixed(0),
    ...(parallel ? [r[1][b].toFixed(0), (threads * r[2][b]).toFixed(0), (r[1][b] / r[0][b]).toFixed(2), (r[1][b] / (threads * r[2][b])).toFixed(2)] : []),
  ])]);
  parallel?.close();
  if (!values.layers) return;
  // Each layer on its own, unfused: what share of the time each takes at each batch size.
  const rows: string[][] = [['batch', 'layers img/s', ...model.layers.map((l) => l.name)]];
  for (const B of batches) {
    const ms = model.layers.map(() => [] as number[]);
    for (let round = 0; round <= rounds; round++) {
      const sums = model.layers.map(() => 0);
      for (let s = 0; s < n; s += B) {
        const m = Math.min(B, n - s);
        let h = new Tensor([m, 1, 28, 28], test.images.subarray(s * PIXELS, (s + m) * PIXELS));
        model.layers.forEach((l, i) => {
          const t0 = performance.now();
          h = l.forwardView(h);
          sums[i] += performance.now() - t0;
        });
      }
      if (round > 0) sums.forEach((v, i) => ms[i].push(v));
    }
    const med = ms.map(median), total = med.reduce((a, b) => a + b, 0);
    rows.push([String(B), (n / (total / 1000)).toFixed(0), ...med.map((v) => `${((100 * v) / total).toFixed(1)}%`)]);
  }
  console.log('each layer on its own (unfused), share of the time:');
  table(rows);
}

if (which !== 'digits') profile('reference network (conv 5x5x8, pool 2, conv 5x5x16, pool 3, dense 10)', buildReference());
if (which !== 'reference') profile('default digit model (conv 5x5x16, pool 2, conv 5x5x32, pool 2, dense 128, dense 10)', createDigitModel(1));
