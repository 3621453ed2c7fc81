// `miniconv explain dense-as-conv`: a dense layer that reads a flattened map is a convolution whose
// kernel covers the whole map, shown number by number:
//   1. a dense layer on the flattened 2x2 window [[1,2],[4,5]] of the seed article's input, every product written out;
//   2. the same weights, each row folded back into a 2x2 kernel, as a Conv2D at its one position: the same sums;
//   3. the same conv on the whole 3x3 input: four positions, each the dense layer on the window there
//      (the first filter is the seed article's kernel, so its map is the article's 4 4 / 4 4);
//   4. what that buys for the digit model (toFullyConvolutional): its classifier at every 4th pixel
//      of a wide strip in one pass, and the multiply-adds that sharing saves, counted by the layers.
// Every number comes from the naive kernels (denseForwardNaive, conv2dForwardNaive) or from the
// layers themselves; every equality printed is checked, not assumed.

import { conv2dForwardNaive } from '../kernels/conv2d.ts';
import { denseForwardNaive } from '../kernels/dense.ts';
import { toFullyConvolutional } from '../layers/fully-convolutional.ts';
import { createDigitModel } from '../train/digit-model.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, beside, fmt, showGrid, showMatrix, toMatrix } from './matrix.ts';
import { SEED_INPUT } from './narrate.ts';
import { styles } from './style.ts';

export interface DenseAsConvOptions { color?: boolean }

export interface DenseAsConvExplanation {
  text: string;
  /** The dense layer's weight (OUT = 2, IN = 4) and bias. */
  weight: Matrix; bias: number[];
  /** The dense outputs on the flattened window, and the conv's at its one position (equal). */
  dense: number[]; conv: number[];
  /** The conv on the 3x3 input: one 2x2 map per filter; at each position the dense layer on that window gives the same. */
  maps: Matrix[]; positionsAgree: boolean;
  /** The digit model on a 28 x `stripWidth` strip: positions read, and multiply-adds in one pass against one crop at a time. */
  stripWidth: number; positions: number; sharedMacs: number; cropMacs: number;
}

export const DENSE_AS_CONV_WEIGHT: Matrix = [[-1, 0, 0, 1], [0.5, 1, -1, 0]];
export const DENSE_AS_CONV_BIAS = [0, 1];

