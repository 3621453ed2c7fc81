// Checks the wasm Conv2DBackpropFilter kernel (wasm-conv2d-backprop-filter.ts) against the cpu
// backend's kernel, and audits which kernels a training step of the reference network needs that
// tfjs-backend-wasm 4.22 lacks. Exits 1 on any mismatch.
//
//   npx tsx bench/peers/check-wasm-filter-grad.ts [--fixture FILE] [--threads N]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '../../src/rng.ts';
import { CpuWasmCheck, onBackend } from './check-cpu-wasm.ts';
import { PIXELS, loadData, loadFixture } from './common.ts';
import { registerMissingWasmKernels, setupTfjs } from './tfjs-setup.ts';
import { buildModel, fillBatch, logits, trainStep } from './tfjs-model.ts';

const log = (s: string) => console.log(s);
const check = new CpuWasmCheck(1e-5, log); // on max |cpu - wasm| / max(1, max |cpu|)

const thrArg = process.argv.indexOf('--threads');
const wasmSetup = await setupTfjs('wasm', thrArg > 0 ? Number(process.argv[thrArg + 1]) : 1, { registerKernels: false });
log(`wasm backend: ${wasmSetup.wasmBinary}, ${wasmSetup.threads} thread(s)`);

// ---- 1. the failure without the patch
{
  const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
  const w = tf.ones([2, 2, 1, 1]) as tf.Tensor4D;
  try {
    tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(w);
    log('without the patch: conv2d filter gradient on wasm unexpectedly worked (the patch is then not needed)');
  } catch (e) {
    log(`without the patch, on wasm: ${(e as Error).message}`);
  }
  tf.dispose([x, w]);
}

// ---- 2. audit: kernels run by one training step (on cpu), and which of those wasm lacks
const fxArg = process.argv.indexOf('--fixture');
const fx = fxArg > 0 ? loadFixture(process.argv[fxArg + 1]) : syntheticFixture();
const data = loadData();
const xbuf = new Float32Array(fx.batchSize * PIXELS);
const ybuf = new Int32Array(fx.batchSize);
fillBatch(data.train.images, data.train.labels, fx.trainOrder, 0, fx.batchSize, xbuf, ybuf);
await tf.setBackend('cpu');
{
  const m = buildModel(fx);
  const opt = tf.train.momentum(fx.lr, fx.momentum);
  const prof = await tf.profile(() => { trainStep(m, opt, xbuf, ybuf, fx.batchSize); });
  const used = [...new Set(prof.kernelNames)].filter((k) => !k.endsWith('__op')); // '__op' = customGrad wrappers, not kernels
  const missing = used.filter((k) => !tf.getKernel(k, 'wasm'));
  log(`kernels in one training step: ${used.join(', ')}`);
  log(`missing on wasm before patching: ${missing.length ? missing.join(', ') : 'none'}`);
  const patched = registerMissingWasmKernels();
  const still = used.filter((k) => !tf.getKernel(k, 'wasm'));
  log(`registered: ${patched.join(', ') || 'nothing'}; still missing: ${still.length ? still.join(', ') : 'none'}`);
  if (still.length) check.failed = true;
  tf.dispose([...m.vars]);
  opt.dispose();
}

// ---- 3. the kernel itself, cpu vs wasm, on random data
type Pad = 'same' | 'valid' | number;
interface Case { name: string; x: [number, number, number, number]; filter: [number, number, number, number]; strides: [number, number]; pad: Pad }
const cases: Case[] = [
  { name: 'conv1 of the network', x: [32, 28, 28, 1], filter: [5, 5, 1, 8], strides: [1, 1], pad: 'same' },
  { name: 'conv2 of the network', x: [32, 14, 14, 8], filter: [5, 5, 8, 16], strides: [1, 1], pad: 'same' },
  { name: 'valid, 3x3', x: [4, 9, 9, 3], filter: [3, 3, 3, 5], strides: [1, 1], pad: 'valid' },
  { name: 'stride 2, valid', x: [4, 9, 9, 3], filter: [3, 3, 3, 5], strides: [2, 2], pad: 'valid' },
  { name: 'stride 2, same, even input', x: [3, 10, 10, 2], filter: [3, 3, 2, 4], strides: [2, 2], pad: 'same' },
  { name: 'stride 3, valid, unused rows', x: [2, 11, 11, 2], filter: [3, 3, 2, 3], strides: [3, 3], pad: 'valid' },
  { name: 'strides [1, 2], 4x2 filter, pad 1', x: [2, 7, 8, 3], filter: [4, 2, 3, 2], strides: [1, 2], pad: 1 },
  { name: 'batch 1, 1x1 filter', x: [1, 5, 6, 4], filter: [1, 1, 4, 3], strides: [1, 1], pad: 'valid' },
];
const rng = createRng('check-wasm-filter-grad');
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

