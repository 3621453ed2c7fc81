// `npx tsx bench/pictures.ts [--images N] [--threads T] [--rounds R] [--peer-images M] [--no-peers]`:
// the training speed of the default picture model (src/train/picture-model.ts, with its per-picture
// Normalize layer) on 3x32x32 pictures, the input of `miniconv train --images DIR` with its defaults:
// batch 32, SGD with Nesterov momentum. The pictures are the synthetic shapes of test/shapes.ts
// (drawn once, resized by loadImageFolder, as a user's folder would be).
//
// 1. miniconv's fit with the randomPicture augmentation, as `train --images` runs it: training images
//    per second, the median of 5 chunks of N/5 images after one warm-up chunk; GFLOP/s from the
//    model's multiply-adds (a training image counted as 3 forward passes).
// 2. Against TF.js 4.22 on its wasm backend (XNNPACK, SIMD), one thread each, on the same network
//    (bench/peers/tfjs-zoo-model.ts writes it with tf ops, Normalize included), from the same seeded
//    weights, on the same batches of the same pictures, with the same optimiser, no augmentation
//    (TF.js has none to match): bench/pictures-peer.ts in a child process per library and round,
//    the libraries in turns (R rounds), each figure the median of its rounds, and the ratio. Before
//    it counts, the first batch's loss at the initial weights must agree to 1e-4 (same network).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImageFolder } from '../datasets/image-folder.ts';
import { SGD } from '../src/index.ts';
import { imageRange, takeFirst } from '../src/dataset.ts';
import { fit } from '../src/train/fit.ts';
import { randomPicture } from '../src/train/augment.ts';
import { PICTURE_MODEL, createPictureModel } from '../src/train/picture-model.ts';
import '../src/train/parallel.ts';
import { makeShapeFolder } from '../test/shapes.ts';
import type { PictureFixture } from './pictures-peer.ts';
import { median } from './peers/common.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, d: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : d; };
const images = arg('--images', 1000), threads = arg('--threads', 1), rounds = arg('--rounds', 3), peerImages = arg('--peer-images', 640);
const peers = !process.argv.includes('--no-peers');
/** How far TF.js's first-batch loss may be from miniconv's before the comparison is refused. */
const INITIAL_LOSS_TOLERANCE = 1e-4;

