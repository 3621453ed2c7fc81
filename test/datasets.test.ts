// The bundled digits' split and the IDX reader.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDigits, loadRawDigits } from '../datasets/mnist.ts';
import { encodeIdx, loadIdxMnist, readIdxImages, readIdxLabels, readIdxPair } from '../datasets/idx.ts';
import type { Dataset } from '../src/dataset.ts';

const bytesEqual = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
/** A fingerprint of one image, to compare sets without caring about order. */
const key = (set: Dataset, i: number) => Array.from(set.images.subarray(i * 784, i * 784 + 784)).join(',');

describe('bundled digits split', () => {
  const a = loadDigits();
  it('is about 8,000 / 2,000, 80% of each digit to train', () => {
    expect(a.train.count + a.test.count).toBe(loadRawDigits().reduce((s, d) => s + d.length / 784, 0));
    expect(a.train.count).toBeGreaterThan(7900);
    expect(a.test.count).toBeGreaterThan(1900);
    expect(a.train.images.length).toBe(a.train.count * 784);
    const per = (set: Dataset) => { const c = new Array(10).fill(0); for (const l of set.labels) c[l]++; return c; };
    const tr = per(a.train), te = per(a.test);
    for (let d = 0; d < 10; d++) {
      expect(te[d]).toBeGreaterThan(100); // every digit is in both sets
      expect(tr[d] / (tr[d] + te[d])).toBeCloseTo(0.8, 2);
    }
  });
  it('is deterministic: the same call gives the same sets in the same order', () => {
    const b = loadDigits();
    expect(bytesEqual(b.train.labels, a.train.labels)).toBe(true);
    expect(bytesEqual(b.train.images, a.train.images)).toBe(true);
    expect(bytesEqual(b.test.images, a.test.images)).toBe(true);
  });
  it('train and test are disjoint (the package holds no duplicate images across them)', () => {
    const train = new Set(Array.from({ length: a.train.count }, (_, i) => key(a.train, i)));
    let shared = 0;
    for (let i = 0; i < a.test.count; i++) if (train.has(key(a.test, i))) shared++;
    expect(shared).toBe(0);
  });
  it('another seed shuffles the same sets differently', () => {
    const c = loadDigits({ seed: 5 });
    expect(bytesEqual(c.train.labels, a.train.labels)).toBe(false);
    expect([...c.test.labels].sort()).toEqual([...a.test.labels].sort());
  });
  it('images are 0..1 and labels 0..9', () => {
    expect(Math.min(...a.test.images.subarray(0, 50000))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.test.images.subarray(0, 50000))).toBeLessThanOrEqual(1);
    expect(Math.max(...a.test.labels)).toBe(9);
  });
  it('rejects a bad trainFraction', () => {
    expect(() => loadDigits({ trainFraction: 1.5 })).toThrow('loadDigits: trainFraction must be in (0, 1), got 1.5');
  });
});

describe('IDX files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-idx-'));
  const n = 5;
  const set: Dataset = {
    images: Float32Array.from({ length: n * 784 }, (_, i) => ((i * 37) % 256) / 255),
    labels: Uint8Array.from([3, 1, 4, 1, 5]), count: n, shape: [1, 28, 28],
  };
  const { images, labels } = encodeIdx(set);

  it('round-trips plain files', () => {
    writeFileSync(join(dir, 'a-images'), images);
    writeFileSync(join(dir, 'a-labels'), labels);
    const back = readIdxPair(join(dir, 'a-images'), join(dir, 'a-labels'));
    expect(back.count).toBe(n);
    expect(back.shape).toEqual([1, 28, 28]);
    expect(Array.from(back.labels)).toEqual([3, 1, 4, 1, 5]);
    for (let i = 0; i < back.images.length; i++) expect(back.images[i]).toBeCloseTo(set.images[i], 6);
  });
  it('reads a folder of the four standard files, gzipped', () => {
    const full = join(dir, 'mnist');
    mkdirSync(full);
    writeFileSync(join(full, 'train-images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(full, 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
    writeFileSync(join(full, 't10k-images-idx3-ubyte'), images);
    writeFileSync(join(full, 't10k-labels-idx1-ubyte'), labels);
    const { train, test } = loadIdxMnist(full);
    expect(train.count).toBe(n);
    expect(Array.from(test.labels)).toEqual([3, 1, 4, 1, 5]);
    expect(bytesEqual(train.images, test.images)).toBe(true);
  });
  it('a bad magic number names the file', () => {
    const bad = Buffer.from(images); bad.writeUInt32BE(0x0803, 0); bad[3] = 0x99;
    writeFileSync(join(dir, 'bad-magic'), bad);
    expect(() => readIdxImages(join(dir, 'bad-magic'))).toThrow(`IDX: ${join(dir, 'bad-magic')} has magic number 0x00000899, expected 0x00000803`);
    expect(() => readIdxLabels(join(dir, 'a-images'))).toThrow(/has magic number 0x00000803, expected 0x00000801/);
  });
  it('a truncated file names the file and the sizes', () => {
    writeFileSync(join(dir, 'short'), images.subarray(0, 1000));
    expect(() => readIdxImages(join(dir, 'short'))).toThrow(`IDX: ${join(dir, 'short')} is truncated: 1000 bytes, expected ${16 + n * 784} for ${n} images of 28x28`);
    writeFileSync(join(dir, 'short.gz'), gzipSync(images).subarray(0, 100));
    expect(() => readIdxImages(join(dir, 'short.gz'))).toThrow(/looks gzipped but does not decompress/);
  });
  it('image and label counts that differ are an error', () => {
    const fewer = encodeIdx({ ...set, count: 4, labels: set.labels.subarray(0, 4), images: set.images.subarray(0, 4 * 784) }).labels;
    writeFileSync(join(dir, 'four-labels'), fewer);
    expect(() => readIdxPair(join(dir, 'a-images'), join(dir, 'four-labels'))).toThrow(/holds 5 images but .*four-labels holds 4 labels/);
  });
  it('a missing folder or file is named', () => {
    expect(() => loadIdxMnist(join(dir, 'nope'))).toThrow('IDX: no such folder');
    expect(() => loadIdxMnist(dir)).toThrow(/IDX: no train-images-idx3-ubyte file \(plain or .gz\) in/);
  });
});
