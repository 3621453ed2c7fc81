// Pictures of digits as people really have them, synthesised in memory from a fixed seed (issue 13):
// clean printed-like and handwritten-like digits (thick and thin strokes, light on dark, off-centre,
// small in a large picture, rotated), ruled notebook paper, a side shadow, pale pencil, sticky notes,
// strokes of any colour on a transparent canvas, and JPEG "photos" (uneven light, grain, blur).
//
// "Printed" digits come from a small stroke font drawn here; "handwritten" ones are held-out MNIST
// test digits (the default model never trains on them), upscaled, smoothed and given pen-like edges.
// Used by test/real-world.test.ts, test/preprocess.test.ts and examples/real-world.ts.

import jpeg from 'jpeg-js';
import { loadDigits } from '../datasets/mnist.ts';
import { type Rng, createRng } from '../src/rng.ts';

export type Style = 'clean' | 'ruled' | 'shadow' | 'pencil' | 'sticky' | 'transparent' | 'jpeg';
export const STYLES: Style[] = ['clean', 'ruled', 'shadow', 'pencil', 'sticky', 'transparent', 'jpeg'];

export interface SynthPicture {
  style: Style;
  /** What varies within the style (e.g. 'thin', 'light-on-dark'). */
  variant: string;
  label: number;
  width: number;
  height: number;
  /** RGBA bytes; for 'jpeg' the decoded photo is not here but in `bytes`. */
  rgba: Uint8Array;
  /** The encoded file for 'jpeg'. */
  bytes?: Uint8Array;
  /** The digit's own ink (W x H, 0..1) as placed, without paper, lines, shadow or noise: what preprocessing should find. */
  truth: Float32Array;
}

// ---------------------------------------------------------------------------------------------
// The digit as an ink map (0..1) placed in a W x H picture

type Pt = [number, number];
const arc = (cx: number, cy: number, rx: number, ry: number, a0: number, a1: number, n = 24): Pt[] =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = ((a0 + ((a1 - a0) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as Pt;
  });

/** A stroke font: each digit a few polylines in a 0.6 x 1 box (y down), like a plain sans-serif. */
export const FONT: Pt[][][] = [
  [arc(0.3, 0.5, 0.28, 0.48, 0, 360, 40)],
  [[[0.17, 0.15], [0.34, 0]], [[0.34, 0], [0.34, 1]]],
  [[...arc(0.3, 0.28, 0.27, 0.26, -170, 25), [0.03, 1], [0.6, 1]]],
  [arc(0.3, 0.25, 0.24, 0.24, -160, 90), arc(0.3, 0.74, 0.27, 0.26, -90, 160)],
  [[[0.46, 1], [0.46, 0], [0.02, 0.7], [0.6, 0.7]]],
  [[[0.55, 0], [0.12, 0], [0.08, 0.46]], arc(0.3, 0.68, 0.28, 0.3, -145, 155)],
  [arc(0.58, 0.7, 0.53, 0.68, -100, -180), arc(0.31, 0.72, 0.26, 0.27, 0, 360, 36)],
  [[[0.02, 0], [0.58, 0], [0.2, 1]]],
  [arc(0.3, 0.25, 0.21, 0.24, 0, 360, 32), arc(0.3, 0.74, 0.27, 0.26, 0, 360, 36)],
  [arc(0.3, 0.3, 0.26, 0.29, 0, 360, 36), [[0.56, 0.3], [0.46, 1]]],
];

export interface Placement {
  /** Centre of the digit in the picture, pixels. */
  cx: number;
  cy: number;
  /** Height of the digit, pixels. */
  size: number;
  /** Rotation, degrees (clockwise). */
  angle: number;
  /** Stroke width as a fraction of the digit's height (font digits only). */
  stroke: number;
  /** MNIST digits only: the grey level where the pen's edge is drawn (default 0.3; lower is thicker). */
  edge?: number;
}

function distToSegment(px: number, py: number, a: Pt, b: Pt): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy);
}

