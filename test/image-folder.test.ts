// loadImageFolder (datasets/image-folder.ts) on small folders the tests write: formats, sizes, alpha,
// EXIF orientation, crop and pad, the antialiased resize, the stratified split, the cache, and every
// bad input of issue 21 §1.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImageFolder } from '../datasets/index.ts';
import { autoPictureSize } from '../datasets/image-folder.ts';
import { bytesOf } from '../src/dataset.ts';

const root = mkdtempSync(join(tmpdir(), 'miniconv-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = () => { const d = join(root, `case${counter++}`); mkdirSync(d); return d; };

/** A PNG of w x h from a function (x, y) -> [r, g, b, a]. */
export function png(w: number, h: number, f: (x: number, y: number) => number[]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(f(x, y), 4 * (y * w + x));
  return PNG.sync.write(p);
}

function jpg(w: number, h: number, f: (x: number, y: number) => number[], orientation?: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...f(x, y).slice(0, 3), 255], 4 * (y * w + x));
  const bytes = jpeg.encode({ data, width: w, height: h }, 95).data;
  if (orientation === undefined) return bytes;
  // APP1 "Exif\0\0" + a big-endian TIFF header with one IFD entry: 0x0112 SHORT 1 = orientation.
  const tiff = Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255]), payload]);
  return Buffer.concat([bytes.subarray(0, 2), app1, bytes.subarray(2)]);
}

/** Writes class folders: { name: [file name, bytes][] }. */
function writeSet(dir: string, classes: Record<string, Array<[string, Buffer]>>): void {
  for (const [c, files] of Object.entries(classes)) {
    mkdirSync(join(dir, c), { recursive: true });
    for (const [n, b] of files) writeFileSync(join(dir, c, n), b);
  }
}

const solid = (rgb: number[]) => () => [...rgb, 255];
const codes = (set: ReturnType<typeof loadImageFolder>['train']) => bytesOf(set)!.codes;

