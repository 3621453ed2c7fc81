// A folder of your own pictures as a data set: one subfolder per class, the sorted subfolder names
// are the class names and their order the labels (as torchvision's ImageFolder and Keras's
// image_dataset_from_directory). Every PNG or JPEG (EXIF orientation honoured, digit-image.ts) of any
// size becomes C x H x W bytes through pictureToInput (src/io/picture-input.ts: alpha on white,
// centre crop or pad, antialiased resize, grey or RGB), the same function `predict` uses.
//
// Kept as one byte per channel (byteDataset, as the digits), and cached on disk: the cache file is
// keyed by the options and every file's path, size and modification time, so a second run with the
// same pictures reads one file instead of decoding them all; it is written atomically.
//
// Bad input is refused with one line naming the file or folder: fewer than 2 classes, an empty class,
// a file that is not a PNG or JPEG (or skipped with `skipBad`, each skipped file listed), a picture
// over the pixel cap, a folder whose pictures would not fit in `maxTotalBytes` (checked from the
// listing, before anything is decoded), names that collide after case folding.

import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodePicture, MAX_PICTURE_PIXELS, sniffPicture } from '../src/io/digit-image.ts';
import { writeFileAtomic } from '../src/io/model-file.ts';
import { type PictureFit, checkChannels, checkFit, checkInputSize, pictureToInput } from '../src/io/picture-input.ts';
import { MAX_PICTURE_BYTES, formatBytes, readRegularFile } from '../src/io/safe-read.ts';
import { createRng } from '../src/rng.ts';
import { type Dataset, byteDataset } from '../src/dataset.ts';
import { stratifiedSplit } from '../src/train/split.ts';
import { defaultCacheDir } from './digits-cache.ts';

/** Options of loadImageFolder and loadImageFolderAll. */
export interface ImageFolderOptions {
  /**
   * Side of the square input, or [H, W], or 'auto' (default 32): 'auto' is 32, or for a folder of
   * small pictures their largest side rounded up to a multiple of 4, at least 16 (autoPictureSize).
   */
  size?: number | [number, number] | 'auto';
  /** 1 = grey, 3 = RGB (default 3). */
  channels?: 1 | 3;
  /** Fraction of each class held out for testing (default 0.2); ignored when testDir is given. */
  split?: number;
  /** Seed of the split and of the order within each set (default 0). */
  seed?: number;
  /** Aspect policy: 'crop' the centre (default) or 'pad' the short side. */
  fit?: PictureFit;
  /** A separate folder of test pictures with the same class subfolders (some may be missing). */
  testDir?: string;
  /** Skip files that are not readable pictures instead of refusing the run; they are listed in `skipped`. */
  skipBad?: boolean;
  /** Largest picture file, in bytes (default 64 MB). */
  maxBytes?: number;
  /** Largest picture, width x height (default 50 megapixels). */
  maxPixels?: number;
  /** Largest memory the decoded pictures may take, in bytes (default 1 GiB). */
  maxTotalBytes?: number;
  /** Folder of the cache file (default node_modules/.cache/miniconv, as the digits); null: no cache. */
  cacheDir?: string | null;
  /** Bytes the folder's picture caches may take together; the least recently used are deleted past it (default 1 GiB). */
  cacheLimit?: number;
  /** Class names to use instead of the folder's own (the test folder, `eval --images`): a subfolder not among them is an error. */
  classes?: readonly string[];
}

/** What loadImageFolder returns: the two sets, their class names and what was skipped. */
export interface ImageFolderData {
  /** The training pictures (one byte per channel value), labels in class order. */
  train: Dataset;
  /** The held-out pictures: the stratified split, or the test folder. */
  test: Dataset;
  /** Sorted class names; label k is classes[k]. */
  classes: string[];
  /** Files skipped with skipBad, each with the reason. */
  skipped: Array<{ file: string; reason: string }>;
  /** Whether the pictures came from the cache ('read') or were decoded ('built'), per folder read. */
  cache: Array<'read' | 'built' | 'off'>;
}

/** A folder read whole: every picture's bytes in file order, its label, and what was skipped. */
interface FolderImages {
  codes: Uint8Array; // (count, C, H, W)
  labels: Uint8Array; // (count)
  classes: string[];
  skipped: Array<{ file: string; reason: string }>;
  cache: 'read' | 'built' | 'off';
}

export const DEFAULT_MAX_TOTAL_BYTES = 1024 ** 3;
const MAGIC = 'MCIMAGE1';
const WHO = 'loadImageFolder';

