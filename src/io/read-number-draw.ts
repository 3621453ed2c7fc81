// Pictures of what `miniconv read` found, as RGBA arrays (no encoder: the command line writes them as
// PNG, the page puts them on a canvas): the boxes with the digit read above each, and the heat map of
// the fully convolutional network's scores over the picture.

import type { Layer } from '../layers/layer.ts';
import { Tensor } from '../tensor.ts';
import { resampleArea } from './image-ops.ts';
import type { ReadResult } from './read-number.ts';

/** 3x5 glyphs of the digits, row after row, '#' = ink. */
const GLYPHS = [
  '####.##.##.####', '.#.##..#..#.###', '###..#####..###', '###..####..####', '#.##.####..#..#',
  '####..###..####', '####..####.####', '###..#..#..#..#', '####.#####.####', '####.####..####',
];

/** Ten colours, one per class (the heat map's hue and the boxes'). */
export const CLASS_COLORS: ReadonlyArray<[number, number, number]> = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 200, 200], [240, 50, 230], [150, 150, 0], [128, 0, 0], [0, 0, 128],
];

function put(rgba: Uint8Array, W: number, H: number, x: number, y: number, c: readonly number[]): void {
  if (x < 0 || y < 0 || x >= W || y >= H) return;
  const i = 4 * (y * W + x);
  rgba[i] = c[0]; rgba[i + 1] = c[1]; rgba[i + 2] = c[2]; rgba[i + 3] = 255;
}

/** A copy of the picture with each digit's box and, above it (inside it when there is no room), the digit read. */
export function drawBoxes(rgba: ArrayLike<number>, width: number, height: number, result: Pick<ReadResult, 'digits'>): Uint8Array {
  const out = Uint8Array.from(rgba as ArrayLike<number>);
  for (const d of result.digits) {
    const [x, y, w, h] = d.box;
    const c = d.p < 0.7 ? [255, 140, 0] : [220, 0, 0]; // orange when unsure
    const t = Math.max(1, Math.round(h / 40)); // line thickness
    for (let k = 0; k < t; k++) {
      for (let i = x - k; i <= x + w + k; i++) { put(out, width, height, i, y - k, c); put(out, width, height, i, y + h + k, c); }
      for (let j = y - k; j <= y + h + k; j++) { put(out, width, height, x - k, j, c); put(out, width, height, x + w + k, j, c); }
    }
    const s = Math.max(2, Math.round(h / 12)); // glyph cell size
    const gy = y - 6 * s - t >= 0 ? y - 6 * s - t : y + t + 1;
    const glyph = GLYPHS[d.digit];
    for (let r = 0; r < 5; r++) {
      for (let q = 0; q < 3; q++) {
        if (glyph[r * 3 + q] !== '#') continue;
        for (let dy = 0; dy < s; dy++) for (let dx = 0; dx < s; dx++) put(out, width, height, x + q * s + dx, gy + r * s + dy, c);
      }
    }
  }
  return out;
}

/**
 * The fully convolutional network `fcn` (toFullyConvolutional of the classifier) run once over the
 * cleaned ink, scaled so that the digits' median height becomes 20 pixels (MNIST's box): a
 * (10, OH, OW) map of logits, one position every `stride` pixels of the scaled ink. Drawn as the
 * picture in grey with, at every position, the colour of the class it scores highest, as strong as
 * that class's probability, where the window holds ink (elsewhere the classifier was never trained to say anything).
 */
export function drawHeatmap(rgba: ArrayLike<number>, width: number, height: number, result: ReadResult, fcn: Layer, prepare?: (x: Tensor) => Tensor): Uint8Array {
  const heights = result.digits.map((d) => d.box[3] / result.scale).sort((a, b) => a - b);
  const median = heights.length ? heights[heights.length >> 1] : 20;
  const f = 20 / Math.max(1, median);
  const W = result.width, H = result.height;
  // Ink contrast-stretched like a digit's, then scaled; 14 pixels of blank around so edge digits get whole windows.
  let top = 0;
  for (let i = 0; i < result.ink.length; i++) top = Math.max(top, result.ink[i]);
  const sw = Math.max(1, Math.round(W * f)), sh = Math.max(1, Math.round(H * f)), pad = 14;
  const scaled = resampleArea(result.ink, W, H, 0, 0, W, H, sw, sh);
  const mw = sw + 2 * pad, mh = sh + 2 * pad;
  const x = new Tensor([1, 1, mh, mw]);
  for (let y = 0; y < sh; y++) for (let q = 0; q < sw; q++) x.data[(y + pad) * mw + q + pad] = Math.min(1, (scaled[y * sw + q] / Math.max(top, 1e-3)) * 1.5);
  const map = fcn.forward(prepare ? prepare(x) : x); // (1, 10, OH, OW)
  const [, K, OH, OW] = map.shape;
  const stride = OH > 1 ? (mh - 28) / (OH - 1) : 4;
  const out = new Uint8Array(width * height * 4);
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const i = 4 * (py * width + px);
      const grey = 0.5 * (0.299 * (rgba[i] as number) + 0.587 * (rgba[i + 1] as number) + 0.114 * (rgba[i + 2] as number)) + 127;
      // The map position whose window is centred nearest this pixel.
      const sx = (px / result.scale) * f + pad, sy = (py / result.scale) * f + pad;
      const oi = Math.min(OH - 1, Math.max(0, Math.round((sy - 14) / stride))), oj = Math.min(OW - 1, Math.max(0, Math.round((sx - 14) / stride)));
      // Ink near the window's centre (its middle 12x12).
      let inkNear = 0;
      const cy = Math.round(oi * stride + 14), cx = Math.round(oj * stride + 14);
      for (let y = cy - 6; y < cy + 6; y += 3) for (let q = cx - 6; q < cx + 6; q += 3) if (y >= 0 && q >= 0 && y < mh && q < mw) inkNear = Math.max(inkNear, x.data[y * mw + q]);
      let best = 0, max = -Infinity, sum = 0;
      for (let k = 0; k < K; k++) max = Math.max(max, map.data[(k * OH + oi) * OW + oj]);
      for (let k = 0; k < K; k++) { const e = Math.exp(map.data[(k * OH + oi) * OW + oj] - max); sum += e; if (e === 1) best = k; }
      const a = inkNear > 0.2 ? 0.75 / sum : 0;
      const c = CLASS_COLORS[best];
      out[i] = Math.round((1 - a) * grey + a * c[0]); out[i + 1] = Math.round((1 - a) * grey + a * c[1]); out[i + 2] = Math.round((1 - a) * grey + a * c[2]);
      out[i + 3] = 255;
    }
  }
  return out;
}
