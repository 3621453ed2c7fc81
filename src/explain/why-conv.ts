// `miniconv explain why-conv`: the seed article's FAQ ("how does a convolution differ from a fully
// connected layer?") answered in numbers:
//   1. parameter sharing and local receptive fields: a Conv2D layer and a Dense layer with the same
//      input and output sizes, their parameters and multiply-adds counted by miniconv's own layers;
//   2. translation equivariance: shift the input one pixel and the feature map shifts with it;
//   3. some translation invariance: a 2x2 max-pool after the ReLU absorbs that one-pixel shift, but
//      not the next one, which crosses a pooling window's edge.
// Every feature map comes from the naive kernels (conv2dForwardNaive, reluForwardNaive,
// maxPool2dForwardNaive); every claim printed is computed, not assumed.

import { conv2dForwardNaive } from '../kernels/conv2d.ts';
import { maxPool2dForwardNaive } from '../kernels/max-pool2d.ts';
import { reluForwardNaive } from '../kernels/relu.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { Dense } from '../layers/dense.ts';
import type { Layer } from '../layers/layer.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, beside, showGrid, showMatrix, toMatrix } from './matrix.ts';
import { styles } from './style.ts';

export interface WhyConvOptions { color?: boolean }

/** A conv layer and the dense layer with the same input and output sizes, counted. */
export interface SizeComparison { input: number[]; output: number[]; convParams: number; denseParams: number; convMacs: number; denseMacs: number; convReads: number; denseReads: number }

export interface WhyConvExplanation {
  text: string;
  small: SizeComparison;
  digits: SizeComparison;
  /** Feature maps (OH, OW) before and after the input moves one and two pixels right. */
  y: Matrix[]; pooled: Matrix[];
  /** y after the first shift equals y moved one column right, wherever both are defined. */
  equivariant: boolean;
  /** How many of the pooled values each shift left unchanged, of how many. */
  pooledUnchanged: number[]; pooledCount: number;
}

const count = (l: Layer) => l.params().reduce((a, p) => a + p.value.size, 0);

/**
 * Parameters and multiply-adds of a Conv2D (F filters, KH x KH, 'same' padding) on (C, H, W), and of a
 * Dense layer from the same C*H*W inputs to the same F*H*W outputs. With `build` the layers are made
 * and asked; otherwise the same formulas are worked out (a Dense layer on 28x28 digits has about ten
 * million weights, which is the point, but too many to allocate just to count them).
 */
export function compareSizes(C: number, H: number, F: number, KH: number, build: boolean): SizeComparison {
  const IN = C * H * H, OUT = F * H * H;
  const input = [C, H, H], output = [F, H, H];
  if (build) {
    const conv = new Conv2D({ inChannels: C, outChannels: F, kernelSize: KH, padding: (KH - 1) / 2, weightInit: 'zeros' });
    const dense = new Dense({ inFeatures: IN, outFeatures: OUT, weightInit: 'zeros' });
    return { input, output, convParams: count(conv), denseParams: count(dense), convMacs: conv.macs([1, C, H, H]), denseMacs: dense.macs([1, IN]), convReads: C * KH * KH, denseReads: IN };
  }
  return { input, output, convParams: F * C * KH * KH + F, denseParams: IN * OUT + OUT, convMacs: OUT * C * KH * KH, denseMacs: IN * OUT, convReads: C * KH * KH, denseReads: IN };
}

const N = 8; // the input of parts 2 and 3 is N x N
/** A vertical stroke (rows 2 to 4) at column `col` of an N x N input. */
function stroke(col: number): Matrix {
  return Array.from({ length: N }, (_, r) => Array.from({ length: N }, (_, c) => (c === col && r >= 2 && r <= 4 ? 1 : 0)));
}
/** A vertical-stroke detector. */
export const STROKE_KERNEL: Matrix = [[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]];

