// The second half of `miniconv explain conv` (narrate.ts): dx as the full correlation of dy (dilated by
// the stride, bordered with zeros) with the kernel rotated by 180 degrees, each entry checked against
// conv2dBackwardNaive and a finite difference; then correlation versus convolution. Names as in
// narrate.ts and docs/names.md.

import { conv2dForwardNaive } from '../kernels/conv2d.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, aligned, beside, fmt, plural, rotate180, showGrid, showMatrix, toMatrix } from './matrix.ts';
import { type Styles, type ZeroKind, checkMark, zeroLegend } from './style.ts';
import { type Checked, assertSame } from './validate.ts';

export type Say = (...l: string[]) => void;

/**
 * dx is the full convolution of dy with w, which is the same as the full cross-correlation of dy
 * with w rotated by 180 degrees: slide the rotated kernel over dy bordered with (KH-1)*dilation rows
 * and (KW-1)*dilation columns of zeros (dilated first when stride > 1), then crop the padding.
 * With several filters, channel c's dx adds up the correlations of every filter that reads c.
 */
export function narrateDx(say: Say, st: Styles, d: Checked, dx: Matrix[], numeric: Matrix[]): void {
  const { w, dy, stride, pad, dil, H, W, KH, KW, OH, OW, F, CG, FG, C } = d;
  const one = C === 1 && F === 1;
  const HP = H + 2 * pad, WP = W + 2 * pad; // the padded input's size
  const BH = (KH - 1) * dil, BW = (KW - 1) * dil; // the border of the full correlation
  // D[f]: dy[f] dilated by the stride, placed BH rows down and BW columns right in a field of zeros
  // as large as the padded input plus the kernel's reach, so every window below lies inside it.
  const D: Matrix[] = dy.map((m) => {
    const z: Matrix = Array.from({ length: HP + BH }, () => new Array<number>(WP + BW).fill(0));
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) z[BH + i * stride][BW + j * stride] = m[i][j];
    return z;
  });
  const kindOfD = (r: number, q: number): ZeroKind | null => {
    const a = r - BH, e = q - BW;
    const inside = a >= 0 && a <= (OH - 1) * stride && e >= 0 && e <= (OW - 1) * stride;
    if (inside && a % stride === 0 && e % stride === 0) return null; // a dy entry
    return inside ? 'dilation' : 'full';
  };
  const flipped = w.map((fw) => fw.map(rotate180));

  say(st.bold('dx = the full convolution of dy with w, i.e. the full cross-correlation of dy with w rotated by 180 degrees'));
  const dl = dil > 1 ? '*dilation' : '';
  say(`(${one ? 'x[ih][iw]' : 'x[c][ih][iw]'} met ${one ? 'w[u][v]' : 'w[f][cg][u][v]'} at every output (i, j) with i*stride + u${dl} - pad = ih and j*stride + v${dl} - pad = iw.)`);
  if (!one) say(`(Channel c is read by the ${plural(d.FG, 'filter')} of its group, so its dx adds up their ${d.FG > 1 ? 'correlations' : 'correlation'}.)`);
  say(`w rotated by 180 degrees (wflip[u][v] = w[${KH - 1} - u][${KW - 1} - v]):`);
  if (one) say(...showMatrix(flipped[0][0]));
  else for (let f = 0; f < F; f++) say(...beside(flipped[f].map((m, cg) => ({ title: `  wflip[${f}][${cg}]`, lines: showMatrix(m) }))));
  if (dil > 1) {
    say(`Dilation ${dil}: the rotated kernel's taps are ${dil} apart too, as if ${plural(dil - 1, 'zero')} (0d) sat between them${F * CG > 1 ? ' (wflip[0][0] shown)' : ''}:`);
    const spread = (m: Matrix): Matrix => Array.from({ length: BH + 1 }, (_, r) => Array.from({ length: BW + 1 }, (_, q) => (r % dil === 0 && q % dil === 0 ? m[r / dil][q / dil] : 0)));
    const hole = (r: number, q: number): ZeroKind | null => (r % dil === 0 && q % dil === 0 ? null : 'dilation');
    say(...showGrid(spread(flipped[0][0]), st, { zero: hole }).map((l) => `  ${l}`));
  }
  if (stride > 1) {
    say(`Stride ${stride}: the windows of the forward pass start ${stride} positions apart, so dy is dilated first:`);
    say(`${plural(stride - 1, 'zero')} (0d) inserted between neighbouring entries, one dy entry per window start.`);
  }
  say(`D = dy${stride > 1 ? ' (dilated)' : ''} with a border of ${dil > 1 ? `(KH-1)*dilation = ${plural(BH, 'row')} and (KW-1)*dilation = ${plural(BW, 'column')}` : `KH-1 = ${plural(KH - 1, 'row')} and KW-1 = ${plural(KW - 1, 'column')}`} of zeros (0f):`);
  const extraRows = HP - ((OH - 1) * stride + BH + 1), extraCols = WP - ((OW - 1) * stride + BW + 1);
  if (extraRows > 0 || extraCols > 0) {
    say(`(the stride left the last ${plural(extraRows, 'row')} and ${plural(extraCols, 'column')} of the padded input outside every window;`);
    say(' D gets as many extra zeros (0f) at the bottom and right, and their gradient is 0)');
  }
  if (F === 1) say(...showGrid(D[0], st, { zero: kindOfD }));
  else say(...beside(D.map((m, f) => ({ title: `  D[${f}]`, lines: showGrid(m, st, { zero: kindOfD }) }))));
  const kinds: ZeroKind[] = ['full'];
  if (stride > 1) kinds.unshift('dilation');
  say(zeroLegend(st, kinds));
  if (pad > 0) {
    say(`Pad ${pad}: this gives the gradient of the padded ${HP}×${WP} input; the padding is not an input,`);
    say(`so its ${pad}-wide border is cropped. Below, dx[ih][iw] is the padded position (ih + ${pad}, iw + ${pad}).`);
  }
  const off = pad > 0 ? ` + ${pad}` : '';
  const tap = (s: string) => (dil > 1 ? `${s}*${dil}` : s);
  say(one
    ? `dx[ih][iw] = sum over u, v of D[ih${off} + ${tap('u')}][iw${off} + ${tap('v')}] * wflip[u][v]`
    : `dx[c][ih][iw] = sum over the filters f of c's group, and u, v, of D[f][ih${off} + ${tap('u')}][iw${off} + ${tap('v')}] * wflip[f][cg][u][v]`, '');

  const rows: Array<[string, string]> = [];
  const dxPadded: Matrix[] = [];
  for (let c = 0; c < C; c++) {
    const g = Math.floor(c / CG), cg = c % CG;
    const pm: Matrix = Array.from({ length: HP }, () => new Array<number>(WP).fill(0));
    for (let ph = 0; ph < HP; ph++) {
      for (let pw = 0; pw < WP; pw++) {
        const terms: string[] = [];
        let sum = 0;
        for (let f = g * FG; f < (g + 1) * FG; f++) {
          for (let u = 0; u < KH; u++) {
            for (let v = 0; v < KW; v++) {
              const val = D[f][ph + u * dil][pw + v * dil];
              terms.push(`${fmt(val)}*${fmt(flipped[f][cg][u][v])}`);
              sum += val * flipped[f][cg][u][v];
            }
          }
        }
        pm[ph][pw] = sum;
        const ih = ph - pad, iw = pw - pad;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue; // the cropped border
        const name = one ? `dx[${ih}][${iw}]` : `dx[${c}][${ih}][${iw}]`;
        assertSame(name, sum, dx[c][ih][iw], 'conv2dBackwardNaive');
        rows.push([`${name} = ${terms.join(' + ')} = ${fmt(sum)}`, checkMark(st, sum, numeric[c][ih][iw])]);
      }
    }
    dxPadded.push(pm);
  }
  say(...aligned(rows));
  if (pad > 0) {
    say('', `Gradient of the padded input (${C > 1 ? `${C}×` : ''}${HP}×${WP}), before cropping the border:`);
    say(...(C === 1 ? showMatrix(dxPadded[0]) : beside(dxPadded.map((m, c) => ({ title: `  x[${c}] padded`, lines: showMatrix(m) })))));
  }
  say('', `dx (${C > 1 ? `${C}×` : ''}${H}×${W}):`);
  say(...(C === 1 ? showMatrix(dx[0]) : beside(dx.map((m, c) => ({ title: `  dx[${c}]`, lines: showMatrix(m) })))), '');
}

/** Cross-correlation (what frameworks call convolution) versus the mathematical convolution. */
export function narrateCorrelation(say: Say, st: Styles, d: Checked): void {
  const { x, w, stride, pad, dil, OH, OW } = d;
  const t = (m: Matrix) => new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));
  const trueConv = toMatrix(conv2dForwardNaive(t(x[0]), t(rotate180(w[0][0])), null, { stride, padding: pad, dilation: dil }).out, OH, OW);
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