/** The palette of a picture byte: code / 255. */
const BYTE_PALETTE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * Loads a folder of pictures, one subfolder per class, split into a training and a test set
 * (stratified: `split` of each class held out, chosen by a seeded shuffle) or with a separate
 * test folder. Pictures are [C, H, W] in 0..1, held as one byte per value.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolderData {
  const opts = checkOptions(options.size === 'auto' ? { ...options, size: autoPictureSize(dir) } : options);
  const main = readFolder(dir, opts, options.classes);
  const classes = main.classes;
  const shape: [number, number, number] = [opts.channels, opts.size[0], opts.size[1]];
  const per = shape[0] * shape[1] * shape[2];
  const rng = createRng(`image-folder-split-${opts.seed}`);
  const make = (codes: Uint8Array, labels: Uint8Array, idx: number[]): Dataset => {
    const c = new Uint8Array(idx.length * per), l = new Uint8Array(idx.length);
    idx.forEach((i, k) => { c.set(codes.subarray(i * per, (i + 1) * per), k * per); l[k] = labels[i]; });
    return Object.assign(byteDataset(c, BYTE_PALETTE, l, shape), { classes: [...classes] });
  };
  if (options.testDir !== undefined) {
    const test = readFolder(options.testDir, opts, classes);
    const all = (n: number) => rng.shuffle(Array.from({ length: n }, (_, i) => i));
    return {
      train: make(main.codes, main.labels, all(main.labels.length)), test: make(test.codes, test.labels, all(test.labels.length)),
      classes, skipped: [...main.skipped, ...test.skipped], cache: [main.cache, test.cache],
    };
  }
  // Stratified (src/train/split.ts, as the page's own-classes panel splits): in each class, a seeded
  // shuffle, the first round(split * n) to the test set (at least one picture stays for training).
  const { train: trainIdx, test: testIdx } = stratifiedSplit(main.labels, classes.length, opts.split, rng);
  return { train: make(main.codes, main.labels, trainIdx), test: make(main.codes, main.labels, testIdx), classes, skipped: main.skipped, cache: [main.cache] };
}

/**
 * Every picture of a folder as one set, no split (`miniconv eval --images`): with `classes` (a
 * model's class names) a subfolder named otherwise is an error naming it, and classes may be missing.
 */
export function loadImageFolderAll(dir: string, options: ImageFolderOptions = {}): { set: Dataset; classes: string[]; skipped: Array<{ file: string; reason: string }>; cache: 'read' | 'built' | 'off' } {
  const opts = checkOptions(options.size === 'auto' ? { ...options, size: autoPictureSize(dir) } : options);
  const r = readFolder(dir, opts, options.classes);
  const shape: [number, number, number] = [opts.channels, opts.size[0], opts.size[1]];
  return { set: Object.assign(byteDataset(r.codes, BYTE_PALETTE, r.labels, shape), { classes: [...r.classes] }), classes: r.classes, skipped: r.skipped, cache: r.cache };
}

/** The side 'auto' gives a folder whose pictures are all large: the default input. */
export const AUTO_SIZE_MAX = 32;
/** The smallest side 'auto' gives: below it the default picture model's two poolings leave too little to see. */
export const AUTO_SIZE_MIN = 16;
/** Bytes of each file read for its width and height (a PNG's are in its first 24, a JPEG's after its EXIF block). */
const HEADER_BYTES = 4096;

/**
 * The input size `size: 'auto'` (the command line's default) gives a folder: AUTO_SIZE_MAX (32), or
 * when every picture is smaller, the largest side among them rounded up to a multiple of 4, at least
 * AUTO_SIZE_MIN (16): a folder of 8x8 scans trains at 16x16, a quarter of the work of 32x32 for the
 * same pixels (bilinear upscaling adds none), and a folder of 28x28 digits at 28x28, unscaled. Only
 * the headers are read (the first 4 kB of each file), and reading stops at the first picture of
 * 32 pixels or more, so a folder of photos costs one header. A header it cannot read (not a picture,
 * or a JPEG whose size comes after a long EXIF block) counts as large; the loader reports bad files.
 */
