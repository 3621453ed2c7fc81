// `miniconv explain`: one small convolution, forward and backward, with every number written out,
// the way the seed article writes out its worked example. The article is 《从零开始大模型开发与微调：
// 卷积运算的基本概念》 ("Large-model development and fine-tuning from zero: the basic concepts of
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
// Names as in docs/names.md: x = input (H, W), w = kernel (KH, KW), y = output (OH, OW) with
// OH = floor((H + 2*pad - KH) / stride) + 1, dy = dL/dy (OH, OW); i, j run over the output, u, v over
// the kernel, ih, iw over the input: ih = i*stride + u - pad, iw = j*stride + v - pad.

import { numericGradient } from '../gradcheck.ts';
import { conv2dBackwardNaive, conv2dForwardNaive } from '../kernels/conv2d.ts';
import { type Matrix, aligned, fmt, image, padMatrix, plural, rotate180, showMatrix, sumProduct, toMatrix } from './matrix.ts';
import { type Styles, styles } from './style.ts';
import { type Checked, type ExplainOptions, assertSame, checkOptions } from './validate.ts';

export interface Explanation {
  text: string;
  y: number[][];
  dx: number[][];
  dw: number[][];
  numericDx: number[][];
  numericDw: number[][];
}

/** The seed article's example: a 3x3 input and a 2x2 kernel, output 4 4 / 4 4. */
export const SEED_INPUT = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
export const SEED_KERNEL = [[-1, 0], [0, 1]];

/** The seed article, by its title (see the top of this file). */
export const SEED_ARTICLE = '《从零开始大模型开发与微调：卷积运算的基本概念》 (the seed article)';

type Say = (...l: string[]) => void;

/** Forward and backward of a single-channel convolution, narrated. Throws on invalid input (see checkOptions). */
export function explainConv(opts: ExplainOptions): Explanation {
  const d = checkOptions(opts);
  const { x, w, dy, stride, pad, H, W, KH, KW, OH, OW } = d;
  const st = styles(opts.color ?? false);

  // The numbers: miniconv's kernels, in double precision.
  const conv = { stride, padding: pad };
  const { out: yT, cache } = conv2dForwardNaive(image(x), image(w), null, conv);
  const grads = conv2dBackwardNaive(image(dy), cache);
  const y = toMatrix(yT, OH, OW), dx = toMatrix(grads.dx, H, W), dw = toMatrix(grads.dw, KH, KW);

  // An independent check: L = sum(y * dy), so dL/dv ~ (L(v + h) - L(v - h)) / 2h for every entry v.
  const xFlat = Float64Array.from(x.flat()), wFlat = Float64Array.from(w.flat());
  const loss = () => sumProduct(toMatrix(conv2dForwardNaive(image(toMatrix(xFlat, H, W)), image(toMatrix(wFlat, KH, KW)), null, conv).out, OH, OW), dy);
  const numericDx = toMatrix(numericGradient(loss, xFlat), H, W);
  const numericDw = toMatrix(numericGradient(loss, wFlat), KH, KW);

  const lines: string[] = [];
  const say: Say = (...l) => { lines.push(...l); };
  say(st.bold('One convolution, forward and backward, every number written out'), '');
  if (sameMatrix(x, SEED_INPUT) && sameMatrix(w, SEED_KERNEL)) {
    say(`The worked example of ${SEED_ARTICLE}, section 4.`, '');
  }
  say(`Input x (${H}×${W}):`, ...showMatrix(x), '');
  say(`Kernel w (${KH}×${KW}):`, ...showMatrix(w), '');
  say(`stride = ${stride}, pad = ${pad}`);
  say(`output size: OH = floor((H + 2*pad - KH) / stride) + 1 = floor((${H} + ${2 * pad} - ${KH}) / ${stride}) + 1 = ${OH},`);
  say(`             OW = floor((W + 2*pad - KW) / stride) + 1 = floor((${W} + ${2 * pad} - ${KW}) / ${stride}) + 1 = ${OW}`, '');

  narrateForward(say, st, d, y);
  say(`Output (feature map) y (${OH}×${OW}):`, ...showMatrix(y), '');

  say(st.bold('Backward'), '');
  say(`Upstream gradient dy = dL/dy (${OH}×${OW})${opts.dy ? '' : ', all ones (as if L were the sum of the outputs)'}:`, ...showMatrix(dy), '');
  say('Each y[i][j] was a sum of x[ih][iw]*w[u][v] products, so by the chain rule every product passes dy[i][j]');
  say('back to both of its factors: x gets dy[i][j] * w[u][v], and w gets dy[i][j] * x[ih][iw].', '');
  narrateDw(say, st, d, dw, numericDw);
  narrateDx(say, st, d, dx, numericDx);
  narrateCorrelation(say, st, d);
  return { text: lines.join('\n'), y, dx, dw, numericDx, numericDw };
}

