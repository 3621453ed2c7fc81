// The checks of the explain commands' options: each error names what is wrong and what was expected.
// Every check throws a TypeError or a RangeError (the command line turns them into exit code 2).

import { checkConvOptions } from '../kernels/conv2d.ts';
import type { Matrix } from './matrix.ts';

/** Options of `miniconv explain conv` (explain()): the input, kernel, bias and dy to work through, and the convolution's settings. */
export interface ExplainOptions {
  /** The input x: (H, W) for one channel, or (C, H, W). Default: the seed article's 3x3 input (more channels: variations of it). */
  input?: number[][] | number[][][];
  /** The kernel w: (KH, KW) for one filter of one channel, or (F, C/groups, KH, KW). Default: the seed article's 2x2 kernel and a few like it. */
  kernel?: number[][] | number[][][][];
  /** The bias b (F); default zeros. */
  bias?: number[];
  /** Input channels C, when no input is given (default 1, or groups). */
  channels?: number;
  /** Filters F, when no kernel is given (default 1, or groups). */
  filters?: number;
  /** Step of the kernel over the input, in pixels; default 1. */
  stride?: number;
  /** Zeros added on every side of the input, in pixels; default 0. */
  padding?: number;
  /** Spacing between the kernel's taps (1: adjacent); default 1. */
  dilation?: number;
  /** Channel groups: C and F both divisible by it, each filter reading C/groups channels; default 1. */
  groups?: number;
  /** dy = dL/dy, the output's size: (OH, OW) for one filter, or (F, OH, OW). Default 1, 2, 3, ... in reading order. */
  dy?: number[][] | number[][][];
  /** ANSI bold headings, green check marks, the window in reverse video (default false: plain text, the window in brackets). */
  color?: boolean;
}

/** The checked options, with every size worked out. */
export interface Checked {
  x: Matrix[]; w: Matrix[][]; b: number[]; dy: Matrix[];
  stride: number; pad: number; dil: number; G: number;
  C: number; H: number; W: number; F: number; CG: number; FG: number; KH: number; KW: number; OH: number; OW: number;
  defaultDy: boolean;
}

/** The seed article's example: a 3x3 input and a 2x2 kernel, output 4 4 / 4 4. */
export const SEED_INPUT = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
/** The seed article's 2x2 kernel [[-1, 0], [0, 1]] (KH, KW), which on SEED_INPUT gives 4 4 / 4 4. */
export const SEED_KERNEL = [[-1, 0], [0, 1]];

/** Default kernels after the seed's: w[f][cg] is number f*(C/G) + cg of this list, round and round. */
const MORE_KERNELS = [SEED_KERNEL, [[1, 2], [0, -1]], [[0, 1], [1, 0]], [[2, 0], [-1, 1]]];

/** Default input channel c: the seed's input (c = 0), transposed (1), reversed (2), both (3), ... */
function defaultChannel(c: number): Matrix {
  const t = c % 4 === 1 || c % 4 === 3, r = c % 4 >= 2;
  return SEED_INPUT.map((row, i) => row.map((_, j) => {
    const v = t ? SEED_INPUT[j][i] : SEED_INPUT[i][j];
    return r ? 10 - v : v;
  }));
}

const who = 'explainConv';

export function checkOptions(opts: ExplainOptions): Checked {
  if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { input?, kernel?, bias?, channels?, filters?, stride?, padding?, dilation?, groups?, dy? }`);
  // The one check of the conv options (kernels/conv2d.ts): here the options alone, below with the sizes.
  const conv = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups: opts.groups };
  const { stride, padding: pad, dilation: dil, groups: G } = checkConvOptions(who, conv);
  const channels = opts.channels === undefined ? undefined : checkInt('channels', opts.channels, 1, 1);
  const filters = opts.filters === undefined ? undefined : checkInt('filters', opts.filters, 1, 1);

  const x = opts.input === undefined ? Array.from({ length: channels ?? G }, (_, c) => defaultChannel(c)) : checkStack('input', opts.input);
  const C = x.length, H = x[0].length, W = x[0][0].length;
  if (channels !== undefined && channels !== C) throw new RangeError(`${who}: channels is ${channels} but the input has ${C} (${C}×${H}×${W}); give one or the other`);
  checkConvOptions(who, { ...conv, channels: C });
  const CG = C / G;

  const w = opts.kernel === undefined
    ? Array.from({ length: filters ?? G }, (_, f) => Array.from({ length: CG }, (_, cg) => MORE_KERNELS[(f * CG + cg) % MORE_KERNELS.length].map((r) => [...r])))
    : checkKernel(opts.kernel);
  const F = w.length, KH = w[0][0].length, KW = w[0][0][0].length;
  if (filters !== undefined && filters !== F) throw new RangeError(`${who}: filters is ${filters} but the kernel has ${F} (${F}×${w[0].length}×${KH}×${KW}); give one or the other`);
  const { OH, OW } = checkConvOptions(who, { ...conv, channels: C, filters: F, input: [H, W], kernel: [KH, KW] }) as { OH: number; OW: number };
  if (w[0].length !== CG) {
    throw new RangeError(`${who}: the kernel has ${w[0].length} channels per filter (${F}×${w[0].length}×${KH}×${KW}), expected C/groups = ${C}/${G} = ${CG}`);
  }

  let b: number[];
  if (opts.bias === undefined) b = new Array<number>(F).fill(0);
  else {
    if (!Array.isArray(opts.bias) || opts.bias.length !== F) throw new RangeError(`${who}: bias must be an array of ${F} numbers (one per filter), got ${describe(opts.bias)}`);
    b = opts.bias.map((v: unknown, f) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${who}: bias[${f}] must be a finite number, got ${describe(v)}`);
      return v;
    });
  }

  let dy: Matrix[];
  const defaultDy = opts.dy === undefined;
  if (defaultDy) dy = Array.from({ length: F }, (_, f) => Array.from({ length: OH }, (_, i) => Array.from({ length: OW }, (_, j) => (f * OH + i) * OW + j + 1)));
  else {
    dy = checkStack('dy', opts.dy);
    if (dy.length !== F || dy[0].length !== OH || dy[0][0].length !== OW) {
      const want = F === 1 ? `${OH}×${OW}` : `${F}×${OH}×${OW}`, got = dy.length === 1 ? `${dy[0].length}×${dy[0][0].length}` : `${dy.length}×${dy[0].length}×${dy[0][0].length}`;
      throw new RangeError(`${who}: dy must have the output's size ${want}, got ${got}`);
    }
  }
  return { x, w, b, dy, stride, pad, dil, G, C, H, W, F, CG, FG: F / G, KH, KW, OH, OW, defaultDy };
}