const dir = mkdtempSync(join(tmpdir(), 'miniconv-bench-pictures-'));
try {
  makeShapeFolder(join(dir, 'shapes'), { perClass: Math.max(Math.ceil(images / 5 / 6), Math.ceil(peerImages / 6)), seed: 1 });
  const { train } = loadImageFolder(join(dir, 'shapes'), { size: 32, channels: 3, split: 0.01, cacheDir: null });
  const build = () => createPictureModel({ seed: 1, inputShape: [3, 32, 32], classes: 6, normalize: { mode: 'image' } });
  const model = build();
  const macs = model.macs([1, 3, 32, 32]);
  const d = PICTURE_MODEL.defaults;
  console.log(`miniconv picture bench, ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}`);
  console.log(`picture model at 3x32x32, 6 classes: ${model.params().reduce((s, p) => s + p.value.size, 0).toLocaleString('en-US')} parameters, ${macs.toLocaleString('en-US')} multiply-adds per picture; batch ${d.batchSize}, sgd lr ${d.lr} momentum ${d.momentum} nesterov, weight decay ${d.weightDecay}`);

  // 1. fit with the augmentation.
  const chunk = takeFirst(train, Math.min(train.count, Math.floor(images / 5)));
  const optimizer = new SGD(model.params(), { lr: d.lr, momentum: d.momentum, nesterov: true, weightDecay: d.weightDecay });
  const rates: number[] = [];
  for (let round = 0; round < 6; round++) {
    const t0 = performance.now();
    fit(model, chunk, { epochs: 1, batchSize: d.batchSize, optimizer, seed: round, threads, augment: randomPicture() });
    const rate = chunk.count / ((performance.now() - t0) / 1000);
    if (round > 0) rates.push(rate); // the first chunk warms up
  }
  const fitMedian = median(rates);
  console.log(`\n1. miniconv fit with randomPicture, ${threads} thread${threads === 1 ? '' : 's'}: ${fitMedian.toFixed(0)} train img/s ` +
    `(chunks of ${chunk.count}: ${rates.map((r) => r.toFixed(0)).join(', ')}), ${(3 * macs * 2 * fitMedian / 1e9).toFixed(2)} GFLOP/s`);

  // 2. Against TF.js-wasm: the fixture, then the libraries in turns.
  if (peers) {
    const fresh = build();
    const count = Math.min(train.count, peerImages);
    const fxDir = join(dir, 'fixture');
    mkdirSync(fxDir);
    const dump = (t: { name: string; value: { shape: readonly number[]; data: ArrayLike<number> } }) => ({ name: t.name, shape: [...t.value.shape], data: Array.from(t.value.data) });
    const fx: PictureFixture = {
      config: fresh.config(), inputShape: [3, 32, 32], classes: 6, count, batchSize: d.batchSize, macsPerImage: macs,
      params: fresh.params().map(dump), buffers: fresh.buffers().map(dump),
      optimizer: { name: 'sgd', lr: d.lr, momentum: d.momentum, nesterov: true, weightDecay: d.weightDecay, betas: [0.9, 0.999], eps: 1e-8 },
    };
    writeFileSync(join(fxDir, 'fixture.json'), JSON.stringify(fx));
    writeFileSync(join(fxDir, 'images.bin'), Buffer.from(imageRange(train, 0, count).slice().buffer));
    writeFileSync(join(fxDir, 'labels.bin'), train.labels.slice(0, count));
    const libraries = [['miniconv', 'miniconv, 1 thread'], ['tfjs-wasm', 'TF.js 4.22 wasm SIMD, 1 thread']] as const;
    type Report = { trainImagesPerSecMedian?: number; initialLoss?: number; error?: string; what?: string; spread?: number[] };
    const perRound: Report[][] = [];
    for (let r = 1; r <= rounds; r++) {
      perRound.push(libraries.map(([id, label]) => {
        process.stderr.write(`\n== round ${r} of ${rounds}: ${label}, ${peerImages} images ==\n`);
        const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'pictures-peer.ts'), '--fixture', fxDir, '--library', id, '--images', String(peerImages)],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, timeout: 30 * 60_000 });
        const last = child.stdout?.trim().split('\n').pop() ?? '';
        try { return JSON.parse(last) as Report; } catch { return { error: `exit ${child.status ?? child.signal}, no JSON report (${last.slice(0, 200)})` }; }
      }));
    }
    console.log(`\n2. the network's training step (no augmentation), one thread each, ${peerImages} pictures a run in batches of ${d.batchSize} after 3 warm-up batches, ` +
      `${rounds} round${rounds === 1 ? '' : 's'} in turns; img/s the median over chunks of 8 batches, then over the rounds:`);
    const med: Record<string, number> = {};
    libraries.forEach(([id, label], k) => {
      const reports = perRound.map((round) => round[k]);
      const bad = reports.find((rep) => rep.error);
      if (bad) { console.log(`  ${label.padEnd(32)} error: ${bad.error}`); return; }
      med[id] = median(reports.map((rep) => rep.trainImagesPerSecMedian!));
      console.log(`  ${label.padEnd(32)} ${med[id].toFixed(1).padStart(7)} img/s  (rounds: ${reports.map((rep) => rep.trainImagesPerSecMedian!.toFixed(1)).join(', ')}; ` +
        `${(3 * macs * 2 * med[id] / 1e9).toFixed(2)} GFLOP/s; first-batch loss ${reports[0].initialLoss})`);
    });
    const l0 = perRound[0].map((rep) => rep.initialLoss);
    if (l0.every((v) => typeof v === 'number') && Math.abs(l0[0]! - l0[1]!) > INITIAL_LOSS_TOLERANCE) {
      console.log(`  the first-batch losses differ by ${Math.abs(l0[0]! - l0[1]!).toExponential(1)}, more than ${INITIAL_LOSS_TOLERANCE}: the two networks are not the same, no ratio`);
      process.exitCode = 1;
    } else if (med.miniconv && med['tfjs-wasm']) {
      console.log(`  miniconv / TF.js-wasm: ${(med.miniconv / med['tfjs-wasm']).toFixed(2)}x (first-batch losses agree to ${Math.abs(l0[0]! - l0[1]!).toExponential(1)})`);
    }
    for (const [id] of libraries) { const w = perRound[0][libraries.findIndex(([i]) => i === id)].what; if (w) console.log(`  ${id}: ${w}`); }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