function sameMatrix(a: Matrix, b: Matrix): boolean {
  return a.length === b.length && a.every((r, i) => r.length === b[i].length && r.every((v, j) => v === b[i][j]));
}

/** y[i][j] = sum_u sum_v x[i*stride+u-pad][j*stride+v-pad] * w[u][v], one line per output value. */
function narrateForward(say: Say, st: Styles, d: Checked, y: Matrix): void {
  const { x, w, stride, pad, H, W, KH, KW, OH, OW } = d;
  say(st.bold('Forward: y[i][j] = sum over u, v of x[i*stride + u - pad][j*stride + v - pad] * w[u][v]'));
  say('Slide the kernel over the input; at each stop multiply the numbers that overlap and add them up.');
  if (pad > 0) {
    say(`With pad ${pad} the input is surrounded by ${plural(pad, 'ring')} of zeros:`);
    say(...showMatrix(padMatrix(x, pad)));
  }
  say('');
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      const terms: string[] = [];
      let sum = 0, padded = 0;
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          const ih = i * stride + u - pad, iw = j * stride + v - pad;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) { // the zero padding: contributes nothing
            terms.push(`${st.dim('0')}*${fmt(w[u][v])}`);
            padded++;
            continue;
          }
          terms.push(`${fmt(x[ih][iw])}*${fmt(w[u][v])}`);
          sum += x[ih][iw] * w[u][v];
        }
      }
      assertSame(`y[${i}][${j}]`, sum, y[i][j], 'conv2dForwardNaive');
      const note = padded > 0 ? st.dim(`   (${padded} of ${KH * KW} terms read the zero padding)`) : '';
      say(`y[${i}][${j}] = ${terms.join(' + ')} = ${fmt(sum)}${note}`);
    }
  }
  say('');
}

/** dw[u][v] = sum_i sum_j dy[i][j] * x[i*stride+u-pad][j*stride+v-pad]: x correlated with dy. */
function narrateDw(say: Say, st: Styles, d: Checked, dw: Matrix, numeric: Matrix): void {
  const { x, dy, stride, pad, H, W, KH, KW, OH, OW } = d;
  say(st.bold('dw = the correlation of x with dy: dw[u][v] = sum over i, j of dy[i][j] * x[i*stride + u - pad][j*stride + v - pad]'));
  say('(w[u][v] met x[i*stride + u - pad][j*stride + v - pad] once for every output position (i, j).)', '');
  const rows: Array<[string, string]> = [];
  for (let u = 0; u < KH; u++) {
    for (let v = 0; v < KW; v++) {
      const terms: string[] = [];
      let sum = 0, padded = 0;
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const ih = i * stride + u - pad, iw = j * stride + v - pad;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) { padded++; continue; } // met a padded zero
          terms.push(`${fmt(dy[i][j])}*${fmt(x[ih][iw])}`);
          sum += dy[i][j] * x[ih][iw];
        }
      }
      assertSame(`dw[${u}][${v}]`, sum, dw[u][v], 'conv2dBackwardNaive');
      const rhs = terms.length ? `${terms.join(' + ')} = ${fmt(sum)}` : '0';
      const note = padded > 0 ? st.dim(`   (${plural(padded, 'term')} met the zero padding, skipped)`) : '';
      rows.push([`dw[${u}][${v}] = ${rhs}`, `${check(st, sum, numeric[u][v])}${note}`]);
    }
  }
  say(...aligned(rows));
  say('', `dw (${KH}×${KW}):`, ...showMatrix(dw), '');
}

/**
 * dx is the full convolution of dy with w, which is the same as the full cross-correlation of dy
 * with w rotated by 180 degrees: slide the rotated kernel over dy bordered with KH-1 rows and KW-1
 * columns of zeros (dilated first when stride > 1), then crop the padding.
 */
