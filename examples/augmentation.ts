// What data augmentation does to the training digits: one example of each digit, as it is, after
// randomAffine (small rotation, scaling and shift) and after randomElastic (the same plus a smooth
// random warp, as `npm start` trains with), twice, since every draw differs.
// Run: npx tsx examples/augmentation.ts   (writes out/augmentation.png)
import { mkdirSync, writeFileSync } from 'node:fs';
import { Tensor, createRng, randomAffine, randomElastic, type Augment } from 'miniconv';
import { renderFeatureMapStackPng } from '../src/inspect/index.ts'; // a figure helper, not part of the public API
import { loadDigits } from 'miniconv/datasets';

const { train } = loadDigits({ seed: 1 });
const per = 28 * 28;

// The first training image of each digit 0..9, one after another: 10 images of shape [1, 28, 28].
const digits = new Float32Array(10 * per);
for (let d = 0; d < 10; d++) {
  const i = train.labels.indexOf(d);
  digits.set(train.images.subarray(i * per, (i + 1) * per), d * per);
}

// An Augment changes a batch in place, drawing from the rng it is given.
const augmented = (augment: Augment, seed: string) => {
  const batch = digits.slice();
  augment(batch, 10, [1, 28, 28], createRng(seed));
  return batch;
};

// Draw each set of 10 images as one row of 10 tiles (the figure code treats them as 10 channels).
const row = (label: string, images: Float32Array) => ({ label, output: new Tensor([1, 10, 28, 28], images) });
mkdirSync('out', { recursive: true });
writeFileSync('out/augmentation.png', renderFeatureMapStackPng([
  row('original', digits),
  row('randomAffine()', augmented(randomAffine(), 'a')),
  row('randomElastic()', augmented(randomElastic(), 'b')),
  row('randomElastic(), again', augmented(randomElastic(), 'c')),
], { cols: 10, scale: 2, title: false }));
console.log('Wrote out/augmentation.png');
