// `miniconv explain relu | pool | dense | softmax`: one layer each, in the style of explainConv
// (narrate.ts): the forward formula with every value written out, the backward formula with every
// gradient entry written out, each value checked against miniconv's naive kernel (a mismatch throws)
// and each gradient against central finite differences (numericGradient) of L = sum(y * dy), or of the
// loss itself for softmax cross-entropy. Names as in docs/names.md; one sample (N = 1) throughout.

import { numericGradient } from '../gradcheck.ts';
import { denseBackwardNaive, denseForwardNaive } from '../kernels/dense.ts';
import { maxPool2dBackwardNaive, maxPool2dForwardNaive } from '../kernels/max-pool2d.ts';
import { reluBackwardNaive, reluForwardNaive } from '../kernels/relu.ts';
import { softmaxCrossEntropy } from '../kernels/softmax-xent.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, aligned, fmt, showGrid, showMatrix, toMatrix } from './matrix.ts';
import { type Styles, checkMark, styles } from './style.ts';
import { assertSame, checkInt, checkMatrix, checkVector, describe } from './validate.ts';

/** What every layer explanation returns: the text and every number it printed, with the finite differences. */
export interface LayerExplanation {
  text: string;
  y: number[][];
  dx: number[][];
  numericDx: number[][];
}

/** Smallest distance from a kink (ReLU's 0, a max-pool tie) that the finite differences can judge. */
const KINK_GAP = 1e-3;

/** 1, 2, 3, ... in reading order: a dy that shows where each gradient entry came from. */
export function countingDy(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => i * cols + j + 1));
}

function dyOf(fn: string, dy: unknown, rows: number, cols: number): Matrix {
  if (dy === undefined) return countingDy(rows, cols);
  const m = checkMatrix('dy', dy, fn);
  if (m.length !== rows || m[0].length !== cols) throw new RangeError(`${fn}: dy must have the output's size ${rows}×${cols}, got ${m.length}×${m[0].length}`);
  return m;
}

const t2 = (m: Matrix) => new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));

// ---------------------------------------------------------------------------------------------

export interface ReluExplainOptions { input?: number[][]; dy?: number[][]; color?: boolean }
export const RELU_INPUT = [[1.5, -2, 0.5], [-0.5, 3, -1]];

/** y = max(0, x); dx = dy where x > 0, else 0 (reluForwardNaive / reluBackwardNaive). */
export function explainRelu(opts: ReluExplainOptions = {}): LayerExplanation {
  const fn = 'explainRelu';
  const x = checkMatrix('input', opts.input ?? RELU_INPUT, fn);
  const H = x.length, W = x[0].length;
  x.forEach((r, i) => r.forEach((v, j) => {
    if (Math.abs(v) < KINK_GAP) throw new RangeError(`${fn}: input[${i}][${j}] = ${v} sits on ReLU's kink at 0, where the derivative does not exist (miniconv takes 0 there, as PyTorch does); expected values at least ${KINK_GAP} away from 0, so that the finite difference can check the gradient`);
  }));
  const dy = dyOf(fn, opts.dy, H, W);
  const st = styles(opts.color ?? false);
  const xFlat = Float64Array.from(x.flat());
  const xT = new Tensor([H, W], xFlat);
  const { out, cache } = reluForwardNaive(xT);
  const y = toMatrix(out, H, W);
  const dx = toMatrix(reluBackwardNaive(new Tensor([H, W], Float64Array.from(dy.flat())), cache).dx, H, W);
  const numericDx = toMatrix(numericGradient(() => sumTimes(reluForwardNaive(xT).out.data, dy.flat()), xFlat), H, W);

  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };
  say(st.bold('ReLU, forward and backward, every number written out'), '');
  say(`Input x (${H}×${W}):`, ...showMatrix(x), '');
  say(st.bold('Forward: y[i][j] = max(0, x[i][j])'), '(reluForwardNaive in src/kernels/relu.ts)', '');
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const v = Math.max(0, x[i][j]);
    assertSame(`y[${i}][${j}]`, v, y[i][j], 'reluForwardNaive', fn);
    say(`y[${i}][${j}] = max(0, ${fmt(x[i][j])}) = ${fmt(v)}`);
  }
  say('', `y (${H}×${W}):`, ...showMatrix(y), '');
  say(st.bold('Backward: dx[i][j] = dy[i][j] where x[i][j] > 0, else 0'));
  say('The slope of max(0, x) is 1 where x > 0 (y moves with x) and 0 where x < 0 (y stays 0): the gradient');
  say('passes through a unit that was on and stops at one that was off. (reluBackwardNaive)', '');
  say(`Upstream gradient dy = dL/dy (${H}×${W})${opts.dy === undefined ? ', here 1, 2, 3, ... in reading order' : ''}:`, ...showMatrix(dy), '');
  const rows: Array<[string, string]> = [];
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const on = x[i][j] > 0, v = on ? dy[i][j] : 0;
    assertSame(`dx[${i}][${j}]`, v, dx[i][j], 'reluBackwardNaive', fn);
    rows.push([on ? `dx[${i}][${j}] = dy[${i}][${j}] = ${fmt(v)}` : `dx[${i}][${j}] = 0`,
      `${checkMark(st, v, numericDx[i][j])}   ${st.dim(on ? `(x = ${fmt(x[i][j])} > 0: on, the gradient passes)` : `(x = ${fmt(x[i][j])} < 0: off, the gradient stops)`)}`]);
  }
  say(...aligned(rows), '', `dx (${H}×${W}):`, ...showMatrix(dx));
  return { text: lines.join('\n'), y, dx, numericDx };
}

