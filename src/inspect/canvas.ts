// A tiny RGBA raster for the inspection figures: filled rectangles, a 3x5 bitmap font for labels,
// and PNG encoding through pngjs. Nothing here knows about networks.

import { PNG } from 'pngjs';
import type { RGB } from './colormap.ts';

/** Figure colours shared by every image (a dark background makes the near-white 0 colour stand out). */
export const THEME = {
  background: [38, 38, 42] as RGB,
  text: [225, 225, 225] as RGB,
  /** Text of lesser importance: scales, indices. */
  muted: [160, 160, 168] as RGB,
  /** A thin outline around image tiles. */
  frame: [96, 96, 104] as RGB,
};

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** RGBA bytes, row after row: (height, width, 4). */
  readonly data: Buffer;

  constructor(width: number, height: number, background: RGB = THEME.background) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`Canvas: size must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.data = Buffer.alloc(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Fills the rectangle [x, x+w) x [y, y+h), clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, color: RGB): void {
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)), y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const o = (yy * this.width + xx) * 4;
        this.data[o] = color[0];
        this.data[o + 1] = color[1];
        this.data[o + 2] = color[2];
        this.data[o + 3] = 255;
      }
    }
  }

  /** The colour at (x, y). */
  pixel(x: number, y: number): RGB {
    const o = (y * this.width + x) * 4;
    return [this.data[o], this.data[o + 1], this.data[o + 2]];
  }

  /** Draws text with its top-left corner at (x, y); each font pixel becomes size x size pixels. */
  text(x: number, y: number, s: string, color: RGB = THEME.text, size = 2): void {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT['?'];
      for (let r = 0; r < GLYPH_H; r++) {
        for (let c = 0; c < GLYPH_W; c++) {
          if (glyph[r][c] === '#') this.fillRect(cx + c * size, y + r * size, size, size, color);
        }
      }
      cx += textAdvance(size);
    }
  }

  /** The PNG file bytes (8-bit RGBA). */
  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    return PNG.sync.write(png);
  }
}

const GLYPH_W = 3, GLYPH_H = 5;

/** Horizontal distance from one character to the next (one font pixel of spacing). */
export function textAdvance(size = 2): number {
  return (GLYPH_W + 1) * size;
}

export function textWidth(s: string, size = 2): number {
  return s.length === 0 ? 0 : s.length * textAdvance(size) - size;
}

export function textHeight(size = 2): number {
  return GLYPH_H * size;
}

/** A short human-readable number for labels: 2 significant digits, no trailing zeros. */
export function formatScale(v: number): string {
  if (v === 0) return '0';
  return String(Number(v.toPrecision(2)));
}

/**
 * Columns for a compact grid of n cells: the smallest divisor of n between ceil(sqrt(n)) and twice
 * that (so 8 -> 4x2, 32 -> 8x4, no empty cells), else ceil(sqrt(n)) (7 -> 3x3).
 */
export function gridColumns(n: number): number {
  const root = Math.ceil(Math.sqrt(n));
  for (let c = root; c <= 2 * root && c <= n; c++) if (n % c === 0) return c;
  return Math.max(1, root);
}

/** A colour bar with labels at its two ends and, optionally, under its middle. */
export interface Legend {
  /** Maps t in [0, 1] (left to right) to a colour. */
  colorAt: (t: number) => RGB;
  left: string;
  middle?: string;
  right: string;
}

const BAR_H = 12, TICK_H = 4, LABEL_GAP = 3;

export function legendHeight(): number {
  return BAR_H + TICK_H + LABEL_GAP + textHeight();
}

/** The narrowest bar that leaves room for its three labels. */
export function legendMinWidth(l: Legend): number {
  const mid = l.middle ? textWidth(l.middle) + 24 : 24;
  return Math.max(120, textWidth(l.left) + mid + textWidth(l.right));
}

/** Draws the bar at (x, y), `width` pixels wide, with tick marks and labels below it. */
export function drawLegend(cv: Canvas, x: number, y: number, width: number, l: Legend): void {
  for (let i = 0; i < width; i++) cv.fillRect(x + i, y, 1, BAR_H, l.colorAt(width === 1 ? 0.5 : i / (width - 1)));
  const tickY = y + BAR_H, labelY = tickY + TICK_H + LABEL_GAP;
  const mid = x + Math.floor(width / 2);
  cv.fillRect(x, tickY, 1, TICK_H, THEME.muted);
  cv.fillRect(x + width - 1, tickY, 1, TICK_H, THEME.muted);
  cv.text(x, labelY, l.left, THEME.muted);
  cv.text(x + width - textWidth(l.right), labelY, l.right, THEME.muted);
  if (l.middle) {
    cv.fillRect(mid, tickY, 1, TICK_H, THEME.muted);
    cv.text(mid - Math.floor(textWidth(l.middle) / 2), labelY, l.middle, THEME.muted);
  }
}

// A 3x5 pixel font: digits, upper-case letters (lower case is drawn as upper case) and a few signs.
// Unknown characters are drawn as '?'.
const FONT: Record<string, readonly string[]> = {
  ' ': ['...', '...', '...', '...', '...'],
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '.##', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '..#', '.#.', '.#.'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  A: ['.#.', '#.#', '###', '#.#', '#.#'],
  B: ['##.', '#.#', '##.', '#.#', '##.'],
  C: ['.##', '#..', '#..', '#..', '.##'],
  D: ['##.', '#.#', '#.#', '#.#', '##.'],
  E: ['###', '#..', '##.', '#..', '###'],
  F: ['###', '#..', '##.', '#..', '#..'],
  G: ['.##', '#..', '#.#', '#.#', '.##'],
  H: ['#.#', '#.#', '###', '#.#', '#.#'],
  I: ['###', '.#.', '.#.', '.#.', '###'],
  J: ['..#', '..#', '..#', '#.#', '.#.'],
  K: ['#.#', '#.#', '##.', '#.#', '#.#'],
  L: ['#..', '#..', '#..', '#..', '###'],
  M: ['#.#', '###', '###', '#.#', '#.#'],
  N: ['##.', '#.#', '#.#', '#.#', '#.#'],
  O: ['.#.', '#.#', '#.#', '#.#', '.#.'],
  P: ['##.', '#.#', '##.', '#..', '#..'],
  Q: ['.#.', '#.#', '#.#', '##.', '.##'],
  R: ['##.', '#.#', '##.', '#.#', '#.#'],
  S: ['.##', '#..', '.#.', '..#', '##.'],
  T: ['###', '.#.', '.#.', '.#.', '.#.'],
  U: ['#.#', '#.#', '#.#', '#.#', '###'],
  V: ['#.#', '#.#', '#.#', '#.#', '.#.'],
  W: ['#.#', '#.#', '###', '###', '#.#'],
  X: ['#.#', '#.#', '.#.', '#.#', '#.#'],
  Y: ['#.#', '#.#', '.#.', '.#.', '.#.'],
  Z: ['###', '..#', '.#.', '#..', '###'],
  '-': ['...', '...', '###', '...', '...'],
  '+': ['...', '.#.', '###', '.#.', '...'],
  '.': ['...', '...', '...', '...', '.#.'],
  ',': ['...', '...', '...', '.#.', '#..'],
  ':': ['...', '.#.', '...', '.#.', '...'],
  '=': ['...', '###', '...', '###', '...'],
  '×': ['...', '#.#', '.#.', '#.#', '...'],
  '/': ['..#', '..#', '.#.', '#..', '#..'],
  '_': ['...', '...', '...', '...', '###'],
  '(': ['.#.', '#..', '#..', '#..', '.#.'],
  ')': ['.#.', '..#', '..#', '..#', '.#.'],
  '[': ['##.', '#..', '#..', '#..', '##.'],
  ']': ['.##', '..#', '..#', '..#', '.##'],
  '?': ['###', '..#', '.#.', '...', '.#.'],
};