export function autoPictureSize(dir: string): [number, number] {
  let largest = 0;
  for (const c of listDir(dir, 'a folder with one subfolder of pictures per class')) {
    const cdir = join(dir, c);
    if (!statSync(cdir).isDirectory()) continue;
    for (const n of listDir(cdir, 'a class folder of pictures')) {
      const side = headerSide(join(cdir, n));
      if (side === null) continue; // a folder or a device: the loader says so
      largest = Math.max(largest, side);
      if (largest >= AUTO_SIZE_MAX) return [AUTO_SIZE_MAX, AUTO_SIZE_MAX];
    }
  }
  const side = Math.min(AUTO_SIZE_MAX, Math.max(AUTO_SIZE_MIN, 4 * Math.ceil(largest / 4)));
  return [side, side];
}

/** The larger of a picture file's width and height from its header; Infinity when unreadable, null for a non-file. */
function headerSide(path: string): number | null {
  let fd: number | undefined;
  try {
    if (!statSync(path).isFile()) return null;
    fd = openSync(path, 'r');
    const head = new Uint8Array(HEADER_BYTES);
    const n = readSync(fd, head, 0, HEADER_BYTES, 0);
    const { width, height } = sniffPicture(head.subarray(0, n), path);
    return Math.max(width, height);
  } catch {
    return Infinity;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface CheckedOptions {
  size: [number, number]; channels: 1 | 3; split: number; seed: number; fit: PictureFit; skipBad: boolean;
  maxBytes: number; maxPixels: number; maxTotalBytes: number; cacheDir: string | null; cacheLimit: number;
}

function checkOptions(o: ImageFolderOptions): CheckedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError(`${WHO}: expected an options object, got ${String(o)}`);
  const split = o.split ?? 0.2;
  if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new RangeError(`${WHO}: split must be a fraction between 0 and 1 (the share of each class held out), got ${JSON.stringify(o.split)}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`${WHO}: seed must be an integer, got ${JSON.stringify(o.seed)}`);
  const positive = (v: number | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`${WHO}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  let cacheDir: string | null;
  if (o.cacheDir === null) cacheDir = null;
  else if (o.cacheDir !== undefined) cacheDir = o.cacheDir;
  else {
    try { cacheDir = defaultCacheDir(); } catch { cacheDir = null; } // no mnist package: no default cache folder
  }
  return {
    size: checkInputSize(o.size ?? 32, WHO), channels: checkChannels(o.channels ?? 3, WHO), split, seed, fit: checkFit(o.fit, WHO), skipBad: o.skipBad === true,
    maxBytes: positive(o.maxBytes, MAX_PICTURE_BYTES, 'maxBytes'), maxPixels: positive(o.maxPixels, MAX_PICTURE_PIXELS, 'maxPixels'),
    maxTotalBytes: positive(o.maxTotalBytes, DEFAULT_MAX_TOTAL_BYTES, 'maxTotalBytes'), cacheDir,
    cacheLimit: positive(o.cacheLimit, 2 ** 30, 'cacheLimit'),
  };
}

/** The entries of a folder, or an error naming it. */
function listDir(dir: string, what: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new Error(`${WHO}: no such folder: ${dir}`);
  }
  if (!st.isDirectory()) throw new Error(`${WHO}: ${dir} is not a folder; expected ${what}`);
  return readdirSync(dir).filter((n) => !n.startsWith('.')).sort(); // hidden files (.DS_Store, .git) are not pictures
}

/** The first pair of names equal after case folding, as a message, or null. */
function caseCollision(names: readonly string[], where: string): string | null {
  const seen = new Map<string, string>();
  for (const n of names) {
    const key = n.normalize('NFC').toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) return `${where}: '${other}' and '${n}' differ only in letter case; they would be one name on macOS and Windows, rename one`;
    seen.set(key, n);
  }
  return null;
}