/** Renders a font digit: ink 1 within half the stroke width of its polylines, anti-aliased over one pixel. */
export function fontInk(digit: number, W: number, H: number, p: Placement): Float32Array {
  const c = Math.cos((p.angle * Math.PI) / 180), s = Math.sin((p.angle * Math.PI) / 180);
  const toPic = ([x, y]: Pt): Pt => {
    const u = (x - 0.3) * p.size, v = (y - 0.5) * p.size;
    return [p.cx + c * u - s * v, p.cy + s * u + c * v];
  };
  const segs: Array<[Pt, Pt]> = [];
  for (const line of FONT[digit]) for (let i = 0; i + 1 < line.length; i++) segs.push([toPic(line[i]), toPic(line[i + 1])]);
  const half = (p.stroke * p.size) / 2;
  const ink = new Float32Array(W * H);
  const x0 = Math.max(0, Math.floor(p.cx - p.size)), x1 = Math.min(W, Math.ceil(p.cx + p.size));
  const y0 = Math.max(0, Math.floor(p.cy - p.size)), y1 = Math.min(H, Math.ceil(p.cy + p.size));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      let d = Infinity;
      for (const [a, b] of segs) d = Math.min(d, distToSegment(x + 0.5, y + 0.5, a, b));
      ink[y * W + x] = Math.max(0, Math.min(1, half + 0.5 - d));
    }
  }
  return ink;
}

/** Renders a 28x28 MNIST digit as handwriting: its 20x20 box scaled to `size`, smoothed, with pen-like edges. */
export function mnistInk(img: Float32Array, W: number, H: number, p: Placement): Float32Array {
  const c = Math.cos((p.angle * Math.PI) / 180), s = Math.sin((p.angle * Math.PI) / 180);
  const scale = 20 / p.size; // MNIST pixels per picture pixel
  const e = Math.min(p.edge ?? 0.3, 0.74);
  const sample = (u: number, v: number) => {
    const x = u - 0.5, y = v - 0.5;
    const xa = Math.floor(x), ya = Math.floor(y), fx = x - xa, fy = y - ya;
    const at = (i: number, j: number) => (i >= 0 && j >= 0 && i < 28 && j < 28 ? img[j * 28 + i] : 0);
    return (1 - fy) * ((1 - fx) * at(xa, ya) + fx * at(xa + 1, ya)) + fy * ((1 - fx) * at(xa, ya + 1) + fx * at(xa + 1, ya + 1));
  };
  const ink = new Float32Array(W * H);
  const x0 = Math.max(0, Math.floor(p.cx - p.size)), x1 = Math.min(W, Math.ceil(p.cx + p.size));
  const y0 = Math.max(0, Math.floor(p.cy - p.size)), y1 = Math.min(H, Math.ceil(p.cy + p.size));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - p.cx, dy = y + 0.5 - p.cy;
      const u = 14 + scale * (c * dx + s * dy), v = 14 + scale * (-s * dx + c * dy); // inverse rotation
      const t = (sample(u, v) - e) / 0.25; // pen-like edge: 0 below e, 1 above e + 0.25, smooth between
      ink[y * W + x] = t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
    }
  }
  return ink;
}

// ---------------------------------------------------------------------------------------------
// Backgrounds and compositing

type RGB = [number, number, number];

function blank(W: number, H: number, paper: RGB): Float32Array {
  const rgb = new Float32Array(W * H * 3);
  for (let i = 0; i < W * H; i++) rgb.set(paper, 3 * i);
  return rgb;
}

/** Paints `colour` over rgb with coverage `ink` (0..1). */
function paint(rgb: Float32Array, ink: Float32Array, colour: RGB): void {
  for (let i = 0; i < ink.length; i++) {
    const a = ink[i];
    if (a > 0) for (let ch = 0; ch < 3; ch++) rgb[3 * i + ch] = (1 - a) * rgb[3 * i + ch] + a * colour[ch];
  }
}

function line(W: number, H: number, horizontal: boolean, at: number, thickness: number): Float32Array {
  const ink = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.abs((horizontal ? y : x) + 0.5 - at);
      ink[y * W + x] = Math.max(0, Math.min(1, thickness / 2 + 0.5 - d));
    }
  }
  return ink;
}

function toRgba(rgb: Float32Array, W: number, H: number, rng: Rng, noise = 0): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    const n = noise ? noise * rng.normal() : 0;
    for (let ch = 0; ch < 3; ch++) rgba[4 * i + ch] = Math.round(255 * Math.min(1, Math.max(0, rgb[3 * i + ch] + n)));
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

