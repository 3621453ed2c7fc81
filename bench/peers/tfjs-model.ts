// The reference network written idiomatically with tfjs-core ops (NHWC), shared by tfjs.ts, the
// check scripts and the playground's in-page benchmark (playground/src/bench/bench-tfjs.ts): no Node
// module here or in layout.ts.
import * as tf from '@tensorflow/tfjs-core';
import { C1, C2, CLASSES, FLAT, IMG, K, P2, PIXELS, convToTf, denseToTfHwc, type Fixture } from './layout.ts';

export interface TfModel {
  w1: tf.Variable<tf.Rank.R4>; b1: tf.Variable<tf.Rank.R1>;
  w2: tf.Variable<tf.Rank.R4>; b2: tf.Variable<tf.Rank.R1>;
  wd: tf.Variable<tf.Rank.R2>; bd: tf.Variable<tf.Rank.R1>;
  vars: tf.Variable[];
}

/** Variables initialised from the fixture's PyTorch-layout weights. */
export function buildModel(fx: Fixture): TfModel {
  const W = fx.weights;
  const w1 = tf.variable(tf.tensor4d(convToTf(W['conv1.weight'], C1, 1, K, K), [K, K, 1, C1]), true, 'conv1/kernel');
  const b1 = tf.variable(tf.tensor1d(W['conv1.bias']), true, 'conv1/bias');
  const w2 = tf.variable(tf.tensor4d(convToTf(W['conv2.weight'], C2, C1, K, K), [K, K, C1, C2]), true, 'conv2/kernel');
  const b2 = tf.variable(tf.tensor1d(W['conv2.bias']), true, 'conv2/bias');
  // The flatten of the NHWC pool output is in HWC order, the fixture's dense inputs in CHW order.
  const wd = tf.variable(tf.tensor2d(denseToTfHwc(W['dense.weight'], CLASSES, C2, P2, P2), [FLAT, CLASSES]), true, 'dense/kernel');
  const bd = tf.variable(tf.tensor1d(W['dense.bias']), true, 'dense/bias');
  return { w1, b1, w2, b2, wd, bd, vars: [w1, b1, w2, b2, wd, bd] };
}

/** Logits [N, 10] of images x [N, 28, 28, 1]. */
export function logits(m: TfModel, x: tf.Tensor4D): tf.Tensor2D {
  const h1 = tf.relu(tf.add<tf.Tensor4D>(tf.conv2d(x, m.w1, 1, 'same'), m.b1));
  const p1 = tf.maxPool(h1, 2, 2, 'valid'); // 14x14x8
  const h2 = tf.relu(tf.add<tf.Tensor4D>(tf.conv2d(p1, m.w2, 1, 'same'), m.b2));
  const p2 = tf.maxPool(h2, 3, 3, 'valid'); // 4x4x16
  return tf.add<tf.Tensor2D>(tf.matMul(tf.reshape(p2, [-1, FLAT]), m.wd), m.bd);
}

/** The same forward pass with bias + ReLU fused into the convolutions and bias into the matmul. */
export function logitsFused(m: TfModel, x: tf.Tensor4D): tf.Tensor2D {
  const h1 = tf.fused.conv2d({ x, filter: m.w1, strides: 1, pad: 'same', bias: m.b1, activation: 'relu' });
  const p1 = tf.maxPool(h1, 2, 2, 'valid');
  const h2 = tf.fused.conv2d({ x: p1, filter: m.w2, strides: 1, pad: 'same', bias: m.b2, activation: 'relu' });
  const p2 = tf.maxPool(h2, 3, 3, 'valid');
  return tf.fused.matMul({ a: tf.reshape(p2, [-1, FLAT]), b: m.wd, bias: m.bd }) as tf.Tensor2D;
}

/** Whether the active backend has the fused kernels logitsFused() needs. */
export function hasFusedKernels(): boolean {
  const b = tf.getBackend();
  return !!tf.getKernel('FusedConv2D', b) && !!tf.getKernel('_FusedMatMul', b);
}

/** Copies the images/labels `order[start .. start+n)` into reusable buffers. */
export function fillBatch(images: Float32Array, labels: Uint8Array, order: ArrayLike<number>, start: number, n: number,
  xbuf: Float32Array, ybuf: Int32Array): void {
  for (let j = 0; j < n; j++) {
    const idx = order[start + j];
    xbuf.set(images.subarray(idx * PIXELS, (idx + 1) * PIXELS), j * PIXELS);
    ybuf[j] = labels[idx];
  }
}

/** Mean softmax cross-entropy of a batch (no update). */
export function batchLoss(m: TfModel, xbuf: Float32Array, ybuf: Int32Array, n: number): number {
  return tf.tidy(() => {
    const x = tf.tensor4d(xbuf.subarray(0, n * PIXELS), [n, IMG, IMG, 1]);
    const y = tf.oneHot(tf.tensor1d(ybuf.subarray(0, n), 'int32'), CLASSES);
    return tf.losses.softmaxCrossEntropy(y, logits(m, x)).dataSync()[0];
  });
}

/** One SGD-with-momentum step on a batch; returns the batch's mean loss before the update. */
export function trainStep(m: TfModel, opt: tf.Optimizer, xbuf: Float32Array, ybuf: Int32Array, n: number): number {
  const cost = tf.tidy((): tf.Scalar => {
    const x = tf.tensor4d(xbuf.subarray(0, n * PIXELS), [n, IMG, IMG, 1]);
    const y = tf.oneHot(tf.tensor1d(ybuf.subarray(0, n), 'int32'), CLASSES);
    // softmaxCrossEntropy's default reduction (SUM_BY_NONZERO_WEIGHTS, no weights) is the mean over the batch.
    const c = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(m, x)), true, m.vars);
    if (!c) throw new Error('optimizer.minimize returned no cost');
    return c;
  });
  const v = cost.dataSync()[0];
  cost.dispose();
  return v;
}

/** Predicted classes of test images [start, start+n) (images NCHW with C=1, so also NHWC). */
export function predict(m: TfModel, images: Float32Array, start: number, n: number, fused: boolean): Int32Array {
  const pred = tf.tidy(() => {
    const x = tf.tensor4d(images.subarray(start * PIXELS, (start + n) * PIXELS), [n, IMG, IMG, 1]);
    return tf.argMax(fused ? logitsFused(m, x) : logits(m, x), 1);
  });
  const out = pred.dataSync() as Int32Array;
  pred.dispose();
  return out;
}