/** `miniconv explain why-conv`: a Conv2D against the Dense layer of the same sizes (parameters, multiply-adds), translation equivariance, and the invariance a max-pool adds, every claim computed; the text and the numbers. */
export function explainWhyConv(opts: WhyConvOptions = {}): WhyConvExplanation {
  const st = styles(opts.color ?? false);
  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };
  const n = (v: number) => v.toLocaleString('en-US');

  const small = compareSizes(1, 8, 2, 3, true);
  const digits = compareSizes(1, 28, 16, 5, false);
  say(st.bold('Why convolution? The seed article\'s FAQ, in numbers'), '');
  say(st.bold('1. Parameter sharing and local receptive fields'));
  say('A Conv2D layer slides one small kernel per filter over the whole input; a Dense layer gives every output its own');
  say('weight for every input. Same input, same output size (\'same\' padding, stride 1), counted by miniconv\'s layers:', '');
  const row = (s: SizeComparison, what: string, KH: number) => {
    const IN = s.input.reduce((a, v) => a * v, 1), OUT = s.output.reduce((a, v) => a * v, 1);
    say(`${what}: input ${s.input.join('×')}, output ${s.output.join('×')} (${n(OUT)} values)`);
    const names = [`Conv2D ${s.input[0]}→${s.output[0]}, ${KH}×${KH}:`, `Dense ${n(IN)}→${n(OUT)}:`];
    const wd = Math.max(...names.map((x) => x.length));
    say(`  ${names[0].padEnd(wd)} ${n(s.convParams).padStart(10)} parameters, ${n(s.convMacs).padStart(11)} multiply-adds; each output reads ${n(s.convReads)} inputs`);
    say(`  ${names[1].padEnd(wd)} ${n(s.denseParams).padStart(10)} parameters, ${n(s.denseMacs).padStart(11)} multiply-adds; each output reads all ${n(s.denseReads)}`);
    say(`  the dense layer needs ${n(Math.round(s.denseParams / s.convParams))} times the parameters.`, '');
  };
  row(small, 'A small case', 3);
  row(digits, 'The first layer of the digit model (16 filters, 5×5, on a 28×28 digit)', 5);
  say('Sharing one kernel across positions is also why the same feature is found wherever it appears:', '');

  // 2. Equivariance.
  const w = new Tensor([1, 1, 3, 3], Float64Array.from(STROKE_KERNEL.flat()));
  const inputs = [stroke(3), stroke(4), stroke(5)];
  const OH = N - 2;
  const maps = inputs.map((m) => {
    const y = conv2dForwardNaive(new Tensor([1, 1, N, N], Float64Array.from(m.flat())), w, null, { stride: 1, padding: 0 }).out;
    const pooled = maxPool2dForwardNaive(reluForwardNaive(y).out, { kernelSize: 2, stride: 2 }).out;
    return { y: toMatrix(y, OH, OH), pooled: toMatrix(pooled, OH / 2, OH / 2) };
  });
  const [a, b] = maps;
  let equivariant = true;
  for (let i = 0; i < OH; i++) for (let j = 0; j + 1 < OH; j++) if (b.y[i][j + 1] !== a.y[i][j]) equivariant = false;
  say(st.bold('2. Translation equivariance: move the input, and the feature map moves with it'));
  say('A vertical stroke x and a vertical-stroke detector w (conv2dForwardNaive, no padding); then the stroke one pixel to the right.');
  say('As in every deep-learning library, the "convolution" is a cross-correlation: the kernel slides over x unflipped,', '');
  say('  y[i][j] = sum over u, v of x[i + u][j + v] * w[u][v]', '');
  const ones = (m: Matrix) => (r: number, c: number) => m[r][c] !== 0;
  say(...beside([
    { title: '  x (stroke at column 3)', lines: showGrid(inputs[0], st, { marked: ones(inputs[0]) }) },
    { title: '  x shifted (column 4)', lines: showGrid(inputs[1], st, { marked: ones(inputs[1]) }) },
    { title: '  w (3×3)', lines: showGrid(STROKE_KERNEL, st) },
  ]), '');
  const peak = (m: Matrix) => { const mx = Math.max(...m.flat()); return (r: number, c: number) => m[r][c] === mx; };
  say(...beside([
    { title: '  y (x cross-correlated with w)', lines: showGrid(a.y, st, { marked: peak(a.y) }) },
    { title: '  y of the shifted x', lines: showGrid(b.y, st, { marked: peak(b.y) }) },
  ]), '');
  say(equivariant
    ? `Every value moved one column right: y_shifted[i][j + 1] = y[i][j] for all i and j = 0..${OH - 2} (checked). The same kernel met the`
    : 'The feature map did NOT simply shift: y_shifted[i][j + 1] differs from y[i][j] somewhere.',
  equivariant ? 'same pixels, one column later. A dense layer has no such property: its weights for column 4 are unrelated to column 3\'s.' : '', '');

  // 3. Invariance from max-pooling.
  const same = (p: Matrix, q: Matrix) => p.flat().filter((v, k) => v === q.flat()[k]).length;
  const pooledUnchanged = [same(a.pooled, maps[1].pooled), same(a.pooled, maps[2].pooled)];
  const total = (OH / 2) ** 2;
  const changedY = a.y.flat().filter((v, k) => v !== b.y.flat()[k]).length;
  say(st.bold('3. Some translation invariance: a 2×2 max-pool (after ReLU) absorbs a small shift'));
  say(...beside(maps.map((m, s) => ({ title: `  pooled, column ${3 + s}`, lines: showMatrix(m.pooled) }))), '');
  say(`The one-pixel shift changed ${changedY} of the ${OH * OH} values of y at their positions, but ${total - pooledUnchanged[0]} of the ${total} pooled values:`);
  say(pooledUnchanged[0] === total
    ? 'the stroke\'s response stayed inside the same 2×2 windows, and each window keeps only its largest value.'
    : `${pooledUnchanged[0]} of ${total} pooled values stayed the same.`);
  say(pooledUnchanged[1] < total
    ? `Shifted once more (column 5), the response crosses into the next window: ${total - pooledUnchanged[1]} of the ${total} pooled values change.`
    : `Shifted once more (column 5), the pooled values still do not change.`);
  say('So pooling gives invariance to shifts smaller than its window, not to every shift; stacking conv and pool layers');
  say('widens it. (miniconv summary shows the parameters and multiply-adds of every layer of a model.)');
  return { text: lines.join('\n'), small, digits, y: maps.map((m) => m.y), pooled: maps.map((m) => m.pooled), equivariant, pooledUnchanged, pooledCount: total };
}
