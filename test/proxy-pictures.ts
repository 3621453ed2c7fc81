// Offline stand-ins for the two picture sets of issue 21's targets that no one here made, built from
// the held-out digits of the `mnist` package (the last 20% of each digit, which loadDigits never
// trains on). scripts/measure-pictures.ts writes the full-size sets and trains on them with the
// defaults; test/proxy-pictures.test.ts trains on small versions.
//
// 1. makeOptDigitsFolder: the UCI / scikit-learn "optical recognition of handwritten digits" recipe
//    (1,797 pictures of 8x8, 17 grey levels 0..16): each digit's ink (MNIST pixels > 0.5 after the
//    resize) is scaled so that its bounding box's longer side fills a 32x32 bitmap, centred, made
//    binary; the ink is counted in each 4x4 block, giving 8x8 pictures of 0..16. Written as PNGs,
//    grey level v/16 (light on dark) or 1 - v/16 (dark on light, as scikit-learn's gallery shows
//    them), at 8x8 or upscaled (nearest neighbour, blocky, as a screenshot of the gallery).
// 2. makeColourGlyphFolder: about 100 pictures per class, one class per digit, each an MNIST digit
//    (a different writer in every picture) drawn in a random colour on a random background: flat,
//    a linear gradient, stripes, a checkerboard or a noise texture, with its light/dark polarity
//    drawn at random, its size 45..85% of the picture's short side, its position anywhere inside the
//    centred square (what the default centre crop keeps); pictures of 36..96 pixels a side (aspect
//    varies), noise, a third as JPEG.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadRawDigits } from '../datasets/mnist.ts';
import { createRng, type Rng } from '../src/rng.ts';

const SIDE = 28;

/** The held-out digits of the mnist package: per digit, an array of 28x28 planes (0..1). */
export function heldOutDigits(): Float32Array[][] {
  return loadRawDigits().map((all) => {
    const count = all.length / (SIDE * SIDE), cut = Math.round(0.8 * count); // loadDigits' split
    return Array.from({ length: count - cut }, (_, k) => all.subarray((cut + k) * SIDE * SIDE, (cut + k + 1) * SIDE * SIDE));
  });
}

/** Bilinear sample of a 28x28 plane at (y, x), 0 outside. */
function sample(p: Float32Array, y: number, x: number): number {
  const y0 = Math.floor(y), x0 = Math.floor(x), fy = y - y0, fx = x - x0;
  const at = (yy: number, xx: number) => (yy >= 0 && yy < SIDE && xx >= 0 && xx < SIDE ? p[yy * SIDE + xx] : 0);
  return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
}

/** The bounding box of a digit's ink (pixels above 0.2): [top, left, height, width]. */
function inkBox(p: Float32Array): [number, number, number, number] {
  let top = SIDE, left = SIDE, bottom = -1, right = -1;
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    if (p[y * SIDE + x] > 0.2) { top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x); }
  }
  if (bottom < 0) return [0, 0, SIDE, SIDE];
  return [top, left, bottom - top + 1, right - left + 1];
}

/**
 * The digit as an n x n coverage mask (0..1): its ink box scaled so that the longer side fills the
 * square, centred (sampled bilinearly, 2x2 supersampled).
 */
export function digitMask(p: Float32Array, n: number): Float32Array {
  const [top, left, h, w] = inkBox(p);
  const scale = Math.max(h, w) / n; // source pixels per target pixel
  const oy = top + h / 2 - (n / 2) * scale, ox = left + w / 2 - (n / 2) * scale;
  const out = new Float32Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    let s = 0;
    for (const dy of [0.25, 0.75]) for (const dx of [0.25, 0.75]) s += sample(p, oy + (y + dy) * scale - 0.5, ox + (x + dx) * scale - 0.5);
    out[y * n + x] = Math.min(1, s / 4);
  }
  return out;
}

/** The optdigits picture of a digit: 8x8 counts 0..16 of a binary 32x32 bitmap's ink in 4x4 blocks. */
export function optDigit(p: Float32Array): Uint8Array {
  const bitmap = digitMask(p, 32);
  const out = new Uint8Array(64);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (bitmap[y * 32 + x] > 0.5) out[(y >> 2) * 8 + (x >> 2)]++;
  return out;
}

function writePng(file: string, rgba: Uint8Array, width: number, height: number): void {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  writeFileSync(file, PNG.sync.write(png));
}

/** How makeOptDigitsFolder writes the 8x8 pictures. */
export interface OptDigitsOptions {
  /** Pictures per digit (at most the held-out digits there are, about 200). */
  perClass: number;
  /** 'dark' ink on light (scikit-learn's gallery), 'light' ink on dark (the raw 0..16 counts as grey), or 'mixed' (half and half, per picture). */
  ink: 'dark' | 'light' | 'mixed';
  /** Written at 8x8 (1) or upscaled by this factor, nearest neighbour (default 1). */
  upscale?: number;
  /** Seed of the choice of digits and of the polarity in 'mixed'. */
  seed: number;
}

