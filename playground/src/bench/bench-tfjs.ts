// TF.js with its wasm backend (XNNPACK, SIMD, one thread) in the bench page's Web Worker, beside
// miniconv and ConvNetJS (issue 27 §4): the reference network as `npm run bench` trains it on Node
// (bench/peers/tfjs-model.ts, the same file), from miniconv's initial weights (createSmallModel),
// on the same digits in the same order, SGD lr 0.01 momentum 0.9, batch 32.
//
// The .wasm binaries come from the page's own server: Vite copies them from the installed
// @tensorflow/tfjs-backend-wasm into the build (the `?url` imports below), so nothing is fetched
// from the network. One thread: the multi-threaded binary is ruled out even where the page is
// cross-origin isolated (WASM_HAS_MULTITHREAD_SUPPORT false), so that it runs as miniconv's one
// thread does. Training on wasm needs a Conv2DBackpropFilter kernel, which tfjs-backend-wasm 4.22
// lacks: bench/peers/wasm-conv2d-backprop-filter.ts builds it from the backend's own kernels, as on Node.

import * as tf from '@tensorflow/tfjs-core';
// Every gradient of tfjs-core (its documented way without the union package): in the page's bundle it
// shares the one copy of tfjs-core (on Node, tfjs-setup.ts registers only the few it needs).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { Sequential } from 'miniconv';
import { Conv2D } from 'miniconv';
import { Dense } from 'miniconv';
import { type Fixture, PIXELS } from '../../../bench/peers/layout.ts';
import { type TfModel, buildModel, fillBatch, predict, trainStep } from '../../../bench/peers/tfjs-model.ts';
import { registerWasmConv2DBackpropFilter } from '../../../bench/peers/wasm-conv2d-backprop-filter.ts';

let ready: Promise<string> | null = null;

/** Starts TF.js's wasm backend, one thread with SIMD; resolves to a description of what runs. */
export function setupTfjsWasm(): Promise<string> {
  ready ??= (async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths({ 'tfjs-backend-wasm.wasm': plainWasm, 'tfjs-backend-wasm-simd.wasm': simdWasm, 'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm });
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: tf.setBackend("wasm") failed (see the console)');
    await tf.ready();
    registerWasmConv2DBackpropFilter();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    if (!simd) throw new Error('TF.js: this browser runs the wasm backend without SIMD; the comparison is with SIMD');
    return `TF.js ${tf.version_core} wasm (XNNPACK, SIMD, 1 thread)`;
  })();
  return ready;
}

/** The reference network's weights of a miniconv model (createSmallModel), in the fixture's (PyTorch's) layouts, for tfjs-model.ts. */
export function fixtureOf(model: Sequential, batchSize: number, lr: number, momentum: number): Fixture {
  const [conv1, conv2] = model.layers.filter((l): l is Conv2D => l instanceof Conv2D);
  const dense = model.layers.find((l): l is Dense => l instanceof Dense);
  if (!conv1 || !conv2 || !dense || !conv1.bias || !conv2.bias || !dense.bias) throw new Error('fixtureOf: expected the reference network (two convs and a dense layer, with biases)');
  const list = (t: { data: ArrayLike<number> }) => Array.from(t.data);
  return {
    weights: {
      'conv1.weight': list(conv1.weight.value), 'conv1.bias': list(conv1.bias.value),
      'conv2.weight': list(conv2.weight.value), 'conv2.bias': list(conv2.bias.value),
      'dense.weight': list(dense.weight.value), 'dense.bias': list(dense.bias.value),
    },
    trainOrder: [], batchSize, lr, momentum, inferBatch: 100, inferImages: 0,
  };
}

/**
 * Trains the first `images` digits of `set` in order, batches of fx.batchSize; the time of every
 * batch but the first (which creates XNNPACK's operators, as miniconv's first allocates its buffers).
 */
export function trainTfjs(fx: Fixture, set: { images: Float32Array; labels: Uint8Array }, images: number): { model: TfModel; ms: number; timed: number; firstLoss: number; lastLoss: number } {
  const B = fx.batchSize;
  const model = buildModel(fx);
  const opt = tf.train.momentum(fx.lr, fx.momentum);
  const xbuf = new Float32Array(B * PIXELS), ybuf = new Int32Array(B);
  const batches = Math.floor(images / B);
  const order = Int32Array.from({ length: batches * B }, (_, i) => i); // the digits in order, as miniconv and ConvNetJS take them
  let ms = 0, firstLoss = NaN, lastLoss = NaN;
  for (let b = 0; b < batches; b++) {
    fillBatch(set.images, set.labels, order, b * B, B, xbuf, ybuf);
    const t0 = performance.now();
    const loss = trainStep(model, opt, xbuf, ybuf, B);
    if (b > 0) ms += performance.now() - t0;
    if (b === 0) firstLoss = loss;
    if (!Number.isFinite(loss)) throw new Error(`TF.js: loss became ${loss} at batch ${b}`);
    lastLoss = loss;
  }
  return { model, ms, timed: (batches - 1) * B, firstLoss, lastLoss };
}

/** Predicted classes of test images [start, start + n), fused kernels (conv + bias + ReLU, matmul + bias) as TF.js infers fastest. */
export function predictTfjs(model: TfModel, images: Float32Array, start: number, n: number): Int32Array {
  return predict(model, images, start, n, true);
}
