// The convolution explorer's numbers: one single-channel convolution, forward and backward, from
// miniconv's naive kernels (conv2dForwardNaive / conv2dBackwardNaive in float64, as `miniconv
// explain` uses them), plus the terms of each dot product for the page to write out.
//
// Letters (docs/names.md): x input (H, W), w kernel (KH, KW), y output (OH, OW), dy = dL/dy;
// i, j output row and column, u, v kernel row and column, ih = i*stride + u - pad, iw = j*stride + v - pad.

import { conv2dBackwardNaive, conv2dForwardNaive, convOutSize } from '../../src/kernels/conv2d.ts';
import { Tensor } from '../../src/tensor.ts';

export type Matrix = number[][];

export interface ExplorerCase { x: Matrix; w: Matrix; stride: number; padding: number; dy?: Matrix }

/** One product of a dot product: x[ih][iw] * w[u][v], or a zero of the padding. */
export interface Term { u: number; v: number; ih: number; iw: number; padded: boolean; x: number; w: number }

export interface Explored {
  OH: number; OW: number;
  y: Matrix;
  /** terms[i][j]: the KH*KW products that make y[i][j]. */
  terms: Term[][][];
  dy: Matrix;
  dw: Matrix;
  dx: Matrix;
}

/** The seed article's example: 3x3 input 1..9, 2x2 kernel -1 0 / 0 1, output 4 4 / 4 4. */
export const SEED_CASE: ExplorerCase = { x: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w: [[-1, 0], [0, 1]], stride: 1, padding: 0 };

export function explore(c: ExplorerCase): Explored {
  const H = c.x.length, W = c.x[0].length, KH = c.w.length, KW = c.w[0].length, s = c.stride, p = c.padding;
  if (!(Number.isInteger(s) && s >= 1)) throw new RangeError(`stride must be an integer >= 1, got ${s}`);
  if (!(Number.isInteger(p) && p >= 0)) throw new RangeError(`padding must be an integer >= 0, got ${p}`);
  if (KH > H + 2 * p || KW > W + 2 * p) throw new RangeError(`the ${KH}x${KW} kernel is larger than the padded ${H + 2 * p}x${W + 2 * p} input; use a smaller kernel or more padding`);
  const OH = convOutSize(H, KH, s, p), OW = convOutSize(W, KW, s, p);
  // The default dy of `miniconv explain`: 1, 2, 3, ... in reading order (all ones would hide the pattern).
  const dy = c.dy ?? countingDy(OH, OW);
  if (dy.length !== OH || dy[0].length !== OW) throw new RangeError(`dy must have the output's size ${OH}x${OW}, got ${dy.length}x${dy[0].length}`);
  const { out, cache } = conv2dForwardNaive(image(c.x), image(c.w), null, { stride: s, padding: p });
  const { dx, dw } = conv2dBackwardNaive(image(dy), cache);
  const terms = Array.from({ length: OH }, (_, i) => Array.from({ length: OW }, (_, j) => {
    const t: Term[] = [];
    for (let u = 0; u < KH; u++) {
      for (let v = 0; v < KW; v++) {
        const ih = i * s + u - p, iw = j * s + v - p;
        const padded = ih < 0 || ih >= H || iw < 0 || iw >= W;
        t.push({ u, v, ih, iw, padded, x: padded ? 0 : c.x[ih][iw], w: c.w[u][v] });
      }
    }
    return t;
  }));
  return { OH, OW, y: matrix(out.data, OH, OW), terms, dy, dw: matrix(dw.data, KH, KW), dx: matrix(dx.data, H, W) };
}

/** A product of the backward pass: dy[i][j] times the factor it meets (x[ih][iw] for dW, w[u][v] for dX). */
export interface BackTerm { i: number; j: number; dy: number; factor: number }

/**
 * The products that make dW[u][v] = sum over i, j of dy[i][j] * x[i*stride + u - pad][j*stride + v - pad]
 * (positions that read the zero padding contribute nothing and are left out).
 */
export function dwTerms(c: ExplorerCase, e: Explored, u: number, v: number): BackTerm[] {
  const H = c.x.length, W = c.x[0].length, t: BackTerm[] = [];
  for (let i = 0; i < e.OH; i++) {
    for (let j = 0; j < e.OW; j++) {
      const ih = i * c.stride + u - c.padding, iw = j * c.stride + v - c.padding;
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) t.push({ i, j, dy: e.dy[i][j], factor: c.x[ih][iw] });
    }
  }
  return t;
}

/** The products that make dX[ih][iw]: every output (i, j) and kernel entry (u, v) with i*stride + u - pad = ih, j*stride + v - pad = iw. */
export function dxTerms(c: ExplorerCase, e: Explored, ih: number, iw: number): Array<BackTerm & { u: number; v: number }> {
  const KH = c.w.length, KW = c.w[0].length, s = c.stride, t: Array<BackTerm & { u: number; v: number }> = [];
  for (let u = 0; u < KH; u++) {
    for (let v = 0; v < KW; v++) {
      const a = ih + c.padding - u, b = iw + c.padding - v; // = i*stride, j*stride
      if (a % s !== 0 || b % s !== 0) continue;
      const i = a / s, j = b / s;
      if (i >= 0 && i < e.OH && j >= 0 && j < e.OW) t.push({ i, j, u, v, dy: e.dy[i][j], factor: c.w[u][v] });
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
  if (m.length > 12 || cols > 12) throw new RangeError(`${name} is ${m.length}x${cols}; the explorer takes at most 12x12`);
  return m;
}

/** A number as the explorer writes it: integers as integers, others to 4 significant digits, never -0. */
export function num(v: number): string {
  if (v === 0) return '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function image(m: Matrix): Tensor {
  return new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));
}

function matrix(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => data[i * cols + j]));
}

/** 1, 2, 3, ... in reading order: `miniconv explain`'s default dy. */
export function countingDy(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => i * cols + j + 1));
}
