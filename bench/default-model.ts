// How much faster the default `npm start` training runs on the fast kernels than on the naive
// (reference) kernels that miniconv started with: the same default digit model, the same batches,
// timed per batch of 32. The naive kernels are slow, so only a few batches of them are timed.
//
//   npx tsx bench/default-model.ts [--batches N]
import { parseArgs } from 'node:util';
import { SGD, Tensor } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { trainStep } from '../src/train/step.ts';
import type { Backend } from '../src/kernels/backend.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { median } from './peers/common.ts';

const { values } = parseArgs({ options: { batches: { type: 'string' } } });
const batches = Number(values.batches ?? 8);
const { train } = loadDigits();
const B = 32;

function timeBatches(backend: Backend, threads: number): number {
  const model = createDigitModel(1, { backend });
  const opt = new SGD(model.params(), { lr: 0.02, momentum: 0.9 });
  const parallel = threads > 1 ? new ParallelTrainer(model, [1, 28, 28], { threads, optimizer: opt }) : null;
  const times: number[] = [];
  for (let b = 0; b <= batches; b++) {
    const x = new Tensor([B, 1, 28, 28], train.images.slice(b * B * 784, (b + 1) * B * 784));
    const y = train.labels.subarray(b * B, (b + 1) * B);
    const t0 = performance.now();
    if (parallel) parallel.trainStep(x, y); else trainStep(model, opt, x, y);
    if (b > 0) times.push(performance.now() - t0); // the first batch allocates buffers: not timed
  }
  parallel?.close();
  return (B * 1000) / median(times); // images per second
}

const naive = timeBatches('naive', 1);
const fast1 = timeBatches('wasm', 1);
const fast2 = timeBatches('wasm', 2);
console.log(`default digit model, training images/s (median of ${batches} batches of ${B}):`);
console.log(`  naive kernels, 1 thread   ${naive.toFixed(1)}`);
console.log(`  fast kernels, 1 thread    ${fast1.toFixed(1)}   (${(fast1 / naive).toFixed(1)}x)`);
console.log(`  fast kernels, 2 threads   ${fast2.toFixed(1)}   (${(fast2 / naive).toFixed(1)}x)`);
console.log(JSON.stringify({ naive, fast1, fast2 }));
