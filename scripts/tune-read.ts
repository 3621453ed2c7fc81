// Tunes the weights of the reader's choice (src/io/read-number.ts: bestReading) on numbers composed
// from the last 1,000 TRAINING digits (never the held-out ones; the verifier never learnt from them),
// read by a classifier that never saw them either (models/tune-digits.json: scripts/train-tune-model.ts).
// Each number's lattice is built once (every mark cut); each setting of the weights is then only the
// dynamic programming. Prints the share of numbers read entirely right per setting, best first.
//
//   npx tsx scripts/tune-read.ts [--model models/tune-digits.json] [--count 300] [--seeds 1,2,3]
import { parseArgs } from 'node:util';
import { loadDigits } from '../datasets/mnist.ts';
import { loadModel } from '../src/io/model-file.ts';
import { type Lattice, READ_WEIGHTS, type ReadWeights, bestReading, findNumberMarks, readLattice } from '../src/io/read-number.ts';
import { softmax } from '../src/index.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { type ComposeOptions, composeNumber, digitImage } from '../test/number-pictures.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/tune-digits.json' }, count: { type: 'string', default: '300' }, seeds: { type: 'string', default: '1,2,3' }, set: { type: 'string', default: 'tune' } } });
const { model } = loadModel(values.model!);
model.eval();
const classify = (x: Float32Array, n: number) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
const { train, test } = loadDigits();
const set = values.set === 'test' ? test : { images: train.images.subarray(7000 * 784), labels: train.labels.subarray(7000), count: 1000 };
const settings: Array<[string, ComposeOptions]> = [
  ['touching', { scale: [0.5, 3], gap: [-0.05, 0.15] }],
  ['overlapping', { scale: [0.5, 3], gap: [-0.15, 0] }],
  ['spaced', { scale: [0.5, 3], gap: [0.2, 0.5] }],
  ['noisy', { scale: [0.5, 3], gap: [-0.05, 0.5], noisy: true }],
];
const cases: Array<{ setting: string; text: string; lattice: Lattice | null }> = [];
const t0 = performance.now();
for (const [name, o] of settings) {
  for (const seed of values.seeds!.split(',')) {
    const rng = createRng(`tune-read-${name}-${seed}`);
    for (let k = 0; k < Number(values.count); k++) {
      const idx = Array.from({ length: 5 }, () => Math.floor(rng.uniform() * set.count));
      const c = composeNumber(idx.map((i) => digitImage(set.images, i)), idx.map((i) => set.labels[i]), rng, o);
      let lattice: Lattice | null = null;
      try {
        lattice = readLattice(findNumberMarks(c.rgba, c.width, c.height), classify, { cutAll: true });
        for (const s of lattice.spans) s.input = new Float32Array(0); // not needed again
      } catch { /* nothing found: wrong under every setting */ }
      cases.push({ setting: name, text: c.text, lattice });
    }
  }
}
console.log(`${cases.length} lattices in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const read = (l: Lattice, w: ReadWeights, cutSure: boolean) => bestReading(l, w, cutSure).map((i) => {
  const p = l.spans[i].probs; let b = 0; for (let k = 1; k < 10; k++) if (p[k] > p[b]) b = k; return b;
}).join('');
function score(w: ReadWeights, cutSure = false): Record<string, number> {
  const right: Record<string, number> = {}, all: Record<string, number> = {};
  for (const c of cases) {
    all[c.setting] = (all[c.setting] ?? 0) + 1;
    if (c.lattice && read(c.lattice, w, cutSure) === c.text) right[c.setting] = (right[c.setting] ?? 0) + 1;
  }
  return Object.fromEntries(Object.keys(all).map((k) => [k, (right[k] ?? 0) / all[k]]));
}
const fmt = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${(100 * v).toFixed(1)}`).join(', ');
console.log('current', JSON.stringify(READ_WEIGHTS), fmt(score(READ_WEIGHTS)), '| cut every mark:', fmt(score(READ_WEIGHTS, true)));
const grid: Array<{ w: ReadWeights; r: Record<string, number>; mean: number }> = [];
for (const verify of [0.5, 1, 1.5, 2, 3]) for (const cutCost of [0.5, 1, 1.5, 2.5]) for (const shape of [0, 0.25, 0.5, 1]) for (const height of [0, 1, 2]) {
  const w = { verify, cutCost, shape, height };
  const r = score(w);
  grid.push({ w, r, mean: (r.touching + r.overlapping + r.spaced + r.noisy) / 4 });
}
grid.sort((a, b) => b.r.touching + b.mean - a.r.touching - a.mean);
for (const g of grid.slice(0, 15)) console.log(JSON.stringify(g.w), fmt(g.r));
