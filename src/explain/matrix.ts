// Small 2-D arrays for `miniconv explain`: to and from the kernels' tensors, and as aligned text.

import { Tensor } from '../tensor.ts';
import { type Styles, type ZeroKind, ZERO_TAG } from './style.ts';

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

/** The width a terminal gives s: its length without ANSI escapes. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export interface GridOptions {
  /** The cells of the window behind a sum: reverse video on a terminal, [brackets] without. */
  marked?: (r: number, c: number) => boolean;
  /** A cell that is a zero of one of the three kinds (shown with its tag, '0p', '0d' or '0f'). */
  zero?: (r: number, c: number) => ZeroKind | null;
}

/**
 * Rows of right-aligned numbers like showMatrix, with the window behind a sum marked and the
 * zeros of padding, dilation and a full correlation tagged. A bracket sits in the two spaces
 * between cells, so brackets never shift a column: ` [1  2] 3`.
 */
export function showGrid(m: Matrix, st: Styles, o: GridOptions = {}): string[] {
  const kindAt = (r: number, c: number) => o.zero?.(r, c) ?? null;
  const cells = m.map((row, r) => row.map((v, c) => { const k = kindAt(r, c); return k ? ZERO_TAG[k] : fmt(v); }));
  const w = Math.max(...cells.flat().map((c) => c.length));
  const on = (r: number, c: number) => c >= 0 && c < m[r].length && (o.marked?.(r, c) ?? false);
  return cells.map((row, r) => {
    let line = '';
    for (let c = 0; c <= row.length; c++) {
      // The two characters before cell c: ']' closes a run that ended at c-1, '[' opens one at c.
      const close = !st.color && on(r, c - 1) && !on(r, c) ? ']' : ' ';
      const open = !st.color && on(r, c) && !on(r, c - 1) ? '[' : ' ';
      if (c === row.length) { line += close === ']' ? ']' : ''; break; }
      const k = kindAt(r, c);
      let cell = cells[r][c].padStart(w);
      if (k) cell = st.zero(k, cell);
      if (st.color && on(r, c)) cell = st.mark(cell);
      line += close + open + cell;
    }
    return line;
  });
}

/** Blocks of lines side by side, each under its title, three spaces apart. */
export function beside(blocks: Array<{ title: string; lines: string[] }>): string[] {
  const widths = blocks.map((b) => Math.max(visibleLength(b.title), ...b.lines.map(visibleLength)));
  const rows = Math.max(...blocks.map((b) => b.lines.length)) + 1;
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const parts = blocks.map((b, k) => {
      const s = r === 0 ? b.title : (b.lines[r - 1] ?? '');
      return s + ' '.repeat(widths[k] - visibleLength(s));
    });
    out.push(parts.join('   ').trimEnd());
  }
  return out;
}