function sumTimes(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

// ---------------------------------------------------------------------------------------------

export interface PoolExplainOptions { input?: number[][]; kernelSize?: number; stride?: number; dy?: number[][]; color?: boolean }
export const POOL_INPUT = [[1, 3, 2, 1.5], [4, 0.5, -1, 6], [2.5, 7, 8, 0], [-2, 5, 3.5, 9]];

/** y[i][j] = max of a window; dx: each window's dy goes to its winner (maxPool2dForwardNaive / maxPool2dBackwardNaive). */
export function explainPool(opts: PoolExplainOptions = {}): LayerExplanation {
  const fn = 'explainPool';
  const x = checkMatrix('input', opts.input ?? POOL_INPUT, fn);
  const H = x.length, W = x[0].length;
  const KH = checkInt('kernelSize', opts.kernelSize, 1, 2, fn), stride = checkInt('stride', opts.stride, 1, KH, fn);
  if (KH > H || KH > W) throw new RangeError(`${fn}: window ${KH}×${KH} is larger than the input ${H}×${W}; expected a kernelSize of at most ${Math.min(H, W)}`);
  const OH = Math.floor((H - KH) / stride) + 1, OW = Math.floor((W - KH) / stride) + 1;
  const dy = dyOf(fn, opts.dy, OH, OW);
  const st = styles(opts.color ?? false);
  const p = { kernelSize: KH, stride };
  const xFlat = Float64Array.from(x.flat());
  const xT = t2(x);
  const xT64 = new Tensor([1, 1, H, W], xFlat);
  const { out, cache } = maxPool2dForwardNaive(xT, p);
  const y = toMatrix(out, OH, OW);
  const dx = toMatrix(maxPool2dBackwardNaive(t2(dy), cache).dx, H, W);

  // Winners, and ties (where the max is not differentiable).
  const winner: Array<Array<[number, number]>> = [];
  for (let i = 0; i < OH; i++) {
    winner.push([]);
    for (let j = 0; j < OW; j++) {
      const cells: Array<[number, number]> = [];
      for (let u = 0; u < KH; u++) for (let v = 0; v < KH; v++) cells.push([i * stride + u, j * stride + v]);
      cells.sort((a, b) => x[b[0]][b[1]] - x[a[0]][a[1]]);
      const [[ah, aw], [bh, bw] = [-1, -1]] = cells;
      if (bh >= 0 && x[ah][aw] - x[bh][bw] < KINK_GAP) {
        throw new RangeError(`${fn}: window (${i}, ${j}) has a tie: x[${ah}][${aw}] = ${x[ah][aw]} and x[${bh}][${bw}] = ${x[bh][bw]}; the max is not differentiable at a tie (a tiny change picks another winner), so expected the values of each window at least ${KINK_GAP} apart`);
      }
      winner[i].push([ah, aw]);
    }
  }
  const numericDx = toMatrix(numericGradient(() => sumTimes(maxPool2dForwardNaive(xT64, p).out.data, dy.flat()), xFlat), H, W);

  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };
  say(st.bold('Max-pooling, forward and backward, every number written out'), '');
  say(`Input x (${H}×${W}):`, ...showMatrix(x), '');
  say(`window KH×KW = ${KH}×${KH}, stride = ${stride}; OH = floor((H - KH) / stride) + 1 = floor((${H} - ${KH}) / ${stride}) + 1 = ${OH}, OW = floor((${W} - ${KH}) / ${stride}) + 1 = ${OW}`, '');
  say(st.bold('Forward: y[i][j] = max over u, v of x[i*stride + u][j*stride + v]'), '(maxPool2dForwardNaive in src/kernels/max-pool2d.ts; it keeps each window\'s winner, the argmax, for the backward pass)');
  say(st.color ? 'Below each max, its window of x in reverse video.' : 'Below each max, its window of x [bracketed].', '');
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    const vals: string[] = [];
    for (let u = 0; u < KH; u++) for (let v = 0; v < KH; v++) vals.push(fmt(x[i * stride + u][j * stride + v]));
    const [wh, ww] = winner[i][j];
    assertSame(`y[${i}][${j}]`, x[wh][ww], y[i][j], 'maxPool2dForwardNaive', fn);
    say(`y[${i}][${j}] = max(${vals.join(', ')}) = ${fmt(y[i][j])}   ${st.dim(`(the winner is x[${wh}][${ww}])`)}`);
    const inWindow = (r: number, q: number) => r >= i * stride && r < i * stride + KH && q >= j * stride && q < j * stride + KH;
    say(...showGrid(x, st, { marked: inWindow }).map((l) => `  ${l}`));
  }
  say('', `y (${OH}×${OW}):`, ...showMatrix(y), '');
  say(st.bold('Backward: dx[winner of window (i, j)] += dy[i][j]; every other dx is 0'));
  say('Near x, a window\'s max is simply its winner\'s value: slope 1 for the winner, 0 for the others.');
  say('So each window hands its whole gradient to the one input that won it. (maxPool2dBackwardNaive)', '');
  say(`Upstream gradient dy = dL/dy (${OH}×${OW})${opts.dy === undefined ? ', here 1, 2, 3, ... in reading order' : ''}:`, ...showMatrix(dy), '');
  const rows: Array<[string, string]> = [];
  for (let ih = 0; ih < H; ih++) for (let iw = 0; iw < W; iw++) {
    const won: Array<[number, number]> = [];
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) if (winner[i][j][0] === ih && winner[i][j][1] === iw) won.push([i, j]);
    const v = won.reduce((s, [i, j]) => s + dy[i][j], 0);
    assertSame(`dx[${ih}][${iw}]`, v, dx[ih][iw], 'maxPool2dBackwardNaive', fn);
    const rhs = won.length === 0 ? '0' : `${won.map(([i, j]) => `dy[${i}][${j}]`).join(' + ')} = ${fmt(v)}`;
    const why = won.length === 0 ? '(won no window)' : `(won window${won.length > 1 ? 's' : ''} ${won.map(([i, j]) => `(${i}, ${j})`).join(', ')})`;
    rows.push([`dx[${ih}][${iw}] = ${rhs}`, `${checkMark(st, v, numericDx[ih][iw])}   ${st.dim(why)}`]);
  }
  say(...aligned(rows), '', `dx (${H}×${W}):`, ...showMatrix(dx));
  return { text: lines.join('\n'), y, dx, numericDx };
}

