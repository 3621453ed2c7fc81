// `npx tsx bench/pictures.ts [--images N] [--threads T]`: the training speed of the default picture
// model (src/train/picture-model.ts, with its per-picture Normalize layer) on 3x32x32 pictures, the
// input of `miniconv train --images DIR` with its defaults: batch 32, SGD with Nesterov momentum,
// the randomPicture augmentation. The pictures are the synthetic shapes of test/shapes.ts (drawn
// once, resized by loadImageFolder, as a user's folder would be).
// Figure: training images per second, the median of 5 chunks of N/5 images after one warm-up chunk;
// GFLOP/s from the model's multiply-adds (a training image counted as 3 forward passes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageFolder } from '../datasets/image-folder.ts';
import { SGD } from '../src/index.ts';
import { takeFirst } from '../src/dataset.ts';
import { fit } from '../src/train/fit.ts';
import { randomPicture } from '../src/train/augment.ts';
import { createPictureModel } from '../src/train/picture-model.ts';
import '../src/train/parallel.ts';
import { makeShapeFolder } from '../test/shapes.ts';

const arg = (name: string, d: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : d; };
const images = arg('--images', 1000), threads = arg('--threads', 1);
const dir = mkdtempSync(join(tmpdir(), 'miniconv-bench-pictures-'));
try {
  makeShapeFolder(dir, { perClass: Math.ceil(images / 5 / 6), seed: 1 });
  const { train } = loadImageFolder(dir, { size: 32, channels: 3, split: 0.01, cacheDir: null });
  const model = createPictureModel({ seed: 1, inputShape: [3, 32, 32], classes: 6, normalize: { mode: 'image' } });
  const macs = model.macs([1, 3, 32, 32]);
  const chunk = takeFirst(train, Math.min(train.count, Math.floor(images / 5)));
  const optimizer = new SGD(model.params(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const rates: number[] = [];
  for (let round = 0; round < 6; round++) {
    const t0 = performance.now();
    fit(model, chunk, { epochs: 1, batchSize: 32, optimizer, seed: round, threads, augment: randomPicture() });
    const rate = chunk.count / ((performance.now() - t0) / 1000);
    if (round > 0) rates.push(rate); // the first chunk warms up
  }
  rates.sort((a, b) => a - b);
  const median = rates[2];
  console.log(`picture model, 3x32x32, batch 32, ${threads} thread${threads === 1 ? '' : 's'}: ${median.toFixed(0)} train img/s ` +
    `(chunks of ${chunk.count}: ${rates.map((r) => r.toFixed(0)).join(', ')}), ${(3 * macs * 2 * median / 1e9).toFixed(2)} GFLOP/s, ${macs.toLocaleString('en-US')} mult-adds per picture`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
