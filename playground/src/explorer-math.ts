// The convolution explorer's numbers: one convolution with C channels, F filters, stride, padding,
// dilation and groups, forward and backward, from miniconv's naive kernels (conv2dForwardNaive /
// conv2dBackwardNaive in float64, as `miniconv explain` uses them), plus the terms of each dot
// product for the page to write out.
//
// Letters (docs/names.md): x input (C, H, W), w kernel (F, C/G, KH, KW), y output (F, OH, OW),
// dy = dL/dy (F, OH, OW); G groups, CG = C/G channels per group, FG = F/G filters per group.
// f filter, g = floor(f / FG) its group, cg a channel of the group, c = g*CG + cg the input channel;
// i, j output row and column, u, v kernel row and column,
// ih = i*stride + u*dilation - pad, iw = j*stride + v*dilation - pad (the tap of w[f][cg][u][v]).

import { checkConvOptions, conv2dBackwardNaive, conv2dForwardNaive } from 'miniconv/kernels';
import { Tensor } from 'miniconv';

export type Matrix = number[][];

/** The largest input the explorer takes, a side: the 14x14 maps of the default digit model's second convolution fit whole. */
export const MAX_SIDE = 14;

export interface ExplorerCase {
  /** (C, H, W) */
  x: Matrix[];
  /** (F, C/G, KH, KW) */
  w: Matrix[][];
  stride: number;
  padding: number;
  /** default 1 */
  dilation?: number;
  /** default 1; must divide C and F */
  groups?: number;
  /** (F, OH, OW); default explain's 1, 2, 3, ... in reading order over all filters */
  dy?: Matrix[];
}

/** One product of a dot product: x[c][ih][iw] * w[f][cg][u][v], or a zero of the padding. */
export interface Term { c: number; cg: number; u: number; v: number; ih: number; iw: number; padded: boolean; x: number; w: number }

export interface Explored {
  C: number; H: number; W: number; F: number; G: number; CG: number; FG: number; KH: number; KW: number;
  OH: number; OW: number; stride: number; pad: number; dil: number;
  /** (F, OH, OW) */
  y: Matrix[];
  /** terms[f][i][j]: the CG*KH*KW products that make y[f][i][j]. */
  terms: Term[][][][];
  dy: Matrix[];
  /** (F, C/G, KH, KW) */
  dw: Matrix[][];
  /** (C, H, W) */
  dx: Matrix[];
}

/** The seed article's example: 3x3 input 1..9, 2x2 kernel -1 0 / 0 1, output 4 4 / 4 4. */
export const SEED_CASE: ExplorerCase = { x: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], w: [[[[-1, 0], [0, 1]]]], stride: 1, padding: 0 };

/** The group of filter f, and the input channels it reads: c = g*CG .. g*CG + CG - 1. */
export function groupOf(e: Pick<Explored, 'FG' | 'CG'>, f: number): { g: number; channels: number[] } {
  const g = Math.floor(f / e.FG);
  return { g, channels: Array.from({ length: e.CG }, (_, cg) => g * e.CG + cg) };
}