function blurRgb(rgb: Float32Array, W: number, H: number, passes: number): void {
  const tmp = new Float32Array(rgb.length);
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let ch = 0; ch < 3; ch++) {
      let s = 0, n = 0;
      for (let d = -1; d <= 1; d++) { const xx = x + d; if (xx >= 0 && xx < W) { s += rgb[3 * (y * W + xx) + ch]; n++; } }
      tmp[3 * (y * W + x) + ch] = s / n;
    }
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let ch = 0; ch < 3; ch++) {
      let s = 0, n = 0;
      for (let d = -1; d <= 1; d++) { const yy = y + d; if (yy >= 0 && yy < H) { s += tmp[3 * (yy * W + x) + ch]; n++; } }
      rgb[3 * (y * W + x) + ch] = s / n;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The styles

const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.uniform();

let heldOut: { images: Float32Array; labels: Uint8Array; count: number } | null = null;
/** Held-out MNIST digits: the bundled test split, which the default model never trains on. */
function mnistDigit(label: number, k: number): Float32Array {
  heldOut ??= loadDigits().test;
  let seen = 0;
  for (let n = 0; n < heldOut.count; n++) {
    if (heldOut.labels[n] !== label) continue;
    if (seen++ === k) return heldOut.images.subarray(n * 784, (n + 1) * 784);
  }
  throw new Error(`pictures: no held-out MNIST digit ${label} number ${k}`);
}

/** A digit's ink: font (printed) or MNIST (handwritten), alternately. */
function digitInk(handwritten: boolean, label: number, k: number, W: number, H: number, p: Placement): Float32Array {
  return handwritten ? mnistInk(mnistDigit(label, k), W, H, p) : fontInk(label, W, H, p);
}

const CLEAN_VARIANTS = ['plain', 'thick', 'thin', 'light-on-dark', 'off-centre', 'small-in-large', 'rotated', 'colour'] as const;

function clean(i: number, rng: Rng): SynthPicture {
  const label = i % 10, handwritten = Math.floor(i / 10) % 2 === 1;
  const variant = CLEAN_VARIANTS[(i + Math.floor(i / 10)) % CLEAN_VARIANTS.length];
  let W = Math.round(between(rng, 100, 300)), H = Math.round(between(rng, 100, 300));
  const p: Placement = { cx: W / 2, cy: H / 2, size: 0.7 * Math.min(W, H), angle: between(rng, -4, 4), stroke: between(rng, 0.09, 0.14) };
  let paper: RGB = [0.97, 0.97, 0.96], pen: RGB = [0.05, 0.05, 0.1];
  if (variant === 'thick') p.stroke = between(rng, 0.2, 0.26);
  if (variant === 'thin') p.stroke = between(rng, 0.015, 0.03);
  if (variant === 'light-on-dark') { paper = [0.08, 0.1, 0.12]; pen = [0.95, 0.95, 0.9]; }
  if (variant === 'colour') { paper = [0.85, 0.92, 1]; pen = [0.7, 0.1, 0.1]; }
  if (variant === 'off-centre') { p.size = 0.4 * Math.min(W, H); p.cx = between(rng, 0.25, 0.75) * W; p.cy = between(rng, 0.28, 0.72) * H; }
  if (variant === 'small-in-large') { W = Math.round(between(rng, 500, 900)); H = Math.round(between(rng, 500, 900)); p.size = between(rng, 30, 50); p.cx = between(rng, 0.2, 0.8) * W; p.cy = between(rng, 0.2, 0.8) * H; }
  if (variant === 'rotated') p.angle = (rng.uniform() < 0.5 ? -1 : 1) * between(rng, 10, 20);
  const rgb = blank(W, H, paper);
  // Thick or thin handwriting: the pen's edge drawn at a lower or higher level of the MNIST digit.
  p.edge = variant === 'thick' ? 0.05 : variant === 'thin' ? 0.75 : 0.3;
  const truth = digitInk(handwritten, label, i, W, H, p);
  paint(rgb, truth, pen);
  return { style: 'clean', variant: `${handwritten ? 'handwritten' : 'printed'} ${variant}`, label, width: W, height: H, rgba: toRgba(rgb, W, H, rng), truth };
}

function ruled(i: number, rng: Rng): SynthPicture {
  const label = i % 10, W = Math.round(between(rng, 200, 320)), H = Math.round(between(rng, 200, 320));
  const rgb = blank(W, H, [0.98, 0.97, 0.92]);
  const gap = between(rng, 0.18, 0.26) * H, off = between(rng, 0, gap);
  for (let y = off; y < H; y += gap) paint(rgb, line(W, H, true, y, between(rng, 1, 2.5)), [0.55, 0.7, 0.9]);
  paint(rgb, line(W, H, false, between(rng, 0.1, 0.2) * W, 2), [0.9, 0.4, 0.45]); // the margin
  const p: Placement = { cx: between(rng, 0.45, 0.6) * W, cy: between(rng, 0.4, 0.6) * H, size: between(rng, 1.2, 2) * gap, angle: between(rng, -6, 6), stroke: 0.1 };
  const truth = digitInk(i % 2 === 1, label, 20 + i, W, H, p);
  paint(rgb, truth, [0.1, 0.15, 0.45]);
  return { style: 'ruled', variant: i % 2 ? 'handwritten' : 'printed', label, width: W, height: H, rgba: toRgba(rgb, W, H, rng, 0.01), truth };
}

function shadow(i: number, rng: Rng): SynthPicture {
  const label = i % 10, W = Math.round(between(rng, 200, 320)), H = Math.round(between(rng, 200, 320));
  const rgb = blank(W, H, [0.93, 0.92, 0.88]);
  const p: Placement = { cx: W / 2, cy: H / 2, size: 0.6 * Math.min(W, H), angle: between(rng, -5, 5), stroke: 0.1 };
  const truth = digitInk(i % 2 === 1, label, 40 + i, W, H, p);
  paint(rgb, truth, [0.08, 0.08, 0.1]);
  // A shadow from one side: brightness falls to `dark` beyond a soft edge that runs across the digit.
  const dark = between(rng, 0.3, 0.5), edge = between(rng, 0.35, 0.65) * W, soft = between(rng, 5, 40), side = rng.uniform() < 0.5;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const t = 1 / (1 + Math.exp(((side ? x : W - x) - edge) / soft)); // 1 in the shadow
    const f = 1 - (1 - dark) * t;
    for (let ch = 0; ch < 3; ch++) rgb[3 * (y * W + x) + ch] *= f;
  }
  return { style: 'shadow', variant: i % 2 ? 'handwritten' : 'printed', label, width: W, height: H, rgba: toRgba(rgb, W, H, rng, 0.01), truth };
}

