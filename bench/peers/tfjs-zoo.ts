// TF.js peer of `npm run bench -- --model NAME` (bench/zoo.ts): trains and infers a zoo model written
// with tfjs-core ops (tfjs-zoo-model.ts) from the zoo fixture, on the cpu or wasm backend, timed as
// tfjs.ts times the reference network; the JSON report is the last line of stdout.
//
//   npx tsx bench/peers/tfjs-zoo.ts --fixture FILE [--backend cpu|wasm] [--threads N]
//        [--train-images N] [--infer-images N] [--infer-runs 7] [--infer-only REASON] [--probe-kernels]
//
// --probe-kernels: runs one training step and one inference pass of the model on the cpu backend
//   (which has every kernel) under tf.profile, and reports which of the kernels they ran the wasm
//   backend does not register: as shipped, and after this bench's patches (wasm-conv2d-backprop-filter.ts;
//   wasm-depthwise-backprop.ts for a model with depthwise convs). No timing.
// On wasm, a model with depthwise convs gets the depthwise gradient kernels of wasm-depthwise-backprop.ts
// (tfjs-backend-wasm 4.22 has none); the report's patchedKernels lists them.
// --infer-only REASON: no training (the reason goes in the notes): the initial loss and the
//   inference timing only, at the initial weights.
import * as tf from '@tensorflow/tfjs-core';
import { ChunkTimer, chunkBatches, countCorrect, finish, loadData, median, parseArgs, peakRssMB, round, runPeer, warmUp } from './common.ts';
import { registerMissingWasmKernels, setupTfjs } from './tfjs-setup.ts';
import { registerWasmDepthwiseBackprop } from './wasm-depthwise-backprop.ts';
import { ZOO_GRADIENTS, buildTfZooModel, makeTfOptimizer, type TfZooModel } from './tfjs-zoo-model.ts';
import { loadZooFixture, resolveZooRun, type ZooFixture } from '../zoo-fixture.ts';


// Our own flags, taken out before common.ts's parser (which knows the reference bench's).
const argv = process.argv.slice(2);
let inferOnly: string | null = null, probe = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--probe-kernels') { probe = true; argv.splice(i--, 1); } else if (argv[i] === '--infer-only') {
    inferOnly = argv[i + 1] ?? '';
    if (!inferOnly) throw new Error('--infer-only needs a reason, e.g. --infer-only "no DepthwiseConv2dNativeBackpropInput on wasm"');
    argv.splice(i--, 2);
  }
}
const args = parseArgs(argv);
const backend = probe ? 'cpu' : args.backend ?? 'wasm';
const library = `tfjs-${backend}`;

/** Copies images/labels order[start .. start+n) into reusable buffers ([N, 1, H, W] with C = 1 is also NHWC). */
function fillBatch(data: { images: Float32Array; labels: Uint8Array }, order: ArrayLike<number>, start: number, n: number, per: number, xbuf: Float32Array, ybuf: Int32Array): void {
  for (let j = 0; j < n; j++) {
    const idx = order[start + j];
    xbuf.set(data.images.subarray(idx * per, (idx + 1) * per), j * per);
    ybuf[j] = data.labels[idx];
  }
}

function nhwc(fx: ZooFixture, buf: Float32Array, n: number): tf.Tensor4D {
  const [C, H, W] = fx.inputShape;
  if (C !== 1) throw new Error(`tfjs-zoo: images of ${C} channels would need a transpose to NHWC; the zoo's have 1`);
  return tf.tensor4d(buf.subarray(0, n * H * W), [n, H, W, C]);
}

function loss(fx: ZooFixture, m: TfZooModel, x: tf.Tensor4D, ybuf: Int32Array, n: number, training: boolean): tf.Scalar {
  const y = tf.oneHot(tf.tensor1d(ybuf.subarray(0, n), 'int32'), fx.classes);
  // Default reduction (SUM_BY_NONZERO_WEIGHTS, no weights): the mean over the batch, as miniconv's.
  return tf.losses.softmaxCrossEntropy(y, m.logits(x, training));
}