export function explore(c: ExplorerCase): Explored {
  const need = (ok: boolean, msg: string) => { if (!ok) throw new RangeError(msg); };
  need(c.x.length >= 1 && c.w.length >= 1 && c.w[0].length >= 1, 'the input needs at least one channel and the kernel at least one filter');
  const C = c.x.length, H = c.x[0].length, W = c.x[0][0].length, F = c.w.length;
  const KH = c.w[0][0].length, KW = c.w[0][0][0].length;
  // The library's one check of the conv options (the kernels, the layer and explain run it too).
  const checked = checkConvOptions('', { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, channels: C, filters: F, input: [H, W], kernel: [KH, KW] });
  const { stride: s, padding: p, dilation: d, groups: G } = checked;
  const OH = checked.OH!, OW = checked.OW!;
  const CG = C / G, FG = F / G;
  c.x.forEach((m, k) => need(m.length === H && m[0].length === W, `input channel ${k} is ${m.length}x${m[0].length}, expected ${H}x${W} like channel 0`));
  c.w.forEach((wf, f) => {
    need(wf.length === CG, `filter ${f} has ${wf.length} kernel planes, expected C/groups = ${C}/${G} = ${CG}`);
    wf.forEach((m, cg) => need(m.length === KH && m[0].length === KW, `kernel w[${f}][${cg}] is ${m.length}x${m[0].length}, expected ${KH}x${KW} like w[0][0]`));
  });
  // The default dy of `miniconv explain`: 1, 2, 3, ... in reading order (all ones would hide the pattern).
  const dy = c.dy ?? countingDy(F, OH, OW);
  if (dy.length !== F || dy.some((m) => m.length !== OH || m[0].length !== OW)) {
    throw new RangeError(`dy must have the output's size ${F}x${OH}x${OW} (filters x rows x columns), got ${dy.length}x${dy[0]?.length}x${dy[0]?.[0]?.length}`);
  }
  const conv = { stride: s, padding: p, dilation: d, groups: G };
  const xT = new Tensor([1, C, H, W], Float64Array.from(c.x.flat(2)));
  const wT = new Tensor([F, CG, KH, KW], Float64Array.from(c.w.flat(3)));
  const { out, cache } = conv2dForwardNaive(xT, wT, null, conv);
  const { dx, dw } = conv2dBackwardNaive(new Tensor([1, F, OH, OW], Float64Array.from(dy.flat(2))), cache);
  const e = { C, H, W, F, G, CG, FG, KH, KW, OH, OW, stride: s, pad: p, dil: d };
  const terms = Array.from({ length: F }, (_, f) => {
    const g = Math.floor(f / FG);
    return Array.from({ length: OH }, (_, i) => Array.from({ length: OW }, (_, j) => {
      const t: Term[] = [];
      for (let cg = 0; cg < CG; cg++) {
        const ch = g * CG + cg;
        for (let u = 0; u < KH; u++) {
          for (let v = 0; v < KW; v++) {
            const ih = i * s + u * d - p, iw = j * s + v * d - p;
            const padded = ih < 0 || ih >= H || iw < 0 || iw >= W;
            t.push({ c: ch, cg, u, v, ih, iw, padded, x: padded ? 0 : c.x[ch][ih][iw], w: c.w[f][cg][u][v] });
          }
        }
      }
      return t;
    }));
  });
  return {
    ...e, y: planes(out.data, F, OH, OW), terms, dy,
    dw: Array.from({ length: F }, (_, f) => planes(dw.data.subarray(f * CG * KH * KW), CG, KH, KW)),
    dx: planes(dx.data, C, H, W),
  };
}

/** A product of the backward pass: dy[f][i][j] times the factor it meets (x[c][ih][iw] for dW, w[f][cg][u][v] for dX). */
export interface BackTerm { f: number; i: number; j: number; dy: number; factor: number }

/**
 * The products that make dW[f][cg][u][v] = sum over i, j of dy[f][i][j] * x[c][i*stride + u*dil - pad][j*stride + v*dil - pad],
 * c = g*CG + cg (positions that read the zero padding contribute nothing and are left out).
 */
export function dwTerms(c: ExplorerCase, e: Explored, f: number, cg: number, u: number, v: number): Array<BackTerm & { c: number; ih: number; iw: number }> {
  const ch = groupOf(e, f).g * e.CG + cg, t: Array<BackTerm & { c: number; ih: number; iw: number }> = [];
  for (let i = 0; i < e.OH; i++) {
    for (let j = 0; j < e.OW; j++) {
      const ih = i * e.stride + u * e.dil - e.pad, iw = j * e.stride + v * e.dil - e.pad;
      if (ih >= 0 && ih < e.H && iw >= 0 && iw < e.W) t.push({ f, i, j, c: ch, ih, iw, dy: e.dy[f][i][j], factor: c.x[ch][ih][iw] });
    }
  }
  return t;
}

/**
 * The products that make dX[c][ih][iw]: every filter f of channel c's group, output (i, j) and kernel
 * entry (u, v) with i*stride + u*dil - pad = ih and j*stride + v*dil - pad = iw.
 */
export function dxTerms(c: ExplorerCase, e: Explored, ch: number, ih: number, iw: number): Array<BackTerm & { cg: number; u: number; v: number }> {
  const g = Math.floor(ch / e.CG), cg = ch - g * e.CG, s = e.stride, t: Array<BackTerm & { cg: number; u: number; v: number }> = [];
  for (let f = g * e.FG; f < (g + 1) * e.FG; f++) {
    for (let u = 0; u < e.KH; u++) {
      for (let v = 0; v < e.KW; v++) {
        const a = ih + e.pad - u * e.dil, b = iw + e.pad - v * e.dil; // = i*stride, j*stride
        if (a % s !== 0 || b % s !== 0) continue;
        const i = a / s, j = b / s;
        if (i >= 0 && i < e.OH && j >= 0 && j < e.OW) t.push({ f, i, j, cg, u, v, dy: e.dy[f][i][j], factor: c.w[f][cg][u][v] });
      }
    }
  }
  return t;
}

/**
 * Parses rows of numbers ("1 2 3" per line, spaces or commas) into a rectangular matrix; the error
 * names the matrix, the row and what was expected.
 */
