// Kernels drawn in a terminal. Each weight is two character cells wide (a terminal cell is about
// twice as tall as it is wide, so two cells make a square).
//
// - 'truecolor': the cells get a 24-bit background colour from the same diverging map as the PNGs
//   (blue < 0 < red), written as the ANSI escape ESC[48;2;R;G;Bm.
// - 'blocks': no colour at all; a sign and a shade, '+▓' for a large positive weight, '-░' for a
//   small negative one, ' ·' for (nearly) zero. Used when the terminal does not announce 24-bit
//   colour, or when NO_COLOR is set (https://no-color.org). Five shades are few, and a trained
//   layer's weights have long tails: scaled to the largest |w|, one outlier pushed almost every
//   weight into the two palest shades. So the shades run from 0 to the 90th percentile of |w|
//   (SHADE_PERCENTILE), and the largest tenth of the weights are all drawn '█'.
// - `rgb: true` (the first layer of a colour model, whose input channels are red, green and blue):
//   in 'truecolor' each filter is one picture, its square (m, n) coloured by its three weights as
//   R, G, B (channelsColor, as inspect's PNG: mid-grey is 0); in 'blocks' each channel is its own
//   shaded kernel, the columns labelled R, G and B.

import type { Conv2D } from '../layers/conv2d.ts';
import { type Tensor, shapeStr } from '../tensor.ts';
import { channelsColor, divergingColor, maxAbsOf } from './colormap.ts';
import { formatScale } from './canvas.ts';

export type AnsiColorMode = 'truecolor' | 'blocks';

/** Options of kernelsToAnsi and weightsToAnsi: the colour mode, colour scale and width of the terminal rendering of a Conv2D's kernels. */
export interface KernelsAnsiOptions {
  /** Force a mode; default: detectColorMode(env). */
  color?: AnsiColorMode;
  /** The colour scale is [-maxAbs, +maxAbs] (default: the largest |w|). */
  maxAbs?: number;
  /** Where detection looks (default process.env). */
  env?: Record<string, string | undefined>;
  /** Terminal width in columns, for wrapping (default: the terminal's, else 80). */
  width?: number;
  /** Draw a 3-channel weight (F, 3, KH, KW) as colour pictures, channels 0, 1, 2 as red, green, blue (see the top of the file; default false). */
  rgb?: boolean;
}

/** 'truecolor' when COLORTERM says 'truecolor' or '24bit' and NO_COLOR is not set; otherwise 'blocks'. */
export function detectColorMode(env: Record<string, string | undefined> = process.env): AnsiColorMode {
  if (env.NO_COLOR) return 'blocks';
  return env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit' ? 'truecolor' : 'blocks';
}

/** The kernels of one Conv2D layer as terminal text (ends with a newline). */
export function kernelsToAnsi(conv: Conv2D, opts: KernelsAnsiOptions = {}): string {
  return weightsToAnsi(conv.weight.value, { ...opts, heading: conv.name || 'conv2d' });
}

const RESET = '\x1b[0m';
/** The shades of 'blocks' run up to this percentile of |w| (see the top of the file). */
export const SHADE_PERCENTILE = 0.9;

/** The p-th percentile of |v| (nearest rank): the smallest |v| that at least p of the values do not exceed. */
export function percentileAbs(data: ArrayLike<number>, p: number): number {
  const a = Float64Array.from(data, Math.abs).sort();
  return a.length === 0 ? 0 : a[Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1))];
}
const SHADES = ' ░▒▓█';

/**
 * A weight (F, C, KH, KW) as terminal text: a single-channel layer's F kernels side by side (wrapped
 * to the width), otherwise one line of kernels per filter, one kernel per input channel.
 */
