// Small 2-D arrays for `miniconv explain`: to and from the kernels' tensors, and as aligned text.

import { Tensor } from '../tensor.ts';

export type Matrix = number[][];

/** A matrix as a float64 tensor (N = 1, C = 1, rows, cols), the layout the kernels take. */
export function image(m: Matrix): Tensor {
  return new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));
}

/** The first rows x cols values of a tensor as a matrix. */
export function toMatrix(t: Tensor | Float64Array, rows: number, cols: number): Matrix {
  const data = t instanceof Tensor ? t.data : t;
  return Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
}

export function sumProduct(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) s += a[i][j] * b[i][j];
  return s;
}

/** m surrounded by `pad` rings of zeros. */
export function padMatrix(m: Matrix, pad: number): Matrix {
  const W = m[0].length + 2 * pad;
  const zeros = () => new Array<number>(W).fill(0);
  return [...Array.from({ length: pad }, zeros), ...m.map((r) => [...new Array(pad).fill(0), ...r, ...new Array(pad).fill(0)]), ...Array.from({ length: pad }, zeros)];
}

/** m rotated by 180 degrees: flipped[u][v] = m[KH-1-u][KW-1-v]. */
export function rotate180(m: Matrix): Matrix {
  const KH = m.length, KW = m[0].length;
  return m.map((_, u) => m[KH - 1 - u].map((_, v) => m[KH - 1 - u][KW - 1 - v]));
}

/** Integers as integers, others to 6 significant digits; never '-0'. */
export function fmt(v: number): string {
  if (v === 0) return '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** Equations padded to one width, so that their check marks line up. */
export function aligned(rows: Array<[string, string]>): string[] {
  const w = rows.reduce((m, [eq]) => Math.max(m, eq.length), 0);
  return rows.map(([eq, note]) => `${eq.padEnd(w)}   ${note}`);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Rows of right-aligned numbers, indented by two spaces. */
export function showMatrix(m: Matrix): string[] {
  const cells = m.map((r) => r.map(fmt));
  // A loop, not Math.max(...cells): spreading a big padded matrix overflows the call stack.
  let w = 0;
  for (const r of cells) for (const c of r) w = Math.max(w, c.length);
  return cells.map((r) => '  ' + r.map((c) => c.padStart(w)).join('  '));
}
