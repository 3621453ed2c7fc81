// How training scales with threads on the default digit model, the way `npm start` trains it
// (its batch size, SGD with momentum and weight decay, elastic augmentation: DIGIT_DEFAULTS): images per second of one
// epoch over the first N training digits, one thread and T threads in turns, each figure the median
// over the rounds. The ratio T/1 is the figure to read: on a shared machine the absolute speed
// wanders, the ratio within one run much less.
//
// Each run first trains --warmup epochs (default 1) that are not counted, and the figure is the epoch
// after them: the steady state that most of a 15-epoch `npm start` runs in, rather than a first epoch
// that also compiles the code (JavaScript and wasm tiers) in every thread. --warmup 0 measures the
// first epoch, as this bench did until 2026-11-30. Read the per-round ratios, not only the median: on
// this project's machine the threaded figure is bimodal (docs/benchmarks.md, Speed).
//
//   npx tsx bench/scaling.ts [--images N] [--rounds R] [--threads T] [--augment elastic|none] [--warmup E]
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { SGD } from '../src/index.ts';
import { DIGIT_DEFAULTS, createDigitModel } from '../src/digits.ts';
import { fit } from '../src/train/fit.ts';
import { randomElastic } from '../src/train/augment.ts';
import { takeFirst } from '../src/dataset.ts';
import '../src/train/parallel.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { median } from './rounds.ts';
import { measureTwoCores } from './two-cores.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, rounds: { type: 'string' }, threads: { type: 'string' }, augment: { type: 'string' }, warmup: { type: 'string' } } });
const images = Number(values.images ?? 1600), rounds = Number(values.rounds ?? 3), T = Number(values.threads ?? availableParallelism());
const augment = values.augment ?? 'elastic';
const warmup = Number(values.warmup ?? 1);
if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`scaling: --warmup must be an integer >= 0, got ${values.warmup}`);
if (!(Number.isInteger(images) && images >= 64)) throw new Error(`scaling: --images must be an integer >= 64, got ${values.images}`);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`scaling: --rounds must be an integer >= 1, got ${values.rounds}`);
if (!(Number.isInteger(T) && T >= 2)) throw new Error(`scaling: --threads must be an integer >= 2, got ${values.threads}`);
if (augment !== 'elastic' && augment !== 'none') throw new Error(`scaling: --augment must be elastic or none, got ${augment}`);
const set = takeFirst(loadDigits().train, images);

function imagesPerSec(threads: number): number {
  const model = createDigitModel(1);
  const { lr, momentum, weightDecay, batchSize } = DIGIT_DEFAULTS;
  const optimizer = new SGD(model.params(), { lr, momentum, weightDecay });
  const h = fit(model, set, { epochs: warmup + 1, batchSize, optimizer, seed: 1, threads, augment: augment === 'elastic' ? randomElastic() : undefined });
  return h.epochs[warmup].imagesPerSec; // the epoch after the warm-up alone: the workers' start is not counted
}

const one: number[] = [], many: number[] = [], twoCores: number[] = [];
const load0 = loadavg()[0];
for (let r = 1; r <= rounds; r++) {
  one.push(imagesPerSec(1));
  many.push(imagesPerSec(T));
  // What two cores give this model right now, in separate processes (bench/two-cores.ts): the bound on the ratio.
  if (T === 2) twoCores.push((await measureTwoCores({ model: 'digits', rounds: 1 })).ratio);
  process.stderr.write(`round ${r}: 1 thread ${one[r - 1].toFixed(0)} img/s, ${T} threads ${many[r - 1].toFixed(0)} img/s (${(many[r - 1] / one[r - 1]).toFixed(2)}x)${T === 2 ? `; two processes at once ${twoCores[r - 1].toFixed(2)}x one alone` : ''}\n`);
}
const a = median(one), b = median(many);
const f = (v: number) => v.toFixed(2);
console.log(`default digit model, ${augment} augmentation, ${images} images, the epoch after ${warmup} warm-up epoch${warmup === 1 ? '' : 's'}, median of ${rounds} rounds; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`);
console.log(`  1 thread  ${a.toFixed(0)} img/s`);
console.log(`  ${T} threads ${b.toFixed(0)} img/s   ${f(b / a)}x one thread (per round: ${many.map((m, i) => f(m / one[i])).join(', ')})`);
if (T === 2) {
  console.log(`  two cores in this run: two independent one-thread trainings of the model at once gave ${f(median(twoCores))}x one alone (per round: ${twoCores.map(f).join(', ')}): the most two threads can scale here`);
  console.log(`  the threads' ratio over the two processes', per round: ${many.map((m, i) => f(m / one[i] / twoCores[i])).join(', ')}`);
}
console.log(JSON.stringify({ images, rounds, threads: T, augment, warmup, one, many, ratio: b / a, twoCores }));
