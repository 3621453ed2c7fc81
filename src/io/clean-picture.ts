// From a picture of a digit, any size, on paper or a screen, to the 28x28 input the network expects,
// the way document tools separate writing from its background, then MNIST's own normalisation.
// Pure arithmetic on arrays (no file system, no decoder), so a browser page runs the very same steps
// as `miniconv predict` (the playground's "what the net sees").
//
// preprocessDigit(rgba, width, height) runs, in order (each step is a small exported function):
//   1. greyFromRgba        luminance; a stroke on a transparent canvas is read from its alpha, whatever its colour
//   2. shrinkGrey          area-average down to at most WORK_SIDE pixels a side (bounded work on big photos);
//      assertNotBlank      a blank page (white, grey, transparent, black, with sensor noise) is "no digit found"
//   3. inkPolarity         dark ink on light paper, or light on dark: the ink is the minority that stands out locally
//   4. estimateBackground  the paper's brightness everywhere (a morphological closing: ink, thinner than the window, vanishes)
//   5. flattenIllumination ink = 1 - grey / background: shadows and uneven light divide out
//   6. thresholdInk        adaptive: above the paper's own noise (median + 6 robust sigmas), i.e. grey < (1 - T) * background locally
//   7. removeLines         long thin straight horizontal and vertical runs (ruled lines, margins, box edges), sparing the strokes that cross them
//   8. selectDigit         the connected ink that forms the digit: the biggest central blob and the pieces beside it
//   9. normalizeStroke     strokes brought to MNIST's width (about a tenth of the digit's height)
//  10. normalizeToMnist    MNIST's normalisation: bounding box into 20x20, centre of mass at the centre of 28x28
// and returns the 28x28 pixels with warnings when it is unsure.
//
// Letters: W, H the picture's width and height; x, y a pixel's column and row.

import { type Blob, boxMean, connectedComponents, discFilter, resampleArea, robustStats, squareFilter } from './image-ops.ts';

export { type Blob, boxMean, connectedComponents, discFilter, resampleArea, robustStats, squareFilter };

/** The side of the image preprocessDigit produces, in pixels: 28, as MNIST's digits. */
export const DIGIT_SIZE = 28;
const BOX = 20;
/** Pictures are shrunk to at most this many pixels a side before the search for the digit. */
export const WORK_SIDE = 800;

export interface PreprocessOptions {
  /** Names the picture in errors and warnings (default 'picture'). */
  source?: string;
  /** Also return every intermediate image (for `inspect` or a page that shows the steps). */
  steps?: boolean;
}

/** Intermediate images, all W x H of the working resolution, 0..1 (masks 0/1). */
export interface PreprocessSteps {
  width: number;
  height: number;
  grey: Float32Array;
  background: Float32Array;
  ink: Float32Array;
  mask: Uint8Array;
  lines: Uint8Array;
  digit: Uint8Array;
  polarity: 'dark' | 'light';
  usedAlpha: boolean;
  threshold: number;
}

/** What preprocessDigit returns: the MNIST-like 28x28 image, the warnings, and optionally the intermediate steps. */
export interface PreprocessResult {
  /** 28x28 values in 0..1, white digit on black, as in MNIST. */
  pixels: Float32Array;
  /** Sentences saying why the result may be wrong (empty when all looked well). */
  warnings: string[];
  /** Every intermediate image (as `inspect` shows them), only when the options asked for steps. */
  steps?: PreprocessSteps;
}

// ---------------------------------------------------------------------------------------------
// 1. Colour and alpha

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

/**
 * Grey levels 0..1 (dark = ink on white) from RGBA. When part of the picture is transparent and the
 * opaque part covers less than half of it, the opaque part is the stroke, whatever its colour (a
 * white stroke on a transparent canvas is as much a stroke as a black one): grey = 1 - alpha.
 * Otherwise transparent pixels are composited on white paper (rgbaToGrey).
 */
export function greyFromRgba(rgba: ArrayLike<number>, width: number, height: number): { grey: Float32Array; usedAlpha: boolean } {
  const n = width * height;
  let clear = 0, opaque = 0;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3];
    if (a < 128) clear++; else opaque++;
  }
  if (clear > 0.05 * n && opaque < 0.5 * n) {
    const grey = new Float32Array(n);
    for (let i = 0; i < n; i++) grey[i] = 1 - rgba[4 * i + 3] / 255;
    return { grey, usedAlpha: true };
  }
  return { grey: rgbaToGrey(rgba, width, height), usedAlpha: false };
}

