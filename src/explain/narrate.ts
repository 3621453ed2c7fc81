// `miniconv explain conv`: one small convolution, forward and backward, with every number written
// out, the way the seed article writes out its worked example. The article is 《从零开始大模型开发与
// 微调：卷积运算的基本概念》 ("Large-model development and fine-tuning from zero: the basic concepts of
// convolution", by 禅与计算机程序设计艺术 / Zen and the Art of Computer Programming); its section 4
// slides the 2x2 kernel [[-1, 0], [0, 1]] over the 3x3 input [[1, 2, 3], [4, 5, 6], [7, 8, 9]]:
//
//   (1*-1 + 2*0 + 4*0 + 5*1) = 4,  (2*-1 + 3*0 + 5*0 + 6*1) = 4,  output 4 4 / 4 4.
//
// The numbers come from miniconv's own kernels (conv2dForwardNaive / conv2dBackwardNaive, run in
// float64). The written-out sums are the narration; each one is checked against the kernel's value
// (a mismatch throws), and each gradient also against central finite differences (numericGradient,
// the helper gradCheck uses).
//
// Names as in docs/names.md: x = input (C, H, W), w = kernel (F, C/G, KH, KW), b = bias (F),
// y = output (F, OH, OW) with OH = floor((H + 2*pad - dilation*(KH-1) - 1) / stride) + 1,
// dy = dL/dy (F, OH, OW); f runs over the filters, c over the input channels, cg over the C/G
// channels of filter f's group g (c = g*(C/G) + cg), i, j over the output, u, v over the kernel,
// ih, iw over the input: ih = i*stride + u*dilation - pad, iw = j*stride + v*dilation - pad.
// With one channel and one filter the indices c, f and cg are left out: x[ih][iw], w[u][v], y[i][j].

import { numericGradient } from '../gradcheck.ts';
import { conv2dBackwardNaive, conv2dForwardNaive } from '../kernels/conv2d.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, aligned, beside, fmt, plural, showGrid, showMatrix, toMatrix } from './matrix.ts';
import { narrateCorrelation, narrateDx } from './narrate-dx.ts';
import { type Styles, type ZeroKind, checkMark, styles, zeroLegend } from './style.ts';
import { type Checked, type ExplainOptions, SEED_INPUT, SEED_KERNEL, assertSame, checkOptions } from './validate.ts';

export { SEED_INPUT, SEED_KERNEL };

/** What explain() returns: the narration and every number it shows, the analytic gradients beside their finite differences. */
export interface Explanation {
  /** The narration, line by line, as `miniconv explain conv` prints it. */
  text: string;
  /** The output y = conv(x, w) + b: (F, OH, OW). */
  y: Matrix[];
  /** dL/dx for the given dy: (C, H, W). */
  dx: Matrix[];
  /** dL/dw: (F, C/groups, KH, KW). */
  dw: Matrix[][];
  /** dL/db: (F). */
  db: number[];
  /** dx by central finite differences, the same shape. */
  numericDx: Matrix[];
  /** dw by central finite differences, the same shape. */
  numericDw: Matrix[][];
  /** db by central finite differences, the same shape. */
  numericDb: number[];
}

/** The seed article, by its title (see the top of this file). */
export const SEED_ARTICLE = '《从零开始大模型开发与微调：卷积运算的基本概念》 (the seed article)';

export type Say = (...l: string[]) => void;

/** How the entries are named: x[ih][iw] with one channel, x[c][ih][iw] with several; likewise y, dy, w. */
function namer(d: Checked) {
  const one = d.C === 1 && d.F === 1;
  return {
    x: (c: number, ih: number, iw: number) => (d.C === 1 ? `x[${ih}][${iw}]` : `x[${c}][${ih}][${iw}]`),
    y: (name: string, f: number, i: number, j: number) => (d.F === 1 ? `${name}[${i}][${j}]` : `${name}[${f}][${i}][${j}]`),
    w: (name: string, f: number, cg: number, u: number, v: number) => (one ? `${name}[${u}][${v}]` : `${name}[${f}][${cg}][${u}][${v}]`),
    plane: (name: string, ...idx: number[]) => (one ? name : `${name}${idx.map((k) => `[${k}]`).join('')}`),
  };
}

