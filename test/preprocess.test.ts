// Each step of preprocessDigit on pictures the test draws, then the whole pipeline's warnings and errors.
import { describe, expect, it } from 'vitest';
import {
  DIGIT_SIZE, estimateBackground, findLines, flattenIllumination, greyFromRgba, inkPolarity, normalizeStroke, normalizeToMnist,
  preprocessDigit, removeLines, rgbaToGrey, selectDigit, strokeWidth, thresholdInk, toMnistDigit,
} from '../src/io/clean-picture.ts';
import { squareFilter } from '../src/io/image-ops.ts';
import { createRng } from '../src/rng.ts';
import { fontInk } from './pictures.ts';

/** RGBA of a W x H picture: paper grey `paper`, ink of grey `pen` with coverage `ink`, optional shading factor per pixel. */
function picture(W: number, H: number, ink: Float32Array, paper = 0.95, pen = 0.05, shade?: (x: number, y: number) => number): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = y * W + x;
    const v = ((1 - ink[i]) * paper + ink[i] * pen) * (shade ? shade(x, y) : 1);
    rgba.fill(Math.round(255 * v), 4 * i, 4 * i + 3);
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
const digit = (d: number, W: number, H: number, size = 0.6 * Math.min(W, H), cx = W / 2, cy = H / 2, stroke = 0.1) =>
  fontInk(d, W, H, { cx, cy, size, angle: 0, stroke });
const greyOf = (rgba: Uint8Array, W: number, H: number) => rgbaToGrey(rgba, W, H);
const centreOfMass = (px: Float32Array) => {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < DIGIT_SIZE; y++) for (let x = 0; x < DIGIT_SIZE; x++) { const v = px[y * DIGIT_SIZE + x]; m += v; mx += v * x; my += v * y; }
  return [mx / m, my / m];
};
const box = (px: Float32Array, level = 0.2) => {
  let x0 = 99, y0 = 99, x1 = -1, y1 = -1;
  for (let y = 0; y < DIGIT_SIZE; y++) for (let x = 0; x < DIGIT_SIZE; x++) if (px[y * DIGIT_SIZE + x] > level) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1 };
};

describe('squareFilter (van Herk / Gil-Werman) equals the naive max and min over the window', () => {
  for (const [W, H, k] of [[13, 9, 5], [7, 20, 3], [30, 4, 7], [5, 5, 9], [1, 12, 5], [16, 16, 15]]) {
    it(`W=${W} H=${H} k=${k}`, () => {
      const rng = createRng(`sq-${W}-${H}-${k}`);
      const x = Float32Array.from({ length: W * H }, () => rng.uniform());
      const r = k >> 1;
      for (const max of [true, false]) {
        const fast = squareFilter(x, W, H, k, max);
        for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
          let m = max ? -Infinity : Infinity;
          for (let u = -r; u <= r; u++) for (let v = -r; v <= r; v++) {
            const ih = i + u, iw = j + v;
            if (ih >= 0 && iw >= 0 && ih < H && iw < W) m = max ? Math.max(m, x[ih * W + iw]) : Math.min(m, x[ih * W + iw]);
          }
          expect(fast[i * W + j]).toBe(m);
        }
      }
    });
  }
});