// ---------------------------------------------------------------------------------------------
// 2. Size

/** Shrinks grey levels by area averaging so that neither side exceeds `maxSide` (returned as is when already small). */
export function shrinkGrey(grey: Float32Array, width: number, height: number, maxSide = WORK_SIDE): { grey: Float32Array; width: number; height: number } {
  const f = Math.max(width, height) / maxSide;
  if (f <= 1) return { grey, width, height };
  const ow = Math.max(1, Math.round(width / f)), oh = Math.max(1, Math.round(height / f));
  return { grey: resampleArea(grey, width, height, 0, 0, width, height, ow, oh), width: ow, height: oh };
}

/**
 * The least contrast a picture must hold to have a digit in it: the grey levels, averaged over 3x3
 * pixels (so that sensor noise and JPEG grain cancel), must span at least this much of black-to-white.
 * A faint pencil digit spans about 0.08; a blank page with noise of +-3 levels about 0.01.
 */
export const MIN_PICTURE_CONTRAST = 0.03;

/**
 * Throws "no digit found" for a blank page: a picture whose grey levels (3x3 means) span less than
 * MIN_PICTURE_CONTRAST. Without it, a white page read as light ink on a dark ground divides by a
 * background of 0 and the whole page becomes ink (issue 24 defect 7).
 */
export function assertNotBlank(grey: Float32Array, width: number, height: number, source: string): void {
  const smooth = boxMean(grey, width, height, 3);
  let lo = Infinity, hi = -Infinity;
  for (const v of smooth) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi - lo >= MIN_PICTURE_CONTRAST)) {
    throw new Error(`${source}: no digit found (the picture is nearly uniform, a blank page: its grey levels span only ${(100 * Math.max(0, hi - lo)).toFixed(1)}% of black to white, ` +
      `at least ${100 * MIN_PICTURE_CONTRAST}% is needed to tell ink from the background)`);
  }
}

// ---------------------------------------------------------------------------------------------
// 3-5. Polarity, background, flattening

/** The window of the background estimate: wider than any stroke (a third of the shorter side), odd. */
export function backgroundWindow(width: number, height: number): number {
  return Math.max(7, Math.round(Math.min(width, height) / 3)) | 1;
}

/**
 * 'dark' for dark ink on light paper, 'light' for light ink on a dark ground. The ink is the
 * minority: the pixels that differ most from their neighbourhood's mean (window k) lie on its side.
 * Read from the skew (third moment) of grey - localMean, which shadows and gradients leave near zero.
 */
export function inkPolarity(grey: Float32Array, width: number, height: number, k = backgroundWindow(width, height)): 'dark' | 'light' {
  const mean = boxMean(grey, width, height, k);
  let m3 = 0;
  for (let i = 0; i < grey.length; i++) { const d = grey[i] - mean[i]; m3 += d * d * d; }
  return m3 < 0 ? 'dark' : 'light';
}

/**
 * The paper's brightness at every pixel, for dark ink on light paper: a morphological closing
 * (max over a k x k window, then min over the same window) erases every dark feature thinner than k
 * (the strokes, ruled lines) and keeps larger regions (a shadow, the edge of a sticky note on a desk)
 * exactly, edges included. (Blurring it would smear those edges into false ink along their darker side.)
 */
export function estimateBackground(grey: Float32Array, width: number, height: number, k = backgroundWindow(width, height)): Float32Array {
  return squareFilter(squareFilter(grey, width, height, k, true), width, height, k, false);
}

/** Ink strength 0..1: how much darker than the paper under it each pixel is, relatively (1 - grey / background). */
export function flattenIllumination(grey: Float32Array, background: Float32Array): Float32Array {
  const ink = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) ink[i] = Math.min(1, Math.max(0, 1 - grey[i] / Math.max(background[i], 1e-3)));
  return ink;
}

// ---------------------------------------------------------------------------------------------
// 6. Threshold