/** Reads one folder of class subfolders. `known`: the class names it must use (a test folder). */
function readFolder(dir: string, o: CheckedOptions, known?: readonly string[]): FolderImages {
  const entries = listDir(dir, 'a folder with one subfolder of pictures per class');
  const classDirs = entries.filter((n) => statSync(join(dir, n)).isDirectory());
  if (known === undefined && classDirs.length < 2) {
    throw new Error(`${WHO}: ${dir} holds ${classDirs.length === 0 ? 'no class subfolders' : `one class subfolder (${classDirs[0]})`}; ` +
      'a classifier needs at least 2 classes, one subfolder of pictures each');
  }
  if (classDirs.length > 256) throw new Error(`${WHO}: ${dir} holds ${classDirs.length} class subfolders; miniconv keeps a label in one byte, at most 256 classes`);
  const clash = caseCollision(classDirs, dir);
  if (clash) throw new Error(`${WHO}: ${clash}`);
  const classes = known ? [...known] : classDirs;
  for (const c of classDirs) {
    if (!classes.includes(c)) throw new Error(`${WHO}: ${join(dir, c)}: unknown class '${c}'; the model's classes are ${classes.join(', ')}`);
  }
  // The listing: every file of every class, in order.
  const files: Array<{ path: string; label: number; size: number; mtime: number }> = [];
  const notFiles: Array<{ file: string; reason: string }> = [];
  for (const c of classDirs) {
    const cdir = join(dir, c);
    const names = listDir(cdir, 'a class folder of pictures');
    const fileClash = caseCollision(names, cdir);
    if (fileClash) throw new Error(`${WHO}: ${fileClash}`);
    let count = 0;
    for (const n of names) {
      const path = join(cdir, n);
      const st = statSync(path);
      if (!st.isFile()) { notFiles.push({ file: path, reason: 'not a regular file (a folder or a device); class folders hold pictures only' }); continue; }
      files.push({ path, label: classes.indexOf(c), size: st.size, mtime: st.mtimeMs });
      count++;
    }
    if (count === 0 && known === undefined) throw new Error(`${WHO}: class folder ${cdir} holds no pictures; every class needs some (PNG or JPEG)`);
  }
  if (files.length === 0) throw new Error(`${WHO}: ${dir} holds no pictures in its class subfolders`);
  if (notFiles.length > 0 && !o.skipBad) throw new Error(`${WHO}: ${notFiles[0].file} is ${notFiles[0].reason} (skipBad / --skip-bad skips such files)`);
  const [H, W] = o.size;
  const per = o.channels * H * W;
  // Before decoding anything: would the pictures fit?
  const need = files.length * per;
  if (need > o.maxTotalBytes) {
    throw new Error(`${WHO}: ${dir} holds ${files.length} pictures; at ${o.channels}x${H}x${W} bytes each they would take ${formatBytes(need)} in memory, ` +
      `above the limit of ${formatBytes(o.maxTotalBytes)} (maxTotalBytes); use a smaller size, fewer pictures or raise the limit`);
  }
  // The cache: keyed by the options and every file's path, size and time.
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: 1, size: o.size, channels: o.channels, fit: o.fit, classes, maxPixels: o.maxPixels, maxBytes: o.maxBytes }));
  for (const f of files) hash.update(`\n${relative(dir, f.path)}\t${f.label}\t${f.size}\t${f.mtime}`);
  const key = hash.digest();
  const cacheFile = o.cacheDir === null ? null : join(o.cacheDir, `images-${key.toString('hex').slice(0, 32)}.bin`);
  if (cacheFile) {
    const cached = readCache(cacheFile, key, files.length * per, files.length);
    if (cached) {
      try { const now = new Date(); utimesSync(cacheFile, now, now); } catch { /* read-only cache: its age only orders pruning */ }
      const skipped = [...notFiles, ...cached.skipped];
      if (skipped.length > 0 && !o.skipBad) throw new Error(`${WHO}: ${cached.skipped[0].file}: ${cached.skipped[0].reason} (skipBad / --skip-bad skips such files)`);
      const out = compact(cached.codes, files.map((f) => f.label), cached.good, per);
      if (known === undefined) checkNotEmpty(dir, classes, out.labels);
      return { ...out, classes, skipped, cache: 'read' };
    }
  }
  // Decode, one picture at a time.
  const codes = new Uint8Array(files.length * per);
  const good = new Uint8Array(files.length);
  const bad: Array<{ file: string; reason: string }> = [];
  files.forEach((f, i) => {
    try {
      const bytes = readRegularFile(f.path, o.maxBytes, 'picture');
      const pic = decodePicture(bytes, f.path, { maxPixels: o.maxPixels });
      codes.set(pictureToInput(pic.rgba, pic.width, pic.height, { size: o.size, channels: o.channels, fit: o.fit }), i * per);
      good[i] = 1;
    } catch (e) {
      const msg = (e as Error).message.replace(/^picture: /, '');
      if (!o.skipBad) throw new Error(`${WHO}: ${msg.startsWith(f.path) ? msg : `${f.path}: ${msg}`} (skipBad / --skip-bad skips such files)`);
      bad.push({ file: f.path, reason: msg.startsWith(`${f.path} `) ? msg.slice(f.path.length + 1) : msg });
    }
  });
  if (cacheFile) {
    try {
      mkdirSync(o.cacheDir!, { recursive: true });
      writeFileAtomic(cacheFile, serializeCache(key, codes, good, bad));
      pruneImageCache(o.cacheDir!, cacheFile, o.cacheLimit);
    } catch {
      // a cache folder that cannot be written is not an error: the pictures are decoded again next time
    }
  }
  const out = compact(codes, files.map((f) => f.label), good, per);
  if (known === undefined) checkNotEmpty(dir, classes, out.labels);
  return { ...out, classes, skipped: [...notFiles, ...bad], cache: cacheFile ? 'built' : 'off' };
}

