// Drawing numbers as pictures: cheap (one putImageData per image), with the diverging colour map
// of `miniconv inspect` (src/inspect/colormap.ts) for values with a sign and grey for activations.

import { DIVERGING_CENTER, DIVERGING_NEGATIVE, DIVERGING_POSITIVE, divergingColor, channelsColor } from 'miniconv';
import { el, fmt } from './dom.ts';

// The diverging map as a 513-entry lookup table, so that painting does no interpolation per pixel.
const LUT_SIZE = 513;
const LUT = new Uint8ClampedArray(LUT_SIZE * 3);
for (let i = 0; i < LUT_SIZE; i++) {
  const [r, g, b] = divergingColor((i / (LUT_SIZE - 1)) * 2 - 1, 1);
  LUT.set([r, g, b], i * 3);
}

/** The largest |v| of data[from, to), for a symmetric scale (non-finite values are skipped). */
export function maxAbs(data: ArrayLike<number>, from = 0, to = data.length): number {
  let m = 0;
  for (let i = from; i < to; i++) { const a = Math.abs(data[i]); if (a > m && Number.isFinite(a)) m = a; }
  return m;
}

/**
 * Paints an h x w block of `data` (row-major, starting at `offset`) into the canvas at (x0, y0), one
 * canvas pixel per value: diverging colours on [-scale, +scale], or grey on [0, scale] (black 0).
 */
export function paintBlock(
  ctx: CanvasRenderingContext2D, data: ArrayLike<number>, offset: number, h: number, w: number,
  scale: number, mode: 'diverging' | 'grey', x0 = 0, y0 = 0,
): void {
  const img = ctx.createImageData(w, h);
  const px = img.data;
  for (let k = 0; k < h * w; k++) {
    const v = data[offset + k];
    if (mode === 'grey') {
      const g = scale > 0 ? Math.max(0, Math.min(255, Math.round((255 * v) / scale))) : 0;
      px[4 * k] = px[4 * k + 1] = px[4 * k + 2] = g;
    } else {
      const t = scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0;
      const i = Math.round(((t + 1) / 2) * (LUT_SIZE - 1)) * 3;
      px[4 * k] = LUT[i]; px[4 * k + 1] = LUT[i + 1]; px[4 * k + 2] = LUT[i + 2];
    }
    px[4 * k + 3] = 255;
  }
  ctx.putImageData(img, x0, y0);
}

/** The legend of the diverging map: a colour bar from -scale through 0 to +scale, with its numbers. */
/**
 * An input picture of shape (C, H, W), values 0..1: grey for one channel, colour (R, G, B planes)
 * for three, at (x0, y0) of the canvas.
 */
export function paintPicture(ctx: CanvasRenderingContext2D, data: ArrayLike<number>, offset: number, shape: readonly number[], x0 = 0, y0 = 0): void {
  const [C, H, W] = shape;
  if (C !== 3) { paintBlock(ctx, data, offset, H, W, 1, 'grey', x0, y0); return; }
  const img = ctx.createImageData(W, H);
  for (let p = 0; p < H * W; p++) {
    for (let c = 0; c < 3; c++) img.data[4 * p + c] = Math.round(255 * Math.max(0, Math.min(1, data[offset + c * H * W + p])));
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, x0, y0);
}

/**
 * A layer's kernels that read a colour picture (F, 3, KH, KW) as colour pictures, one per filter
 * side by side (with a gap): the library's channelsColor (`miniconv inspect` draws them so), on the
 * symmetric scale [-scale, +scale].
 */
export function paintColorKernels(ctx: CanvasRenderingContext2D, data: ArrayLike<number>, shape: readonly number[], scale: number, gap = 1, x0 = 0, y0 = 0): void {
  const [F, , KH, KW] = shape;
  const img = ctx.createImageData(KW, KH);
  for (let f = 0; f < F; f++) {
    for (let m = 0; m < KH; m++) {
      for (let n = 0; n < KW; n++) {
        const at = (c: number) => data[((f * 3 + c) * KH + m) * KW + n];
        const rgb = channelsColor(at(0), at(1), at(2), scale);
        const q = 4 * (m * KW + n);
        img.data[q] = rgb[0]; img.data[q + 1] = rgb[1]; img.data[q + 2] = rgb[2]; img.data[q + 3] = 255;
      }
    }
    ctx.putImageData(img, x0 + f * (KW + gap), y0);
  }
}