/**
 * Which pixels are ink, judged on the ink averaged over 3x3 pixels (so that pencil grain and sensor
 * noise do not break strokes into specks). The threshold adapts to the picture: six robust standard deviations above
 * the paper's median ink (noise, grain and JPEG artefacts stay below it), and at least 0.06. On the
 * flattened ink this is a local threshold on the picture itself: ink where grey < (1 - T) x background.
 */
export function thresholdInk(ink: Float32Array, width: number, height: number): { mask: Uint8Array; threshold: number } {
  const smooth = boxMean(ink, width, height, 3); // grain and noise average out, strokes stay
  const { median, sigma } = robustStats(smooth);
  const threshold = Math.min(0.5, Math.max(0.06, median + 6 * sigma));
  const mask = new Uint8Array(ink.length);
  for (let i = 0; i < ink.length; i++) mask[i] = smooth[i] > threshold ? 1 : 0;
  return { mask, threshold };
}

// ---------------------------------------------------------------------------------------------
// 7. Lines

/**
 * Finds long thin straight horizontal and vertical lines in a mask: runs (gaps of up to 2 pixels
 * bridged) at least 60% of the picture's width (height) long and at least 20 times longer than thick.
 * A run's thickness is the median of its pixels' perpendicular run lengths; only its pixels no thicker
 * than that plus 2 are line, so a stroke that crosses or lies along the line keeps its pixels (where
 * two lines cross, both are line). Returns the line pixels (1) without changing the mask.
 */
export function findLines(mask: Uint8Array, width: number, height: number): Uint8Array {
  const scan = (horizontal: boolean) => {
    const thin = new Uint8Array(mask.length), member = new Uint8Array(mask.length);
    const along = horizontal ? width : height, across = horizontal ? height : width;
    const at = (a: number, c: number) => (horizontal ? c * width + a : a * width + c); // a along the line, c across
    const minLength = Math.max(20, Math.ceil(0.6 * along));
    for (let c = 0; c < across; c++) {
      let a = 0;
      while (a < along) {
        if (!mask[at(a, c)]) { a++; continue; }
        // A run from a0, bridging gaps of up to 2 pixels.
        const a0 = a;
        let last = a;
        while (a < along && (mask[at(a, c)] || (a - last <= 2 && a + 1 < along))) { if (mask[at(a, c)]) last = a; a++; }
        const a1 = last + 1;
        if (a1 - a0 < minLength) continue;
        // Perpendicular thickness at each pixel of the run.
        const thick: number[] = [];
        for (let p = a0; p < a1; p++) {
          if (!mask[at(p, c)]) { thick.push(0); continue; }
          let lo = c, hi = c;
          while (lo > 0 && mask[at(p, lo - 1)]) lo--;
          while (hi < across - 1 && mask[at(p, hi + 1)]) hi++;
          thick.push(hi - lo + 1);
        }
        const sorted = thick.filter((t) => t > 0).sort((u, v) => u - v);
        const t0 = sorted[sorted.length >> 1];
        if ((a1 - a0) < 20 * t0) continue;
        for (let p = a0; p < a1; p++) {
          if (thick[p - a0] === 0) continue;
          member[at(p, c)] = 1;
          if (thick[p - a0] <= t0 + 2) thin[at(p, c)] = 1;
        }
      }
    }
    return { thin, member };
  };
  const h = scan(true), v = scan(false);
  const lines = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) lines[i] = h.thin[i] | v.thin[i] | (h.member[i] & v.member[i]);
  return lines;
}

