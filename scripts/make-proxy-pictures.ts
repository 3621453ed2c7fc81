// `npx tsx scripts/make-proxy-pictures.ts DIR`: writes the offline stand-ins for issue 21's two
// target sets (test/proxy-pictures.ts says how each is made) into DIR:
//   DIR/optdigits-dark     1,790 pictures of 8x8, dark ink on light (179 per digit)
//   DIR/optdigits-light    the same digits, light ink on dark
//   DIR/optdigits-mixed    the same digits, the polarity drawn per picture
//   DIR/optdigits-dark-x4  the same, upscaled to 32x32 (nearest neighbour)
//   DIR/colour-glyphs      1,000 pictures, 100 per digit, in colours, on textured backgrounds
// then `miniconv train --images DIR/<set> --seed S` (nothing else) measures them (README, own pictures).
//
// How hard the optdigits stand-in is, against the real set: it prints the k-nearest-neighbour
// accuracy (k = 1 and 5, Euclidean, on the 64 grey levels) of the held-out 20% of the split that
// `train --images --seed 1` makes. scikit-learn's KNeighborsClassifier (k = 5) scores about 98.7% on
// the real 1,797 digits with a quarter held out (C. Rossant, IPython Cookbook, 2nd ed., ch. 8).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageFolder } from '../datasets/image-folder.ts';
import { imageRange } from '../src/dataset.ts';
import { heldOutDigits, makeColourGlyphFolder, makeOptDigitsFolder } from '../test/proxy-pictures.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: npx tsx scripts/make-proxy-pictures.ts DIR');
const digits = heldOutDigits();
const sets: Array<[string, (d: string) => number]> = [
  ['optdigits-dark', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'dark', seed: 1 })],
  ['optdigits-light', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'light', seed: 1 })],
  ['optdigits-mixed', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'mixed', seed: 1 })],
  ['optdigits-dark-x4', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'dark', upscale: 4, seed: 1 })],
  ['colour-glyphs', (d) => makeColourGlyphFolder(d, digits, { perClass: 100, seed: 1 })],
];
for (const [name, make] of sets) {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  console.log(`${d}: ${make(d)} pictures`);
}

// k-NN on the optdigits stand-in, at 8x8, grey: the split of `train --images --seed 1`.
const { train, test } = loadImageFolder(join(dir, 'optdigits-dark'), { size: 8, channels: 1, seed: 1, cacheDir: null });
const a = imageRange(train, 0, train.count), b = imageRange(test, 0, test.count);
const right = [0, 0];
for (let i = 0; i < test.count; i++) {
  const d = Array.from({ length: train.count }, (_, j) => {
    let s = 0;
    for (let p = 0; p < 64; p++) s += (b[i * 64 + p] - a[j * 64 + p]) ** 2;
    return [s, train.labels[j]];
  }).sort((x, y) => x[0] - y[0]);
  [1, 5].forEach((k, n) => {
    const votes = new Array(10).fill(0);
    for (let q = 0; q < k; q++) votes[d[q][1]]++;
    if (votes.indexOf(Math.max(...votes)) === test.labels[i]) right[n]++;
  });
}
console.log(`optdigits-dark, the split of --seed 1 (${train.count} train, ${test.count} held out): 1-NN ${(100 * right[0] / test.count).toFixed(2)}%, 5-NN ${(100 * right[1] / test.count).toFixed(2)}%`);
