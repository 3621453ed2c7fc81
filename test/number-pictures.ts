// Pictures of whole handwritten numbers composed from 28x28 MNIST-style digits (white on black, 0..1),
// for the tests of `miniconv read` and scripts/measure-read.ts: each digit cropped to its ink, scaled,
// placed left to right with a gap (negative: the ink boxes overlap, so neighbours touch), a little
// vertical jitter, dark ink on paper; optionally a noisy page: uneven light (a shadow across), grain
// and ruled lines. Seeded: the same seed gives the same picture.
import type { Rng } from '../src/rng.ts';
import { resampleArea } from '../src/io/image-ops.ts';

export interface ComposeOptions {
  /** The number's size: its digits' 28x28 frames times a scale drawn from this range (MNIST's ink is ~20 of 28 px high). */
  scale: [number, number];
  /** Mixed sizes: each digit's scale is the number's times 1 +- up to this (default 0.25). */
  jitter?: number;
  /** Gap between neighbours' ink boxes, as a fraction of the smaller one's height (negative: overlapping). */
  gap: [number, number];
  noisy?: boolean;
}

export interface Composed { rgba: Uint8Array; width: number; height: number; text: string; boxes: Array<[number, number, number, number]> }

/** The ink box of a 28x28 digit (values > 0.1). */
function inkBox(d: Float32Array): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) if (d[y * 28 + x] > 0.1) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  return { x0, y0, x1, y1 };
}

const between = (rng: Rng, [lo, hi]: [number, number]) => lo + (hi - lo) * rng.uniform();

export function composeNumber(digits: Float32Array[], labels: number[], rng: Rng, o: ComposeOptions): Composed {
  const base = between(rng, o.scale), jitter = o.jitter ?? 0.25;
  const pieces = digits.map((d) => {
    const b = inkBox(d);
    const bw = b.x1 - b.x0 + 1, bh = b.y1 - b.y0 + 1;
    const s = base * (1 + jitter * (2 * rng.uniform() - 1));
    const w = Math.max(2, Math.round(bw * s)), h = Math.max(2, Math.round(bh * s));
    return { ink: resampleArea(d, 28, 28, b.x0, b.y0, bw, bh, w, h), w, h };
  });
  const tallest = Math.max(...pieces.map((p) => p.h));
  const margin = Math.round(0.4 * tallest) + 4;
  // x positions: each digit's ink box starts `gap` after the previous one's ends.
  const xs: number[] = [];
  let x = margin;
  pieces.forEach((p, k) => {
    if (k > 0) x += Math.round(between(rng, o.gap) * Math.min(p.h, pieces[k - 1].h));
    xs.push(x);
    x += p.w;
  });
  const width = x + margin, height = tallest + 2 * margin;
  const ink = new Float32Array(width * height);
  const boxes: Array<[number, number, number, number]> = [];
  pieces.forEach((p, k) => {
    // Bottoms roughly on one line, with a little jitter.
    const y0 = margin + (tallest - p.h) + Math.round((rng.uniform() - 0.5) * 0.15 * p.h);
    boxes.push([xs[k], y0, p.w, p.h]);
    for (let y = 0; y < p.h; y++) {
      for (let xx = 0; xx < p.w; xx++) {
        const i = (y0 + y) * width + xs[k] + xx;
        if (i >= 0 && i < ink.length) ink[i] = Math.max(ink[i], p.ink[y * p.w + xx]);
      }
    }
  });
  const rgba = new Uint8Array(width * height * 4);
  const shadowAngle = rng.uniform() * Math.PI, lineGap = Math.max(8, Math.round(0.8 * tallest)), lineOffset = Math.floor(rng.uniform() * lineGap);
  for (let y = 0; y < height; y++) {
    for (let xx = 0; xx < width; xx++) {
      let paper = 0.95;
      if (o.noisy) {
        const t = ((xx / width) * Math.cos(shadowAngle) + (y / height) * Math.sin(shadowAngle));
        paper = 0.55 + 0.4 * Math.min(1, Math.max(0, t + 0.3)); // a shadow across the page
        if ((y - lineOffset) % lineGap === 0) paper *= 0.75; // ruled lines
        paper += 0.04 * rng.normal(); // grain
      }
      const v = Math.min(1, Math.max(0, paper * (1 - 0.85 * ink[y * width + xx])));
      const i = 4 * (y * width + xx);
      rgba[i] = rgba[i + 1] = rgba[i + 2] = Math.round(255 * v);
      rgba[i + 3] = 255;
    }
  }
  return { rgba, width, height, text: labels.join(''), boxes };
}

/** Image k of a dataset as a 784-value array. */
export function digitImage(images: Float32Array, k: number): Float32Array {
  return images.slice(k * 784, (k + 1) * 784);
}
