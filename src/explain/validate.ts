// The checks of `explainConv`'s options: each error names what is wrong and what was expected.

import { convOutSize } from '../kernels/conv2d.ts';
import type { Matrix } from './matrix.ts';

export interface ExplainOptions {
  /** The input x (H, W). */
  input: number[][];
  /** The kernel w (KH, KW). */
  kernel: number[][];
  stride?: number; // default 1
  padding?: number; // default 0
  /** The upstream gradient dy = dL/dy, the output's size; default all ones (as if L = sum of the outputs). */
  dy?: number[][];
  /** ANSI bold headings, green check marks, dimmed padding (default false). */
  color?: boolean;
}

/** The checked options, with every size worked out. */
export interface Checked {
  x: Matrix; w: Matrix; dy: Matrix; stride: number; pad: number;
  H: number; W: number; KH: number; KW: number; OH: number; OW: number;
}

export function checkOptions(opts: ExplainOptions): Checked {
  if (!opts || typeof opts !== 'object') throw new TypeError('explainConv: expected an options object { input, kernel, stride?, padding?, dy? }');
  const x = checkMatrix('input', opts.input);
  const w = checkMatrix('kernel', opts.kernel);
  const stride = opts.stride ?? 1, pad = opts.padding ?? 0;
  if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 1) throw new RangeError(`explainConv: stride must be an integer >= 1, got ${String(stride)}`);
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) throw new RangeError(`explainConv: padding must be an integer >= 0, got ${String(pad)}`);
  const H = x.length, W = x[0].length, KH = w.length, KW = w[0].length;
  if (KH > H + 2 * pad || KW > W + 2 * pad) {
    throw new RangeError(`explainConv: kernel ${KH}×${KW} is larger than the padded input ${H + 2 * pad}×${W + 2 * pad} (input ${H}×${W}, padding ${pad}); expected a kernel of at most ${H + 2 * pad}×${W + 2 * pad}, or more padding`);
  }
  const OH = convOutSize(H, KH, stride, pad), OW = convOutSize(W, KW, stride, pad);
  let dy: Matrix;
  if (opts.dy === undefined) dy = Array.from({ length: OH }, () => new Array<number>(OW).fill(1));
  else {
    dy = checkMatrix('dy', opts.dy);
    if (dy.length !== OH || dy[0].length !== OW) {
      throw new RangeError(`explainConv: dy must have the output's size ${OH}×${OW}, got ${dy.length}×${dy[0].length}`);
    }
  }
  return { x, w, dy, stride, pad, H, W, KH, KW, OH, OW };
}

/** A non-empty rectangular array of finite numbers, or a TypeError/RangeError that says what is wrong. */
export function checkMatrix(name: string, v: unknown): Matrix {
  const expected = 'expected a 2-D array of numbers such as [[1,2],[3,4]]';
  if (!Array.isArray(v)) throw new TypeError(`explainConv: ${name} must be an array of rows, got ${describe(v)}; ${expected}`);
  if (v.length === 0) throw new RangeError(`explainConv: ${name} is empty; ${expected}`);
  v.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new TypeError(`explainConv: ${name}[${i}] must be a row (an array of numbers), got ${describe(row)}; ${expected}`);
    if (row.length === 0) throw new RangeError(`explainConv: ${name}[${i}] is an empty row; ${expected}`);
    if (row.length !== (v[0] as unknown[]).length) {
      throw new RangeError(`explainConv: ${name} is not rectangular: row ${i} has ${row.length} numbers, expected ${(v[0] as unknown[]).length} like row 0`);
    }
    row.forEach((value: unknown, j) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`explainConv: ${name}[${i}][${j}] must be a finite number, got ${describe(value)}`);
    });
  });
  return (v as number[][]).map((row) => [...row]);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

/** Throws if the narrated sum and the kernel's value differ beyond rounding. */
export function assertSame(what: string, narrated: number, computed: number, kernel: string): void {
  if (Math.abs(narrated - computed) > 1e-9 * Math.max(1, Math.abs(narrated), Math.abs(computed))) {
    throw new Error(`explainConv: internal check failed: the narrated ${what} = ${narrated} but ${kernel} gave ${computed}`);
  }
}
