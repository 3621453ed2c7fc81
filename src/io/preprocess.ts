// Turns grey levels of a picture of a digit, any size, into a 28x28 input the way the MNIST digits
// were made: white digit on black, its bounding box scaled to fit 20x20 (aspect ratio kept,
// anti-aliased), then placed so that its centre of mass sits at the centre of the 28x28 frame.
// Pure arithmetic on arrays (no file system, no decoder), so a browser page runs the very same
// steps as `miniconv predict` (the playground's "what the net sees").

export const DIGIT_SIZE = 28;
const BOX = 20;

/** Grey levels 0..1 from RGBA bytes (e.g. a PNG or a canvas' ImageData); transparent pixels count as white paper. */
export function rgbaToGrey(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const grey = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const lum = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    const a = rgba[4 * i + 3] / 255;
    grey[i] = a * lum + (1 - a);
  }
  return grey;
}

/** MNIST-style 28x28 ink values (0 background, 1 full stroke) from grey levels of any size. */
export function toMnistDigit(grey: Float32Array, width: number, height: number, source = 'image'): Float32Array {
  // 1. Ink = distance from the paper colour, read off the border; normalised to 0..1.
  let borderSum = 0, borderN = 0;
  for (let x = 0; x < width; x++) { borderSum += grey[x] + grey[(height - 1) * width + x]; borderN += 2; }
  for (let y = 0; y < height; y++) { borderSum += grey[y * width] + grey[y * width + width - 1]; borderN += 2; }
  const paper = borderSum / borderN;
  const darkInk = paper > 0.5; // dark digit on light paper: invert
  const ink = new Float32Array(width * height);
  let maxInk = 0;
  for (let i = 0; i < ink.length; i++) {
    ink[i] = Math.max(0, darkInk ? paper - grey[i] : grey[i] - paper);
    maxInk = Math.max(maxInk, ink[i]);
  }
  if (maxInk < 0.1) throw new Error(`${source}: no digit found (the picture is nearly uniform)`);
  for (let i = 0; i < ink.length; i++) ink[i] /= maxInk;

  // 2. Bounding box of the strokes.
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0.2) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;

  // 3. Scale the box so its longer side is 20 px, averaging the source pixels each target pixel covers.
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  const patch = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      // Source rectangle [sx0, sx1) x [sy0, sy1) in continuous coordinates.
      const sx0 = x0 + (tx * bw) / tw, sx1 = x0 + ((tx + 1) * bw) / tw;
      const sy0 = y0 + (ty * bh) / th, sy1 = y0 + ((ty + 1) * bh) / th;
      let sum = 0, area = 0;
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const hy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const hx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
          sum += ink[sy * width + sx] * hx * hy;
          area += hx * hy;
        }
      }
      patch[ty * tw + tx] = sum / area;
    }
  }

  // 4. Centre of mass to the middle of the 28x28 frame.
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) { const v = patch[y * tw + x]; m += v; mx += v * x; my += v * y; }
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const ox = clamp(Math.round(DIGIT_SIZE / 2 - 0.5 - mx / m), 0, DIGIT_SIZE - tw);
  const oy = clamp(Math.round(DIGIT_SIZE / 2 - 0.5 - my / m), 0, DIGIT_SIZE - th);
  const out = new Float32Array(DIGIT_SIZE * DIGIT_SIZE);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(oy + y) * DIGIT_SIZE + ox + x] = patch[y * tw + x];
  return out;
}