describe('loadImageFolder: layout, split and formats', () => {
  it('sorted folder names are the classes; every picture becomes [3, 8, 8] bytes; the split is stratified and seeded', () => {
    const dir = fresh();
    const make = (rgb: number[], n: number) => Array.from({ length: n }, (_, i) => [`p${i}.png`, png(10 + i, 7 + 2 * i, solid(rgb))] as [string, Buffer]);
    writeSet(dir, { zebra: make([0, 0, 255], 10), apple: make([255, 0, 0], 10), mango: make([0, 255, 0], 5) });
    const a = loadImageFolder(dir, { size: 8, seed: 3, cacheDir: null });
    expect(a.classes).toEqual(['apple', 'mango', 'zebra']);
    expect(a.train.classes).toEqual(a.classes);
    expect(a.test.classes).toEqual(a.classes);
    expect(a.train.shape).toEqual([3, 8, 8]);
    expect(a.train.count + a.test.count).toBe(25);
    const perClass = (labels: Uint8Array) => [0, 1, 2].map((k) => labels.filter((l) => l === k).length);
    expect(perClass(a.test.labels)).toEqual([2, 1, 2]); // round(0.2 * n) of each class
    // Colour follows the label: apple is red, mango green, zebra blue.
    const c = codes(a.train);
    for (let i = 0; i < a.train.count; i++) {
      const img = c.subarray(i * 192, (i + 1) * 192);
      const k = a.train.labels[i];
      for (let ch = 0; ch < 3; ch++) expect(img[ch * 64 + 27]).toBe(ch === k ? 255 : 0);
    }
    const b = loadImageFolder(dir, { size: 8, seed: 3, cacheDir: null });
    expect(codes(b.test)).toEqual(codes(a.test));
    expect(b.test.labels).toEqual(a.test.labels);
    const other = loadImageFolder(dir, { size: 8, seed: 4, split: 0.4, cacheDir: null });
    expect(perClass(other.test.labels)).toEqual([4, 2, 4]);
  });

  it('alpha is composited on white; grey is luma; JPEG is read; [H, W] sizes', () => {
    const dir = fresh();
    writeSet(dir, {
      clear: [['a.png', png(6, 6, () => [255, 0, 0, 0])], ['b.png', png(6, 6, () => [0, 0, 0, 128])]],
      photo: [['c.jpg', jpg(16, 16, solid([0, 255, 0]))]],
    });
    const d = loadImageFolder(dir, { size: [4, 6], channels: 1, split: 0.5, testDir: undefined, cacheDir: null });
    expect(d.train.shape).toEqual([1, 4, 6]);
    const all = [...codes(d.train), ...codes(d.test)];
    const byFile = new Map<number, number>();
    for (const [set, cs] of [[d.train, codes(d.train)], [d.test, codes(d.test)]] as const) {
      for (let i = 0; i < set.count; i++) byFile.set(cs[i * 24], set.labels[i]);
    }
    expect(all.length).toBe(3 * 24);
    expect(byFile.get(255)).toBe(0); // fully transparent red: white paper
    expect(byFile.has(127)).toBe(true); // half-transparent black on white: 127
    const greenLuma = Math.round(0.587 * 255);
    expect([...byFile.keys()].some((v) => Math.abs(v - greenLuma) <= 3)).toBe(true); // JPEG green through luma
  });

  it('honours the EXIF orientation of a JPEG', () => {
    const dir = fresh();
    // Stored 16 wide x 8 high, left half black, right half white; orientation 6 (rotate 90° clockwise
    // to view) makes it 8 x 16 with the black half on top.
    const halves = (x: number) => (x < 8 ? [0, 0, 0] : [255, 255, 255]);
    writeSet(dir, { a: [['r.jpg', jpg(16, 8, halves, 6)]], b: [['s.jpg', jpg(16, 8, halves)]] });
    const d = loadImageFolder(dir, { size: [16, 8], channels: 1, split: 0.5, cacheDir: null });
    const set = d.train; // a class of one picture keeps it for training
    const c = codes(set);
    const i = set.labels.indexOf(0);
    const img = c.subarray(i * 128, (i + 1) * 128);
    expect(img[1 * 8 + 4]).toBeLessThan(40); // top: black
    expect(img[14 * 8 + 4]).toBeGreaterThan(215); // bottom: white
  });

  it('crops the centre by default, pads with the border colour with fit: pad', () => {
    const dir = fresh();
    // 30 x 10: red, green, blue thirds.
    const thirds = (x: number) => (x < 10 ? [255, 0, 0, 255] : x < 20 ? [0, 255, 0, 255] : [0, 0, 255, 255]);
    writeSet(dir, { a: [['t.png', png(30, 10, thirds)]], b: [['u.png', png(30, 10, thirds)]] });
    const crop = codes(loadImageFolder(dir, { size: 6, split: 0.5, cacheDir: null }).train);
    for (let i = 0; i < 36; i++) expect([crop[i], crop[36 + i], crop[72 + i]]).toEqual([0, 255, 0]);
    const pad = codes(loadImageFolder(dir, { size: 6, split: 0.5, fit: 'pad', cacheDir: null }).train);
    // The picture is 6 x 2 in rows 2..3; rows 0..1 and 4..5 hold the border's mean colour.
    expect([pad[2 * 6 + 0], pad[36 + 2 * 6 + 0], pad[72 + 2 * 6 + 0]]).toEqual([255, 0, 0]);
    expect([pad[3 * 6 + 3], pad[36 + 3 * 6 + 3], pad[72 + 3 * 6 + 3]]).toEqual([0, 255, 0]);
    // The border: 28 red, 20 green, 28 blue pixels of 76.
    expect([pad[0], pad[36], pad[72]]).toEqual([94, 67, 94]);
  });

  it('downscales with an antialiased (area) filter: a 1-pixel checkerboard becomes even grey', () => {
    const dir = fresh();
    const checker = (x: number, y: number) => ((x + y) % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255]);
    writeSet(dir, { a: [['c.png', png(64, 64, checker)]], b: [['d.png', png(64, 64, checker)]] });
    const c = codes(loadImageFolder(dir, { size: 8, channels: 1, split: 0.5, cacheDir: null }).train);
    for (const v of c) expect(Math.abs(v - 128)).toBeLessThanOrEqual(1);
  });

  it('takes a separate test folder with the same classes (some may be missing)', () => {
    const dir = fresh(), test = fresh();
    writeSet(dir, { a: [['1.png', png(4, 4, solid([0, 0, 0]))]], b: [['2.png', png(4, 4, solid([9, 9, 9]))]] });
    writeSet(test, { b: [['3.png', png(4, 4, solid([9, 9, 9]))], ['4.png', png(4, 4, solid([9, 9, 9]))]] });
    const d = loadImageFolder(dir, { size: 4, testDir: test, cacheDir: null });
    expect([d.train.count, d.test.count]).toEqual([2, 2]);
    expect([...d.test.labels]).toEqual([1, 1]);
    writeSet(test, { c: [['5.png', png(4, 4, solid([9, 9, 9]))]] });
    expect(() => loadImageFolder(dir, { size: 4, testDir: test, cacheDir: null })).toThrow(/unknown class 'c'; the model's classes are a, b/);
  });
});