function narrateDx(say: Say, st: Styles, d: Checked, dx: Matrix, numeric: Matrix): void {
  const { w, dy, stride, pad, H, W, KH, KW, OH, OW } = d;
  const HP = H + 2 * pad, WP = W + 2 * pad; // the padded input's size
  const flipped = rotate180(w);
  // D: dy dilated by the stride, placed KH-1 rows down and KW-1 columns right in a field of zeros
  // as large as the padded input plus the kernel's reach, so every window below lies inside it.
  const D: Matrix = Array.from({ length: HP + KH - 1 }, () => new Array<number>(WP + KW - 1).fill(0));
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) D[KH - 1 + i * stride][KW - 1 + j * stride] = dy[i][j];

  say(st.bold('dx = the full convolution of dy with w, i.e. the full cross-correlation of dy with w rotated by 180 degrees'));
  say('(x[ih][iw] met w[u][v] at every output (i, j) with i*stride + u - pad = ih and j*stride + v - pad = iw.)');
  say(`w rotated by 180 degrees (wflip[u][v] = w[${KH - 1} - u][${KW - 1} - v]):`, ...showMatrix(flipped));
  if (stride > 1) {
    say(`Stride ${stride}: the windows of the forward pass start ${stride} positions apart, so dy is dilated first:`);
    say(`${plural(stride - 1, 'zero')} inserted between neighbouring entries, one dy entry per window start.`);
  }
  say(`D = dy${stride > 1 ? ' (dilated)' : ''} with a border of KH-1 = ${plural(KH - 1, 'row')} and KW-1 = ${plural(KW - 1, 'column')} of zeros:`);
  const extraRows = HP - ((OH - 1) * stride + KH), extraCols = WP - ((OW - 1) * stride + KW);
  if (extraRows > 0 || extraCols > 0) {
    say(`(the stride left the last ${plural(extraRows, 'row')} and ${plural(extraCols, 'column')} of the padded input outside every window;`);
    say(' D gets as many extra zeros at the bottom and right, and their gradient is 0)');
  }
  say(...showMatrix(D));
  if (pad > 0) {
    say(`Pad ${pad}: this gives the gradient of the padded ${HP}×${WP} input; the padding is not an input,`);
    say(`so its ${pad}-wide border is cropped. Below, dx[ih][iw] is the padded position (ih + ${pad}, iw + ${pad}).`);
  }
  const off = pad > 0 ? ` + ${pad}` : '';
  say(`dx[ih][iw] = sum over u, v of D[ih${off} + u][iw${off} + v] * wflip[u][v]`, '');

  const dxPadded: Matrix = Array.from({ length: HP }, () => new Array<number>(WP).fill(0));
  const rows: Array<[string, string]> = [];
  for (let ph = 0; ph < HP; ph++) {
    for (let pw = 0; pw < WP; pw++) {
      const terms: string[] = [];
      let sum = 0;
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          terms.push(`${fmt(D[ph + u][pw + v])}*${fmt(flipped[u][v])}`);
          sum += D[ph + u][pw + v] * flipped[u][v];
        }
      }
      dxPadded[ph][pw] = sum;
      const ih = ph - pad, iw = pw - pad;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue; // the cropped border
      assertSame(`dx[${ih}][${iw}]`, sum, dx[ih][iw], 'conv2dBackwardNaive');
      rows.push([`dx[${ih}][${iw}] = ${terms.join(' + ')} = ${fmt(sum)}`, check(st, sum, numeric[ih][iw])]);
    }
  }
  say(...aligned(rows));
  if (pad > 0) say('', `Gradient of the padded input (${HP}×${WP}), before cropping the border:`, ...showMatrix(dxPadded));
  say('', `dx (${H}×${W}):`, ...showMatrix(dx), '');
}

/** Cross-correlation (what frameworks call convolution) versus the mathematical convolution. */
function narrateCorrelation(say: Say, st: Styles, d: Checked): void {
  const { x, w, stride, pad, OH, OW } = d;
  const trueConv = toMatrix(conv2dForwardNaive(image(x), image(rotate180(w)), null, { stride, padding: pad }).out, OH, OW);
  say(st.bold('Correlation or convolution?'));
  say('The seed article\'s formula (section 4), 输出(i,j) = sum over m, n of 输入(i+m, j+n) * 卷积核(m,n)');
  say('(output, input, kernel; its m, n are the u, v above), slides the kernel as it is: that is');
  say('cross-correlation, and it is what PyTorch, TensorFlow and miniconv compute under the name');
  say('"convolution". The mathematical convolution that the article\'s section 2.1 describes ("flip and');
  say('shift") runs one of the two backwards: (x conv w)(i,j) = sum over u, v of x(i-u, j-v) * w(u,v).');
  say('Over the same windows that is a correlation with the kernel rotated by 180 degrees:');
  say('sum over u, v of x(i+u, j+v) * w(KH-1-u, KW-1-v). With this input and kernel it would give:', ...showMatrix(trueConv));
  say('For training the difference does not matter (a network learns the flipped kernel just as well),');
  say('but the flip is there in the backward pass: dx above is a true convolution of dy with w.');
}

/** '✓' when the analytic and numeric gradients agree to 1e-6 (relative, absolute near zero). */
function check(st: Styles, analytic: number, numeric: number): string {
  const ok = Math.abs(analytic - numeric) <= 1e-6 * Math.max(1, Math.abs(analytic), Math.abs(numeric));
  const n = numeric.toFixed(6).replace(/^-(0\.0+)$/, '$1');
  return ok ? `${st.green('✓')} finite difference ${n}` : `${st.red('✗')} finite difference ${n} DISAGREES`;
}