/** Forward and backward of a convolution, narrated. Throws on invalid input (see checkOptions). */
export function explainConv(opts: ExplainOptions): Explanation {
  const d = checkOptions(opts);
  const { C, H, W, F, CG, KH, KW, OH, OW, stride, pad, dil, G } = d;
  const st = styles(opts.color ?? false);
  const nm = namer(d);

  // The numbers: miniconv's kernels, in double precision.
  const conv = { stride, padding: pad, dilation: dil, groups: G };
  const xFlat = Float64Array.from(d.x.flat(2)), wFlat = Float64Array.from(d.w.flat(3)), bFlat = Float64Array.from(d.b);
  const dyFlat = Float64Array.from(d.dy.flat(2));
  const xT = new Tensor([1, C, H, W], xFlat), wT = new Tensor([F, CG, KH, KW], wFlat), bT = new Tensor([F], bFlat);
  const { out: yT, cache } = conv2dForwardNaive(xT, wT, bT, conv);
  const grads = conv2dBackwardNaive(new Tensor([1, F, OH, OW], dyFlat), cache);
  const y = planes(yT.data, F, OH, OW), dx = planes(grads.dx.data, C, H, W);
  const dw = Array.from({ length: F }, (_, f) => planes(grads.dw.data.subarray(f * CG * KH * KW), CG, KH, KW));
  const db = Array.from((grads.db as Tensor).data);

  // An independent check: L = sum(y * dy), so dL/dv ~ (L(v + h) - L(v - h)) / 2h for every entry v.
  // The tensors wrap xFlat, wFlat and bFlat, which numericGradient nudges in place.
  const loss = () => {
    const out = conv2dForwardNaive(xT, wT, bT, conv).out.data;
    let s = 0;
    for (let k = 0; k < out.length; k++) s += out[k] * dyFlat[k];
    return s;
  };
  const numericDx = planes(numericGradient(loss, xFlat), C, H, W);
  const nw = numericGradient(loss, wFlat);
  const numericDw = Array.from({ length: F }, (_, f) => planes(nw.subarray(f * CG * KH * KW), CG, KH, KW));
  const numericDb = Array.from(numericGradient(loss, bFlat));

  const lines: string[] = [];
  const say: Say = (...l) => { lines.push(...l); };
  say(st.bold('One convolution, forward and backward, every number written out'), '');
  if (C === 1 && F === 1 && sameMatrix(d.x[0], SEED_INPUT) && sameMatrix(d.w[0][0], SEED_KERNEL)) {
    say(`The worked example of ${SEED_ARTICLE}, section 4.`, '');
  }
  say(`Input x (${C > 1 ? `${C}×` : ''}${H}×${W}${C > 1 ? ': channels × rows × columns' : ''}):`);
  say(...(C === 1 ? showMatrix(d.x[0]) : beside(d.x.map((m, c) => ({ title: `  x[${c}]`, lines: showMatrix(m) })))), '');
  say(`Kernel w (${F > 1 || CG > 1 ? `${F}×${CG}×` : ''}${KH}×${KW}${F > 1 || CG > 1 ? ': filters × channels per group × rows × columns' : ''}):`);
  if (F === 1 && CG === 1) say(...showMatrix(d.w[0][0]));
  else for (let f = 0; f < F; f++) say(...beside(d.w[f].map((m, cg) => ({ title: `  w[${f}][${cg}]`, lines: showMatrix(m) }))));
  say('', `Bias b (${F}): ${d.b.map(fmt).join(', ')}${d.b.every((v) => v === 0) ? ' (zero, as in the article; give --bias to change it)' : ''}`);
  say(`stride = ${stride}, pad = ${pad}${dil > 1 ? `, dilation = ${dil}` : ''}${G > 1 ? `, groups = ${G}` : ''}`);
  if (G > 1) {
    say(`Groups: the ${C} channels and the ${F} filters are split into ${G} groups; filter f sees only the ${plural(CG, 'channel')} of`);
    say(`its own group g = floor(f / ${d.FG}), c = g*${CG} + cg.${G === C ? ' With groups = C this is a depthwise convolution.' : ''}`);
  }
  const dk = dil > 1 ? ` - ${dil}*(KH - 1) - 1` : ' - KH';
  const dkw = dil > 1 ? ` - ${dil}*(KW - 1) - 1` : ' - KW';
  say(`output size: OH = floor((H + 2*pad${dk}) / stride) + 1 = floor((${H} + ${2 * pad}${dil > 1 ? ` - ${dil * (KH - 1) + 1}` : ` - ${KH}`}) / ${stride}) + 1 = ${OH},`);
  say(`             OW = floor((W + 2*pad${dkw}) / stride) + 1 = floor((${W} + ${2 * pad}${dil > 1 ? ` - ${dil * (KW - 1) + 1}` : ` - ${KW}`}) / ${stride}) + 1 = ${OW}`, '');

  narrateForward(say, st, d, y, nm);
  say(`Output (feature map) y (${F > 1 ? `${F}×` : ''}${OH}×${OW}):`);
  say(...(F === 1 ? showMatrix(y[0]) : beside(y.map((m, f) => ({ title: `  y[${f}]`, lines: showMatrix(m) })))), '');

  say(st.bold('Backward'), '');
  const dyNote = d.defaultDy ? ', here 1, 2, 3, ... in reading order, so that you can see which output each product came from' : '';
  say(`Upstream gradient dy = dL/dy (${F > 1 ? `${F}×` : ''}${OH}×${OW})${dyNote}:`);
  say(...(F === 1 ? showMatrix(d.dy[0]) : beside(d.dy.map((m, f) => ({ title: `  dy[${f}]`, lines: showMatrix(m) })))), '');
  say('Each y value was a sum of x*w products (plus the bias), so by the chain rule every product passes its output\'s dy');
  say('back to both of its factors: x gets dy * w, and w gets dy * x; the bias gets dy itself.', '');
  narrateDb(say, st, d, db, numericDb);
  narrateDw(say, st, d, dw, numericDw, nm);
  narrateDx(say, st, d, dx, numericDx);
  if (C === 1 && F === 1) narrateCorrelation(say, st, d);
  return { text: lines.join('\n'), y, dx, dw, db, numericDx, numericDw, numericDb };
}