describe('loadImageFolder: the cache', () => {
  it('reads the second run from the cache, and decodes again when a file changes or the cache is damaged', () => {
    const dir = fresh(), cacheDir = fresh();
    writeSet(dir, { a: [['1.png', png(9, 9, solid([1, 2, 3]))]], b: [['2.png', png(9, 9, solid([200, 100, 0]))], ['3.png', png(5, 5, solid([7, 7, 7]))]] });
    const first = loadImageFolder(dir, { size: 4, cacheDir });
    expect(first.cache).toEqual(['built']);
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^images-[0-9a-f]{32}\.bin$/); // no temporary file left behind
    const second = loadImageFolder(dir, { size: 4, cacheDir });
    expect(second.cache).toEqual(['read']);
    expect(codes(second.train)).toEqual(codes(first.train));
    expect(codes(second.test)).toEqual(codes(first.test));
    // A new modification time: the key changes, the pictures are decoded again.
    utimesSync(join(dir, 'a', '1.png'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(loadImageFolder(dir, { size: 4, cacheDir }).cache).toEqual(['built']);
    expect(loadImageFolder(dir, { size: 4, cacheDir }).cache).toEqual(['read']);
    // Other options, another entry.
    expect(loadImageFolder(dir, { size: 5, cacheDir }).cache).toEqual(['built']);
    // A damaged cache file is rebuilt, not trusted.
    for (const f of readdirSync(cacheDir)) writeFileSync(join(cacheDir, f), Buffer.from('MCIMAGE1 but not much else'));
    const again = loadImageFolder(dir, { size: 4, cacheDir });
    expect(again.cache).toEqual(['built']);
    expect(codes(again.train)).toEqual(codes(first.train));
  });
});

describe('loadImageFolder: the cache stays within cacheLimit', () => {
  it('deletes the least recently used picture caches, keeps the one just written and the digit cache', () => {
    const dir = fresh(), cacheDir = fresh();
    writeSet(dir, { a: [['1.png', png(9, 9, solid([1, 2, 3]))]], b: [['2.png', png(9, 9, solid([200, 100, 0]))]] });
    writeFileSync(join(cacheDir, 'digits-v1.bin'), Buffer.alloc(5000)); // not a picture cache: never pruned
    const names = () => readdirSync(cacheDir).filter((f) => f.startsWith('images-')).sort();
    // Each size's cache file name (the name is the key), found by building it alone in a fresh folder.
    const fileOf = new Map<number, string>();
    for (const size of [4, 5, 6, 7]) {
      const solo = fresh();
      loadImageFolder(dir, { size, cacheDir: solo });
      fileOf.set(size, readdirSync(solo)[0]);
      if (size < 7) loadImageFolder(dir, { size, cacheDir });
    }
    expect(names()).toHaveLength(3);
    const age = (size: number, t: number) => utimesSync(join(cacheDir, fileOf.get(size)!), new Date(t), new Date(t));
    age(4, 1e12); age(6, 1.1e12); age(5, 1.2e12); // oldest first: 4, 6, 5
    expect(loadImageFolder(dir, { size: 4, cacheDir }).cache).toEqual(['read']); // a read makes 4 the most recent
    // A new entry with room for three of the four: 6, now the least recently used, goes.
    const bytes = (size: number) => statSync(join(cacheDir, fileOf.get(size)!)).size;
    const limit = bytes(4) + bytes(5) + bytes(6) + 100; // 7 is 78 bytes larger than 6 and far larger than 100
    loadImageFolder(dir, { size: 7, cacheDir, cacheLimit: limit });
    expect(names()).toEqual([fileOf.get(4)!, fileOf.get(5)!, fileOf.get(7)!].sort());
    expect(readdirSync(cacheDir)).toContain('digits-v1.bin');
    // A limit below the new entry's own size still keeps the new entry.
    loadImageFolder(dir, { size: 8, cacheDir, cacheLimit: 1 });
    expect(names()).toHaveLength(1);
    expect(loadImageFolder(dir, { size: 8, cacheDir }).cache).toEqual(['read']);
  });
});

describe('loadImageFolder: bad input, one line naming the file or folder', () => {
  const ok = () => png(4, 4, solid([0, 0, 0]));
  it('fewer than 2 classes, an empty class, a missing folder', () => {
    const one = fresh();
    writeSet(one, { only: [['1.png', ok()]] });
    expect(() => loadImageFolder(one, { cacheDir: null })).toThrow(`loadImageFolder: ${one} holds one class subfolder (only); a classifier needs at least 2 classes`);
    const none = fresh();
    expect(() => loadImageFolder(none, { cacheDir: null })).toThrow(/holds no class subfolders/);
    const empty = fresh();
    writeSet(empty, { a: [['1.png', ok()]], b: [] });
    expect(() => loadImageFolder(empty, { cacheDir: null })).toThrow(`loadImageFolder: class folder ${join(empty, 'b')} holds no pictures`);
    expect(() => loadImageFolder(join(root, 'nope'), { cacheDir: null })).toThrow(`loadImageFolder: no such folder: ${join(root, 'nope')}`);
  });

  it('a file that is not a picture: refused, or skipped and listed with skipBad', () => {
    const dir = fresh();
    writeSet(dir, { a: [['1.png', ok()], ['notes.txt', Buffer.from('hello')]], b: [['2.png', ok()], ['3.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1])]] });
    expect(() => loadImageFolder(dir, { cacheDir: null })).toThrow(new RegExp(`^loadImageFolder: ${join(dir, 'a', 'notes.txt')} is not a readable PNG image or JPEG photo.*--skip-bad`));
    const cacheDir = fresh();
    for (let run = 0; run < 2; run++) { // the second run reads the cache and still lists them
      const d = loadImageFolder(dir, { skipBad: true, cacheDir, split: 0.5 });
      expect(d.cache).toEqual([run === 0 ? 'built' : 'read']);
      expect(d.skipped.map((s) => s.file)).toEqual([join(dir, 'a', 'notes.txt'), join(dir, 'b', '3.jpg')]);
      expect(d.skipped[1].reason).toMatch(/JPEG/);
      expect(d.train.count + d.test.count).toBe(2);
    }
    expect(() => loadImageFolder(dir, { cacheDir })).toThrow(/notes\.txt.*--skip-bad/);
  });

  it('a picture over the pixel cap, named, before it is decoded', () => {
    const dir = fresh();
    writeSet(dir, { a: [['1.png', ok()]], b: [['big.png', png(100, 100, solid([0, 0, 0]))]] });
    expect(() => loadImageFolder(dir, { maxPixels: 5000, cacheDir: null })).toThrow(`loadImageFolder: ${join(dir, 'b', 'big.png')} is 100x100 = 0.0 megapixels, above the limit`);
  });

  it('a folder too large for memory, checked from the listing before anything is decoded', () => {
    const dir = fresh();
    // The files are not even pictures: the size check comes first, and says how much it would take.
    writeSet(dir, { a: Array.from({ length: 30 }, (_, i) => [`${i}.png`, Buffer.from('x')]), b: [['z.png', Buffer.from('y')]] });
    expect(() => loadImageFolder(dir, { size: 64, maxTotalBytes: 100_000, cacheDir: null }))
      .toThrow(`loadImageFolder: ${dir} holds 31 pictures; at 3x64x64 bytes each they would take 372.0 KB in memory, above the limit of 97.7 KB (maxTotalBytes)`);
  });

  it('names that collide after case folding', () => {
    const dir = fresh();
    writeSet(dir, { Cat: [['1.png', ok()]], cat: [['2.png', ok()]], dog: [['3.png', ok()]] });
    expect(() => loadImageFolder(dir, { cacheDir: null })).toThrow(`loadImageFolder: ${dir}: 'Cat' and 'cat' differ only in letter case`);
    const files = fresh();
    writeSet(files, { a: [['x.png', ok()], ['X.PNG', ok()]], b: [['y.png', ok()]] });
    expect(() => loadImageFolder(files, { cacheDir: null })).toThrow(`'X.PNG' and 'x.png' differ only in letter case`);
  });

  it('bad options', () => {
    const dir = fresh();
    expect(() => loadImageFolder(dir, { size: 0 })).toThrow(/size must be an integer from 4 to 1024/);
    expect(() => loadImageFolder(dir, { channels: 2 as 1 })).toThrow(/channels must be 1 \(grey\) or 3/);
    expect(() => loadImageFolder(dir, { split: 1 })).toThrow(/split must be a fraction between 0 and 1/);
    expect(() => loadImageFolder(dir, { fit: 'stretch' as 'pad' })).toThrow(/fit must be 'crop'/);
  });
});

describe("size 'auto' (the command line's default): 32, or the pictures' own size when they are all small", () => {
  const grey = (w: number, h: number) => png(w, h, (x, y) => [(x * 37 + y * 11) % 256, 0, 0, 255]);
  const folder = (sizes: Array<[number, number]>) => {
    const d = fresh();
    writeSet(d, { a: sizes.map(([w, h], i) => [`a${i}.png`, grey(w, h)]), b: [['b.png', grey(8, 8)]] });
    return d;
  };

  it('8x8 scans train at 16x16 (at least 16), 20x27 pictures at 28x28 (a multiple of 4), a folder with a 32-pixel picture at 32', () => {
    expect(autoPictureSize(folder([[8, 8], [8, 8]]))).toEqual([16, 16]);
    expect(autoPictureSize(folder([[20, 12], [9, 27]]))).toEqual([28, 28]);
    expect(autoPictureSize(folder([[8, 8], [32, 10]]))).toEqual([32, 32]);
    expect(autoPictureSize(folder([[500, 300]]))).toEqual([32, 32]);
  });

  it('a file whose header does not give a size counts as large (the loader then names it)', () => {
    const d = folder([[8, 8]]);
    writeFileSync(join(d, 'a', 'notes.txt'), 'not a picture');
    expect(autoPictureSize(d)).toEqual([32, 32]);
  });

  it("loadImageFolder({ size: 'auto' }) reads 8x8 pictures at 16x16, the same bytes as size 16", () => {
    const d = folder([[8, 8], [8, 8], [8, 8], [8, 8]]);
    const auto = loadImageFolder(d, { size: 'auto', cacheDir: null, split: 0.25 });
    expect(auto.train.shape).toEqual([3, 16, 16]);
    const fixed = loadImageFolder(d, { size: 16, cacheDir: null, split: 0.25 });
    expect(bytesOf(auto.train)!.codes).toEqual(bytesOf(fixed.train)!.codes);
  });
});