// ---------------------------------------------------------------------------------------------

export interface DenseExplainOptions { input?: number[]; weight?: number[][]; bias?: number[]; dy?: number[]; color?: boolean }
export const DENSE_INPUT = [1, 2, 3];
export const DENSE_WEIGHT = [[1, 0, -1], [0.5, -1, 2]];
export const DENSE_BIAS = [0, 1];

export interface DenseExplanation { text: string; y: number[]; dx: number[]; dw: number[][]; db: number[]; numericDx: number[]; numericDw: number[][]; numericDb: number[] }

/** y[o] = b[o] + sum over k of x[k] * w[o][k] (denseForwardNaive / denseBackwardNaive). */
export function explainDense(opts: DenseExplainOptions = {}): DenseExplanation {
  const fn = 'explainDense';
  const x = checkVector('input', opts.input ?? DENSE_INPUT, fn);
  const w = checkMatrix('weight', opts.weight ?? (opts.input === undefined ? DENSE_WEIGHT : undefined), fn);
  const IN = x.length, OUT = w.length;
  if (w[0].length !== IN) throw new RangeError(`${fn}: weight is ${OUT}×${w[0].length} (OUT, IN), expected ${IN} columns, one per input feature`);
  const b = opts.bias === undefined ? (opts.weight === undefined && opts.input === undefined ? DENSE_BIAS : new Array<number>(OUT).fill(0)) : checkVector('bias', opts.bias, fn);
  if (b.length !== OUT) throw new RangeError(`${fn}: bias must have ${OUT} numbers (one per output), got ${b.length}`);
  const dy = opts.dy === undefined ? Array.from({ length: OUT }, (_, o) => o + 1) : checkVector('dy', opts.dy, fn);
  if (dy.length !== OUT) throw new RangeError(`${fn}: dy must have the output's size ${OUT}, got ${dy.length}`);
  const st = styles(opts.color ?? false);

  const xFlat = Float64Array.from(x), wFlat = Float64Array.from(w.flat()), bFlat = Float64Array.from(b);
  const xT = new Tensor([1, IN], xFlat), wT = new Tensor([OUT, IN], wFlat), bT = new Tensor([OUT], bFlat);
  const { out, cache } = denseForwardNaive(xT, wT, bT);
  const g = denseBackwardNaive(new Tensor([1, OUT], Float64Array.from(dy)), cache);
  const y = Array.from(out.data), dx = Array.from(g.dx.data), dw = toMatrix(g.dw, OUT, IN), db = Array.from((g.db as Tensor).data);
  const loss = () => sumTimes(denseForwardNaive(xT, wT, bT).out.data, dy);
  const numericDx = Array.from(numericGradient(loss, xFlat)), numericDw = toMatrix(numericGradient(loss, wFlat), OUT, IN), numericDb = Array.from(numericGradient(loss, bFlat));

  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };
  say(st.bold('A dense (fully connected) layer, forward and backward, every number written out'), '');
  say(`Input x (IN = ${IN}): ${x.map(fmt).join(', ')}`, `Weight w (OUT×IN = ${OUT}×${IN}, as in PyTorch's nn.Linear):`, ...showMatrix(w), `Bias b (${OUT}): ${b.map(fmt).join(', ')}`, '');
  say(st.bold('Forward: y[o] = b[o] + sum over k of x[k] * w[o][k]'), '(denseForwardNaive in src/kernels/dense.ts; o runs over the outputs, k over the inputs)', '');
  for (let o = 0; o < OUT; o++) {
    const s = b[o] + x.reduce((a, v, k) => a + v * w[o][k], 0);
    assertSame(`y[${o}]`, s, y[o], 'denseForwardNaive', fn);
    say(`y[${o}] = ${x.map((v, k) => `${fmt(v)}*${fmt(w[o][k])}`).join(' + ')} + ${fmt(b[o])} = ${fmt(s)}`);
  }
  say('', st.bold('Backward'), '', `Upstream gradient dy = dL/dy (${OUT}): ${dy.map(fmt).join(', ')}${opts.dy === undefined ? ' (1, 2, ... so that you can see where each product came from)' : ''}`);
  say('Each term x[k]*w[o][k] sits in y[o] only: w[o][k] gets dy[o]*x[k], x[k] gets dy[o]*w[o][k] from every output o.', '');
  const rows: Array<[string, string]> = [];
  say(st.bold('db[o] = dy[o]   dw[o][k] = dy[o] * x[k] (dw = dy^T . x)   dx[k] = sum over o of dy[o] * w[o][k] (dx = dy . w)'), '(denseBackwardNaive)', '');
  for (let o = 0; o < OUT; o++) {
    assertSame(`db[${o}]`, dy[o], db[o], 'denseBackwardNaive', fn);
    rows.push([`db[${o}] = dy[${o}] = ${fmt(dy[o])}`, checkMark(st, dy[o], numericDb[o])]);
  }
  for (let o = 0; o < OUT; o++) for (let k = 0; k < IN; k++) {
    const v = dy[o] * x[k];
    assertSame(`dw[${o}][${k}]`, v, dw[o][k], 'denseBackwardNaive', fn);
    rows.push([`dw[${o}][${k}] = ${fmt(dy[o])}*${fmt(x[k])} = ${fmt(v)}`, checkMark(st, v, numericDw[o][k])]);
  }
  for (let k = 0; k < IN; k++) {
    const v = dy.reduce((a, d, o) => a + d * w[o][k], 0);
    assertSame(`dx[${k}]`, v, dx[k], 'denseBackwardNaive', fn);
    rows.push([`dx[${k}] = ${dy.map((d, o) => `${fmt(d)}*${fmt(w[o][k])}`).join(' + ')} = ${fmt(v)}`, checkMark(st, v, numericDx[k])]);
  }
  say(...aligned(rows));
  say('', 'A dense layer is a convolution whose kernel covers the whole input: these are explain conv\'s formulas with OH = OW = 1.');
  return { text: lines.join('\n'), y, dx, dw, db, numericDx, numericDw, numericDb };
}

