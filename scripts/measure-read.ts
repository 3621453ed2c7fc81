// Measures `miniconv read` (src/io/read-number.ts) on numbers composed from the HELD-OUT digits of
// the bundled set (the 2,000 that `npm start` tests on; the model never saw them), not in CI:
//
//   npx tsx scripts/measure-read.ts [--model models/digits.json] [--count 200] [--seed 1] [--digits 5] [--set test|train]
//
// Two settings, each `count` numbers of `digits` digits (test/number-pictures.ts composes them):
//   touching  mixed sizes (the number's scale 0.5x-3x of MNIST's 28-pixel frame, each digit's +-25%),
//             neighbours' ink boxes from overlapping by 5% of a height to a gap of 15% (most touch or nearly)
//   spaced    the same sizes, gaps of 20% to 50% of a height
// and a third on a noisy page (shadow, grain, ruled lines) with gaps from touching to wide. Prints the
// share of numbers read entirely right and of digits right (1 - edit distance / digits written), and
// the mean time a picture on this (shared) machine.
import { parseArgs } from 'node:util';
import { loadDigits } from '../datasets/mnist.ts';
import { loadModel } from '../src/io/model-file.ts';
import { readNumber } from '../src/io/read-number.ts';
import { softmax } from '../src/index.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { type ComposeOptions, composeNumber, digitImage } from '../test/number-pictures.ts';
import { editDistance } from '../test/read-number-metrics.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/digits.json' }, count: { type: 'string', default: '200' }, seed: { type: 'string', default: '1' }, digits: { type: 'string', default: '5' }, set: { type: 'string', default: 'test' } } });
const { model } = loadModel(values.model!);
model.eval();
const classify = (x: Float32Array, n: number) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
// --set train composes from the training digits instead: for tuning, so that the held-out figures stay unseen.
const split = loadDigits();
const test = values.set === 'train' ? split.train : split.test;
const count = Number(values.count), len = Number(values.digits);

function run(name: string, o: ComposeOptions): void {
  const rng = createRng(`measure-read-${name}-${values.seed}`);
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
  console.log(`${name.padEnd(9)} ${(100 * right / count).toFixed(1).padStart(5)}% of ${count} numbers entirely right, ` +
    `${(100 * digitsRight / (count * len)).toFixed(1)}% of digits, ${(ms / count).toFixed(0)} ms a picture; e.g. ${wrong.slice(0, 5).join(' ')}`);
}

console.log(`${values.model}, ${len}-digit numbers from the held-out digits, seed ${values.seed}`);
run('touching', { scale: [0.5, 3], gap: [-0.05, 0.15] });
run('spaced', { scale: [0.5, 3], gap: [0.2, 0.5] });
run('noisy', { scale: [0.5, 3], gap: [-0.05, 0.5], noisy: true });
