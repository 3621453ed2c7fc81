// Data augmentation: small random changes to each training image, drawn from the training loop's
// seeded rng, so that the model sees a slightly different digit every epoch. With only 8,000
// training digits this is what lifts test accuracy past 98.5% (see README).

import type { Rng } from '../rng.ts';

/** Changes a batch in place: `images` holds n images of shape [C, H, W], one after another. */
export type Augment = (images: Float32Array, n: number, shape: readonly [number, number, number], rng: Rng) => void;

/**
 * Shifts each image by a random whole number of pixels, -max..max in each direction (independently),
 * filling the uncovered border with zeros (the MNIST background).
 */
export function randomShift(max: number): Augment {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`randomShift: max must be an integer >= 0, got ${max}`);
  let copy = new Float32Array(0); // one image, reused
  return (images, n, [C, H, W], rng) => {
    const per = C * H * W;
    if (copy.length !== per) copy = new Float32Array(per);
    for (let k = 0; k < n; k++) {
      const dy = rng.int(2 * max + 1) - max, dx = rng.int(2 * max + 1) - max;
      if (dx === 0 && dy === 0) continue;
      const img = images.subarray(k * per, (k + 1) * per);
      copy.set(img);
      img.fill(0);
      // out[c, y, x] = in[c, y - dy, x - dx] where that is inside the image
      for (let c = 0; c < C; c++) {
        for (let y = Math.max(0, dy); y < Math.min(H, H + dy); y++) {
          const src = c * H * W + (y - dy) * W, dst = c * H * W + y * W;
          for (let x = Math.max(0, dx); x < Math.min(W, W + dx); x++) img[dst + x] = copy[src + x - dx];
        }
      }
    }
  };
}

export interface AffineOptions {
  /** Largest rotation either way, in degrees (default 10). */
  degrees?: number;
  /** Largest relative change of size either way (default 0.1: 90% to 110%). */
  scale?: number;
  /** Largest shift either way, in pixels (default 2). */
  shift?: number;
}

/**
 * Rotates, scales and shifts each image by a small random amount about its centre, sampling the
 * source bilinearly (zeros outside). Like torchvision's RandomAffine: the digit stays a digit, but
 * the model never sees quite the same picture twice.
 */
export function randomAffine(opts: AffineOptions = {}): Augment {
  const degrees = opts.degrees ?? 10, scale = opts.scale ?? 0.1, shift = opts.shift ?? 2;
  if (!(degrees >= 0 && scale >= 0 && scale < 1 && shift >= 0)) {
    throw new RangeError(`randomAffine: expected degrees >= 0, 0 <= scale < 1, shift >= 0; got ${JSON.stringify(opts)}`);
  }
  let copy = new Float32Array(0); // one image, reused
  return (images, n, [C, H, W], rng) => {
    const per = C * H * W;
    if (copy.length !== per) copy = new Float32Array(per);
    const cy = (H - 1) / 2, cx = (W - 1) / 2;
    for (let k = 0; k < n; k++) {
      const angle = ((2 * rng.uniform() - 1) * degrees * Math.PI) / 180;
      const s = 1 + (2 * rng.uniform() - 1) * scale;
      const ty = (2 * rng.uniform() - 1) * shift, tx = (2 * rng.uniform() - 1) * shift;
      // Inverse map: for each output pixel, where in the source does it come from?
      const cos = Math.cos(angle) / s, sin = Math.sin(angle) / s;
      const img = images.subarray(k * per, (k + 1) * per);
      copy.set(img);
      for (let c = 0; c < C; c++) {
        const plane = c * H * W;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const dy = y - cy - ty, dx = x - cx - tx;
            const sy = cos * dy - sin * dx + cy, sx = sin * dy + cos * dx + cx;
            const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
            const at = (yy: number, xx: number) => (yy >= 0 && yy < H && xx >= 0 && xx < W ? copy[plane + yy * W + xx] : 0);
            img[plane + y * W + x] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          }
        }
      }
    }
  };
}
