// `miniconv explain winograd`: Winograd's minimal filtering (src/kernels/winograd.ts), in numbers:
//   1. F(2, 3) in one dimension: two outputs of a 3-tap filter from 4 products instead of 6, every
//      transform written out on the given (or default) numbers and checked against the direct sums;
//   2. why 4 products suffice, and why the transforms are nearly free (G g once per kernel; Bt and At
//      only add and subtract);
//   3. nesting to 2-D: a 4x4 input tile and a 3x3 kernel give a 2x2 output tile from 16 products
//      instead of 36, computed by winogradForward and checked against conv2dForwardNaive;
//   4. where it loses: the float32 error measured on a seeded layer, small maps and few channels, stride 2;
//   5. the speed-up measured by the bench (dated figures, see docs/winograd.md).
// Every number printed, except the dated bench figures, is computed here.

import { conv2dForwardNaive } from '../kernels/conv2d.ts';
import { F2X3, F4X3, winograd1d, winogradForward } from '../kernels/winograd.ts';
import { createRng } from '../rng.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, beside, showMatrix } from './matrix.ts';
import { styles } from './style.ts';

export interface WinogradExplainOptions {
  /** The 4 inputs of the 1-D example (default [1, 2, 3, 4]). */
  input?: number[];
  /** The 3 taps (default [1, 2, 1]). */
  kernel?: number[];
  color?: boolean;
}

export interface WinogradExplanation {
  text: string;
  /** The 1-D example: Bt d, G g, their products, y by Winograd and directly. */
  transformedInput: number[]; transformedKernel: number[]; products: number[]; y: number[]; direct: number[];
  /** The 2-D example: the 2x2 output tile by Winograd and by the naive kernel. */
  tile: Matrix; tileDirect: Matrix;
  /** Measured float32 error (max |error| / max |exact|) of one seeded layer: the naive kernel (sums in float64, one rounding), F(2x2,3x3), F(4x4,3x3). */
  error: { direct: number; f2: number; f4: number };
}

/**
 * The speed-ups measured by `npm run bench:winograd` (bench/winograd.ts: one thread, both variants
 * timed back to back in each of 15 rounds, CPU time, the median of the per-round ratios), 2026-12-07
 * 23:45 UTC, load average 19 on the 2 cores. See docs/winograd.md for the whole table.
 */
export const MEASURED = {
  date: '2026-12-07',
  rows: [
    'vgg-mini (Winograd on its 16 -> 16 conv):         training 1.07x, inference 1.11x',
    'resnet-mini (on its 16- and 32-channel convs):    training 1.06x, inference 1.06x',
    'one 3x3 conv, 16 -> 16 channels, 14x14:          forward 1.33x, backward 1.35x (batch 32)',
    'one 3x3 conv, 32 -> 32 channels, 14x14:          forward 1.58x, backward 1.36x (batch 32)',
    'one 3x3 conv, 8 -> 8 channels, 28x28 (not run):  forward 1.05x, backward 1.06x (batch 32)',
  ],
};

