// `miniconv explain chain`: how kernels are learned by backpropagation, whole, on one screen. One tiny
// network (Conv2D 1->2 3x3, ReLU, MaxPool2D 2x2, Flatten, Dense 8->3, softmax cross-entropy) on one
// 6x6 input and its label: forward layer by layer, then backward layer by layer, each layer's dx
// handed to the layer below as its dy, ending at the kernel's dw, which is checked entry by entry
// against a central finite difference of the loss. Then one SGD step: the kernel after it, and the loss going down.
//
// Every number comes from miniconv's naive kernels in float64 (src/kernels/); each layer's own
// arithmetic is shown number by number by `explain conv`, `relu`, `pool`, `dense` and `softmax`.
// Names: y1 = conv(x), y2 = relu(y1), y3 = maxpool(y2), y4 = flatten(y3), logits = dense(y4);
// dyK = dL/dyK, the gradient handed down to layer K's output. f filters, i, j rows and columns,
// u, v kernel rows and columns, o dense outputs, k dense inputs (docs/names.md).

import { numericGradient } from '../gradcheck.ts';
import { conv2dBackwardNaive, conv2dForwardNaive } from '../kernels/conv2d.ts';
import { denseBackwardNaive, denseForwardNaive } from '../kernels/dense.ts';
import { maxPool2dBackwardNaive, maxPool2dForwardNaive } from '../kernels/max-pool2d.ts';
import { reluBackwardNaive, reluForwardNaive } from '../kernels/relu.ts';
import { softmaxCrossEntropy } from '../kernels/softmax-xent.ts';
import { createRng } from '../rng.ts';
import { Tensor } from '../tensor.ts';
import { type Matrix, aligned, beside, fmt, showMatrix, toMatrix } from './matrix.ts';
import { checkMark, styles } from './style.ts';
import { checkInt } from './validate.ts';

/** A 6x6 "7": the input of the chain. */
export const CHAIN_INPUT: Matrix = [
  [0, 0, 0, 0, 0, 0],
  [0, 1, 1, 1, 1, 0],
  [0, 0, 0, 0, 1, 0],
  [0, 0, 0, 1, 0, 0],
  [0, 0, 1, 0, 0, 0],
  [0, 0, 1, 0, 0, 0],
];
export const CHAIN_CLASSES = 3;
/** The default seed of the weights: its ReLU inputs and pool windows keep clear of kinks (seeds 5, 15 and 19 do not). */
export const CHAIN_SEED = 2;
const F = 2, K = 3, H = 6, OH = H - K + 1, PH = OH / 2, IN = F * PH * PH, LR = 0.1;

export interface ChainOptions { seed?: number; label?: number; color?: boolean }

/** The weights: conv w (F, 1, K, K) and b (F), dense w (classes, IN) and b (classes), rounded to short decimals. */
export function chainWeights(seed: number) {
  const rng = createRng(`explain-chain-${seed}`);
  const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d || 0; // never -0
  return {
    convW: Array.from({ length: F * K * K }, () => round(rng.normal() * 0.5, 2)),
    convB: Array.from({ length: F }, () => round(rng.normal() * 0.1, 2)),
    denseW: Array.from({ length: CHAIN_CLASSES * IN }, () => round(rng.normal() * 0.5, 2)),
    denseB: new Array<number>(CHAIN_CLASSES).fill(0),
  };
}

export interface ChainExplanation {
  text: string;
  loss: number;
  /** The gradients of every parameter, and of each layer's output. */
  convDw: number[]; convDb: number[]; denseDw: number[]; denseDb: number[];
  dlogits: number[]; dy4: number[]; dy2: number[]; dy1: number[];
  numericConvDw: number[]; numericConvDb: number[]; numericDenseDw: number[];
  /** The loss after one SGD step of every parameter (lr 0.1). */
  lossAfterStep: number;
  /** The kernel w (F, 1, K, K) after that step: w - lr * dw. */
  convWAfterStep: number[];
}

