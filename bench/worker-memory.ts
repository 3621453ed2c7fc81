// What a training worker costs in memory: the process's resident set (workers are threads of the
// same process) before and after starting a ParallelTrainer on the default digit model, and after
// one batch, divided by the number of workers. Workers start through src/train/worker-entry.mjs
// (TypeScript loader, or a compiled worker.js where one exists).
//
//   npx tsx bench/worker-memory.ts [--threads N]
import { parseArgs } from 'node:util';
import { SGD, Tensor } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';

const { values } = parseArgs({ options: { threads: { type: 'string' } } });
const threads = Number(values.threads ?? 2);
if (!(Number.isInteger(threads) && threads >= 2)) throw new Error(`worker-memory: --threads must be an integer >= 2, got ${values.threads}`);
const mb = (bytes: number) => bytes / 2 ** 20;
const rss = () => { globalThis.gc?.(); return mb(process.memoryUsage.rss()); };

const model = createDigitModel(1);
const opt = new SGD(model.params(), { lr: 0.02, momentum: 0.9 });
const x = new Tensor([32, 1, 28, 28]); // blank images: memory does not depend on the pixels
const y = new Uint8Array(32);
const before = rss();
const t0 = performance.now();
const parallel = new ParallelTrainer(model, [1, 28, 28], { threads });
const startMs = performance.now() - t0;
const started = rss();
parallel.computeGradients(x, y);
opt.step();
const afterBatch = rss();
parallel.close();
const W = threads - 1;
console.log(`${W} worker${W > 1 ? 's' : ''}: RSS ${before.toFixed(1)} MB before, ${started.toFixed(1)} MB started (${startMs.toFixed(0)} ms), ${afterBatch.toFixed(1)} MB after one batch`);
console.log(`per worker: ${((started - before) / W).toFixed(1)} MB started, ${((afterBatch - before) / W).toFixed(1)} MB after one batch`);
console.log(JSON.stringify({ threads, beforeMB: before, startedMB: started, afterBatchMB: afterBatch, startMs }));