function checkVector(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new RangeError(`explainWinograd: ${what} must be ${n} finite numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString());
const list = (v: number[]) => `[${v.map(fmt).join(', ')}]`;

export function explainWinograd(opts: WinogradExplainOptions = {}): WinogradExplanation {
  const d = checkVector(opts.input ?? [1, 2, 3, 4], 4, 'input');
  const g = checkVector(opts.kernel ?? [1, 2, 1], 3, 'kernel');
  const st = styles(opts.color ?? false);
  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };

  // 1. One dimension.
  const direct = [g[0] * d[0] + g[1] * d[1] + g[2] * d[2], g[0] * d[1] + g[1] * d[2] + g[2] * d[3]];
  const Btd = F2X3.Bt.map((row) => row.reduce((s, b, i) => s + b * d[i], 0));
  const Gg = F2X3.G.map((row) => row.reduce((s, b, i) => s + b * g[i], 0));
  const { y, products } = winograd1d(F2X3, d, g);
  say(st.bold('Winograd minimal filtering: the same convolution with fewer multiplications'), '');
  say(st.bold('1. F(2, 3) in one dimension'));
  say(`Two outputs of a 3-tap filter g = ${list(g)} sliding over d = ${list(d)}, directly (6 multiplications):`);
  say(`  y0 = g0 d0 + g1 d1 + g2 d2 = ${fmt(g[0])}·${fmt(d[0])} + ${fmt(g[1])}·${fmt(d[1])} + ${fmt(g[2])}·${fmt(d[2])} = ${fmt(direct[0])}`);
  say(`  y1 = g0 d1 + g1 d2 + g2 d3 = ${fmt(g[0])}·${fmt(d[1])} + ${fmt(g[1])}·${fmt(d[2])} + ${fmt(g[2])}·${fmt(d[3])} = ${fmt(direct[1])}`, '');
  say('Winograd (Lavin & Gray 2016): transform the input and the kernel, multiply position by position, transform back:');
  say(`  Bt d = [d0 - d2, d1 + d2, d2 - d1, d1 - d3]                    = ${list(Btd)}   (additions only)`);
  say(`  G g  = [g0, (g0 + g1 + g2)/2, (g0 - g1 + g2)/2, g2]            = ${list(Gg)}   (once per kernel)`);
  say(`  m = (G g) ⊙ (Bt d), 4 multiplications                           = ${list(products)}`);
  say(`  y = At m = [m0 + m1 + m2, m1 - m2 - m3]                        = ${list(y)}   (additions only)`);
  const agree = y.every((v, k) => Math.abs(v - direct[k]) <= 1e-9 * Math.max(1, Math.abs(direct[k])));
  say(agree ? `Both give ${list(direct)} (checked).` : `They DIFFER: ${list(y)} against ${list(direct)}.`, '');

  // 2. Why it works.
  say(st.bold('2. Why 4 multiplications replace 6'));
  say('y0 and y1 share work: both use d1 and d2. Expand m0 + m1 + m2 and m1 - m2 - m3 and every cross term cancels except');
  say('g0 d0 + g1 d1 + g2 d2 and g0 d1 + g1 d2 + g2 d3. In general F(m, r) needs m + r - 1 products (the number of inputs),');
  say('the minimum (Winograd 1980): it is polynomial multiplication evaluated at the points 0, 1, -1 and infinity, then');
  say('interpolated. In a network the kernel\'s transform G g is computed once and reused for every tile of every image, and');
  say('Bt and At only add and subtract: per output, 2 multiplications instead of 3 (1.5x); F(4, 3) needs 6 for 4 outputs (2x).', '');

  // 3. Two dimensions.
  const rng = createRng('explain-winograd');
  const tileIn = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => Math.round(rng.normal() * 3)));
  const k2: Matrix = [g, [0, 0, 0], g.map((v) => -v)];
  const x = new Tensor([1, 1, 4, 4], Float64Array.from(tileIn.flat()));
  const w = new Tensor([1, 1, 3, 3], Float64Array.from(k2.flat()));
  const out = new Float64Array(4);
  winogradForward(F2X3, { N: 1, CI: 1, H: 4, W: 4, CO: 1, P: 0 }, x.data, w.data, null, out);
  const naive = conv2dForwardNaive(x, w, null, { stride: 1, padding: 0 }).out.data;
  const tile: Matrix = [[out[0], out[1]], [out[2], out[3]]].map((r) => r.map((v) => Number(v.toPrecision(12))));
  const tileDirect: Matrix = [[naive[0], naive[1]], [naive[2], naive[3]]];
  say(st.bold('3. Nesting to two dimensions: F(2x2, 3x3)'));
  say('Apply the 1-D algorithm along the rows, then along the columns: a 4x4 input tile d and a 3x3 kernel g give a 2x2 output');
  say('tile as  Y = At [ (G g Gt) ⊙ (Bt d B) ] A : 16 multiplications instead of 2·2·9 = 36 (2.25x; F(4x4, 3x3): 36 for 16 outputs');
  say('instead of 144, 4x). A layer tiles its output in 2x2 pieces (neighbouring input tiles overlap by 2), and summing over the');
  say('input channels turns the ⊙ into 16 independent matrix products, one per position of the 4x4 tile (src/kernels/winograd.ts).', '');
  say(...beside([
    { title: '  d (4x4 tile)', lines: showMatrix(tileIn) },
    { title: '  g (3x3)', lines: showMatrix(k2) },
    { title: '  Y by Winograd', lines: showMatrix(tile) },
    { title: '  Y directly', lines: showMatrix(tileDirect) },
  ]), '');
  const same2d = tile.flat().every((v, k) => Math.abs(v - tileDirect.flat()[k]) <= 1e-9 * Math.max(1, Math.abs(tileDirect.flat()[k])));
  say(same2d ? 'The same 2x2 tile (checked against conv2dForwardNaive).' : 'The tiles DIFFER.', '');
  say('The backward pass reuses it: dL/dx is the forward algorithm on dy with the kernel turned 180 degrees; dL/dw uses the');
  say('same three matrices the other way round (G transposed for the result, At transposed for dy, Bt for x as before).', '');

  // 4. Where it loses.
  const error = measureError();
  say(st.bold('4. Where it loses'));
  say('- Rounding: the transforms add and subtract, and F(4x4) scales by 1/24 .. 8, so errors grow with the tile. On one');
  say(`  seeded layer (16 -> 16 channels, 14x14, batch 4), max |error| / max |exact|: the naive kernel ${error.direct.toExponential(1)} (one rounding),`);
  say(`  F(2x2,3x3) ${error.f2.toExponential(1)}, F(4x4,3x3) ${error.f4.toExponential(1)} (${(error.f4 / error.f2).toFixed(0)}x F(2x2)'s). These use miniconv's TypeScript path (transforms in`);
  say('  float64, products stored in float32); its wasm path, float32 throughout, measured up to 3.1e-7 for F(2x2,3x3) against');
  say('  8.0e-7 for its direct path (test/winograd.test.ts). F(2x2) stays at float32\'s level; F(6x6) is rarely used in float32.');
  say('- Few channels: the products shrink but the transforms do not. Per output pixel a C -> F layer costs 9·C·F multiply-adds');
  say('  directly, against 4·C·F plus about 20·C + 18·F additions (in float32 lanes) by F(2x2,3x3). With 8 channels the');
  say('  additions eat the whole saving, at 16 it pays a little, at 32 more. A cost model (winogradPays) counts both from the');
  say('  shape alone and runs Winograd only where it saves 15% or more: winograd: true leaves the other convs on the usual path.');
  say('- Small maps: a 7x7 map needs 4x4 tiles of 2x2 outputs, 64 outputs computed for 49 (31% wasted).');
  say('- Stride 2 (and dilation): the tiles compute neighbouring outputs, which a stride-2 conv skips, so nothing is saved;');
  say('  miniconv runs those (and 5x5, grouped, padding > 2) by its usual path.', '');

  // 5. Measured.
  say(st.bold(`5. Measured (npm run bench:winograd, one thread, Winograd / default path back to back, ${MEASURED.date}; the machine was loaded)`));
  for (const r of MEASURED.rows) say(`  ${r}`);
  say('So miniconv keeps Winograd opt-in (new Conv2D({ ..., winograd: true }), miniconv train --winograd): it changes the last');
  say('bits of float32 results, and on the zoo\'s narrow models it pays only a little; on wide layers more. docs/winograd.md has the details.');
  return { text: lines.join('\n'), transformedInput: Btd, transformedKernel: Gg, products, y, direct, tile, tileDirect, error };
}

/** The float32 error of one seeded 16 -> 16 channel layer (14x14, batch 4): the naive kernel, F(2x2,3x3), F(4x4,3x3). */
function measureError(): { direct: number; f2: number; f4: number } {
  const rng = createRng('explain-winograd-error');
  const [N, C, H, F] = [4, 16, 14, 16];
  const x = new Tensor([N, C, H, H]), w = new Tensor([F, C, 3, 3]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  for (let i = 0; i < w.size; i++) w.data[i] = 0.1 * rng.normal();
  const p = { stride: 1, padding: 1 };
  const exact = conv2dForwardNaive(x.to('float64'), w.to('float64'), null, p).out.data;
  const direct = conv2dForwardNaive(x, w, null, p).out.data; // float32 in and out, its sums in a JS number
  const rel = (a: ArrayLike<number>) => {
    let e = 0, s = 0;
    for (let i = 0; i < exact.length; i++) { e = Math.max(e, Math.abs(a[i] - exact[i])); s = Math.max(s, Math.abs(exact[i])); }
    return e / s;
  };
  const by = (t: typeof F2X3) => {
    const y = new Float32Array(exact.length);
    winogradForward(t, { N, CI: C, H, W: H, CO: F, P: 1 }, x.data, w.data, null, y);
    return rel(y);
  };
  return { direct: rel(direct), f2: by(F2X3), f4: by(F4X3) };
}