/** Forward through the chain with the given parameters; the caches for the backward pass. */
function forward(x: Tensor, p: { convW: Float64Array; convB: Float64Array; denseW: Float64Array; denseB: Float64Array }, label: number) {
  const conv = conv2dForwardNaive(x, new Tensor([F, 1, K, K], p.convW), new Tensor([F], p.convB), { stride: 1, padding: 0 });
  const relu = reluForwardNaive(conv.out);
  const pool = maxPool2dForwardNaive(relu.out, { kernelSize: 2, stride: 2 });
  const y4 = pool.out.reshape([1, IN]);
  const dense = denseForwardNaive(y4, new Tensor([CHAIN_CLASSES, IN], p.denseW), new Tensor([CHAIN_CLASSES], p.denseB));
  const xent = softmaxCrossEntropy(dense.out, [label]);
  return { conv, relu, pool, y4, dense, xent };
}

/** `miniconv explain chain`: one tiny network (Conv2D, ReLU, MaxPool2D, Flatten, Dense, softmax cross-entropy) on one 6x6 input, forward and backward layer by layer in float64, its kernel's dw checked against finite differences, then one SGD step; the text and every number shown. */
export function explainChain(opts: ChainOptions = {}): ChainExplanation {
  const fn = 'explainChain';
  const seed = checkInt('seed', opts.seed, 0, CHAIN_SEED, fn);
  const label = checkInt('label', opts.label, 0, 2, fn);
  if (label >= CHAIN_CLASSES) throw new RangeError(`${fn}: label must be an integer from 0 to ${CHAIN_CLASSES - 1} (the network has ${CHAIN_CLASSES} classes), got ${label}`);
  const st = styles(opts.color ?? false);
  const w0 = chainWeights(seed);
  const p = { convW: Float64Array.from(w0.convW), convB: Float64Array.from(w0.convB), denseW: Float64Array.from(w0.denseW), denseB: Float64Array.from(w0.denseB) };
  const x = new Tensor([1, 1, H, H], Float64Array.from(CHAIN_INPUT.flat()));
  const fw = forward(x, p, label);

  // Kinks: a ReLU input at 0 or a tie for the max among positive values would make the finite
  // difference straddle two slopes; such weights are refused (pick another seed).
  const y1 = fw.conv.out.data, y2 = fw.relu.out.data;
  y1.forEach((v, k) => {
    if (Math.abs(v) < 1e-3) throw new RangeError(`${fn}: seed ${seed} puts a ReLU input at ${v} (y1 entry ${k}), on ReLU's kink; expected another seed`);
  });
  for (let f = 0; f < F; f++) for (let i = 0; i < PH; i++) for (let j = 0; j < PH; j++) {
    const vals = [0, 1].flatMap((u) => [0, 1].map((v) => y2[(f * OH + 2 * i + u) * OH + 2 * j + v])).sort((a, b) => b - a);
    if (vals[0] > 0 && vals[0] - vals[1] < 1e-3) throw new RangeError(`${fn}: seed ${seed} gives a max-pool tie in filter ${f}, window (${i}, ${j}); expected another seed`);
  }

  // Backward, layer by layer: each layer's dx is the dy of the layer below.
  const dlogits = fw.xent.grad;
  const dense = denseBackwardNaive(dlogits, fw.dense.cache);
  const dy3 = dense.dx.reshape([1, F, PH, PH]);
  const pool = maxPool2dBackwardNaive(dy3, fw.pool.cache);
  const relu = reluBackwardNaive(pool.dx, fw.relu.cache);
  const conv = conv2dBackwardNaive(relu.dx, fw.conv.cache);

  const lossOf = () => forward(x, p, label).xent.loss;
  const numericConvDw = Array.from(numericGradient(lossOf, p.convW));
  const numericConvDb = Array.from(numericGradient(lossOf, p.convB));
  const numericDenseDw = Array.from(numericGradient(lossOf, p.denseW));

  const lines: string[] = [];
  const say = (...l: string[]) => { lines.push(...l); };
  const planes = (data: ArrayLike<number>, P: number, rows: number, name: string) => beside(Array.from({ length: P }, (_, f) => ({
    title: `  ${name}[${f}]`, lines: showMatrix(toMatrix(Float64Array.from(Array.prototype.slice.call(data, f * rows * rows, (f + 1) * rows * rows) as number[]), rows, rows)),
  })));
  const vec = (data: ArrayLike<number>) => Array.from(data, fmt).join(', ');
  const cw = toMatrix(p.convW, F * K, K);

  say(st.bold('How a kernel is learned: one tiny network, forward then backward, layer by layer'), '');
  say(`Network: Conv2D(1→${F}, ${K}×${K}) → ReLU → MaxPool2D(2×2) → Flatten → Dense(${IN}→${CHAIN_CLASSES}) → softmax cross-entropy`);
  say(`Input x (1×${H}×${H}), a small "7", with label ${label} (of ${CHAIN_CLASSES} classes); weights from seed ${seed}:`, ...showMatrix(CHAIN_INPUT), '');
  say(`Conv2D kernel w (${F}×1×${K}×${K}) and bias b = ${vec(p.convB)}:`, ...beside([0, 1].map((f) => ({ title: `  w[${f}][0]`, lines: showMatrix(cw.slice(f * K, (f + 1) * K)) }))), '');
  say(`Dense weight (${CHAIN_CLASSES}×${IN}) and bias ${vec(p.denseB)}:`, ...showMatrix(toMatrix(p.denseW, CHAIN_CLASSES, IN)), '');

  say(st.bold('Forward'), '');
  say(`1. Conv2D: y1[f][i][j] = b[f] + sum over u, v of x[i + u][j + v] * w[f][0][u][v]   (${F}×${OH}×${OH}; conv2dForwardNaive)`);
  const terms: string[] = [];
  for (let u = 0; u < K; u++) for (let v = 0; v < K; v++) terms.push(`${fmt(CHAIN_INPUT[u][v])}*${fmt(cw[u][v])}`);
  say(`   for example y1[0][0][0] = ${terms.join(' + ')} + ${fmt(p.convB[0])} = ${fmt(y1[0])}   (every sum: miniconv explain conv)`);
  say(...planes(y1, F, OH, 'y1'), '');
  say(`2. ReLU: y2 = max(0, y1)   (reluForwardNaive)`, ...planes(y2, F, OH, 'y2'), '');
  say(`3. MaxPool2D 2×2: y3[f][i][j] = the largest of each 2×2 window of y2   (maxPool2dForwardNaive; it keeps each winner)`, ...planes(fw.pool.out.data, F, PH, 'y3'), '');
  say(`4. Flatten: y4 = y3 read in order (${IN}): ${vec(fw.y4.data)}`, '');
  say(`5. Dense: logits[o] = b[o] + sum over k of y4[k] * w[o][k]   (denseForwardNaive)`);
  const dw = toMatrix(p.denseW, CHAIN_CLASSES, IN);
  for (let o = 0; o < CHAIN_CLASSES; o++) say(`   logits[${o}] = ${Array.from(fw.y4.data, (v, k) => `${fmt(v)}*${fmt(dw[o][k])}`).join(' + ')} + ${fmt(p.denseB[o])} = ${fmt(fw.dense.out.data[o])}`);
  const probs = Array.from(fw.dense.out.data, (v) => v); // logits
  const mx = Math.max(...probs), ex = probs.map((v) => Math.exp(v - mx)), sm = ex.reduce((a, v) => a + v, 0);
  say('', `6. softmax: probs = ${ex.map((v) => fmt(v / sm)).join(', ')};  loss L = -log probs[${label}] = ${fmt(fw.xent.loss)}   (softmaxCrossEntropy)`, '');

  say(st.bold('Backward: each layer turns the gradient of its output (dy) into the gradient of its input (dx), and hands it down'), '');
  say(`6. softmax cross-entropy: dlogits = probs - onehot(${label}) = ${vec(dlogits.data)}`);
  say(`5. Dense: db = dlogits; dw[o][k] = dlogits[o] * y4[k]; dy4 = dx[k] = sum over o of dlogits[o] * w[o][k]   (denseBackwardNaive)`);
  say(`   dy4 (${IN}): ${vec(dense.dx.data)}`);
  say(`   dense dw (${CHAIN_CLASSES}×${IN}):`, ...showMatrix(toMatrix(dense.dw, CHAIN_CLASSES, IN)).map((l) => `  ${l}`), '');
  say(`4. Flatten: dy3 = dy4 put back in the shape (${F}×${PH}×${PH}):`, ...planes(dy3.data, F, PH, 'dy3'), '');
  say('3. MaxPool2D: each window hands its gradient to its winner; the other three get 0   (maxPool2dBackwardNaive)', ...planes(pool.dx.data, F, OH, 'dy2'), '');
  const stopped = Array.from(pool.dx.data).filter((v, k) => v !== 0 && y1[k] <= 0).length;
  say(`2. ReLU: dy1 = dy2 where y1 > 0, else 0   (reluBackwardNaive; here it stops ${stopped} non-zero ${stopped === 1 ? 'gradient' : 'gradients'}${stopped === 0 ? ': every pool winner was > 0' : ''})`, ...planes(relu.dx.data, F, OH, 'dy1'), '');
  say(`1. Conv2D: db[f] = sum over i, j of dy1[f][i][j]; dw[f][0][u][v] = sum over i, j of dy1[f][i][j] * x[i + u][j + v]   (conv2dBackwardNaive)`);
  say('   the kernel\'s gradient, each entry checked against the finite difference (L(w + h) - L(w - h)) / 2h of the loss itself:', '');
  const rows: Array<[string, string]> = [];
  const cdw = conv.dw.data, cdb = (conv.db as Tensor).data;
  for (let f = 0; f < F; f++) {
    for (let u = 0; u < K; u++) for (let v = 0; v < K; v++) {
      const k = (f * K + u) * K + v;
      rows.push([`   dw[${f}][0][${u}][${v}] = ${fmt(cdw[k])}`, checkMark(st, cdw[k], numericConvDw[k])]);
    }
    rows.push([`   db[${f}] = ${fmt(cdb[f])}`, checkMark(st, cdb[f], numericConvDb[f])]);
  }
  say(...aligned(rows));
  const denseErr = Math.max(...Array.from(dense.dw.data, (v, k) => Math.abs(v - numericDenseDw[k]) / Math.max(1, Math.abs(v))));
  say(`   (the dense layer's ${CHAIN_CLASSES * IN} dw entries, against their finite differences: largest difference ${denseErr.toExponential(1)} ${denseErr < 1e-6 ? st.green('✓') : st.red('✗ DISAGREES')})`, '');

  // One step of plain SGD on every parameter; the kernel before and after it, side by side.
  const step = (v: Float64Array, g: ArrayLike<number>) => Float64Array.from(v, (a, k) => a - LR * g[k]);
  const newConvW = step(p.convW, cdw);
  const after = forward(x, { convW: newConvW, convB: step(p.convB, cdb), denseW: step(p.denseW, dense.dw.data), denseB: step(p.denseB, (dense.db as Tensor).data) }, label).xent.loss;
  say(st.bold('Learning'), `One SGD step, w -= ${LR} * dw for every parameter, moves each kernel entry against its gradient. The kernel before and after:`);
  const nw = toMatrix(newConvW, F * K, K);
  say(...beside([0, 1].flatMap((f) => [
    { title: `  w[${f}][0] before`, lines: showMatrix(cw.slice(f * K, (f + 1) * K)) },
    { title: `  w[${f}][0] after`, lines: showMatrix(nw.slice(f * K, (f + 1) * K)) },
  ])), '');
  say(`   for example w[0][0][0][0]: ${fmt(p.convW[0])} - ${LR} * ${fmt(cdw[0])} = ${fmt(newConvW[0])}`);
  say(`the loss on this input goes from ${fmt(fw.xent.loss)} to ${fmt(after)}. Training repeats this over many images: that is how the kernels are learned.`);

  return {
    text: lines.join('\n'), loss: fw.xent.loss,
    convDw: Array.from(cdw), convDb: Array.from(cdb), denseDw: Array.from(dense.dw.data), denseDb: Array.from((dense.db as Tensor).data),
    dlogits: Array.from(dlogits.data), dy4: Array.from(dense.dx.data), dy2: Array.from(pool.dx.data), dy1: Array.from(relu.dx.data),
    numericConvDw, numericConvDb, numericDenseDw, lossAfterStep: after, convWAfterStep: Array.from(newConvW),
  };
}