/** `miniconv explain dense-as-conv`: a Dense layer on a flattened map computed as a Conv2D whose kernel covers the map, number by number, every equality checked; the text and the numbers. */
export function explainDenseAsConv(opts: DenseAsConvOptions = {}): DenseAsConvExplanation {
  const st = styles(opts.color ?? false);
  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };
  const n = (v: number) => v.toLocaleString('en-US');
  const w = DENSE_AS_CONV_WEIGHT, b = DENSE_AS_CONV_BIAS;
  const OUT = w.length;
  const window: Matrix = SEED_INPUT.slice(0, 2).map((r) => r.slice(0, 2)); // [[1,2],[4,5]]
  const flat = window.flat();

  // 1. Dense.
  const dense = Array.from(denseForwardNaive(new Tensor([1, 4], Float64Array.from(flat)), new Tensor([OUT, 4], Float64Array.from(w.flat())), new Tensor([OUT], Float64Array.from(b))).out.data);
  say(st.bold('A dense layer is a convolution'), '');
  say(st.bold('1. A dense layer on a flattened 2x2 map'));
  say(`The map x (the top-left 2x2 window of the seed article's input), flattened row by row as Flatten does: [${flat.join(', ')}]`);
  say(`A dense layer 4 -> ${OUT}: y[o] = b[o] + sum_k w[o][k] * x[k], with`);
  say(...beside([{ title: '  w (OUT, IN)', lines: showMatrix(w) }, { title: '  b', lines: showMatrix(b.map((v) => [v])) }]), '');
  for (let o = 0; o < OUT; o++) {
    const terms = flat.map((v, k) => `${fmt(w[o][k])}*${fmt(v)}`).join(' + ');
    say(`  y[${o}] = ${fmt(b[o])} + ${terms} = ${fmt(dense[o])}`);
  }
  say('');

  // 2. The same weights as kernels, at one position.
  const kernels = w.map((row) => toMatrix(Float64Array.from(row), 2, 2));
  const wConv = new Tensor([OUT, 1, 2, 2], Float64Array.from(w.flat())); // (OUT, C*H*W) read as (OUT, C, H, W): no copy in another order
  const bConv = new Tensor([OUT], Float64Array.from(b));
  const one = conv2dForwardNaive(new Tensor([1, 1, 2, 2], Float64Array.from(flat)), wConv, bConv, { stride: 1, padding: 0 }).out;
  const conv = Array.from(one.data);
  const same = conv.every((v, o) => v === dense[o]);
  say(st.bold('2. The same weights as a Conv2D: row o of w, folded back to the map\'s 2x2 shape, is filter o\'s kernel'));
  say(...beside(kernels.map((k, o) => ({ title: `  kernel ${o}`, lines: showMatrix(k) }))), '');
  say('A 2x2 kernel on a 2x2 map has one position, where it multiplies the same pairs and adds the same bias:');
  for (let o = 0; o < OUT; o++) say(`  conv filter ${o} at (0, 0) = ${fmt(conv[o])}   (dense y[${o}] = ${fmt(dense[o])})`);
  say(same
    ? '  equal, number for number (checked): the dense weight (OUT, C*H*W) IS the conv weight (OUT, C, H, W) read in Flatten\'s order.'
    : '  they DIFFER: this should not happen.', '');

  // 3. Extra positions on a larger input.
  const big = conv2dForwardNaive(new Tensor([1, 1, 3, 3], Float64Array.from(SEED_INPUT.flat())), wConv, bConv, { stride: 1, padding: 0 }).out;
  const maps = Array.from({ length: OUT }, (_, o) => toMatrix(big.data.subarray(o * 4, o * 4 + 4) as Float64Array, 2, 2));
  say(st.bold('3. On a larger input the conv slides: every extra position is the dense layer on another window'));
  say(...beside([
    { title: '  x (the seed article\'s 3x3)', lines: showGrid(SEED_INPUT, st) },
    ...maps.map((m, o) => ({ title: `  filter ${o}'s map`, lines: showMatrix(m) })),
  ]), '');
  let positionsAgree = true;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const win = [SEED_INPUT[i][j], SEED_INPUT[i][j + 1], SEED_INPUT[i + 1][j], SEED_INPUT[i + 1][j + 1]];
      const d = Array.from(denseForwardNaive(new Tensor([1, 4], Float64Array.from(win)), new Tensor([OUT, 4], Float64Array.from(w.flat())), new Tensor([OUT], Float64Array.from(b))).out.data);
      const agree = d.every((v, o) => v === maps[o][i][j]);
      positionsAgree &&= agree;
      say(`  position (${i}, ${j}): window [${win.join(', ')}] -> dense [${d.map(fmt).join(', ')}] = maps [${maps.map((m) => fmt(m[i][j])).join(', ')}] ${agree ? st.green('✓') : st.red('✗ DIFFERS')}`);
    }
  }
  say(`Filter 0's kernel is the seed article's [[-1,0],[0,1]]: its map is the article's ${maps[0].map((r) => r.map(fmt).join(' ')).join(' / ')}.`);
  say('The dense layer, asked "what is in this 2x2 window?", is asked it at every window at once.', '');

  // 4. The digit model.
  const model = createDigitModel(1);
  const fcn = toFullyConvolutional(model);
  const stripWidth = 100;
  const [, K, OH, OW] = fcn.outputShape([1, 1, 28, stripWidth]);
  const positions = OH * OW;
  const sharedMacs = fcn.macs([1, 1, 28, stripWidth]);
  const cropMacs = positions * model.macs([1, 1, 28, 28]);
  say(st.bold('4. What it buys: the digit model read at every position of a wider picture (toFullyConvolutional)'));
  say('Its first dense layer reads the 32x7x7 map that two 5x5 convs and two 2x2 max-pools make of a 28x28 digit: it becomes');
  say('a 7x7 conv with 128 filters over 32 channels; the second dense layer (128 -> 10) a 1x1 conv. Each pool halves the');
  say(`map, so one step on the last map is 4 pixels on the picture. On a 28x${stripWidth} strip the converted network gives`);
  say(`a ${K}x${OH}x${OW} map: the classifier's ${K} logits for the 28x28 crop at every 4th column, ${positions} crops in one pass.`);
  say(`Multiply-adds (Layer.macs): ${n(sharedMacs)} in one pass, against ${n(cropMacs)} for the ${positions} crops one by one`);
  say(`(${(cropMacs / sharedMacs).toFixed(1)} times as many): neighbouring crops overlap, and the convolutions compute their shared part once.`);
  say('With padding (the digit model pads its convs) a crop classified alone sees zeros at its border where the strip has');
  say('its neighbours, so the two agree exactly only where those are blank; miniconv read uses such maps as heat maps.');
  return { text: lines.join('\n'), weight: w, bias: b, dense, conv, maps, positionsAgree, stripWidth, positions, sharedMacs, cropMacs };
}