function planes(data: ArrayLike<number> & { subarray?: unknown }, P: number, rows: number, cols: number): Matrix[] {
  const a = Float64Array.from(Array.prototype.slice.call(data, 0, P * rows * cols) as number[]);
  return Array.from({ length: P }, (_, p) => toMatrix(a.subarray(p * rows * cols), rows, cols));
}

function sameMatrix(a: Matrix, b: Matrix): boolean {
  return a.length === b.length && a.every((r, i) => r.length === b[i].length && r.every((v, j) => v === b[i][j]));
}

/** The padded input of channel c: a pad-wide ring of zeros (tagged 0p) around x[c]. */
function paddedGrid(d: Checked, c: number, st: Styles, marked?: (r: number, q: number) => boolean): string[] {
  const { pad, H, W } = d;
  const m: Matrix = Array.from({ length: H + 2 * pad }, (_, r) => Array.from({ length: W + 2 * pad }, (_, q) => {
    const ih = r - pad, iw = q - pad;
    return ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : d.x[c][ih][iw];
  }));
  const isPad = (r: number, q: number): ZeroKind | null => (r < pad || r >= H + pad || q < pad || q >= W + pad ? 'pad' : null);
  return showGrid(m, st, { marked, zero: isPad });
}

type Names = ReturnType<typeof namer>;

/** y[f][i][j] = b[f] + sum over cg, u, v of x[c][i*stride + u*dilation - pad][j*stride + v*dilation - pad] * w[f][cg][u][v]. */
function narrateForward(say: Say, st: Styles, d: Checked, y: Matrix[], nm: Names): void {
  const { x, w, b, stride, pad, dil, H, W, KH, KW, OH, OW, F, CG, FG, C } = d;
  const dl = dil > 1 ? '*dilation' : '';
  const sums = C === 1 && F === 1 ? 'u, v' : 'cg, u, v';
  say(st.bold(`Forward: ${F > 1 ? 'y[f][i][j]' : 'y[i][j]'} = b${F > 1 ? '[f]' : ''} + sum over ${sums} of ${C > 1 ? 'x[c]' : 'x'}[i*stride + u${dl} - pad][j*stride + v${dl} - pad] * ${C === 1 && F === 1 ? 'w[u][v]' : 'w[f][cg][u][v]'}`));
  say('Slide the kernel over the input; at each stop multiply the numbers that overlap and add them up.');
  say(st.color ? 'Below each sum, the window of x it reads is shown in reverse video.' : 'Below each sum, the window of x it reads is [bracketed].');
  if (dil > 1) say(`With dilation ${dil} the kernel's taps are ${dil} pixels apart: the window is a ${dil * (KH - 1) + 1}×${dil * (KW - 1) + 1} area with ${KH * KW} taps in it.`);
  if (pad > 0) say(`With pad ${pad} the input is surrounded by ${plural(pad, 'ring')} of zeros, tagged 0p.${zeroLegend(st, ['pad'])}`);
  say('');
  for (let f = 0; f < F; f++) {
    const g = Math.floor(f / FG);
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const terms: string[] = [];
        let sum = 0, padded = 0;
        for (let cg = 0; cg < CG; cg++) {
          const c = g * CG + cg;
          for (let u = 0; u < KH; u++) {
            for (let v = 0; v < KW; v++) {
              const ih = i * stride + u * dil - pad, iw = j * stride + v * dil - pad;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) { // the zero padding: contributes nothing
                terms.push(`${st.dim('0')}*${fmt(w[f][cg][u][v])}`);
                padded++;
                continue;
              }
              terms.push(`${fmt(x[c][ih][iw])}*${fmt(w[f][cg][u][v])}`);
              sum += x[c][ih][iw] * w[f][cg][u][v];
            }
          }
        }
        if (b[f] !== 0) { terms.push(fmt(b[f])); sum += b[f]; }
        assertSame(nm.y('y', f, i, j), sum, y[f][i][j], 'conv2dForwardNaive');
        const note = padded > 0 ? st.dim(`   (${padded} of ${CG * KH * KW} terms read the zero padding)`) : '';
        say(`${nm.y('y', f, i, j)} = ${terms.join(' + ')} = ${fmt(sum)}${b[f] !== 0 ? st.dim(`   (the last term is the bias b[${f}])`) : ''}${note}`);
        // The window: padded-input rows i*stride + u*dil, columns j*stride + v*dil.
        const inWindow = (r: number, q: number) => {
          const u = (r - i * stride) / dil, v = (q - j * stride) / dil;
          return Number.isInteger(u) && Number.isInteger(v) && u >= 0 && u < KH && v >= 0 && v < KW;
        };
        const grids = Array.from({ length: CG }, (_, cg) => ({ title: C > 1 ? `  x[${g * CG + cg}]` : '', lines: paddedGrid(d, g * CG + cg, st, inWindow).map((l) => `  ${l}`) }));
        say(...(C > 1 ? beside(grids) : grids[0].lines));
      }
    }
  }
  say('');
}

