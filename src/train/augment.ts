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