function pencil(i: number, rng: Rng): SynthPicture {
  const label = i % 10, W = Math.round(between(rng, 150, 300)), H = Math.round(between(rng, 150, 300));
  const rgb = blank(W, H, [0.95, 0.95, 0.93]);
  const p: Placement = { cx: W / 2, cy: H / 2, size: 0.6 * Math.min(W, H), angle: between(rng, -5, 5), stroke: 0.06 };
  const truth = digitInk(i % 2 === 1, label, 60 + i, W, H, p);
  const ink = Float32Array.from(truth);
  // Graphite: pale, grainy (each pixel of the stroke covered only in part).
  const strength = between(rng, 0.15, 0.3);
  for (let k = 0; k < ink.length; k++) ink[k] *= strength * (0.6 + 0.4 * rng.uniform());
  paint(rgb, ink, [0.2, 0.2, 0.22]);
  return { style: 'pencil', variant: i % 2 ? 'handwritten' : 'printed', label, width: W, height: H, rgba: toRgba(rgb, W, H, rng, 0.015), truth };
}

function sticky(i: number, rng: Rng): SynthPicture {
  const label = i % 10, W = Math.round(between(rng, 240, 360)), H = Math.round(between(rng, 240, 360));
  const rgb = blank(W, H, [0.45, 0.35, 0.25]); // a wooden desk
  const notes: RGB[] = [[1, 0.93, 0.45], [1, 0.7, 0.8], [0.7, 0.95, 0.7], [0.6, 0.85, 1]];
  const nw = between(rng, 0.6, 0.8) * W, nh = between(rng, 0.6, 0.8) * H, nx = between(rng, 0, W - nw), ny = between(rng, 0, H - nh);
  const note = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (x >= nx && x < nx + nw && y >= ny && y < ny + nh) note[y * W + x] = 1;
  paint(rgb, note, notes[i % 4]);
  const p: Placement = { cx: nx + nw / 2, cy: ny + nh / 2, size: 0.65 * Math.min(nw, nh), angle: between(rng, -6, 6), stroke: 0.11 };
  const truth = digitInk(i % 2 === 1, label, 80 + i, W, H, p);
  paint(rgb, truth, [0.1, 0.1, 0.35]);
  return { style: 'sticky', variant: i % 2 ? 'handwritten' : 'printed', label, width: W, height: H, rgba: toRgba(rgb, W, H, rng, 0.01), truth };
}

