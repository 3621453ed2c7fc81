// The compact digit cache (datasets/digits-cache.ts): the same bits and the same split as parsing
// the mnist package's JSON, and a cache file that is rebuilt when missing, stale, truncated or corrupt.
import { copyFileSync, mkdirSync, rmSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastDigitCacheEvent, loadDigitCodes, scanDataArray } from '../datasets/digits-cache.ts';
import { loadDigits, loadRawDigits, permuteImages } from '../datasets/mnist.ts';
import { bytesOf } from '../src/dataset.ts';
import { createRng } from '../src/rng.ts';

const jsonDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const bytesEqual = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The loader as it was before the cache: JSON.parse, Float32Array.from, split 80/20 per digit, shuffle each set. */
function oldLoadDigits(seed: number) {
  const raw = Array.from({ length: 10 }, (_, d) => Float32Array.from((JSON.parse(readFileSync(join(jsonDir, `${d}.json`), 'utf8')) as { data: number[] }).data));
  const trainIdx: Array<[number, number]> = [], testIdx: Array<[number, number]> = [];
  raw.forEach((arr, digit) => {
    const count = arr.length / 784, cut = Math.round(count * 0.8);
    for (let i = 0; i < count; i++) (i < cut ? trainIdx : testIdx).push([digit, i]);
  });
  const rng = createRng(`digits-split-${seed}`);
  rng.shuffle(trainIdx);
  rng.shuffle(testIdx);
  const build = (idx: Array<[number, number]>) => {
    const images = new Float32Array(idx.length * 784), labels = new Uint8Array(idx.length);
    idx.forEach(([digit, i], k) => { images.set(raw[digit].subarray(i * 784, (i + 1) * 784), k * 784); labels[k] = digit; });
    return { images, labels };
  };
  return { raw, train: build(trainIdx), test: build(testIdx) };
}

describe('compact digit cache', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'miniconv-digits-'));
  const file = join(cacheDir, 'digits-v1.bin');
  const load = () => loadDigitCodes({ cacheDir });

  it('gives the same bits and the same split as parsing the JSON, from a fresh cache and from the file', () => {
    const old = oldLoadDigits(3);
    for (const action of ['built', 'read'] as const) {
      const now = loadDigits({ seed: 3, cacheDir });
      expect(lastDigitCacheEvent?.action).toBe(action);
      expect(bytesEqual(now.train.images, old.train.images)).toBe(true);
      expect(bytesEqual(now.test.images, old.test.images)).toBe(true);
      expect(bytesEqual(now.train.labels, old.train.labels)).toBe(true);
      expect(bytesEqual(now.test.labels, old.test.labels)).toBe(true);
    }
    const raw = loadRawDigits({ cacheDir });
    raw.forEach((r, d) => expect(bytesEqual(r, old.raw[d])).toBe(true));
    expect(statSync(file).size).toBeLessThan(8.5e6); // one byte a pixel, not 4 (or 21 MB of JSON)
  });

  it('holds both sets in the one buffer the codes came in, reordered in place: no second copy (npm start\'s memory, issue 27)', () => {
    for (const action of ['built', 'read'] as const) {
      if (action === 'built') rmSync(file, { force: true });
      const { train, test } = loadDigits({ seed: 1, cacheDir });
      expect(lastDigitCacheEvent?.action).toBe(action);
      const a = bytesOf(train)!, b = bytesOf(test)!;
      expect(a.codes.buffer).toBe(b.codes.buffer);
      expect(b.codes.byteOffset).toBe(a.codes.byteOffset + a.codes.length);
      expect(a.codes.buffer.byteLength).toBeLessThan(a.codes.length + b.codes.length + 2048); // the file's bytes, not a larger buffer
    }
  });

  it('rebuilds a corrupt file (one flipped byte)', () => {
    load();
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    load();
    expect(lastDigitCacheEvent).toMatchObject({ action: 'built', reason: 'corrupt (checksum mismatch)' });
    load();
    expect(lastDigitCacheEvent?.action).toBe('read');
  });

  it('rebuilds a truncated, foreign or missing file', () => {
    writeFileSync(file, readFileSync(file).subarray(0, 50));
    load();
    expect(lastDigitCacheEvent?.reason).toMatch(/^truncated/);
    const bytes = readFileSync(file);
    bytes.write('NOTDIGIT', 0, 'latin1');
    writeFileSync(file, bytes);
    load();
    expect(lastDigitCacheEvent?.reason).toMatch(/wrong magic/);
    const other = mkdtempSync(join(tmpdir(), 'miniconv-digits-'));
    loadDigitCodes({ cacheDir: join(other, 'new', 'folder') });
    expect(lastDigitCacheEvent).toMatchObject({ action: 'built', reason: 'missing' });
  });

  it('rebuilds when the source files change (stale)', () => {
    const src = mkdtempSync(join(tmpdir(), 'miniconv-digits-src-'));
    mkdirSync(src, { recursive: true });
    for (let d = 0; d < 10; d++) copyFileSync(join(jsonDir, `${d}.json`), join(src, `${d}.json`));
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-digits-'));
    loadDigitCodes({ cacheDir: dir, sourceDir: src });
    loadDigitCodes({ cacheDir: dir, sourceDir: src });
    expect(lastDigitCacheEvent?.action).toBe('read');
    utimesSync(join(src, '4.json'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    loadDigitCodes({ cacheDir: dir, sourceDir: src });
    expect(lastDigitCacheEvent).toMatchObject({ action: 'built', reason: 'stale (the mnist package changed)' });
  });
});

