// The held-out split of a labelled set of pictures: stratified (each class gives its share) and
// seeded, so the same pictures and seed give the same split wherever it runs. loadImageFolder
// (datasets/image-folder.ts, `miniconv train --images`) and the page's "your own classes" panel
// both split this way. Browser-safe: indices in, indices out.

import type { Rng } from '../rng.ts';

/**
 * Splits the indices 0..labels.length-1 into a training and a held-out part, class by class: in
 * each class k < classCount, a shuffle by `rng`, then the first round(split * n) go to the held-out
 * part (at most n - 1: at least one picture of every class stays for training). Both parts are then
 * shuffled by `rng` too, so that a batch mixes the classes.
 * @param labels one class index per picture, (count)
 * @param classCount the number of classes
 * @param split the share of each class held out, in (0, 1)
 * @param rng the seeded generator the shuffles draw from (createRng)
 * @returns the indices of the training and of the held-out pictures
 */
export function stratifiedSplit(labels: ArrayLike<number>, classCount: number, split: number, rng: Rng): { train: number[]; test: number[] } {
  if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new RangeError(`stratifiedSplit: split must be a fraction between 0 and 1 (the share of each class held out), got ${JSON.stringify(split)}`);
  if (!(Number.isInteger(classCount) && classCount >= 1)) throw new RangeError(`stratifiedSplit: classCount must be a positive integer, got ${JSON.stringify(classCount)}`);
  const train: number[] = [], test: number[] = [];
  for (let k = 0; k < classCount; k++) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === k) members.push(i);
    rng.shuffle(members);
    const cut = Math.min(members.length - 1, Math.round(split * members.length));
    members.forEach((i, j) => (j < cut ? test : train).push(i));
  }
  rng.shuffle(train);
  rng.shuffle(test);
  return { train, test };
}