for (const c of cases) {
  const convInfo = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
  const dyShape = [c.x[0], convInfo.outHeight, convInfo.outWidth, c.filter[3]];
  const xd = rand(size(c.x)), dyd = rand(size(dyShape));
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.filter };
  const run = () => tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(xd, c.x), dy: tf.tensor(dyd, dyShape) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    if (out.shape.join() !== c.filter.join()) throw new Error(`${c.name}: got shape [${out.shape}], expected [${c.filter}]`);
    return out.dataSync() as Float32Array;
  });
  check.compare(`Conv2DBackpropFilter ${c.name} x[${c.x}] filter[${c.filter}] strides[${c.strides}] pad ${c.pad}`, await onBackend('cpu', run), await onBackend('wasm', run));
}

// ---- 4. end to end: all gradients of one training batch, and the weights after 3 steps
{
  const grads = () => tf.tidy(() => {
    const m = buildModel(fx);
    const x = tf.tensor4d(xbuf, [fx.batchSize, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(ybuf, 'int32'), 10);
    const { grads: g } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, logits(m, x)), m.vars);
    const flat = tf.concat(m.vars.map((v) => tf.reshape(g[v.name], [-1]))).dataSync() as Float32Array;
    tf.dispose(m.vars);
    return flat;
  });
  check.compare('all parameter gradients of the first batch', await onBackend('cpu', grads), await onBackend('wasm', grads));
  const train3 = () => {
    const m = buildModel(fx);
    const opt = tf.train.momentum(fx.lr, fx.momentum);
    const xb = new Float32Array(fx.batchSize * PIXELS), yb = new Int32Array(fx.batchSize);
    for (let b = 0; b < 3; b++) {
      fillBatch(data.train.images, data.train.labels, fx.trainOrder, b * fx.batchSize, fx.batchSize, xb, yb);
      trainStep(m, opt, xb, yb, fx.batchSize);
    }
    const flat = tf.tidy(() => tf.concat(m.vars.map((v) => tf.reshape(v, [-1]))).dataSync() as Float32Array);
    tf.dispose(m.vars);
    opt.dispose();
    return flat;
  };
  check.compare('all weights after 3 momentum-SGD steps', await onBackend('cpu', train3), await onBackend('wasm', train3));
}

// ---- 5. speed of the patched kernel vs wasm's forward conv, network shapes, batch 32
{
  await tf.setBackend('wasm');
  for (const c of cases.slice(0, 2)) {
    const dyShape: [number, number, number, number] = [c.x[0], c.x[1], c.x[2], c.filter[3]];
    const x = tf.tensor(rand(size(c.x)), c.x) as tf.Tensor4D;
    const dy = tf.tensor(rand(size(dyShape)), dyShape) as tf.Tensor4D;
    const w = tf.tensor(rand(size(c.filter)), c.filter) as tf.Tensor4D;
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } as unknown as tf.NamedAttrMap;
    const time = (f: () => tf.Tensor) => { for (let i = 0; i < 3; i++) f().dispose(); const t0 = performance.now(); for (let i = 0; i < 20; i++) f().dataSync(); return (performance.now() - t0) / 20; };
    const tb = time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor);
    const tf_ = time(() => tf.conv2d(x, w, 1, 'same'));
    const ti = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor);
    log(`wasm timing, ${c.name}, batch ${c.x[0]}: forward Conv2D ${tf_.toFixed(2)} ms, Conv2DBackpropInput ${ti.toFixed(2)} ms, patched Conv2DBackpropFilter ${tb.toFixed(2)} ms`);
    tf.dispose([x, dy, w]);
  }
}

check.finish();

// helpers ------------------------------------------------------------------------------------
function syntheticFixture() {
  const r = createRng('check-wasm-filter-grad-weights');
  const he = (n: number, fanIn: number) => Array.from({ length: n }, () => Math.fround(Math.sqrt(2 / fanIn) * r.normal()));
  return {
    weights: {
      'conv1.weight': he(200, 25), 'conv1.bias': new Array<number>(8).fill(0.01),
      'conv2.weight': he(3200, 200), 'conv2.bias': new Array<number>(16).fill(0.01),
      'dense.weight': he(2560, 256), 'dense.bias': new Array<number>(10).fill(0),
    },
    trainOrder: r.shuffle(Array.from({ length: 8000 }, (_, i) => i)),
    batchSize: 32, lr: 0.01, momentum: 0.9, inferBatch: 100, inferImages: 2000,
  };
}
