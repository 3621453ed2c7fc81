// The offline stand-ins for issue 21's target sets (test/proxy-pictures.ts; scripts/make-proxy-pictures.ts
// writes the full ones that README's figures come from): the optdigits recipe and the colour glyphs,
// small, and `miniconv train --images` on a small optdigits-style folder choosing 16x16 by itself.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { digitMask, heldOutDigits, makeColourGlyphFolder, makeOptDigitsFolder, optDigit } from './proxy-pictures.ts';
import { runCli } from './cli-run.ts';

const root = mkdtempSync(join(tmpdir(), 'miniconv-proxy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const digits = heldOutDigits();
const readPng = (file: string) => PNG.sync.read(readFileSync(file));

describe('the optdigits recipe', () => {
  it('a digit whose ink is a filled rectangle fills the 32x32 bitmap along its longer side: counts 16 inside, 0 outside, 0..16 between', () => {
    const plane = new Float32Array(28 * 28);
    for (let y = 4; y < 24; y++) for (let x = 9; x < 19; x++) plane[y * 28 + x] = 1; // 20 tall, 10 wide
    const counts = optDigit(plane);
    expect(counts.every((v) => v >= 0 && v <= 16)).toBe(true);
    // The box scaled to 32 tall and 16 wide, centred: columns 8..23 of the bitmap, blocks 2..5 of 8.
    for (let y = 0; y < 8; y++) expect(Array.from(counts.subarray(y * 8, y * 8 + 8))).toEqual([0, 0, 16, 16, 16, 16, 0, 0]);
    const mask = digitMask(plane, 32);
    expect(mask[16 * 32 + 16]).toBe(1);
    expect(mask[16 * 32 + 2]).toBe(0);
  });

  it('real held-out digits give 8x8 pictures of 17 levels; dark ink on light, light on dark, and upscaled blocks', () => {
    const counts = optDigit(digits[3][0]);
    expect(Math.max(...counts)).toBe(16);
    expect(counts.filter((v) => v === 0).length).toBeGreaterThan(8); // background around the digit
    for (const [ink, upscale] of [['dark', 1], ['light', 1], ['dark', 4]] as const) {
      const dir = join(root, `od-${ink}-${upscale}`);
      expect(makeOptDigitsFolder(dir, digits.map((d) => d.slice(0, 3)), { perClass: 2, ink, upscale, seed: 1 })).toBe(20);
      expect(readdirSync(dir)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      const p = readPng(join(dir, '3', readdirSync(join(dir, '3'))[0]));
      expect([p.width, p.height]).toEqual([8 * upscale, 8 * upscale]);
      const greys = Array.from({ length: p.width * p.height }, (_, i) => p.data[4 * i]);
      const levels = new Set(Array.from({ length: 17 }, (_, v) => Math.round((255 * v) / 16)).flatMap((g) => [g, 255 - g]));
      expect(greys.every((g) => levels.has(g))).toBe(true); // 17 grey levels: 0..16 ink counts
      const corner = greys[0];
      expect(corner).toBe(ink === 'dark' ? 255 : 0); // the background
      if (upscale === 4) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) expect(greys[y * 32 + x]).toBe(greys[(y & ~3) * 32 + (x & ~3)]);
    }
  });
});

describe('the colour glyphs', () => {
  it('write PNG and JPEG pictures of varying sizes into one folder per digit, background colours varying', () => {
    const dir = join(root, 'glyphs');
    expect(makeColourGlyphFolder(dir, digits, { perClass: 3, seed: 2 })).toBe(30);
    const files = readdirSync(join(dir, '7'));
    expect(files.some((f) => f.endsWith('.jpg')) || files.every((f) => f.endsWith('.png'))).toBe(true);
    const pngs = readdirSync(dir).flatMap((c) => readdirSync(join(dir, c)).filter((f) => f.endsWith('.png')).map((f) => readPng(join(dir, c, f))));
    expect(new Set(pngs.map((p) => `${p.width}x${p.height}`)).size).toBeGreaterThan(5);
    expect(new Set(pngs.map((p) => p.data.slice(0, 3).join())).size).toBeGreaterThan(5); // the corners' colours
  });
});

describe('miniconv train --images on 8x8 scans', () => {
  it('trains at 16x16 without being told (the pictures are all smaller than 32 pixels), on every polarity', async () => {
    const dir = join(root, 'od-mixed');
    makeOptDigitsFolder(dir, digits.slice(0, 3), { perClass: 30, ink: 'mixed', seed: 3 });
    const r = await runCli('train', '--images', dir, '--epochs', '3', '--threads', '1', '--out', join(root, 'od.json'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/resized to 16x16 \(--size not given: the pictures are all smaller than 32 pixels/);
    expect(r.out).toMatch(/Input: \[N, 3, 16, 16\]/);
    const acc = Number(/Test accuracy ([\d.]+)%/.exec(r.out)![1]);
    expect(acc).toBeGreaterThan(100 / 3); // above chance after 3 epochs on 72 pictures
  }, 120_000);
});