/** Removes line pixels from the mask, and from the ink with one pixel of their anti-aliased fringe. */
export function removeLines(mask: Uint8Array, ink: Float32Array, lines: Uint8Array, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!lines[i]) continue;
      mask[i] = 0;
      ink[i] = 0;
      for (const j of [i - width, i + width, i - 1, i + 1]) {
        if (j >= 0 && j < mask.length && !mask[j] && Math.abs((j % width) - x) <= 1) ink[j] = 0;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 8. The digit's connected ink

/**
 * Keeps the connected ink that forms the digit: the blob with the most ink, favouring blobs near the
 * centre (mass / (1 + 2 x distance from the centre / diagonal)) and, five to one for each side of
 * the picture it touches, blobs clear of the picture's edge (what touches the edges is more often
 * the desk around a note or a page than a digit), then every blob with at least 4% of
 * its ink whose box lies within its box grown by a third of its height (the bar of a 5 drawn apart,
 * a pencil stroke broken in two). Warns of other digit-sized blobs it left out. `edge` marks the
 * blobs left out that touch the picture's edge.
 */
export function selectDigit(mask: Uint8Array, ink: Float32Array, width: number, height: number): { digit: Uint8Array; edge: Uint8Array; box: { x0: number; y0: number; x1: number; y1: number }; warnings: string[] } | null {
  const { labels, blobs } = connectedComponents(mask, ink, width, height);
  if (blobs.length === 0) return null;
  const diag = Math.hypot(width, height);
  const edges = (b: Blob) => Number(b.x0 === 0) + Number(b.y0 === 0) + Number(b.x1 === width - 1) + Number(b.y1 === height - 1);
  const border = (b: Blob) => edges(b) > 0;
  const score = (b: Blob) => (b.mass / (1 + (2 * Math.hypot(b.cx - width / 2, b.cy - height / 2)) / diag)) * 0.2 ** edges(b);
  const main = blobs.reduce((best, b) => (score(b) > score(best) ? b : best));
  const kept = new Set([main.label]);
  const box = { x0: main.x0, y0: main.y0, x1: main.x1, y1: main.y1 };
  for (let grown = true; grown;) {
    grown = false;
    const m = Math.max(2, Math.round((box.y1 - box.y0 + 1) / 3));
    for (const b of blobs) {
      if (kept.has(b.label) || b.mass < 0.04 * main.mass) continue;
      if (b.x0 >= box.x0 - m && b.x1 <= box.x1 + m && b.y0 >= box.y0 - m && b.y1 <= box.y1 + m) {
        kept.add(b.label);
        box.x0 = Math.min(box.x0, b.x0); box.x1 = Math.max(box.x1, b.x1); box.y0 = Math.min(box.y0, b.y0); box.y1 = Math.max(box.y1, b.y1);
        grown = true;
      }
    }
  }
  const digit = new Uint8Array(mask.length), edge = new Uint8Array(mask.length);
  const onEdge = new Set(blobs.filter((b) => border(b) && !kept.has(b.label)).map((b) => b.label));
  for (let i = 0; i < mask.length; i++) {
    if (labels[i] && kept.has(labels[i])) digit[i] = 1;
    if (labels[i] && onEdge.has(labels[i])) edge[i] = 1;
  }
  const warnings: string[] = [];
  const h = box.y1 - box.y0 + 1;
  const others = blobs.filter((b) => !kept.has(b.label) && !border(b) && b.y1 - b.y0 + 1 >= 0.5 * h && b.mass >= 0.3 * main.mass);
  if (others.length > 0) {
    warnings.push(`${others.length + 1} digit-sized marks found; used the one at x ${box.x0}-${box.x1}, y ${box.y0}-${box.y1} ` +
      '(crop the picture to one digit)');
  }
  return { digit, edge, box, warnings };
}

// ---------------------------------------------------------------------------------------------
// 9-10. Stroke width and MNIST's normalisation

/** Mean stroke width of a mask (ink > 0.5): twice the area over the perimeter, as for a long ribbon. */
export function strokeWidth(ink: Float32Array, width: number, height: number): number {
  let area = 0, perimeter = 0;
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && ink[y * width + x] > 0.5;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!on(x, y)) continue;
      area++;
      perimeter += (on(x + 1, y) ? 0 : 1) + (on(x - 1, y) ? 0 : 1) + (on(x, y + 1) ? 0 : 1) + (on(x, y - 1) ? 0 : 1);
    }
  }
  return perimeter > 0 ? (2 * area) / perimeter : 0;
}

/** MNIST's strokes are about this fraction of the 20-pixel box wide (median of twice area over perimeter: 1.95 px of 20). */
export const MNIST_STROKE = 0.1;

/**
 * Brings the stroke width of an ink map (the digit cropped, its longer side `side` pixels) near MNIST's:
 * thin pen lines are dilated, marker strokes eroded, each by a disc; strokes within 0.6x to 1.8x of
 * MNIST's are left as they are.
 */
