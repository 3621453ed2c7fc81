// Synthetic "own pictures" for the tests and for the measurement in README (own pictures): shapes
// drawn in colours, sizes, positions, rotations, backgrounds and light/dark polarity that change
// from picture to picture, written as PNG and JPEG files of varying sizes and aspect ratios into one
// subfolder per class, the way a user would collect them.
//
// How each picture is made (seeded; `makeShapeFolder(dir, { perClass, seed })`):
//   - size: width and height drawn independently from 40..96 pixels (so the aspect ratio varies);
//   - background: a random RGB colour, in half of the pictures a linear gradient to a second random
//     colour; foreground: a random RGB colour whose luma differs from the background's by at least
//     0.25 (either way: light on dark or dark on light, half and half);
//   - the shape: centre within the middle 30% of the picture, radius 25..45% of the short side,
//     rotated by a random angle (circles and rings are rotation-free), antialiased by 4x4 supersampling;
//   - Gaussian noise of sd 0..0.05 on every channel; a third of the files are JPEG (quality 60..95);
//   - a few pictures are RGBA PNGs with a transparent background (composited on white by the loader).
// With `hard: true` (the harder set of README's table): the shape is smaller (radius 18..42% of the
// short side), 2 to 5 low-contrast blobs (ellipses in the background colour moved 40% of the way to
// a random colour) clutter the background, the gradient is stronger and the noise sd is 0..0.08.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { createRng, type Rng } from '../src/rng.ts';

export const SHAPES = ['circle', 'cross', 'ring', 'square', 'star', 'triangle'] as const;
export type Shape = (typeof SHAPES)[number];

/** Whether the point (u, v), in units of the radius about the centre, unrotated, is inside the shape. */
function inside(shape: Shape, u: number, v: number): boolean {
  const r = Math.hypot(u, v);
  switch (shape) {
    case 'circle': return r <= 1;
    case 'ring': return r <= 1 && r >= 0.6;
    case 'square': return Math.abs(u) <= 0.78 && Math.abs(v) <= 0.78;
    case 'cross': return (Math.abs(u) <= 0.28 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.28 && Math.abs(u) <= 1);
    case 'triangle': { // equilateral, pointing up, circumradius 1
      const h = -v; // y grows downwards
      return h >= -0.5 && h <= 1 && Math.abs(u) <= ((1 - h) / 1.5) * 0.866;
    }
    case 'star': { // five points, inner radius 0.45
      if (r === 0) return true;
      const a = Math.atan2(u, -v); // 0 at the top
      const sector = (2 * Math.PI) / 5;
      const t = Math.abs((((a % sector) + sector) % sector) - sector / 2) / (sector / 2); // 1 at a point, 0 between
      return r <= 0.45 + 0.55 * t ** 1.5;
    }
  }
}

const luma = (c: number[]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];

function colourPair(rng: Rng): { bg: number[]; bg2: number[]; fg: number[] } {
  for (;;) {
    const bg = [rng.uniform(), rng.uniform(), rng.uniform()];
    const fg = [rng.uniform(), rng.uniform(), rng.uniform()];
    const bg2 = rng.uniform() < 0.5 ? bg : bg.map((v) => Math.min(1, Math.max(0, v + (rng.uniform() - 0.5) * 0.3)));
    if (Math.abs(luma(fg) - luma(bg)) >= 0.25 && Math.abs(luma(fg) - luma(bg2)) >= 0.25) return { bg, bg2, fg };
  }
}

/** One picture as RGBA bytes. */
export function drawShape(shape: Shape, rng: Rng, hard = false): { rgba: Uint8Array; width: number; height: number; transparent: boolean } {
  const width = 40 + rng.int(57), height = 40 + rng.int(57);
  const { bg, bg2, fg } = colourPair(rng);
  const side = Math.min(width, height);
  const radius = side * (hard ? 0.18 + 0.24 * rng.uniform() : 0.25 + 0.2 * rng.uniform());
  // Clutter (hard): ellipses (centre x, y, radii, angle, colour) in a colour between the background's and a random one.
  const blobs = hard ? Array.from({ length: 2 + rng.int(4) }, () => {
    const to = [rng.uniform(), rng.uniform(), rng.uniform()];
    return { x: rng.uniform() * width, y: rng.uniform() * height, a: side * (0.08 + 0.2 * rng.uniform()), b: side * (0.08 + 0.2 * rng.uniform()), t: rng.uniform() * Math.PI,
      colour: bg.map((v, c) => v + 0.4 * (to[c] - v)) };
  }) : [];
  const cx = width / 2 + (rng.uniform() - 0.5) * 0.3 * width, cy = height / 2 + (rng.uniform() - 0.5) * 0.3 * height;
  const angle = rng.uniform() * 2 * Math.PI, cos = Math.cos(angle), sin = Math.sin(angle);
  const noise = (hard ? 0.08 : 0.05) * rng.uniform();
  const transparent = !hard && rng.uniform() < 0.05;
  const gain = hard ? 1.6 : 1;
  const gx = gain * (rng.uniform() - 0.5), gy = gain * (rng.uniform() - 0.5);
  const rgba = new Uint8Array(width * height * 4);
  const S = 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let cover = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const px = x + (sx + 0.5) / S - cx, py = y + (sy + 0.5) / S - cy;
          const u = (cos * px + sin * py) / radius, v = (-sin * px + cos * py) / radius;
          if (inside(shape, u, v)) cover++;
        }
      }
      const a = cover / (S * S);
      const t = Math.min(1, Math.max(0, 0.5 + gx * (x / width - 0.5) * 2 + gy * (y / height - 0.5) * 2));
      const blob = blobs.find((e) => {
        const dx = x + 0.5 - e.x, dy = y + 0.5 - e.y, u = Math.cos(e.t) * dx + Math.sin(e.t) * dy, v = -Math.sin(e.t) * dx + Math.cos(e.t) * dy;
        return (u / e.a) ** 2 + (v / e.b) ** 2 <= 1;
      });
      for (let c = 0; c < 3; c++) {
        const back = blob ? blob.colour[c] : bg[c] * (1 - t) + bg2[c] * t;
        const v = a * fg[c] + (1 - a) * back + noise * rng.normal();
        rgba[4 * (y * width + x) + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
      rgba[4 * (y * width + x) + 3] = transparent ? Math.round(255 * a) : 255;
    }
  }
  return { rgba, width, height, transparent };
}

/**
 * Writes `perClass` pictures of each of `classes` (default all six shapes) into dir/<shape>/,
 * PNG or JPEG; returns the number of files written.
 */
export function makeShapeFolder(dir: string, opts: { perClass: number; seed: number; classes?: readonly Shape[]; hard?: boolean }): number {
  const rng = createRng(`shapes-${opts.hard ? 'hard-' : ''}${opts.seed}`);
  let files = 0;
  for (const shape of opts.classes ?? SHAPES) {
    mkdirSync(join(dir, shape), { recursive: true });
    for (let i = 0; i < opts.perClass; i++) {
      const { rgba, width, height, transparent } = drawShape(shape, rng, opts.hard === true);
      const asJpeg = !transparent && rng.uniform() < 1 / 3;
      const name = join(dir, shape, `${shape}-${String(i).padStart(3, '0')}.${asJpeg ? 'jpg' : 'png'}`);
      if (asJpeg) {
        writeFileSync(name, jpeg.encode({ data: Buffer.from(rgba), width, height }, 60 + rng.int(36)).data);
      } else {
        const png = new PNG({ width, height });
        png.data.set(rgba);
        writeFileSync(name, PNG.sync.write(png));
      }
      files++;
    }
  }
  return files;
}
