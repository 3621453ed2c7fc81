// Measures `miniconv read` (src/io/read-number.ts) on numbers composed from the HELD-OUT digits of
// the bundled set (the 2,000 that `npm start` tests on; the model never saw them), not in CI:
//
//   npx tsx scripts/measure-read.ts [--model models/digits.json] [--count 200] [--seeds 1,2,3] [--digits 5] [--set test|tune]
//   (--set tune: --model defaults to models/tune-digits.json, made by scripts/train-tune-model.ts)
//
// Four settings, each `count` numbers of `digits` digits per seed (test/number-pictures.ts composes them):
//   touching     mixed sizes (the number's scale 0.5x-3x of MNIST's 28-pixel frame, each digit's +-25%),
//                neighbours' ink boxes from overlapping by 5% of a height to a gap of 15% (most touch or nearly)
//   overlapping  the same sizes, ink boxes overlapping by 0% to 15% of a height (strokes run into each other)
//   spaced       the same sizes, gaps of 20% to 50% of a height
//   noisy        a noisy page (shadow, grain, ruled lines), gaps from touching to wide
// Prints, per setting and seed and pooled over the seeds, the share of numbers read entirely right and
// of digits right (1 - edit distance / digits written), and the mean time a picture on this (shared) machine.
import { parseArgs } from 'node:util';
import { loadDigits } from '../datasets/mnist.ts';
import type { Dataset } from '../src/index.ts';
import { loadModel } from '../src/io/model-file.ts';
import { readNumber } from '../src/io/read-number.ts';
import { softmax } from '../src/index.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { type ComposeOptions, composeNumber, digitImage } from '../test/number-pictures.ts';
import { editDistance } from '../test/read-number-metrics.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, count: { type: 'string', default: '200' }, seeds: { type: 'string', default: '1,2,3' }, digits: { type: 'string', default: '5' }, set: { type: 'string', default: 'test' } } });
// --set tune reads with models/tune-digits.json (scripts/train-tune-model.ts: trained without the tuning digits), unless --model says otherwise.
values.model ??= values.set === 'tune' ? 'models/tune-digits.json' : 'models/digits.json';
const { model } = loadModel(values.model);
model.eval();
const classify = (x: Float32Array, n: number) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
// --set tune composes from the last 1,000 training digits instead (which the reader's verifier never
// learnt from: scripts/train-read-verifier.ts, nor the tuning model): for tuning, so that the held-out figures stay unseen.
const split = loadDigits();
const test = values.set === 'tune' ? takeLast(split.train, 1000) : split.test;
const count = Number(values.count), len = Number(values.digits);

function run(name: string, o: ComposeOptions, seed: string): { right: number; digitsRight: number } {
  const rng = createRng(`measure-read-${name}-${seed}`);
  let right = 0, digitsRight = 0, ms = 0;
  const wrong: string[] = [];
  for (let k = 0; k < count; k++) {
    const idx = Array.from({ length: len }, () => Math.floor(rng.uniform() * test.count));
    const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, o);
    const t0 = performance.now();
    let text = '';
    try { text = readNumber(c.rgba, c.width, c.height, classify).text; } catch (e) { text = ''; if (process.env.READ_DEBUG) console.log((e as Error).stack); }
    ms += performance.now() - t0;
    if (text === c.text) right++; else if (wrong.length < 8) wrong.push(`${c.text}->${text}`);
    digitsRight += Math.max(0, len - editDistance(text, c.text));
  }
  console.log(`${name.padEnd(12)} seed ${seed}: ${(100 * right / count).toFixed(1).padStart(5)}% of ${count} numbers entirely right, ` +
    `${(100 * digitsRight / (count * len)).toFixed(1)}% of digits, ${(ms / count).toFixed(0)} ms a picture; e.g. ${wrong.slice(0, 5).join(' ')}`);
  return { right, digitsRight };
}

const seeds = values.seeds!.split(',');
console.log(`${values.model}, ${len}-digit numbers from the ${values.set === 'tune' ? 'last 1,000 TRAINING' : 'held-out'} digits, seeds ${seeds.join(', ')}`);
const settings: Array<[string, ComposeOptions]> = [
  ['touching', { scale: [0.5, 3], gap: [-0.05, 0.15] }],
  ['overlapping', { scale: [0.5, 3], gap: [-0.15, 0] }],
  ['spaced', { scale: [0.5, 3], gap: [0.2, 0.5] }],
  ['noisy', { scale: [0.5, 3], gap: [-0.05, 0.5], noisy: true }],
];
const only = process.env.MEASURE_ONLY?.split(',');
const pooled: string[] = [];
for (const [name, o] of settings) {
  if (only && !only.includes(name)) continue;
  let right = 0, digitsRight = 0;
  for (const seed of seeds) { const r = run(name, o, seed); right += r.right; digitsRight += r.digitsRight; }
  pooled.push(`${name.padEnd(12)} ${(100 * right / (count * seeds.length)).toFixed(1).padStart(5)}% of ${count * seeds.length} numbers entirely right, ${(100 * digitsRight / (count * seeds.length * len)).toFixed(1)}% of digits`);
}
console.log(`pooled over seeds ${seeds.join(', ')}:\n${pooled.join('\n')}`);

function takeLast(d: Dataset, n: number): Dataset {
  return { images: d.images.subarray((d.count - n) * 784), labels: d.labels.subarray(d.count - n), count: n, shape: d.shape };
}