export function normalizeStroke(ink: Float32Array, width: number, height: number, side: number): Float32Array {
  const target = MNIST_STROKE * side;
  const s = strokeWidth(ink, width, height);
  if (s <= 0) return ink;
  if (s < 0.6 * target) return discFilter(ink, width, height, Math.max(1, Math.round((target - s) / 2)), true);
  if (s > 1.8 * target) return discFilter(ink, width, height, Math.max(1, Math.round((s - target) / 2)), false);
  return ink;
}

/**
 * MNIST's normalisation of an ink map (0 background, 1 full stroke; any size): the bounding box of
 * the strokes (ink > 0.2 of the strongest) scaled so that its longer side is 20 pixels (aspect ratio
 * kept, area-averaged), then placed so that its centre of mass sits at the centre of the 28x28 frame.
 */
export function normalizeToMnist(inkIn: Float32Array, width: number, height: number, source = 'picture'): Float32Array {
  let maxInk = 0;
  for (let i = 0; i < inkIn.length; i++) maxInk = Math.max(maxInk, inkIn[i]);
  if (!(maxInk > 0)) throw new Error(`${source}: no digit found (no ink)`);
  const ink = new Float32Array(inkIn.length);
  for (let i = 0; i < ink.length; i++) ink[i] = inkIn[i] / maxInk;

  // Bounding box of the strokes.
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0.2) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;

  // Scale the box so its longer side is 20 px.
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  const patch = resampleArea(ink, width, height, x0, y0, bw, bh, tw, th);

  // Centre of mass to the middle of the 28x28 frame.
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) { const v = patch[y * tw + x]; m += v; mx += v * x; my += v * y; }
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const ox = clamp(Math.round(DIGIT_SIZE / 2 - 0.5 - mx / m), 0, DIGIT_SIZE - tw);
  const oy = clamp(Math.round(DIGIT_SIZE / 2 - 0.5 - my / m), 0, DIGIT_SIZE - th);
  const out = new Float32Array(DIGIT_SIZE * DIGIT_SIZE);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(oy + y) * DIGIT_SIZE + ox + x] = Math.min(1, Math.max(0, patch[y * tw + x]));
  return out;
}

/**
 * MNIST-style 28x28 ink values (0 background, 1 full stroke) from grey levels of any size, the simple
 * way: ink is the distance from the paper colour read off the border, then normalizeToMnist. For clean
 * pictures; preprocessDigit handles paper, shadows, lines and transparency.
 */
export function toMnistDigit(grey: Float32Array, width: number, height: number, source = 'image'): Float32Array {
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
  return normalizeToMnist(ink, width, height, source);
}

// ---------------------------------------------------------------------------------------------
// The whole pipeline