/**
 * Keeps the folder's picture caches (images-*.bin) within `limit` bytes by deleting the least
 * recently used ones (a read refreshes a file's time), never `keep`, the one just written. Every
 * folder, and every size or channel count of it, gets its own cache file, so without this they
 * would pile up for as long as the cache folder lives.
 */
export function pruneImageCache(cacheDir: string, keep: string, limit: number): string[] {
  const entries: Array<{ path: string; bytes: number; time: number }> = [];
  for (const name of readdirSync(cacheDir)) {
    if (!/^images-[0-9a-f]{32}\.bin$/.test(name)) continue;
    const path = join(cacheDir, name);
    try {
      const st = statSync(path);
      if (st.isFile()) entries.push({ path, bytes: st.size, time: st.mtimeMs });
    } catch { /* removed meanwhile */ }
  }
  let total = entries.reduce((s, e) => s + e.bytes, 0);
  const removed: string[] = [];
  for (const e of entries.sort((a, b) => a.time - b.time)) {
    if (total <= limit) break;
    if (e.path === keep) continue;
    try { unlinkSync(e.path); removed.push(e.path); total -= e.bytes; } catch { /* another process removed it */ }
  }
  return removed;
}

/** Every class keeps at least one picture after skipping. */
function checkNotEmpty(dir: string, classes: readonly string[], labels: Uint8Array): void {
  classes.forEach((c, k) => {
    if (!labels.includes(k)) throw new Error(`${WHO}: class folder ${join(dir, c)} holds no readable pictures (all were skipped)`);
  });
}

/** Keeps the pictures marked good, in order. */
function compact(codes: Uint8Array, labels: number[], good: Uint8Array, per: number): { codes: Uint8Array; labels: Uint8Array } {
  const n = good.reduce((s, g) => s + g, 0);
  if (n === good.length) return { codes, labels: Uint8Array.from(labels) };
  const c = new Uint8Array(n * per), l = new Uint8Array(n);
  let k = 0;
  good.forEach((g, i) => { if (g) { c.set(codes.subarray(i * per, (i + 1) * per), k * per); l[k++] = labels[i]; } });
  return { codes: c, labels: l };
}

// The cache file: MAGIC (8) | key (32) | SHA-256 of the rest (32) | JSON length (uint32 LE) | JSON
// { skipped } | good flags (count bytes) | codes (count * C*H*W bytes).
function serializeCache(key: Buffer, codes: Uint8Array, good: Uint8Array, skipped: Array<{ file: string; reason: string }>): Uint8Array {
  const json = Buffer.from(JSON.stringify({ skipped }), 'utf8');
  const body = Buffer.concat([Buffer.from(new Uint32Array([json.length]).buffer), json, good, codes]);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), key, createHash('sha256').update(body).digest(), body]);
}

/** The cached pictures, or null when the file is missing, stale or damaged (then they are decoded again). */
function readCache(file: string, key: Buffer, codesLength: number, count: number): { codes: Uint8Array; good: Uint8Array; skipped: Array<{ file: string; reason: string }> } | null {
  let buf: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > 72 + 4 + (1 << 24) + count + codesLength) return null;
    buf = readFileSync(file);
  } catch {
    return null;
  }
  if (buf.length < 76 || buf.toString('latin1', 0, 8) !== MAGIC || !buf.subarray(8, 40).equals(key)) return null;
  const body = buf.subarray(72);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(40, 72))) return null;
  const jsonLength = body.readUInt32LE(0);
  if (body.length !== 4 + jsonLength + count + codesLength) return null;
  try {
    const { skipped } = JSON.parse(body.toString('utf8', 4, 4 + jsonLength)) as { skipped: Array<{ file: string; reason: string }> };
    if (!Array.isArray(skipped)) return null;
    return { skipped, good: body.subarray(4 + jsonLength, 4 + jsonLength + count), codes: body.subarray(4 + jsonLength + count) };
  } catch {
    return null;
  }
}
