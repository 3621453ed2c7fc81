// The CIFAR-10 binary reader and IDX sets with a classes.txt (datasets/cifar10.ts, idx.ts,
// class-names.ts), on small files written here in those formats.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCifarBatch, encodeIdx, loadCifar10, loadIdxMnist } from '../datasets/index.ts';
import { bytesOf, copyImage } from '../src/dataset.ts';

const root = mkdtempSync(join(tmpdir(), 'miniconv-cifar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = () => { const d = join(root, `case${counter++}`); mkdirSync(d); return d; };

/** n pictures whose bytes are (i * 7 + c * 3 + k) & 255, labels i % classes. */
function pictures(n: number, classes: number, salt: number) {
  const codes = new Uint8Array(n * 3072), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = (i + salt) % classes;
    for (let k = 0; k < 3072; k++) codes[i * 3072 + k] = (i * 7 + salt * 11 + k) & 255;
  }
  return { codes, labels };
}

const NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

describe('CIFAR-10 binary files', () => {
  it('reads data_batch_1..k and test_batch in order, as (3, 32, 32) bytes, with the names of batches.meta.txt', () => {
    const dir = fresh();
    const inner = join(dir, 'cifar-10-batches-bin');
    mkdirSync(inner);
    const b1 = pictures(5, 10, 0), b2 = pictures(3, 10, 1), t = pictures(4, 10, 2);
    writeFileSync(join(inner, 'data_batch_1.bin'), encodeCifarBatch(b1.codes, b1.labels));
    writeFileSync(join(inner, 'data_batch_2.bin'), encodeCifarBatch(b2.codes, b2.labels));
    writeFileSync(join(inner, 'test_batch.bin'), encodeCifarBatch(t.codes, t.labels));
    writeFileSync(join(inner, 'batches.meta.txt'), `${NAMES.join('\n')}\n\n`);
    const d = loadCifar10(dir); // the folder that holds cifar-10-batches-bin/
    expect(d.classes).toEqual(NAMES);
    expect(d.train.classes).toEqual(NAMES);
    expect(d.train.shape).toEqual([3, 32, 32]);
    expect(d.train.count).toBe(8);
    expect([...d.train.labels]).toEqual([...b1.labels, ...b2.labels]);
    expect(bytesOf(d.train)!.codes).toEqual(Uint8Array.from([...b1.codes, ...b2.codes]));
    expect(bytesOf(d.test)!.codes).toEqual(t.codes);
    // Record layout: red plane, green plane, blue plane, row after row; values byte / 255.
    const img = new Float32Array(3072);
    copyImage(d.test, 1, img, 0);
    expect(img[1024 + 32 * 2 + 5]).toBeCloseTo(t.codes[3072 + 1024 + 69] / 255, 7);
  });

  it('refuses a truncated batch, a label past the classes, a missing test batch, naming the file', () => {
    const dir = fresh();
    const b = pictures(2, 10, 0);
    const bytes = encodeCifarBatch(b.codes, b.labels);
    writeFileSync(join(dir, 'test_batch.bin'), bytes);
    writeFileSync(join(dir, 'data_batch_1.bin'), bytes.subarray(0, bytes.length - 5));
    expect(() => loadCifar10(dir)).toThrow(`CIFAR-10: ${join(dir, 'data_batch_1.bin')} is 6141 bytes, not a whole number of 3073-byte records`);
    const bad = Buffer.from(bytes);
    bad[3073] = 12;
    writeFileSync(join(dir, 'data_batch_1.bin'), bad);
    expect(() => loadCifar10(dir)).toThrow(`CIFAR-10: ${join(dir, 'data_batch_1.bin')} record 1 has label 12, outside 0..9`);
    const empty = fresh();
    expect(() => loadCifar10(empty)).toThrow(`CIFAR-10: no test_batch.bin in ${empty}`);
    writeFileSync(join(empty, 'test_batch.bin'), bytes);
    expect(() => loadCifar10(empty)).toThrow(/no data_batch_1\.bin \.\. data_batch_5\.bin/);
    writeFileSync(join(empty, 'data_batch_3.bin'), bytes);
    writeFileSync(join(empty, 'batches.meta.txt'), 'a\n\nb\n');
    expect(() => loadCifar10(empty)).toThrow(/batches\.meta\.txt line 2 is blank/);
    writeFileSync(join(empty, 'batches.meta.txt'), 'a\nb\na\n');
    expect(() => loadCifar10(empty)).toThrow(/line 3 repeats the class name 'a'/);
  });
});

describe('IDX sets with classes.txt', () => {
  const set = (n: number, classes: number) => ({
    images: Float32Array.from({ length: n * 784 }, (_, i) => (i % 13) / 12), labels: Uint8Array.from({ length: n }, (_, i) => i % classes),
    count: n, shape: [1, 28, 28] as [number, number, number],
  });
  const write = (dir: string, classes: number) => {
    for (const [stem, n] of [['train', 6], ['t10k', 3]] as const) {
      const { images, labels } = encodeIdx(set(n, classes));
      writeFileSync(join(dir, `${stem}-images-idx3-ubyte`), images);
      writeFileSync(join(dir, `${stem}-labels-idx1-ubyte`), labels);
    }
  };
  it('a classes.txt beside the files names the classes and sets their number', () => {
    const dir = fresh();
    write(dir, 3);
    writeFileSync(join(dir, 'classes.txt'), 'T-shirt\r\nTrouser\r\nBag\r\n');
    const d = loadIdxMnist(dir);
    expect(d.train.classes).toEqual(['T-shirt', 'Trouser', 'Bag']);
    expect(d.test.classes).toEqual(['T-shirt', 'Trouser', 'Bag']);
    writeFileSync(join(dir, 'classes.txt'), 'a\nb\n');
    expect(() => loadIdxMnist(dir)).toThrow(/label 2 \(label number 2\) is outside 0\.\.1/);
  });
  it('without classes.txt the set has no names (digits 0..9, as before)', () => {
    const dir = fresh();
    write(dir, 10);
    expect(loadIdxMnist(dir).train.classes).toBeUndefined();
  });
});