export function divergingLegend(scale: number, what: string): HTMLElement {
  const css = (c: readonly number[]) => `rgb(${c.join(',')})`;
  const bar = el('span', { class: 'legend-bar', 'aria-hidden': 'true' });
  bar.style.background = `linear-gradient(to right, ${css(DIVERGING_NEGATIVE)}, ${css(DIVERGING_CENTER)}, ${css(DIVERGING_POSITIVE)})`;
  // All zero (a gradient before the first step): say so, rather than a scale from -0 to +0.
  if (!(scale > 0)) return el('span', { class: 'legend', title: `${what}: every value is 0` }, el('span', {}, '0'), bar, el('span', {}, '0'), el('span', { class: 'legend-what' }, ` ${what}: every value is 0`));
  return el('span', { class: 'legend', title: `${what}: blue negative, near-white zero, red positive` },
    el('span', {}, `-${fmt(scale, 2)}`), bar, el('span', {}, `+${fmt(scale, 2)}`), el('span', { class: 'legend-what' }, ` ${what} (blue < 0 < red)`));
}

/** The legend of a grey picture (values >= 0): black 0, white `scale`. */
export function greyLegend(scale: number, what: string): HTMLElement {
  const bar = el('span', { class: 'legend-bar', 'aria-hidden': 'true' });
  bar.style.background = 'linear-gradient(to right, #000, #fff)';
  return el('span', { class: 'legend', title: `${what}: black 0, white ${fmt(scale, 3)}` },
    el('span', {}, '0'), bar, el('span', {}, fmt(scale, 2)), el('span', { class: 'legend-what' }, ` ${what}`));
}

export interface Series { points: Array<[number, number]>; color: string; label: string; dots?: boolean }

/**
 * A line chart of a few series on one canvas (x: steps), with min/max labels. Long series are
 * thinned to about one point per pixel, so a redraw stays well under a millisecond or two.
 */
export interface ChartMark { x: number; label: string; color?: string }

export function lineChart(canvas: HTMLCanvasElement, series: Series[], opts: { yMin?: number; yMax?: number; title: string; format?: (v: number) => string; marks?: ChartMark[] }): void {
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  const cw = canvas.clientWidth || 300, ch = canvas.clientHeight || 150;
  if (canvas.width !== Math.round(cw * dpr)) { canvas.width = Math.round(cw * dpr); canvas.height = Math.round(ch * dpr); }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cw, ch);
  const all = series.flatMap((s) => s.points);
  const format = opts.format ?? ((v: number) => fmt(v, 3));
  const left = 44, right = 8, top = 18, bottom = 18;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#444';
  ctx.fillText(opts.title, left, 12);
  if (all.length === 0) return;
  let x0 = Infinity, x1 = -Infinity, y0 = opts.yMin ?? Infinity, y1 = opts.yMax ?? -Infinity;
  for (const [x, y] of all) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x);
    if (opts.yMin === undefined) y0 = Math.min(y0, y);
    if (opts.yMax === undefined) y1 = Math.max(y1, y);
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const X = (x: number) => left + ((x - x0) / (x1 - x0)) * (cw - left - right);
  const Y = (y: number) => top + (1 - (y - y0) / (y1 - y0)) * (ch - top - bottom);
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, cw - left - right, ch - top - bottom);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'right';
  ctx.fillText(format(y1), left - 4, top + 8);
  ctx.fillText(format(y0), left - 4, ch - bottom);
  ctx.textAlign = 'left';
  ctx.fillText(`step ${fmt(x0)}`, left, ch - 4);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${fmt(x1)}`, cw - right, ch - 4);
  // Vertical marks (epoch ends, a change of learning rate), labelled at the top of the plot; a label
  // that would run into the one before it is left out (many short epochs), the line stays.
  let labelEnd = -Infinity;
  for (const m of opts.marks ?? []) {
    if (m.x < x0 || m.x > x1) continue;
    ctx.strokeStyle = ctx.fillStyle = m.color ?? '#999';
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(X(m.x), top); ctx.lineTo(X(m.x), ch - bottom); ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = 'left';
    const at = Math.min(X(m.x) + 2, cw - right - ctx.measureText(m.label).width);
    if (at < labelEnd + 4 && !m.color) continue;
    ctx.fillText(m.label, at, top + 10);
    labelEnd = at + ctx.measureText(m.label).width;
  }
  ctx.textAlign = 'left';
  let legendX = left + ctx.measureText(opts.title).width + 12;
  for (const s of series) {
    ctx.strokeStyle = ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    const stride = Math.max(1, Math.floor(s.points.length / (cw - left - right)));
    if (s.dots) {
      for (const [x, y] of s.points) { ctx.beginPath(); ctx.arc(X(x), Y(y), 2.5, 0, 2 * Math.PI); ctx.fill(); }
    }
    ctx.beginPath();
    for (let i = 0; i < s.points.length; i += stride) {
      const [x, y] = s.points[i];
      if (i === 0) ctx.moveTo(X(x), Y(y)); else ctx.lineTo(X(x), Y(y));
    }
    ctx.stroke();
    ctx.fillRect(legendX, 6, 10, 3);
    ctx.fillStyle = '#444';
    ctx.fillText(s.label, legendX + 13, 12);
    legendX += 20 + ctx.measureText(s.label).width;
  }
}