/** An integer option at least `min`, or its default. */
export function checkInt(name: string, v: unknown, min: number, dflt: number, fn = who): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/** A 2-D matrix (one channel) or a 3-D stack of matrices of one size. */
function checkStack(name: string, v: unknown, fn = who): Matrix[] {
  if (Array.isArray(v) && Array.isArray(v[0]) && Array.isArray(v[0][0])) {
    const ms = v.map((m: unknown, c) => checkMatrix(`${name}[${c}]`, m, fn));
    ms.forEach((m, c) => {
      if (m.length !== ms[0].length || m[0].length !== ms[0][0].length) {
        throw new RangeError(`${fn}: ${name}[${c}] is ${m.length}×${m[0].length}, expected ${ms[0].length}×${ms[0][0].length} like ${name}[0]`);
      }
    });
    return ms;
  }
  return [checkMatrix(name, v, fn)];
}

/** A 2-D kernel (one filter, one channel) or a 4-D one (F, C/G, KH, KW). */
function checkKernel(v: unknown): Matrix[][] {
  if (Array.isArray(v) && Array.isArray(v[0]) && Array.isArray(v[0][0]) && Array.isArray(v[0][0][0])) {
    const fs = v.map((f: unknown, k) => {
      if (!Array.isArray(f) || !Array.isArray(f[0]) || !Array.isArray(f[0][0])) throw new TypeError(`${who}: kernel[${k}] must be a 3-D array (C/groups, KH, KW), got ${describe(f)}`);
      return checkStack(`kernel[${k}]`, f);
    });
    fs.forEach((f, k) => {
      if (f.length !== fs[0].length || f[0].length !== fs[0][0].length || f[0][0].length !== fs[0][0][0].length) {
        throw new RangeError(`${who}: kernel[${k}] is ${f.length}×${f[0].length}×${f[0][0].length}, expected ${fs[0].length}×${fs[0][0].length}×${fs[0][0][0].length} like kernel[0]`);
      }
    });
    return fs;
  }
  if (Array.isArray(v) && Array.isArray(v[0]) && Array.isArray(v[0][0])) {
    throw new RangeError(`${who}: kernel must be 2-D (KH, KW) or 4-D (F, C/groups, KH, KW), got a 3-D array; wrap it in one more [ ] for one filter`);
  }
  return [[checkMatrix('kernel', v)]];
}

/** A non-empty rectangular array of finite numbers, or a TypeError/RangeError that says what is wrong. */
export function checkMatrix(name: string, v: unknown, fn = who): Matrix {
  const expected = 'expected a 2-D array of numbers such as [[1,2],[3,4]]';
  if (!Array.isArray(v)) throw new TypeError(`${fn}: ${name} must be an array of rows, got ${describe(v)}; ${expected}`);
  if (v.length === 0) throw new RangeError(`${fn}: ${name} is empty; ${expected}`);
  v.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new TypeError(`${fn}: ${name}[${i}] must be a row (an array of numbers), got ${describe(row)}; ${expected}`);
    if (row.length === 0) throw new RangeError(`${fn}: ${name}[${i}] is an empty row; ${expected}`);
    if (row.length !== (v[0] as unknown[]).length) {
      throw new RangeError(`${fn}: ${name} is not rectangular: row ${i} has ${row.length} numbers, expected ${(v[0] as unknown[]).length} like row 0`);
    }
    row.forEach((value: unknown, j) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${fn}: ${name}[${i}][${j}] must be a finite number, got ${describe(value)}`);
    });
  });
  return (v as number[][]).map((row) => [...row]);
}

/** A non-empty array of finite numbers. */
export function checkVector(name: string, v: unknown, fn: string): number[] {
  const expected = 'expected an array of numbers such as [1,2,3]';
  if (!Array.isArray(v)) throw new TypeError(`${fn}: ${name} must be an array of numbers, got ${describe(v)}; ${expected}`);
  if (v.length === 0) throw new RangeError(`${fn}: ${name} is empty; ${expected}`);
  return v.map((value: unknown, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${fn}: ${name}[${i}] must be a finite number, got ${describe(value)}; ${expected}`);
    return value;
  });
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

/** Throws if the narrated sum and the kernel's value differ beyond rounding. */
export function assertSame(what: string, narrated: number, computed: number, kernel: string, fn = who): void {
  if (Math.abs(narrated - computed) > 1e-9 * Math.max(1, Math.abs(narrated), Math.abs(computed))) {
    throw new Error(`${fn}: internal check failed: the narrated ${what} = ${narrated} but ${kernel} gave ${computed}`);
  }
}