// ---------------------------------------------------------------------------------------------

export interface SoftmaxExplainOptions { logits?: number[]; label?: number; color?: boolean }
export const SOFTMAX_LOGITS = [2, 1, 0.1];

export interface SoftmaxExplanation { text: string; probs: number[]; loss: number; dlogits: number[]; numericDlogits: number[] }

/** probs = softmax(logits), L = -log probs[label], dlogits = probs - onehot(label) (softmaxCrossEntropy). */
export function explainSoftmax(opts: SoftmaxExplainOptions = {}): SoftmaxExplanation {
  const fn = 'explainSoftmax';
  const z = checkVector('logits', opts.logits ?? SOFTMAX_LOGITS, fn);
  const classes = z.length;
  const label = opts.label ?? 0;
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= classes) {
    throw new RangeError(`${fn}: label must be an integer from 0 to ${classes - 1} (one of the ${classes} classes), got ${describe(label)}`);
  }
  const st = styles(opts.color ?? false);
  const zFlat = Float64Array.from(z);
  const zT = new Tensor([1, classes], zFlat);
  const { loss, grad } = softmaxCrossEntropy(zT, [label]);
  const dlogits = Array.from(grad.data);
  const numericDlogits = Array.from(numericGradient(() => softmaxCrossEntropy(zT, [label]).loss, zFlat));

  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, v) => a + v, 0);
  const probs = e.map((v) => v / sum);
  const l = Math.log(sum) + max - z[label];
  assertSame('L', l, loss, 'softmaxCrossEntropy', fn);

  const lines: string[] = [];
  const say = (...line: string[]) => { lines.push(...line); };
  say(st.bold('Softmax cross-entropy, forward and backward, every number written out'), '');
  say(`logits (classes = ${classes}): ${z.map(fmt).join(', ')}     label = ${label}`, '');
  say(st.bold('Forward: probs[k] = exp(logits[k]) / sum over k\' of exp(logits[k\'])   L = -log probs[label]'));
  say('(softmaxCrossEntropy in src/kernels/softmax-xent.ts.) First subtract the largest logit, so that exp cannot overflow;', 'the probabilities do not change, since the factor exp(-max) cancels.', '');
  say(`max = ${fmt(max)}`);
  z.forEach((v, k) => say(`exp(logits[${k}] - max) = exp(${fmt(v)} - ${fmt(max)}) = ${fmt(e[k])}`));
  say(`sum = ${e.map(fmt).join(' + ')} = ${fmt(sum)}`);
  probs.forEach((p, k) => say(`probs[${k}] = ${fmt(e[k])} / ${fmt(sum)} = ${fmt(p)}`));
  say(`L = -log probs[${label}] = -log ${fmt(probs[label])} = ${fmt(l)}`, '');
  say(st.bold('Backward: dlogits[k] = probs[k] - (1 if k == label else 0)'));
  say('-log probs[label] = log(sum of exp(logits)) - logits[label]; the first term\'s slope along logits[k] is probs[k],');
  say('the second\'s is 1 for the label only. So the gradient is the prediction minus the one-hot truth.', '');
  const rows: Array<[string, string]> = [];
  probs.forEach((p, k) => {
    const v = p - (k === label ? 1 : 0);
    assertSame(`dlogits[${k}]`, v, dlogits[k], 'softmaxCrossEntropy', fn);
    rows.push([`dlogits[${k}] = ${fmt(p)} - ${k === label ? 1 : 0} = ${fmt(v)}`, checkMark(st, v, numericDlogits[k])]);
  });
  say(...aligned(rows), '', 'With a batch of N samples the mean loss divides each row of dlogits by N.');
  return { text: lines.join('\n'), probs, loss, dlogits, numericDlogits };
}