export function parseMatrix(text: string, name: string): Matrix {
  const rows = text.trim().split(/\n+/).map((line) => line.trim()).filter((line) => line !== '');
  if (rows.length === 0) throw new RangeError(`${name} is empty: expected rows of numbers, one row per line, e.g. "1 2 3"`);
  const m = rows.map((line, r) => line.split(/[\s,]+/).map((cell) => {
    const v = Number(cell);
    if (cell === '' || !Number.isFinite(v)) throw new RangeError(`${name}, row ${r + 1}: "${cell}" is not a number`);
    return v;
  }));
  const cols = m[0].length;
  m.forEach((row, r) => { if (row.length !== cols) throw new RangeError(`${name} is not rectangular: row ${r + 1} has ${row.length} numbers, row 1 has ${cols}`); });
  if (m.length > MAX_SIDE || cols > MAX_SIDE) throw new RangeError(`${name} is ${m.length}x${cols}; the explorer takes at most ${MAX_SIDE}x${MAX_SIDE}`);
  return m;
}

/**
 * Parses `count` matrices written one after another, separated by a blank line (the channels of x,
 * the kernel planes w[0][0], w[0][1], ..., the filters of dy). `what(k)` names block k in errors.
 */
export function parseBlocks(text: string, name: string, count: number, what: (k: number) => string): Matrix[] {
  const blocks = text.replace(/\r/g, '').split(/\n[ \t]*\n/).map((b) => b.trim()).filter((b) => b !== '');
  if (blocks.length !== count) {
    throw new RangeError(`${name} has ${blocks.length} block${blocks.length === 1 ? '' : 's'} of numbers, expected ${count} (${what(0)}${count > 1 ? ` to ${what(count - 1)}` : ''}), separated by a blank line`);
  }
  return blocks.map((b, k) => parseMatrix(b, `${name} ${what(k)}`));
}

/** Matrices as the explorer's text boxes hold them: rows on lines, blocks separated by a blank line. */
export function blocksText(ms: Matrix[]): string {
  return ms.map((m) => m.map((row) => row.map(num).join(' ')).join('\n')).join('\n\n');
}

/** A number as the explorer writes it: integers as integers, others to 4 significant digits, never -0. */
export function num(v: number): string {
  if (v === 0) return '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function planes(data: ArrayLike<number>, P: number, rows: number, cols: number): Matrix[] {
  return Array.from({ length: P }, (_, k) => Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => data[(k * rows + i) * cols + j])));
}

/** 1, 2, 3, ... in reading order over filters, rows and columns: `miniconv explain`'s default dy. */
export function countingDy(F: number, rows: number, cols: number): Matrix[] {
  return Array.from({ length: F }, (_, f) => Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (f * rows + i) * cols + j + 1)));
}

/**
 * The explorer's default input channel c of size n: 1..n*n in reading order (c = 0), transposed (1),
 * reversed, n*n + 1 - v (2), both (3), round and round; at n = 3 these are explain's default channels.
 */
export function defaultInput(C: number, n: number): Matrix[] {
  return Array.from({ length: C }, (_, c) => {
    const t = c % 4 === 1 || c % 4 === 3, r = c % 4 >= 2;
    return Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => {
      const v = t ? b * n + a + 1 : a * n + b + 1;
      return r ? n * n + 1 - v : v;
    }));
  });
}

/** explain's default 2x2 kernels, w[f][cg] = number f*CG + cg of this list, round and round. */
const KERNELS_2X2 = [[[-1, 0], [0, 1]], [[1, 2], [0, -1]], [[0, 1], [1, 0]], [[2, 0], [-1, 1]]];

/**
 * The explorer's default kernel (F, CG, k, k): at k = 2 explain's default kernels (the seed's first);
 * at other sizes -1 in a corner and +1 in the opposite one, the corner turning a quarter per plane.
 */
export function defaultKernel(F: number, CG: number, k: number): Matrix[][] {
  return Array.from({ length: F }, (_, f) => Array.from({ length: CG }, (_, cg) => {
    const n = f * CG + cg;
    if (k === 2) return KERNELS_2X2[n % 4].map((r) => [...r]);
    if (k === 1) return [[n % 2 === 0 ? 1 : -1]];
    const corners: Array<[number, number]> = [[0, 0], [0, k - 1], [k - 1, k - 1], [k - 1, 0]];
    const [a, b] = corners[n % 4], [pa, pb] = corners[(n + 2) % 4];
    return Array.from({ length: k }, (_, u) => Array.from({ length: k }, (_, v) => (u === a && v === b ? -1 : u === pa && v === pb ? 1 : 0)));
  }));
}