/** One optimiser step on a batch; the batch's mean loss before the update. */
function trainStep(fx: ZooFixture, m: TfZooModel, opt: ReturnType<typeof makeTfOptimizer>, xbuf: Float32Array, ybuf: Int32Array, n: number): number {
  const cost = tf.tidy(() => {
    const x = nhwc(fx, xbuf, n);
    const { value, grads } = tf.variableGrads(() => loss(fx, m, x, ybuf, n, true), m.vars);
    opt.step(grads, m.vars);
    m.updateRunningStats();
    return value;
  });
  const v = cost.dataSync()[0];
  cost.dispose();
  return v;
}

runPeer(library, { backend, threads: args.threads }, async () => {
  if (probe) {
    // Every kernel a training step and an inference pass run, on cpu; then which wasm lacks.
    const setup = await setupTfjs('cpu', 1, { gradients: ZOO_GRADIENTS });
    const fx = loadZooFixture(args.fixture);
    const data = loadData();
    const m = buildTfZooModel(fx);
    const opt = makeTfOptimizer(fx);
    const n = 4, per = fx.inputShape.reduce((a, d) => a * d, 1);
    const xbuf = new Float32Array(n * per), ybuf = new Int32Array(n);
    fillBatch(data.train, fx.trainOrder, 0, n, per, xbuf, ybuf);
    const trainKernels = new Set((await tf.profile(() => { trainStep(fx, m, opt, xbuf, ybuf, n); })).kernelNames);
    const inferKernels = new Set((await tf.profile(() => { tf.tidy(() => m.logits(nhwc(fx, xbuf, n), false)).dispose(); })).kernelNames);
    await import('@tensorflow/tfjs-backend-wasm'); // registers the wasm kernels (no backend is started)
    // tf.profile also lists custom-gradient ops (softmaxCrossEntropy__op): only the cpu's registered kernels are kernels.
    const missing = (names: Set<string>) => [...names].filter((k) => tf.getKernel(k, 'cpu') && !tf.getKernel(k, 'wasm')).sort();
    const stock = missing(trainKernels);
    const patched = [...registerMissingWasmKernels(), ...(m.hasDepthwise ? registerWasmDepthwiseBackprop() : [])];
    finish({
      library: 'tfjs-kernel-probe', model: fx.model, trainKernels: [...trainKernels].sort(), inferKernels: [...inferKernels].sort(),
      missingOnStockWasmForTraining: stock, patchedKernels: patched,
      missingOnWasmForTraining: missing(trainKernels), missingOnWasmForInference: missing(inferKernels),
      notes: setup.notes.join('; '),
    });
    return;
  }

  const setup = await setupTfjs(backend, args.threads, { gradients: ZOO_GRADIENTS });
  const fx = loadZooFixture(args.fixture);
  const data = loadData();
  const run = resolveZooRun(fx, args, data);
  const B = fx.batchSize, per = fx.inputShape.reduce((a, d) => a * d, 1);
  const m = buildTfZooModel(fx);
  if (setup.backend === 'wasm' && m.hasDepthwise) {
    const patched = registerWasmDepthwiseBackprop();
    setup.patchedKernels.push(...patched);
    if (patched.length) setup.notes.push(`registered missing wasm kernels ${patched.join(', ')} built from wasm's PadV2/Reverse/Transpose/DepthwiseConv2dNative/Sum (wasm-depthwise-backprop.ts, checked by check-wasm-depthwise-grad.ts)`);
  }
  const opt = makeTfOptimizer(fx);
  const xbuf = new Float32Array(Math.max(B, fx.inferBatch) * per), ybuf = new Int32Array(B);
  process.stderr.write(`[${library}] ${fx.model}: tfjs-core ${tf.version_core}, backend ${tf.getBackend()}, threads ${setup.threads}` +
    `${setup.wasmBinary ? `, ${setup.wasmBinary}` : ''}; ${inferOnly !== null ? `inference only (${inferOnly})` : `training ${run.trainImages} images in batches of ${B}`}\n`);

  // The first batch's loss at the initial weights, batch norm by the batch's statistics (running ones untouched).
  fillBatch(data.train, run.order, 0, B, per, xbuf, ybuf);
  const initialLoss = tf.tidy(() => loss(fx, m, nhwc(fx, xbuf, B), ybuf, B, true).dataSync()[0]);
  m.updateRunningStats(false);

  const timer = new ChunkTimer(chunkBatches(B, run.batches), library, run.trainImages);
  let trainMs = 0, firstBatchMs = NaN, firstStepLoss = NaN;
  if (inferOnly === null) {
    for (let b = 0; b < run.batches; b++) {
      const t0 = performance.now();
      fillBatch(data.train, run.order, b * B, B, per, xbuf, ybuf);
      const l = trainStep(fx, m, opt, xbuf, ybuf, B);
      const ms = performance.now() - t0;
      if (b === 0) { firstBatchMs = ms; firstStepLoss = l; }
      if (!Number.isFinite(l)) throw new Error(`loss became ${l} at batch ${b}`);
      trainMs += ms;
      timer.add(B, ms, l, b);
    }
    timer.flush(false);
  }
  const numTensors = tf.memory().numTensors;

  // Inference in evaluation mode over the first inferImages test images, batches of inferBatch:
  // warm-up passes (common.ts's warmUp), then inferRuns timed passes.
  const inferPass = (): number => {
    let correct = 0;
    for (let s = 0; s < run.inferImages; s += fx.inferBatch) {
      const n = Math.min(fx.inferBatch, run.inferImages - s);
      const logits = tf.tidy(() => m.logits(tf.tensor4d(data.test.images.subarray(s * per, (s + n) * per), [n, fx.inputShape[1], fx.inputShape[2], fx.inputShape[0]]), false));
      correct += countCorrect(logits.dataSync(), data.test.labels.subarray(s, s + n), n, fx.classes);
      logits.dispose();
    }
    return correct;
  };
  const warmup = warmUp(inferPass, args.inferWarmup);
  const passes: Array<{ ms: number; accuracy: number }> = [];
  for (let r = 0; r < args.inferRuns; r++) {
    const t0 = performance.now();
    const correct = inferPass();
    passes.push({ ms: performance.now() - t0, accuracy: correct / run.inferImages });
  }
  const rate = median(passes.map((p) => run.inferImages / (p.ms / 1000)));
  process.stderr.write(`[${library}] inference: ${passes.map((p) => (run.inferImages / (p.ms / 1000)).toFixed(0)).join(', ')} img/s, accuracy ${passes[0].accuracy}\n`);
  if (tf.memory().numTensors !== numTensors) setup.notes.push(`tensor count changed during inference: ${numTensors} -> ${tf.memory().numTensors}`);

  const notes = [
    `tfjs-core ${tf.version_core}; float32; NHWC; ${[...m.layerTypes].join(', ')} as tf ops (bench/peers/tfjs-zoo-model.ts); tf.losses.softmaxCrossEntropy (mean); ${opt.what}; tf.variableGrads + applyGradients in tf.tidy`,
    inferOnly !== null ? `no training: ${inferOnly}; inference timed at the initial weights` : 'all batches timed, including the first (firstBatchMs); timing includes copying the batch and reading the loss back',
    `inference in eval mode: ${warmup} untimed warm-up passes, then ${args.inferRuns} passes over ${run.inferImages} test images in batches of ${fx.inferBatch}, median`,
    ...setup.notes,
  ];
  finish({
    library, model: fx.model, backend: setup.backend, threads: setup.threads, simd: setup.simd,
    inferOnly: inferOnly !== null ? inferOnly : undefined,
    trainImages: inferOnly !== null ? 0 : run.trainImages,
    trainSeconds: inferOnly !== null ? null : round(trainMs / 1000, 3),
    trainImagesPerSec: inferOnly !== null ? null : round(run.trainImages / (trainMs / 1000), 1),
    trainImagesPerSecMedian: inferOnly !== null ? null : round(timer.medianImagesPerSec(), 1),
    inferImages: run.inferImages, inferImagesPerSec: round(rate, 1), inferImagesPerSecFused: null,
    testAccuracy: inferOnly !== null ? null : passes[0].accuracy,
    peakRssMB: round(peakRssMB(), 1),
    initialLoss: round(initialLoss, 6), firstStepLoss: round(firstStepLoss, 6),
    finalChunkLoss: round(timer.chunks.at(-1)?.meanLoss ?? timer.partial?.meanLoss ?? NaN, 5),
    firstBatchMs: round(firstBatchMs, 1), chunkImagesPerSec: timer.chunks.map((c) => round(c.imagesPerSec, 1)),
    batchSize: B, inferBatch: fx.inferBatch, wasmBinary: setup.wasmBinary, patchedKernels: setup.patchedKernels,
    notes: notes.join('; '),
  });
});