function transparent(i: number, rng: Rng): SynthPicture {
  const label = i % 10, W = 280, H = 280; // the size of a drawing canvas
  const colours: RGB[] = [[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 0.6, 0], [0.2, 0.3, 1], [1, 1, 0]];
  const colour = colours[i % colours.length];
  const p: Placement = { cx: between(rng, 0.4, 0.6) * W, cy: between(rng, 0.4, 0.6) * H, size: between(rng, 0.55, 0.8) * H, angle: between(rng, -8, 8), stroke: between(rng, 0.07, 0.12) };
  const ink = digitInk(i % 2 === 1, label, 100 + i, W, H, p);
  const rgba = new Uint8Array(W * H * 4);
  for (let k = 0; k < W * H; k++) {
    for (let ch = 0; ch < 3; ch++) rgba[4 * k + ch] = Math.round(255 * colour[ch]);
    rgba[4 * k + 3] = Math.round(255 * ink[k]);
  }
  return { style: 'transparent', variant: `rgb(${colour.map((c) => Math.round(255 * c)).join(',')})`, label, width: W, height: H, rgba, truth: ink };
}

function photo(i: number, rng: Rng): SynthPicture {
  const label = i % 10, W = Math.round(between(rng, 400, 640)), H = Math.round(between(rng, 300, 480));
  const rgb = blank(W, H, [0.85, 0.83, 0.78]);
  const p: Placement = { cx: between(rng, 0.4, 0.6) * W, cy: between(rng, 0.4, 0.6) * H, size: between(rng, 0.4, 0.6) * H, angle: between(rng, -8, 8), stroke: 0.1 };
  const truth = digitInk(i % 2 === 1, label, 120 + i, W, H, p);
  paint(rgb, truth, [0.12, 0.12, 0.15]);
  // Uneven light: a bright spot somewhere, falling off to 60%.
  const lx = between(rng, 0, W), ly = between(rng, 0, H), R = Math.hypot(W, H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const f = 1 - 0.4 * Math.min(1, Math.hypot(x - lx, y - ly) / R);
    for (let ch = 0; ch < 3; ch++) rgb[3 * (y * W + x) + ch] *= f;
  }
  blurRgb(rgb, W, H, 2); // a slightly soft focus
  const rgba = toRgba(rgb, W, H, rng, 0.03); // sensor grain
  const bytes = jpeg.encode({ data: Buffer.from(rgba), width: W, height: H }, Math.round(between(rng, 60, 85))).data;
  return { style: 'jpeg', variant: i % 2 ? 'handwritten' : 'printed', label, width: W, height: H, rgba, bytes: new Uint8Array(bytes), truth };
}

const MAKERS: Record<Style, (i: number, rng: Rng) => SynthPicture> = { clean, ruled, shadow, pencil, sticky, transparent, jpeg: photo };

/** `count` pictures of one style, digits 0..9 in turn, from a fixed seed. */
export function synthesise(style: Style, count: number, seed = 13): SynthPicture[] {
  const rng = createRng(`pictures-${style}-${seed}`);
  return Array.from({ length: count }, (_, i) => MAKERS[style](i, rng));
}

/** The truth of a picture drawn as a clean one: black ink on white, RGBA. */
export function truthPicture(pic: SynthPicture): Uint8Array {
  const rgba = new Uint8Array(pic.width * pic.height * 4);
  for (let i = 0; i < pic.truth.length; i++) { rgba.fill(Math.round(255 * (1 - pic.truth[i])), 4 * i, 4 * i + 3); rgba[4 * i + 3] = 255; }
  return rgba;
}

/** How many pictures of each style the issue asks for: 120 clean, 10 of each other style. */
export const TARGET_COUNTS: Record<Style, number> = { clean: 120, ruled: 10, shadow: 10, pencil: 10, sticky: 10, transparent: 10, jpeg: 10 };