/** Writes dir/0 .. dir/9 of optdigits-style PNGs; returns the number of files. */
export function makeOptDigitsFolder(dir: string, digits: Float32Array[][], o: OptDigitsOptions): number {
  const rng = createRng(`optdigits-${o.seed}`);
  const f = o.upscale ?? 1, side = 8 * f;
  let files = 0;
  digits.forEach((planes, d) => {
    mkdirSync(join(dir, String(d)), { recursive: true });
    const pick = rng.shuffle(Array.from({ length: planes.length }, (_, i) => i)).slice(0, o.perClass);
    pick.forEach((i, k) => {
      const counts = optDigit(planes[i]);
      const dark = o.ink === 'dark' || (o.ink === 'mixed' && rng.uniform() < 0.5);
      const rgba = new Uint8Array(side * side * 4);
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
        const v = Math.round((255 * counts[Math.floor(y / f) * 8 + Math.floor(x / f)]) / 16);
        rgba.fill(dark ? 255 - v : v, 4 * (y * side + x), 4 * (y * side + x) + 3);
        rgba[4 * (y * side + x) + 3] = 255;
      }
      writePng(join(dir, String(d), `${d}-${String(k).padStart(3, '0')}.png`), rgba, side, side);
      files++;
    });
  });
  return files;
}

const luma = (c: number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
const rgb = (rng: Rng) => [rng.uniform(), rng.uniform(), rng.uniform()];

/** One colour-glyph picture: a digit's mask in a colour on a background, as RGBA bytes. */
export function drawGlyph(plane: Float32Array, rng: Rng): { rgba: Uint8Array; width: number; height: number } {
  const width = 36 + rng.int(61), height = 36 + rng.int(61);
  // Colours: the ink at least 0.3 of luma away from the background, either way (polarity at random).
  let bg: number[], fg: number[];
  do { bg = rgb(rng); fg = rgb(rng); } while (Math.abs(luma(fg) - luma(bg)) < 0.3);
  const second = bg.map((v) => Math.min(1, Math.max(0, v + (rng.uniform() - 0.5) * 0.5))); // the texture's other colour
  const kind = rng.int(5); // 0 flat, 1 gradient, 2 stripes, 3 checkerboard, 4 noise texture
  const period = 4 + rng.int(9), angle = rng.uniform() * Math.PI, ca = Math.cos(angle), sa = Math.sin(angle);
  const coarse = Array.from({ length: 64 }, () => rng.uniform()); // an 8x8 grid of values, bilinear: a cloudy texture
  const cloud = (y: number, x: number) => {
    const gy = (y / height) * 7, gx = (x / width) * 7, y0 = Math.floor(gy), x0 = Math.floor(gx), fy = gy - y0, fx = gx - x0;
    const at = (a: number, b: number) => coarse[Math.min(7, a) * 8 + Math.min(7, b)];
    return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
  };
  const mix = (y: number, x: number): number => {
    switch (kind) {
      case 1: return Math.min(1, Math.max(0, 0.5 + ((ca * (x - width / 2)) / width + (sa * (y - height / 2)) / height)));
      case 2: return Math.floor((ca * x + sa * y) / period) % 2 === 0 ? 0 : 1;
      case 3: return (Math.floor(x / period) + Math.floor(y / period)) % 2;
      case 4: return cloud(y, x);
      default: return 0;
    }
  };
  const side = Math.min(width, height), n = Math.max(8, Math.round(side * (0.45 + 0.4 * rng.uniform())));
  const mask = digitMask(plane, n);
  // Anywhere inside the centred square that the default centre crop keeps (a user's picture has its subject in it).
  const top = Math.floor((height - side) / 2) + rng.int(side - n + 1), left = Math.floor((width - side) / 2) + rng.int(side - n + 1);
  const noise = 0.06 * rng.uniform();
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const my = y - top, mx = x - left;
    const a = my >= 0 && my < n && mx >= 0 && mx < n ? mask[my * n + mx] : 0;
    const t = mix(y, x);
    for (let c = 0; c < 3; c++) {
      const v = a * fg[c] + (1 - a) * (bg[c] * (1 - t) + second[c] * t) + noise * rng.normal();
      rgba[4 * (y * width + x) + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
    rgba[4 * (y * width + x) + 3] = 255;
  }
  return { rgba, width, height };
}

/** Writes dir/0 .. dir/9 of colour-glyph pictures (a third JPEG); returns the number of files. */
export function makeColourGlyphFolder(dir: string, digits: Float32Array[][], o: { perClass: number; seed: number }): number {
  const rng = createRng(`colour-glyphs-${o.seed}`);
  let files = 0;
  digits.forEach((planes, d) => {
    mkdirSync(join(dir, String(d)), { recursive: true });
    const pick = rng.shuffle(Array.from({ length: planes.length }, (_, i) => i)).slice(0, o.perClass);
    pick.forEach((i, k) => {
      const { rgba, width, height } = drawGlyph(planes[i], rng);
      const name = join(dir, String(d), `${d}-${String(k).padStart(3, '0')}`);
      if (rng.uniform() < 1 / 3) writeFileSync(`${name}.jpg`, jpeg.encode({ data: Buffer.from(rgba), width, height }, 60 + rng.int(36)).data);
      else writePng(`${name}.png`, rgba, width, height);
      files++;
    });
  });
  return files;
}