function checkSize(rgba: ArrayLike<number>, width: number, height: number, source: string): void {
  if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1)) {
    throw new RangeError(`${source}: width and height must be integers >= 1, got ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`${source}: expected ${width}x${height}x4 = ${width * height * 4} RGBA values, got ${rgba.length}`);
  }
}

/**
 * From RGBA pixels of a picture of one digit (a decoded PNG or JPEG, or a canvas' ImageData) to the
 * 28x28 MNIST-style input, with warnings when the result may be wrong. See the steps at the top of
 * this file. Throws when there is no digit at all.
 */
export function preprocessDigit(rgba: ArrayLike<number>, width: number, height: number, options: PreprocessOptions = {}): PreprocessResult {
  const source = options.source ?? 'picture';
  checkSize(rgba, width, height, source);
  const warnings: string[] = [];
  const { grey: fullGrey, usedAlpha } = greyFromRgba(rgba, width, height);
  const { grey: g0, width: W, height: H } = shrinkGrey(fullGrey, width, height);
  if (W < 8 || H < 8) throw new Error(`${source}: ${width}x${height} pixels is too small to hold a digit (at least 8x8)`);
  assertNotBlank(g0, W, H, source);

  const k = backgroundWindow(W, H);
  const polarity = inkPolarity(g0, W, H, k);
  const grey = polarity === 'dark' ? g0 : g0.map((v) => 1 - v);
  const background = estimateBackground(grey, W, H, k);
  const ink = flattenIllumination(grey, background);
  const { mask, threshold } = thresholdInk(ink, W, H);
  const lines = findLines(mask, W, H);
  removeLines(mask, ink, lines, W, H);

  const found = selectDigit(mask, ink, W, H);
  if (!found) throw new Error(`${source}: no digit found (the picture is nearly uniform)`);
  const { digit, box } = found;
  // Ink that is not the digit (not counting what touches the picture's edge: a desk around a note,
  // a page edge), and the digit's own ink: either covering much of the picture means texture or
  // background was taken for ink. (An MNIST digit's strokes cover about a fifth of its 28x28 frame.)
  let other = 0, own = 0;
  for (let i = 0; i < mask.length; i++) { if (digit[i]) own++; else if (mask[i] && !found.edge[i]) other++; }
  if (other > 0.2 * mask.length) {
    warnings.push(`ink besides the digit covers ${Math.round((100 * other) / mask.length)}% of the picture: it may be texture or background (crop it to the digit)`);
  }
  // Ink everywhere is no ink separated from the background: no digit, whatever the picture holds.
  if (own > 0.9 * mask.length) {
    throw new Error(`${source}: no digit found (no ink is separated from the background: what was taken for the digit covers ${Math.round((100 * own) / mask.length)}% of the picture)`);
  }
  if (own > 0.5 * mask.length) {
    warnings.push(`the digit's ink covers ${Math.round((100 * own) / mask.length)}% of the picture: it may be mostly background (crop it to the digit)`);
  }
  warnings.push(...found.warnings);

  // The digit's own contrast: the strong part of its strokes (90th percentile of its ink).
  const strokes: number[] = [];
  for (let i = 0; i < digit.length; i++) if (digit[i]) strokes.push(ink[i]);
  strokes.sort((a, b) => a - b);
  const contrast = strokes[Math.floor(0.9 * (strokes.length - 1))];
  if (contrast < 0.15) warnings.push(`the digit is very faint (it is ${Math.round(100 * contrast)}% darker than the paper); the result may be unreliable`);
  const bh = box.y1 - box.y0 + 1, bw = box.x1 - box.x0 + 1;
  if (Math.max(bh, bw) < 12) warnings.push(`the digit is only ${bw}x${bh} pixels; the result may be unreliable`);
  // Cut off: strong ink of the digit (not just the 3x3-smoothed fringe of the mask) on the picture's border.
  let cut = false;
  for (let i = 0; i < digit.length && !cut; i++) {
    const x = i % W, y = (i - x) / W;
    cut = digit[i] === 1 && (x === 0 || y === 0 || x === W - 1 || y === H - 1) && ink[i] > 0.5 * contrast;
  }
  if (cut) warnings.push('the digit touches the edge of the picture: part of it may be cut off');

  // Crop the digit with a margin, keep only its own ink (and the soft edge around it), stretch
  // the contrast so its strokes reach 1, then bring it to 80 pixels and MNIST's stroke width.
  const margin = Math.max(2, Math.round(0.1 * Math.max(bw, bh)));
  const cx0 = Math.max(0, box.x0 - margin), cy0 = Math.max(0, box.y0 - margin);
  const cx1 = Math.min(W - 1, box.x1 + margin), cy1 = Math.min(H - 1, box.y1 + margin);
  const cw = cx1 - cx0 + 1, ch = cy1 - cy0 + 1;
  const near = squareFilter(Float32Array.from(digit), W, H, 3, true); // the digit and a 1-pixel fringe
  const crop = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = (cy0 + y) * W + cx0 + x;
      crop[y * cw + x] = near[i] > 0 ? Math.min(1, ink[i] / Math.max(contrast, 1e-3)) : 0;
    }
  }
  const side = 80;
  const f = side / Math.max(cw, ch);
  const sw = Math.max(1, Math.round(cw * f)), sh = Math.max(1, Math.round(ch * f));
  const scaled = resampleArea(crop, cw, ch, 0, 0, cw, ch, sw, sh);
  const stroked = normalizeStroke(scaled, sw, sh, Math.max(bw, bh) * f);
  const pixels = normalizeToMnist(stroked, sw, sh, source);
  return {
    pixels,
    warnings,
    ...(options.steps ? { steps: { width: W, height: H, grey, background, ink, mask, lines, digit, polarity, usedAlpha, threshold } } : {}),
  };
}