export function weightsToAnsi(w: Tensor, opts: KernelsAnsiOptions & { heading?: string } = {}): string {
  if (w.rank !== 4) throw new Error(`kernelsToAnsi: weight must be rank 4 (F, C, KH, KW), got ${shapeStr(w.shape)}`);
  const mode = opts.color ?? detectColorMode(opts.env);
  if (mode !== 'truecolor' && mode !== 'blocks') throw new RangeError(`kernelsToAnsi: color must be 'truecolor' or 'blocks', got '${String(mode)}'`);
  const maxAbs = opts.maxAbs ?? maxAbsOf(w.data);
  if (!Number.isFinite(maxAbs) || maxAbs < 0) throw new RangeError(`kernelsToAnsi: maxAbs must be a finite number >= 0, got ${maxAbs}`);
  const width = opts.width ?? process.stdout.columns ?? 80;
  const [F, C, KH, KW] = w.shape;
  const rgb = opts.rgb === true;
  if (rgb && C !== 3) throw new Error(`kernelsToAnsi: rgb draws a weight reading 3 channels (R, G, B), (F, 3, KH, KW); got ${shapeStr(w.shape)}`);
  if (rgb && mode === 'truecolor') return rgbToAnsi(w, maxAbs, width, opts.heading);

  const shadeScale = opts.maxAbs ?? (percentileAbs(w.data, SHADE_PERCENTILE) || maxAbs);
  const pixel = (v: number): string => (mode === 'truecolor' ? colorCell(v, maxAbs) : blockCell(v, shadeScale));
  // One text line of the kernel slice w[f, c] (row m), reset after so colours do not leak.
  const kernelRow = (f: number, c: number, m: number): string => {
    let s = '';
    for (let n = 0; n < KW; n++) s += pixel(w.data[((f * C + c) * KH + m) * KW + n]);
    return mode === 'truecolor' ? s + RESET : s;
  };
  const cellW = 2 * KW, sep = '  ';

  const lines: string[] = [header(opts.heading, w.shape, mode === 'truecolor' ? maxAbs : shadeScale, mode, opts.maxAbs === undefined)];
  if (rgb) lines.push('channels R, G, B shaded one by one (a terminal announcing 24-bit colour, COLORTERM=truecolor, draws each filter as one colour picture)\n');
  const channelName = (c: number) => (rgb ? 'RGB'[c] : `c${c}`);
  if (C === 1) {
    // Compact: as many filters per line as fit.
    const perLine = Math.max(1, Math.floor((width + sep.length) / (cellW + sep.length)));
    for (let f0 = 0; f0 < F; f0 += perLine) {
      const fs = range(f0, Math.min(F, f0 + perLine));
      lines.push(fs.map((f) => `${f}`.padEnd(cellW)).join(sep).trimEnd());
      for (let m = 0; m < KH; m++) lines.push(fs.map((f) => kernelRow(f, 0, m)).join(sep));
      lines.push('');
    }
  } else {
    // One line of kernels per filter; the channels are split into chunks that fit the width.
    const labelW = `f${F - 1}`.length + 1;
    const perLine = Math.max(1, Math.floor((width - labelW + sep.length) / (cellW + sep.length)));
    for (let c0 = 0; c0 < C; c0 += perLine) {
      const cs = range(c0, Math.min(C, c0 + perLine));
      lines.push(' '.repeat(labelW) + cs.map((c) => channelName(c).padEnd(cellW)).join(sep).trimEnd());
      for (let f = 0; f < F; f++) {
        for (let m = 0; m < KH; m++) {
          const label = m === 0 ? `f${f}`.padEnd(labelW) : ' '.repeat(labelW);
          lines.push(label + cs.map((c) => kernelRow(f, c, m)).join(sep));
        }
        lines.push('');
      }
    }
  }
  return lines.join('\n');
}

/**
 * 'truecolor' with rgb: one picture per filter, as many side by side as fit, square (m, n) coloured
 * by w[f, 0..2, m, n] as red, green, blue on the scale [-maxAbs, +maxAbs] (mid-grey = 0).
 */
function rgbToAnsi(w: Tensor, maxAbs: number, width: number, heading: string | undefined): string {
  const [F, C, KH, KW] = w.shape;
  const cell = (f: number, m: number, n: number) => {
    const at = (c: number) => w.data[((f * C + c) * KH + m) * KW + n];
    const [r, g, b] = channelsColor(at(0), at(1), at(2), maxAbs);
    return `\x1b[48;2;${r};${g};${b}m  `;
  };
  const one = (t: number) => `\x1b[48;2;${t};${t};${t}m  `; // a grey swatch: one channel's 0, 128, 255
  const m = formatScale(maxAbs);
  const lines = [`${heading ? `${heading}  ` : ''}${w.shape.join('×')}   channels 0, 1, 2 as red, green, blue; each ` +
    `${one(0)}${RESET} -${m}  ${one(128)}${RESET} 0  ${one(255)}${RESET} +${m}\n`];
  const cellW = 2 * KW, sep = '  ';
  const perLine = Math.max(1, Math.floor((width + sep.length) / (cellW + sep.length)));
  for (let f0 = 0; f0 < F; f0 += perLine) {
    const fs = range(f0, Math.min(F, f0 + perLine));
    lines.push(fs.map((f) => `${f}`.padEnd(cellW)).join(sep).trimEnd());
    for (let r = 0; r < KH; r++) lines.push(fs.map((f) => range(0, KW).map((n) => cell(f, r, n)).join('') + RESET).join(sep));
    lines.push('');
  }
  return lines.join('\n');
}

/** The layer, its shape and how to read the colours or shades. */
function header(heading: string | undefined, shape: readonly number[], maxAbs: number, mode: AnsiColorMode, percentile: boolean): string {
  const m = formatScale(maxAbs);
  const key = mode === 'truecolor'
    ? `${colorCell(-maxAbs, maxAbs)}${RESET} -${m}  ${colorCell(0, maxAbs)}${RESET} 0  ${colorCell(maxAbs, maxAbs)}${RESET} +${m}`
    : `shade = |w| from 0 (' ·') to ${m} ('█'${percentile ? `, the ${Math.round(SHADE_PERCENTILE * 100)}th percentile of |w|; larger weights too` : ''}), sign '+' or '-'`;
  return `${heading ? `${heading}  ` : ''}${shape.join('×')}   ${key}\n`;
}

function colorCell(v: number, maxAbs: number): string {
  const [r, g, b] = divergingColor(v, maxAbs);
  return `\x1b[48;2;${r};${g};${b}m  `;
}

/** Sign and shade: |v| / maxAbs rounded to one of 5 levels; level 0 is drawn ' ·'. */
function blockCell(v: number, maxAbs: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`kernelsToAnsi: weight ${v} is not finite`);
  const level = maxAbs === 0 ? 0 : Math.min(4, Math.round((Math.abs(v) / maxAbs) * 4));
  if (level === 0) return ' ·';
  return (v > 0 ? '+' : '-') + SHADES[level];
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
