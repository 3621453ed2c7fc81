// The command line on a folder of pictures (issue 21 §3): train --images, eval --images, predict
// with class names, --cifar10, --skip-bad, and the errors. Small folders of test/shapes.ts pictures,
// 16x16 inputs and one epoch, so that it runs in seconds.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCifarBatch } from '../datasets/cifar10.ts';
import { makeShapeFolder } from './shapes.ts';
import { loadImageFolder } from '../datasets/image-folder.ts';
import { loadModel } from '../src/io/model-file.ts';
import { evaluate } from '../src/train/metrics.ts';
import { runCli as run } from './cli-run.ts';

const root = mkdtempSync(join(tmpdir(), 'miniconv-cli-pictures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const pics = join(root, 'pics');
makeShapeFolder(pics, { perClass: 10, seed: 5, classes: ['circle', 'square', 'star'] });


describe('miniconv train / eval / predict on your own pictures', () => {
  const model = join(root, 'shapes.json');
  it('train --images: the picture model, class names in the confusion matrix and the model file, the normalisation inside the model', async () => {
    const r = await run('train', '--images', pics, '--size', '16', '--epochs', '1', '--threads', '1', '--out', model, '--seed', '2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Training model pictures on the pictures in .*\(3 classes: circle, square, star; 20% of each class held out\): 24 train, 6 test images/);
    expect(r.out).toMatch(/input normalisation image \(each picture standardised per channel/);
    expect(r.out).toMatch(/\n0 circle +\d+ +\d+ +\d+\n1 square +\d+ +\d+ +\d+\n2 star +\d+/);
    const doc = JSON.parse(readFileSync(model, 'utf8'));
    expect(doc.inputShape).toEqual([3, 16, 16]);
    expect(doc.metadata.classes).toEqual(['circle', 'square', 'star']);
    expect(doc.metadata.picture).toEqual({ size: [16, 16], channels: 3, fit: 'crop', normalize: 'image' });
    expect(doc.architecture.layers[0]).toMatchObject({ type: 'Normalize', mode: 'image' });
    expect(doc.architecture.layers.at(-1)).toMatchObject({ type: 'Dense', outFeatures: 3 });
  });

  it('eval --images scores the folder with the model\'s own resize; predict names the class; both agree picture by picture', async () => {
    const e = await run('eval', model, '--images', pics);
    expect(e.code).toBe(0);
    const acc = Number(/Accuracy ([\d.]+)% \((\d+)\/30\)/.exec(e.out)![2]);
    expect(e.out).toMatch(/2 star /);
    const one = await run('predict', model, join(pics, 'star', readdirSync(join(pics, 'star'))[0]));
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^Predicted: (circle|square|star) \(probability [\d.]+%\)/);
    expect(one.out.split('\n').filter((l) => /^ {2}(circle|square|star) +[\d.]+%/.test(l))).toHaveLength(3);
    // Every picture through predict: as many right as eval counted (the same pixels, the same normalisation).
    const files = ['circle', 'square', 'star'].flatMap((c) => readdirSync(join(pics, c)).map((f) => ({ c, f: join(pics, c, f) })));
    const many = await run('predict', model, ...files.map((x) => x.f));
    expect(many.code).toBe(0);
    const lines = many.out.split('\n');
    const right = files.filter((x, i) => lines[i].startsWith(`${x.f}: ${x.c} (`)).length;
    expect(right).toBe(acc);
  });

  it('--normalize dataset records the training set\'s mean and std per channel in the Normalize layer; --channels 1 and --fit pad', async () => {
    const out = join(root, 'grey.json');
    const r = await run('train', '--images', pics, '--size', '12x16', '--channels', '1', '--fit', 'pad', '--normalize', 'dataset', '--epochs', '1', '--threads', '1', '--out', out);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.inputShape).toEqual([1, 12, 16]);
    const norm = doc.architecture.layers[0];
    expect(norm.type).toBe('Normalize');
    expect(norm.mode).toBe('dataset');
    expect(norm.mean).toHaveLength(1);
    expect(norm.mean[0]).toBeGreaterThan(0.05);
    expect(norm.mean[0]).toBeLessThan(0.95);
    expect(norm.std[0]).toBeGreaterThan(0.05);
    expect(doc.metadata.picture).toEqual({ size: [12, 16], channels: 1, fit: 'pad', normalize: 'dataset' });
  });

  it('restore-best is on for pictures: the saved weights are those of the epoch with the lowest held-out loss', async () => {
    const out = join(root, 'best.json');
    const r = await run('train', '--images', pics, '--size', '16', '--epochs', '4', '--threads', '1', '--out', out, '--seed', '3');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const losses = (doc.metadata.history as Array<{ testLoss: number }>).map((h) => h.testLoss);
    const bestLoss = Math.min(...losses);
    const { model } = loadModel(out);
    const { test } = loadImageFolder(pics, { size: 16, seed: 3 });
    expect(evaluate(model, test).loss).toBeCloseTo(bestLoss, 4);
    const bestEpoch = losses.indexOf(bestLoss) + 1;
    if (bestEpoch !== 4) expect(r.out).toContain(`Restored the weights of epoch ${bestEpoch} of 4`);
    const last = await run('train', '--images', pics, '--size', '16', '--epochs', '4', '--threads', '1', '--out', out, '--seed', '3', '--no-restore-best');
    expect(last.code).toBe(0);
    const lastDoc = JSON.parse(readFileSync(out, 'utf8'));
    expect(evaluate(loadModel(out).model, test).loss).toBeCloseTo(lastDoc.metadata.history[3].testLoss, 4);
  });

  it('--skip-bad lists every skipped file; without it the run stops naming the file', async () => {
    const dir = join(root, 'bad');
    makeShapeFolder(dir, { perClass: 5, seed: 6, classes: ['circle', 'star'] });
    writeFileSync(join(dir, 'star', 'notes.txt'), 'not a picture');
    writeFileSync(join(dir, 'circle', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    const stop = await run('train', '--images', dir, '--size', '8', '--epochs', '1', '--threads', '1', '--out', join(root, 'bad.json'));
    expect(stop.code).toBe(1);
    expect(stop.err).toMatch(new RegExp(`loadImageFolder: ${join(dir, 'circle', 'broken.png')} is not a readable PNG image.*--skip-bad`));
    const skip = await run('train', '--images', dir, '--size', '8', '--epochs', '1', '--threads', '1', '--skip-bad', '--out', join(root, 'bad.json'));
    expect(skip.code).toBe(0);
    expect(skip.err).toContain(`skipped ${join(dir, 'circle', 'broken.png')}: `);
    expect(skip.err).toContain(`skipped ${join(dir, 'star', 'notes.txt')}: `);
    expect(skip.err).toContain('Skipped 2 files that are not readable pictures (--skip-bad).');
  });

  it('errors: picture options without --images, eval of a picture model without --images, an unknown class', async () => {
    for (const argv of [['train', '--size', '32'], ['train', '--normalize', 'image'], ['train', '--images', pics, '--data', pics], ['eval', model]]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
    }
    const other = join(root, 'other');
    makeShapeFolder(other, { perClass: 2, seed: 7, classes: ['circle', 'ring'] });
    const r = await run('eval', model, '--images', other);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`unknown class 'ring'; the model's classes are circle, square, star`);
  });

  it('train --cifar10 reads the binary batches with the names of batches.meta.txt', async () => {
    const dir = join(root, 'cifar');
    mkdirSync(dir);
    const batch = (n: number, salt: number) => {
      const codes = new Uint8Array(n * 3072), labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) { labels[i] = (i + salt) % 10; codes.fill(25 * labels[i], i * 3072, (i + 1) * 3072); }
      return encodeCifarBatch(codes, labels);
    };
    writeFileSync(join(dir, 'data_batch_1.bin'), batch(20, 0));
    writeFileSync(join(dir, 'test_batch.bin'), batch(10, 3));
    writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    const out = join(root, 'cifar.json');
    const r = await run('train', '--cifar10', dir, '--epochs', '1', '--threads', '1', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/input normalisation dataset \(the training set's mean/);
    expect(r.out).toMatch(/\n9 truck /);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.metadata.classes[0]).toBe('airplane');
    expect(doc.inputShape).toEqual([3, 32, 32]);
  });
});
