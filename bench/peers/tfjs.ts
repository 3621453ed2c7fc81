// TF.js peer: trains the reference network with tfjs-core ops on the cpu or wasm backend and
// prints a JSON report as the last line of stdout (progress goes to stderr).
//
//   npx tsx bench/peers/tfjs.ts --fixture FILE [--backend cpu|wasm] [--threads N]
//        [--train-images N] [--infer-images N] [--infer-runs 7]
import * as tf from '@tensorflow/tfjs-core';
import {
  ChunkTimer, PIXELS, chunkBatches, finish, loadData, loadFixture, median, parseArgs, peakRssMB, resolveRun, round, runPeer, warmUp,
} from './common.ts';
import { setupTfjs } from './tfjs-setup.ts';
import { buildModel, fillBatch, hasFusedKernels, predict, trainStep } from './tfjs-model.ts';

const args = parseArgs();
const backend = args.backend ?? 'wasm';
const library = `tfjs-${backend}`;

runPeer(library, { backend, threads: args.threads }, async () => {
  const setup = await setupTfjs(backend, args.threads);
  const fx = loadFixture(args.fixture);
  const data = loadData();
  const run = resolveRun(fx, args, data);
  const B = fx.batchSize;
  process.stderr.write(`[${library}] tfjs-core ${tf.version_core}, backend ${tf.getBackend()}, threads ${setup.threads}, simd ${setup.simd}` +
    `${setup.wasmBinary ? `, ${setup.wasmBinary}` : ''}; training ${run.trainImages} images in batches of ${B}\n`);

  const model = buildModel(fx);
  const opt = tf.train.momentum(fx.lr, fx.momentum);
  const xbuf = new Float32Array(B * PIXELS);
  const ybuf = new Int32Array(B);
  const timer = new ChunkTimer(chunkBatches(B, run.batches), library, run.trainImages);

  // ---- training: every batch is timed, including the first (which builds XNNPACK operators on wasm)
  let trainMs = 0, firstBatchMs = NaN, initialLoss = NaN;
  for (let b = 0; b < run.batches; b++) {
    const t0 = performance.now();
    fillBatch(data.train.images, data.train.labels, run.order, b * B, B, xbuf, ybuf);
    const loss = trainStep(model, opt, xbuf, ybuf, B);
    const ms = performance.now() - t0;
    if (b === 0) { firstBatchMs = ms; initialLoss = loss; }
    if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at batch ${b}`);
    trainMs += ms;
    timer.add(B, ms, loss, b);
  }
  timer.flush(false);
  const numTensors = tf.memory().numTensors;

  // ---- inference over the first inferImages test images, batches of inferBatch: warm-up passes
  // (common.ts's warmUp), then inferRuns timed passes
  const inferPass = (fused: boolean) => {
    const t0 = performance.now();
    let correct = 0;
    for (let s = 0; s < run.inferImages; s += fx.inferBatch) {
      const n = Math.min(fx.inferBatch, run.inferImages - s);
      const p = predict(model, data.test.images, s, n, fused);
      for (let j = 0; j < n; j++) if (p[j] === data.test.labels[s + j]) correct++;
    }
    return { ms: performance.now() - t0, accuracy: correct / run.inferImages };
  };
  const warmups: number[] = [];
  const timeInference = (fused: boolean) => {
    warmups.push(warmUp(() => inferPass(fused), args.inferWarmup));
    const passes = Array.from({ length: args.inferRuns }, () => inferPass(fused));
    const rate = median(passes.map((p) => run.inferImages / (p.ms / 1000)));
    process.stderr.write(`[${library}] inference${fused ? ' (fused)' : ''}: ${passes.map((p) => (run.inferImages / (p.ms / 1000)).toFixed(0)).join(', ')} img/s, accuracy ${passes[0].accuracy}\n`);
    return { rate, accuracy: passes[0].accuracy };
  };
  const plain = timeInference(false);
  const fused = hasFusedKernels() ? timeInference(true) : null;
  if (tf.memory().numTensors !== numTensors) setup.notes.push(`tensor count changed during inference: ${numTensors} -> ${tf.memory().numTensors}`);

  const notes = [
    `tfjs-core ${tf.version_core}; float32; NHWC; conv2d 'same' + add(bias) + relu, maxPool, matMul; tf.losses.softmaxCrossEntropy (mean); tf.train.momentum(${fx.lr}, ${fx.momentum}) via optimizer.minimize in tf.tidy`,
    'all batches timed, including the first (firstBatchMs; on wasm it creates the XNNPACK operators); timing includes copying the batch from the dataset and reading the loss back',
    `inference: ${warmups.join(' and ')} untimed warm-up passes, then ${args.inferRuns} passes over ${run.inferImages} test images in batches of ${fx.inferBatch}, median; fused = tf.fused.conv2d (bias+relu) and tf.fused.matMul (bias)`,
    ...setup.notes,
  ];
  finish({
    library,
    backend: setup.backend,
    threads: setup.threads,
    simd: setup.simd,
    trainImages: run.trainImages,
    trainSeconds: round(trainMs / 1000, 3),
    trainImagesPerSec: round(run.trainImages / (trainMs / 1000), 1),
    trainImagesPerSecMedian: round(timer.medianImagesPerSec(), 1),
    inferImages: run.inferImages,
    inferImagesPerSec: round(plain.rate, 1),
    inferImagesPerSecFused: fused ? round(fused.rate, 1) : null,
    testAccuracy: plain.accuracy,
    testAccuracyFused: fused ? fused.accuracy : null,
    peakRssMB: round(peakRssMB(), 1),
    initialLoss,
    finalChunkLoss: round(timer.chunks.at(-1)?.meanLoss ?? timer.partial?.meanLoss ?? NaN, 5),
    firstBatchMs: round(firstBatchMs, 1),
    chunkImagesPerSec: timer.chunks.map((c) => round(c.imagesPerSec, 1)),
    batchSize: B,
    inferBatch: fx.inferBatch,
    wasmBinary: setup.wasmBinary,
    patchedKernels: setup.patchedKernels,
    notes: notes.join('; '),
  });
});
