// Trains the reader's "one whole digit?" score (src/io/read-verifier.ts): a small CNN that sees a
// candidate segment exactly as the classifier does (its 28x28 MNIST-normalised input) and says
// whether it is one whole digit, or a fragment of one, or two digits run together. Its training
// pictures are numbers composed from the first 7,000 of the 8,000 TRAINING digits of the bundled set
// (never the 2,000 held-out ones that scripts/measure-read.ts and the tests read; the last 1,000
// training digits are left for tuning the reader's weights: measure-read --set tune), with wide settings: 3 to 6 digits,
// scales 0.4x to 3.5x, each digit's size +-30%, gaps from overlapping by 20% of a height to half a
// height apart, a third of them on a noisy page. Every mark of every picture is over-segmented as the
// reader does (numberCandidates: cuts inside marks, marks joined); a candidate is labelled by the digits composed into it:
//   1 (a digit)  its columns hold 80% or more of one digit's width and under 20% of any other's
//   0 (not)      under 60% of every digit's, or 35% or more of two digits' (a pair, a fragment)
// and in between it is left out. Seeded; writes src/io/read-verifier-weights.ts.
//
//   npx tsx scripts/train-read-verifier.ts [--numbers 3000] [--epochs 8] [--width 2] [--out FILE]   (about 2 + 8 minutes on one core; the defaults made the committed weights)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDigits } from '../datasets/mnist.ts';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, createRng, fit } from '../src/index.ts';
import { serializeModel } from '../src/io/model-format.ts';
import { type InkMap, findNumberMarks, markCuts, markIndex, numberCandidates, typicalHeight } from '../src/io/read-number.ts';
import { composeNumber, digitImage } from '../test/number-pictures.ts';

const { values } = parseArgs({ options: { numbers: { type: 'string', default: '3000' }, epochs: { type: 'string', default: '8' }, width: { type: 'string', default: '2' }, out: { type: 'string', default: 'src/io/read-verifier-weights.ts' } } });
/** The network's width: its layers have 6, 12 and 16 units times this (2 made the committed weights: 12, 24 and 32). */
const WIDTH = Number(values.width);
const { train } = loadDigits();
/** The training digits the verifier learns from: the first 7,000 (the rest tune the reader). */
const VERIFIER_DIGITS = 7000;
const rng = createRng('read-verifier');
const inputs: Float32Array[] = [];
const labels: number[] = [];
const t0 = performance.now();
for (let k = 0; k < Number(values.numbers); k++) {
  const len = 3 + Math.floor(rng.uniform() * 4);
  const idx = Array.from({ length: len }, () => Math.floor(rng.uniform() * VERIFIER_DIGITS));
  const lo = -0.2 + 0.5 * rng.uniform();
  const c = composeNumber(idx.map((i) => digitImage(train.images, i)), idx.map((i) => train.labels[i]), rng,
    { scale: [0.4, 3.5], jitter: 0.3, gap: [lo, lo + 0.3], noisy: rng.uniform() < 0.33 });
  let found;
  try { found = findNumberMarks(c.rgba, c.width, c.height); } catch { continue; }
  const { ink, labels: lab, blobs, marks, near, W, H, scale } = found;
  const label = (box: readonly number[]): number => {
    const x0 = box[0] * scale, x1 = (box[0] + box[2]) * scale;
    const shares = c.boxes.map((t) => Math.max(0, Math.min(x1, t[0] + t[2]) - Math.max(x0, t[0])) / t[2]).sort((a, b) => b - a);
    if (shares[0] >= 0.8 && (shares[1] ?? 0) < 0.2) return 1;
    if (shares[0] < 0.6 || (shares[1] ?? 0) >= 0.35) return 0;
    return -1;
  };
  // Every candidate of the reader's lattice, every mark cut (the reader cuts only the doubtful ones).
  const map: InkMap = { ink, near, labels: lab, W, H, marks, markOf: markIndex(marks, blobs.length) };
  for (const g of numberCandidates(map, marks.map((_, k) => markCuts(map, k)), typicalHeight(marks)).spans) {
    const y = label(g.box);
    if (y < 0) continue;
    inputs.push(g.input);
    labels.push(y);
  }
}
const n = inputs.length, ones = labels.reduce((s, v) => s + v, 0);
console.log(`${n} candidates (${ones} whole digits, ${n - ones} not) from ${values.numbers} numbers in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
// Shuffled, and 10% held back to report the verifier's accuracy.
const order = Array.from({ length: n }, (_, i) => i);
for (let i = n - 1; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
const set = (ids: number[]) => {
  const images = new Float32Array(ids.length * 784);
  ids.forEach((id, k) => images.set(inputs[id], k * 784));
  return { images, labels: Uint8Array.from(ids.map((id) => labels[id])), count: ids.length, shape: [1, 28, 28] as [number, number, number] };
};
const cut = Math.floor(0.9 * n);
const fitSet = set(order.slice(0, cut)), checkSet = set(order.slice(cut));
const r = createRng(5);
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 6 * WIDTH, kernelSize: 5, padding: 2, rng: r }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
  new Conv2D({ inChannels: 6 * WIDTH, outChannels: 12 * WIDTH, kernelSize: 5, padding: 2, rng: r }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
  new Flatten(), new Dense({ inFeatures: 12 * WIDTH * 7 * 7, outFeatures: 16 * WIDTH, rng: r }), new ReLU(), new Dense({ inFeatures: 16 * WIDTH, outFeatures: 2, rng: r }),
]);
const history = fit(model, fitSet, { epochs: Number(values.epochs), batchSize: 64, optimizer: new SGD(model.params(), { lr: 0.03, momentum: 0.9 }), seed: 1, testSet: checkSet });
const lastEpoch = history.epochs.at(-1);
console.log('verifier:', JSON.stringify(lastEpoch).slice(0, 300));
const text = serializeModel(model, [1, 28, 28], { dataset: `${n} candidate segments of ${values.numbers} numbers composed from the first 7,000 of the bundled set's training digits (scripts/train-read-verifier.ts)` });
writeFileSync(values.out!, `// Generated by scripts/train-read-verifier.ts: the reader's "one whole digit?" network (src/io/read-verifier.ts), a miniconv model file.\n` +
  `// ${n} candidates (${ones} whole digits) from ${values.numbers} numbers composed from the first 7,000 training digits; ${values.epochs} epochs.\n` +
  `export const VERIFIER_MODEL = ${JSON.stringify(text)};\n`);