describe('the steps', () => {
  it('greyFromRgba reads a stroke of any colour on a transparent canvas from its alpha, and composites an opaque picture on white', () => {
    const W = 60, H = 60, ink = digit(7, W, H);
    for (const colour of [[255, 255, 255], [0, 0, 0], [255, 0, 0]]) {
      const rgba = new Uint8Array(W * H * 4);
      for (let i = 0; i < W * H; i++) { rgba.set(colour, 4 * i); rgba[4 * i + 3] = Math.round(255 * ink[i]); }
      const { grey, usedAlpha } = greyFromRgba(rgba, W, H);
      expect(usedAlpha).toBe(true);
      for (let i = 0; i < W * H; i++) expect(grey[i]).toBeCloseTo(1 - ink[i], 2);
    }
    const opaque = picture(W, H, ink);
    expect(greyFromRgba(opaque, W, H)).toEqual({ grey: rgbaToGrey(opaque, W, H), usedAlpha: false });
  });

  it('inkPolarity: dark on light, light on dark, and dark on light under a side shadow darker than half the picture', () => {
    const W = 120, H = 100, ink = digit(4, W, H);
    expect(inkPolarity(greyOf(picture(W, H, ink), W, H), W, H)).toBe('dark');
    expect(inkPolarity(greyOf(picture(W, H, ink, 0.1, 0.9), W, H), W, H)).toBe('light');
    const shadowed = picture(W, H, ink, 0.95, 0.05, (x) => (x < 0.65 * W ? 0.4 : 1));
    expect(inkPolarity(greyOf(shadowed, W, H), W, H)).toBe('dark');
  });

  it('estimateBackground and flattenIllumination remove a side shadow: paper reads 0 on both sides, strokes read strong in both', () => {
    const W = 150, H = 120, ink = digit(0, W, H);
    const grey = greyOf(picture(W, H, ink, 0.9, 0.05, (x) => (x < W / 2 ? 0.45 : 1)), W, H);
    const flat = flattenIllumination(grey, estimateBackground(grey, W, H));
    for (const [lo, hi] of [[0, W / 2], [W / 2, W]]) {
      let paperMax = 0, strokeMin = 1;
      for (let y = 0; y < H; y++) for (let x = lo; x < hi; x++) {
        const i = y * W + x;
        if (ink[i] === 0) paperMax = Math.max(paperMax, flat[i]);
        if (ink[i] === 1) strokeMin = Math.min(strokeMin, flat[i]);
      }
      expect(paperMax).toBeLessThan(0.05);
      expect(strokeMin).toBeGreaterThan(0.8);
    }
  });

  it('thresholdInk adapts to the paper\'s noise: nothing on noisy blank paper, a pale stroke found', () => {
    const W = 100, H = 100, rng = createRng('thr');
    const noisy = Float32Array.from({ length: W * H }, () => Math.max(0, 0.03 * rng.normal()));
    const blank = thresholdInk(noisy, W, H);
    expect(blank.mask.reduce((a, b) => a + b, 0)).toBeLessThan(W * H * 0.001);
    const ink = digit(1, W, H);
    const pale = Float32Array.from(noisy, (v, i) => v + 0.2 * ink[i]);
    const { mask } = thresholdInk(pale, W, H);
    let hit = 0, strokes = 0;
    for (let i = 0; i < W * H; i++) if (ink[i] === 1) { strokes++; hit += mask[i]; }
    expect(hit / strokes).toBeGreaterThan(0.9);
  });

  it('findLines and removeLines take out ruled lines and a margin, and keep the stroke where it crosses them', () => {
    const W = 160, H = 120;
    const mask = new Uint8Array(W * H), ink = new Float32Array(W * H);
    const set = (x: number, y: number) => { mask[y * W + x] = 1; ink[y * W + x] = 1; };
    for (const ly of [30, 60, 90]) for (let x = 0; x < W; x++) { set(x, ly); set(x, ly + 1); } // rules, 2 px
    for (let y = 0; y < H; y++) set(20, y); // the margin, 1 px
    for (let y = 20; y < 100; y++) for (let x = 78; x < 86; x++) set(x, y); // a stroke 8 px wide crossing three rules
    const lines = findLines(mask, W, H);
    removeLines(mask, ink, lines, W, H);
    for (let x = 0; x < W; x++) {
      const inStroke = x >= 78 && x < 86;
      expect(mask[60 * W + x]).toBe(inStroke ? 1 : 0);
    }
    for (let y = 0; y < H; y++) expect(mask[y * W + 20]).toBe(0);
    for (let y = 20; y < 100; y++) for (let x = 78; x < 86; x++) expect(mask[y * W + x]).toBe(1);
  });

  it('findLines leaves alone a digit\'s horizontal bar shorter than 60% of the picture', () => {
    const W = 100, H = 100, ink = digit(7, W, H, 60, 50, 50, 0.03); // thin pen: the bar is 34 px long, 2 px thick
    const mask = Uint8Array.from(ink, (v) => (v > 0.5 ? 1 : 0));
    expect(findLines(mask, W, H).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('selectDigit keeps the central digit and its detached pieces, drops specks, and warns of a second digit', () => {
    const W = 200, H = 150;
    const ink = digit(5, W, H, 90);
    const mask = Uint8Array.from(ink, (v) => (v > 0.5 ? 1 : 0));
    // Cut the 5's top bar off, add specks in the corners.
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (y > 32 && y < 36) { mask[y * W + x] = 0; ink[y * W + x] = 0; }
    for (const [x, y] of [[3, 3], [190, 140], [10, 130]]) { mask[y * W + x] = 1; ink[y * W + x] = 1; }
    const one = selectDigit(mask, ink, W, H)!;
    expect(one.warnings).toEqual([]);
    let kept = 0, expected = 0;
    for (let i = 0; i < W * H; i++) { kept += one.digit[i]; expected += ink[i] > 0.5 && i % W > 20 && i % W < 180 ? 1 : 0; }
    expect(kept).toBe(expected);
    const two = digit(5, W, H, 60, 60, 75);
    const other = digit(3, W, H, 60, 150, 75);
    const both = Float32Array.from(two, (v, i) => Math.max(v, other[i]));
    const r = selectDigit(Uint8Array.from(both, (v) => (v > 0.5 ? 1 : 0)), both, W, H)!;
    expect(r.warnings[0]).toMatch(/^2 digit-sized marks found; used the one at x \d+-\d+, y \d+-\d+ \(crop the picture to one digit\)$/);
  });

  it('strokeWidth measures a ribbon, and normalizeStroke thickens a thin pen and thins a marker towards a tenth of the height', () => {
    const W = 80, H = 80, bar = new Float32Array(W * H);
    for (let y = 10; y < 70; y++) for (let x = 30; x < 36; x++) bar[y * W + x] = 1;
    expect(strokeWidth(bar, W, H)).toBeCloseTo((2 * 60 * 6) / (2 * 60 + 2 * 6), 5);
    const thin = digit(2, W, H, 70, 40, 40, 0.015), thick = digit(2, W, H, 70, 40, 40, 0.3);
    expect(strokeWidth(thin, W, H)).toBeLessThan(2.5);
    expect(strokeWidth(normalizeStroke(thin, W, H, 70), W, H)).toBeGreaterThan(5);
    expect(strokeWidth(normalizeStroke(thick, W, H, 70), W, H)).toBeLessThan(0.6 * strokeWidth(thick, W, H));
    const fine = digit(2, W, H, 70, 40, 40, 0.1);
    expect(normalizeStroke(fine, W, H, 70)).toBe(fine); // within range: untouched
  });

  it('normalizeToMnist: longer side of the box 20 px, centre of mass within half a pixel of the centre', () => {
    const W = 90, H = 60, ink = digit(1, W, H, 40, 20, 20);
    const px = normalizeToMnist(ink, W, H);
    expect(Math.max(box(px).w, box(px).h)).toBe(20);
    const [mx, my] = centreOfMass(px);
    expect(Math.abs(mx - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(my - 13.5)).toBeLessThanOrEqual(0.5);
    expect(() => normalizeToMnist(new Float32Array(W * H), W, H, 'empty.png')).toThrow('empty.png: no digit found (no ink)');
  });
});

describe('preprocessDigit', () => {
  it('gives the same 28x28 digit for a clean picture, the same under a shadow, on ruled paper, and light on dark', () => {
    const W = 200, H = 160, ink = digit(3, W, H);
    const clean = preprocessDigit(picture(W, H, ink), W, H);
    expect(clean.warnings).toEqual([]);
    const variants = {
      shadow: picture(W, H, ink, 0.9, 0.05, (x) => 0.35 + 0.65 / (1 + Math.exp((0.6 * W - x) / 10))),
      lightOnDark: picture(W, H, ink, 0.08, 0.92),
      ruled: (() => {
        const withRules = Float32Array.from(ink);
        for (let y = 12; y < H; y += 28) for (let x = 0; x < W; x++) withRules[y * W + x] = Math.max(withRules[y * W + x], 0.6);
        return picture(W, H, withRules);
      })(),
    };
    for (const [name, rgba] of Object.entries(variants)) {
      const r = preprocessDigit(rgba, W, H, { source: name });
      let diff = 0;
      for (let i = 0; i < 784; i++) diff += Math.abs(r.pixels[i] - clean.pixels[i]);
      expect(diff / 784, name).toBeLessThan(0.03);
    }
  });

  it('a sticky note on a desk: the ring of desk around the note is not taken for the digit', () => {
    const W = 200, H = 180, ink = digit(9, W, H, 60);
    const clean = preprocessDigit(picture(W, H, ink), W, H).pixels;
    const onDesk = picture(W, H, ink, 0.9, 0.05, (x, y) => (x >= 18 && x < W - 17 && y >= 16 && y < H - 19 ? 1 : 0.4));
    const r = preprocessDigit(onDesk, W, H);
    let diff = 0;
    for (let i = 0; i < 784; i++) diff += Math.abs(r.pixels[i] - clean[i]);
    expect(diff / 784).toBeLessThan(0.03);
    expect(r.warnings).toEqual([]);
  });

  it('warns of a very faint digit, of several digits, of ink covering most of the picture, and of a digit cut by the edge', () => {
    const W = 160, H = 120;
    const faint = preprocessDigit(picture(W, H, digit(8, W, H), 0.95, 0.85), W, H);
    expect(faint.warnings.join('\n')).toMatch(/the digit is very faint \(it is \d+% darker than the paper\)/);
    const a = digit(4, W, H, 50, 45, 60), b = digit(9, W, H, 50, 115, 60);
    const two = preprocessDigit(picture(W, H, Float32Array.from(a, (v, i) => Math.max(v, b[i]))), W, H);
    expect(two.warnings.join('\n')).toMatch(/2 digit-sized marks found/);
    // Squares of 6x6 every 10 pixels (36% of the picture) over the digit, like a page of print.
    const textured = picture(W, H, Float32Array.from(digit(6, W, H), (v, i) => Math.max(v, (i % W) % 10 < 6 && Math.floor(i / W) % 10 < 6 ? 1 : 0)));
    expect(preprocessDigit(textured, W, H).warnings.join('\n')).toMatch(/ink besides the digit covers \d+% of the picture/);
    const cut = preprocessDigit(picture(W, H, digit(7, W, H, 100, 80, 20)), W, H);
    expect(cut.warnings.join('\n')).toMatch(/touches the edge of the picture/);
  });

  it('returns the intermediate images when asked', () => {
    const W = 64, H = 48, r = preprocessDigit(picture(W, H, digit(2, W, H)), W, H, { steps: true });
    expect(r.steps).toMatchObject({ width: W, height: H, polarity: 'dark', usedAlpha: false });
    for (const k of ['grey', 'background', 'ink', 'mask', 'lines', 'digit'] as const) expect(r.steps![k].length).toBe(W * H);
    expect(preprocessDigit(picture(W, H, digit(2, W, H)), W, H).steps).toBeUndefined();
  });

  it('shrinks a large picture to bounded work and still finds a small digit in it', () => {
    const W = 2400, H = 1800, ink = digit(4, W, H, 120, 1700, 500);
    const r = preprocessDigit(picture(W, H, ink), W, H, { steps: true });
    expect(Math.max(r.steps!.width, r.steps!.height)).toBe(800);
    const direct = preprocessDigit(picture(300, 300, digit(4, 300, 300, 120)), 300, 300).pixels;
    let diff = 0;
    for (let i = 0; i < 784; i++) diff += Math.abs(r.pixels[i] - direct[i]);
    expect(diff / 784).toBeLessThan(0.06);
  }, 30_000);

  it('names the picture in its errors: blank, too small, wrong sizes', () => {
    const blank = new Uint8Array(50 * 40 * 4).fill(240);
    expect(() => preprocessDigit(blank, 50, 40, { source: 'blank.png' })).toThrow('blank.png: no digit found (the picture is nearly uniform, a blank page');
    expect(() => preprocessDigit(new Uint8Array(4 * 4 * 4), 4, 4, { source: 'tiny.png' })).toThrow('tiny.png: 4x4 pixels is too small to hold a digit (at least 8x8)');
    expect(() => preprocessDigit(new Uint8Array(10), 2, 2)).toThrow('picture: expected 2x2x4 = 16 RGBA values, got 10');
    expect(() => preprocessDigit(new Uint8Array(0), 0, 5)).toThrow(RangeError);
  });

  it('toMnistDigit, the simple path for clean pictures, still works as before', () => {
    const W = 90, H = 70, grey = greyOf(picture(W, H, digit(1, W, H)), W, H);
    const px = toMnistDigit(grey, W, H);
    expect(box(px).h).toBe(20);
    expect(() => toMnistDigit(new Float32Array(W * H).fill(0.5), W, H, 'flat.png')).toThrow('flat.png: no digit found (the picture is nearly uniform)');
  });
});