/** The values scanDataArray reports, or null. */
function scan(text: string): number[] | null {
  const got: number[] = [];
  const n = scanDataArray(Buffer.from(text), (v, i) => { got[i] = v; });
  return n === null ? null : (expect(n).toBe(got.length), got);
}

describe('permuteImages: images reordered in place', () => {
  it('gives what copying image order[j] to place j gives, for random permutations of random lengths', () => {
    const rng = createRng(7);
    for (const n of [0, 1, 2, 3, 17, 100]) {
      const all = Uint8Array.from({ length: n * 784 }, () => Math.floor(rng.uniform() * 256));
      const order = Int32Array.from({ length: n }, (_, i) => i);
      rng.shuffle(order as unknown as number[]);
      const expected = new Uint8Array(all.length);
      order.forEach((from, j) => expected.set(all.subarray(from * 784, (from + 1) * 784), j * 784));
      permuteImages(all, order);
      expect(bytesEqual(all, expected)).toBe(true);
    }
  });

  it('rejects an order that is not a permutation, and a wrong length', () => {
    expect(() => permuteImages(new Uint8Array(3 * 784), Int32Array.from([1, 1, 0]))).toThrow(/not a permutation/);
    expect(() => permuteImages(new Uint8Array(3 * 784), Int32Array.from([0, 1]))).toThrow(/2 images of 784/);
  });
});

describe('scanDataArray: the digit JSON read without JSON.parse', () => {
  it('gives JSON.parse\'s numbers, bit for bit, for every form a JSON number can take', () => {
    const tokens = ['0', '-0', '1', '0.2', '0.624', '0.992', '0.1', '0.3', '123.456', '1e-3', '2.5E+2', '-7.125', '0.30000000000000004',
      '9007199254740993', '0.000001', '1234567890123456789', '0.1234567890123456', '-0.0', '5e-324', '1.7976931348623157e308'];
    const text = `{ "data" : [ ${tokens.join(' ,\n')} ] }\n`;
    const got = scan(text);
    const want = (JSON.parse(text) as { data: number[] }).data;
    expect(got).not.toBeNull();
    expect(got!.map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(want.map((v) => Object.is(v, -0) ? '-0' : v));
  });
  it('returns null for any other form, which JSON.parse then reads (or rejects)', () => {
    for (const text of ['{"data":[1,2]', '{"data":[01]}', '{"data":[1,]}', '{"other":[1]}', '{"data":[1]} x', '[1,2]', '{"data":[.5]}', '{"data":[1.]}']) {
      expect(scan(text), text).toBeNull();
    }
    expect(scan('{"data":[]}')).toEqual([]);
  });
});
