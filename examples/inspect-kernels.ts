// Train a small CNN for a moment on the bundled digits, then look at what it learned: the first
// layer's kernels (before and after training on one colour scale, and the change, which shows the
// learned strokes under the random start) and what every layer makes of one test digit.
// Run: npx tsx examples/inspect-kernels.ts   (writes PNGs into out/)
// For a whole report of a saved model: npm run miniconv -- inspect models/digits.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng, fit, kernelsToAnsi, renderKernelGridPng, renderKernelsPng, renderModelFeatureMapsPng, softmax } from 'miniconv';
import { loadDigits } from 'miniconv/datasets';

const seed = 7;
const rng = createRng(seed);
const conv = new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }); // weight (8, 1, 5, 5)
const model = new Sequential([
  conv, // (N, 8, 28, 28)
  new ReLU(),
  new MaxPool2D({ kernelSize: 2 }), // (N, 8, 14, 14)
  new Flatten(), // (N, 1568)
  new Dense({ inFeatures: 8 * 14 * 14, outFeatures: 10, rng }), // (N, 10)
]);
const initial = conv.weight.value.clone();

// One pass over the first 2,000 training digits: enough to learn something, quick even with naive kernels.
const { train, test } = loadDigits({ seed });
const n = 2000;
const subset = { ...train, count: n, images: train.images.subarray(0, n * 784), labels: train.labels.subarray(0, n) };
fit(model, subset, {
  epochs: 1, batchSize: 32, seed, optimizer: new SGD(model.params(), { lr: 0.02, momentum: 0.9 }),
  onBatchEnd: (b) => { if (b.batch % 20 === 0) console.log(`batch ${b.batch}/${b.batches}: loss ${b.loss.toFixed(3)}`); },
});

// The pictures.
const digit = new Tensor([1, 1, 28, 28], test.images.slice(0, 784)); // the first test digit
const change = conv.weight.value.clone(); // what training added: trained - initial
for (let i = 0; i < change.size; i++) change.data[i] -= initial.data[i];
const files: Array<[string, Buffer]> = [
  ['kernels.png', renderKernelsPng(conv)],
  ['kernels-before-after.png', renderKernelGridPng([initial, conv.weight.value], { labels: ['initial', 'trained'] })], // one colour scale
  ['kernels-change.png', renderKernelGridPng([change], { labels: ['trained - initial'] })],
  ['featuremaps.png', renderModelFeatureMapsPng(model, digit)],
];
mkdirSync('out', { recursive: true });
for (const [name, png] of files) writeFileSync(join('out', name), png);

const probs = softmax(model.forward(digit)).data;
const predicted = probs.indexOf(Math.max(...probs));
console.log(`\n${kernelsToAnsi(conv)}`);
console.log(`Test digit 0 is a ${test.labels[0]}; the model says ${predicted} (${(100 * probs[predicted]).toFixed(1)}%).`);
console.log('Wrote:');
for (const [name] of files) console.log(`  ${join('out', name)}`);