/** db[f] = sum over i, j of dy[f][i][j]: b[f] was added once to every output of filter f. */
function narrateDb(say: Say, st: Styles, d: Checked, db: number[], numeric: number[]): void {
  const { F, OH, OW } = d;
  say(st.bold(`db = the sum of dy: db${F > 1 ? '[f]' : '[0]'} = sum over i, j of ${F > 1 ? 'dy[f][i][j]' : 'dy[i][j]'}`));
  say('(the bias was added once to every output of its filter, and d(y)/d(b) = 1.)', '');
  const rows: Array<[string, string]> = [];
  for (let f = 0; f < F; f++) {
    const terms: string[] = [];
    let sum = 0;
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) { terms.push(fmt(d.dy[f][i][j])); sum += d.dy[f][i][j]; }
    assertSame(`db[${f}]`, sum, db[f], 'conv2dBackwardNaive');
    rows.push([`db[${f}] = ${terms.join(' + ')} = ${fmt(sum)}`, checkMark(st, sum, numeric[f])]);
  }
  say(...aligned(rows), '');
}

/** dw[f][cg][u][v] = sum over i, j of dy[f][i][j] * x[c][i*stride + u*dilation - pad][j*stride + v*dilation - pad]. */
function narrateDw(say: Say, st: Styles, d: Checked, dw: Matrix[][], numeric: Matrix[][], nm: Names): void {
  const { x, dy, stride, pad, dil, H, W, KH, KW, OH, OW, F, CG, FG } = d;
  const dl = dil > 1 ? '*dilation' : '';
  const one = d.C === 1 && F === 1;
  say(st.bold(`dw = the correlation of x with dy: ${one ? 'dw[u][v]' : 'dw[f][cg][u][v]'} = sum over i, j of ${one ? 'dy[i][j] * x' : 'dy[f][i][j] * x[c]'}[i*stride + u${dl} - pad][j*stride + v${dl} - pad]`));
  say(`(${one ? 'w[u][v]' : 'w[f][cg][u][v]'} met the input at i*stride + u${dl} - pad, j*stride + v${dl} - pad once for every output position (i, j).)`, '');
  const rows: Array<[string, string]> = [];
  for (let f = 0; f < F; f++) {
    const g = Math.floor(f / FG);
    for (let cg = 0; cg < CG; cg++) {
      const c = g * CG + cg;
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          const terms: string[] = [];
          let sum = 0, padded = 0;
          for (let i = 0; i < OH; i++) {
            for (let j = 0; j < OW; j++) {
              const ih = i * stride + u * dil - pad, iw = j * stride + v * dil - pad;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) { padded++; continue; } // met a padded zero
              terms.push(`${fmt(dy[f][i][j])}*${fmt(x[c][ih][iw])}`);
              sum += dy[f][i][j] * x[c][ih][iw];
            }
          }
          const name = nm.w('dw', f, cg, u, v);
          assertSame(name, sum, dw[f][cg][u][v], 'conv2dBackwardNaive');
          const rhs = terms.length ? `${terms.join(' + ')} = ${fmt(sum)}` : '0';
          const note = padded > 0 ? st.dim(`   (${plural(padded, 'term')} met the zero padding, skipped)`) : '';
          rows.push([`${name} = ${rhs}`, `${checkMark(st, sum, numeric[f][cg][u][v])}${note}`]);
        }
      }
    }
  }
  say(...aligned(rows));
  say('', `dw (${one ? '' : `${F}×${CG}×`}${KH}×${KW}):`);
  if (one) say(...showMatrix(dw[0][0]), '');
  else for (let f = 0; f < F; f++) say(...beside(dw[f].map((m, cg) => ({ title: `  dw[${f}][${cg}]`, lines: showMatrix(m) }))), '');
}
