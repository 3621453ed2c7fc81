// Checks the wasm depthwise gradient kernels (wasm-depthwise-backprop.ts) against the cpu backend's
// kernels on a grid of shapes (mobilenet-mini's three depthwise layers, strides 1, 2 and 3, 'same',
// 'valid' and numeric padding, odd and non-square sizes and filters, batch 1), then times them beside
// wasm's forward depthwise conv. Exits 1 on any mismatch.
//
//   npx tsx bench/peers/check-wasm-depthwise-grad.ts [--threads N]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '../../src/rng.ts';
import { CpuWasmCheck, onBackend } from './check-cpu-wasm.ts';
import { setupTfjs } from './tfjs-setup.ts';
import { registerWasmDepthwiseBackprop } from './wasm-depthwise-backprop.ts';

const log = (s: string) => console.log(s);
const check = new CpuWasmCheck(1e-5, log); // on max |cpu - wasm| / max(1, max |cpu|)

const thrArg = process.argv.indexOf('--threads');
const setup = await setupTfjs('wasm', thrArg > 0 ? Number(process.argv[thrArg + 1]) : 1, { registerKernels: false, gradients: ['DepthwiseConv2dNative', 'Multiply', 'Sum'] });
log(`wasm backend: ${setup.wasmBinary}, ${setup.threads} thread(s)`);

// ---- 1. the failure without the patch
{
  const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
  const w = tf.ones([3, 3, 2, 1]) as tf.Tensor4D;
  for (const wrt of ['x', 'filter'] as const) {
    try {
      tf.grad((t: tf.Tensor) => tf.sum(wrt === 'x' ? tf.depthwiseConv2d(t as tf.Tensor4D, w, 1, 1) : tf.depthwiseConv2d(x, t as tf.Tensor4D, 1, 1)))(wrt === 'x' ? x : w);
      log(`without the patch: the depthwise gradient wrt ${wrt} worked on wasm (the patch is then not needed)`);
    } catch (e) {
      log(`without the patch, on wasm, gradient wrt ${wrt}: ${(e as Error).message}`);
    }
  }
  tf.dispose([x, w]);
}
log(`registered: ${registerWasmDepthwiseBackprop().join(', ') || 'nothing (wasm has them)'}`);

// ---- 2. both kernels, cpu vs wasm, on random data
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
interface Case { name: string; x: [number, number, number, number]; k: [number, number]; stride: number; pad: Pad }
const cases: Case[] = [
  { name: 'mobilenet-mini block 1', x: [32, 14, 14, 16], k: [3, 3], stride: 1, pad: 1 },
  { name: 'mobilenet-mini block 2 (stride 2)', x: [32, 14, 14, 32], k: [3, 3], stride: 2, pad: 1 },
  { name: 'mobilenet-mini block 3', x: [32, 7, 7, 64], k: [3, 3], stride: 1, pad: 1 },
  { name: 'stride 2, valid, odd input', x: [3, 9, 9, 4], k: [3, 3], stride: 2, pad: 'valid' },
  { name: 'stride 2, same, even input', x: [2, 10, 10, 3], k: [3, 3], stride: 2, pad: 'same' },
  { name: 'stride 3, valid, unused rows', x: [2, 11, 11, 2], k: [3, 3], stride: 3, pad: 'valid' },
  // Explicit padding: with a number, TF.js 4.22 sizes the output of a non-square filter from its
  // height alone (conv_util's getPadAndOutInfo), and its stock wasm forward then writes out of bounds.
  { name: 'non-square 5x3 filter, explicit padding 2 and 1, 7x9 input', x: [2, 7, 9, 5], k: [5, 3], stride: 1, pad: [[0, 0], [2, 2], [1, 1], [0, 0]] },
  { name: 'stride 2, pad 2, 5x5 filter', x: [2, 8, 8, 3], k: [5, 5], stride: 2, pad: 2 },
  { name: 'batch 1, 1x1 filter', x: [1, 5, 6, 4], k: [1, 1], stride: 1, pad: 'valid' },
];
const rng = createRng('check-wasm-depthwise-grad');
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

for (const c of cases) {
  const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], 1];
  const info = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.stride, 1, c.pad, undefined, true);
  const dyShape = [c.x[0], info.outHeight, info.outWidth, c.x[3]];
  const xd = rand(size(c.x)), wd = rand(size(filterShape)), dyd = rand(size(dyShape));
  const grads = (wrt: 0 | 1) => () => tf.tidy(() => {
    const dy = tf.tensor(dyd, dyShape);
    const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), dy)))([tf.tensor(xd, c.x), tf.tensor(wd, filterShape)]);
    const want = wrt === 0 ? c.x : filterShape;
    if (g[wrt].shape.join() !== want.join()) throw new Error(`${c.name}: got shape [${g[wrt].shape}], expected [${want}]`);
    return g[wrt].dataSync() as Float32Array;
  });
  const label = `x[${c.x}] filter ${c.k.join('x')} stride ${c.stride} pad ${JSON.stringify(c.pad)} (${c.name})`;
  check.compare(`BackpropInput  ${label}`, await onBackend('cpu', grads(0)), await onBackend('wasm', grads(0)));
  check.compare(`BackpropFilter ${label}`, await onBackend('cpu', grads(1)), await onBackend('wasm', grads(1)));
}

// ---- 3. speed of the patched kernels beside wasm's forward depthwise conv, mobilenet-mini's shapes
{
  await tf.setBackend('wasm');
  for (const c of cases.slice(0, 3)) {
    const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], 1];
    const info = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.stride, 1, c.pad, undefined, true);
    const dyShape: [number, number, number, number] = [c.x[0], info.outHeight, info.outWidth, c.x[3]];
    const x = tf.tensor(rand(size(c.x)), c.x) as tf.Tensor4D, w = tf.tensor(rand(size(filterShape)), filterShape) as tf.Tensor4D;
    const dy = tf.tensor(rand(size(dyShape)), dyShape) as tf.Tensor4D;
    const attrs = { strides: c.stride, pad: c.pad, dilations: 1 };
    const time = (f: () => tf.Tensor) => { for (let i = 0; i < 3; i++) f().dispose(); const t0 = performance.now(); for (let i = 0; i < 20; i++) { const t = f(); t.dataSync(); t.dispose(); } return (performance.now() - t0) / 20; };
    const tFwd = time(() => tf.depthwiseConv2d(x, w, c.stride, c.pad));
    const tIn = time(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor);
    const tFil = time(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor);
    log(`wasm timing, ${c.name}, batch ${c.x[0]}: forward ${tFwd.toFixed(2)} ms, patched BackpropInput ${tIn.toFixed(2)} ms, patched BackpropFilter ${tFil.toFixed(2)} ms`);
    tf.dispose([x, w, dy]);
  }
}

check.finish();
