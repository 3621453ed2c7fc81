// IDX files are validated at load: labels outside 0..9, images that are not 28x28, empty sets, non-regular
// files and gzip bombs are refused with the file named.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../src/dataset.ts';
import { encodeIdx, loadIdxMnist, readIdxImages, readIdxLabels, readIdxPair, readMnistPair } from '../datasets/idx.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-idx-check-'));
const set = (count: number, side = 28, labels?: number[]): Dataset => ({
  images: new Float32Array(count * side * side).fill(0.5), labels: Uint8Array.from(labels ?? Array.from({ length: count }, (_, i) => i % 10)),
  count, shape: [1, side, side],
});
const write = (name: string, s: Dataset) => {
  const { images, labels } = encodeIdx(s);
  writeFileSync(join(dir, `${name}-images`), images);
  writeFileSync(join(dir, `${name}-labels`), labels);
  return [join(dir, `${name}-images`), join(dir, `${name}-labels`)] as const;
};

describe('IDX validation', () => {
  it('a label outside 0..9 names the file and the label', () => {
    const [, labels] = write('badlabel', set(4, 28, [1, 2, 12, 3]));
    expect(() => readIdxLabels(labels)).toThrow(`IDX: ${labels}: label 12 (label number 2) is outside 0..9`);
  });
  it('an empty set is refused', () => {
    const [images, labels] = write('empty', set(0));
    expect(() => readIdxPair(images, labels)).toThrow(`IDX: ${images} holds no images`);
  });
  it('MNIST images that are not 28x28 are refused at load, naming the file', () => {
    const mnist = join(dir, 'mnist32');
    mkdirSync(mnist);
    const { images, labels } = encodeIdx(set(3, 32));
    writeFileSync(join(mnist, 't10k-images-idx3-ubyte'), images);
    writeFileSync(join(mnist, 't10k-labels-idx1-ubyte'), labels);
    expect(() => readMnistPair(mnist, 't10k')).toThrow(`IDX: ${join(mnist, 't10k-images-idx3-ubyte')} holds 32x32 images; MNIST digits are 28x28`);
    expect(() => loadIdxMnist(mnist)).toThrow(/IDX: no train-images-idx3-ubyte file/);
  });
  it('a device, a directory, and a gzip that decompresses beyond the cap are refused', () => {
    symlinkSync('/dev/zero', join(dir, 'zero-images'));
    expect(() => readIdxImages(join(dir, 'zero-images'))).toThrow(`IDX: ${join(dir, 'zero-images')} is a character device, not a regular file`);
    expect(() => readIdxImages(dir)).toThrow(`IDX: ${dir} is a directory, not a regular file`);
    writeFileSync(join(dir, 'bomb.gz'), gzipSync(Buffer.alloc(4 * 1024 * 1024)));
    expect(() => readIdxImages(join(dir, 'bomb.gz'), 1024 * 1024)).toThrow(`IDX: ${join(dir, 'bomb.gz')} decompresses to more than 1.0 MB`);
  });
});
