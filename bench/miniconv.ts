// miniconv's side of the benchmark: the reference network trained the same way as the peers in
// bench/peers/ (same fixture: initial weights, data order, batch size, SGD settings), timed the
// same way, reported as the same JSON on the last line of stdout.
//
//   npx tsx bench/miniconv.ts --fixture FILE [--threads N] [--backend wasm|ts] [--train-images N] [--infer-images N] [--save-onnx FILE]
import {
  Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, softmaxCrossEntropy,
} from '../src/index.ts';
import { writeFileSync } from 'node:fs';
import { exportOnnx } from '../src/io/onnx/export.ts';
import { checkBackend, setDefaultBackend, wasmStatus } from '../src/kernels/index.ts';
import { trainStep } from '../src/train/step.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { timeInference } from './miniconv-infer.ts';
import {
  C1, C2, CLASSES, ChunkTimer, FLAT, K, PIXELS, chunkBatches, finish, loadData, loadFixture, median,
  parseArgs, peakRssMB, resolveRun, round, runPeer, type Fixture,
} from './peers/common.ts';

const args = parseArgs();
const library = 'miniconv';

/** The reference network with the fixture's weights (the layouts are already PyTorch's, like ours). */
export function buildReference(fx: Fixture): Sequential {
  const zeros = 'zeros' as const;
  const model = new Sequential([
    new Conv2D({ inChannels: 1, outChannels: C1, kernelSize: K, padding: 2, weightInit: zeros }),
    new ReLU(),
    new MaxPool2D({ size: 2, stride: 2 }),
    new Conv2D({ inChannels: C1, outChannels: C2, kernelSize: K, padding: 2, weightInit: zeros }),
    new ReLU(),
    new MaxPool2D({ size: 3, stride: 3 }),
    new Flatten(),
    new Dense({ inFeatures: FLAT, outFeatures: CLASSES, weightInit: zeros }),
  ]);
  const names = ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'dense.weight', 'dense.bias'] as const;
  model.params().forEach((p, i) => p.value.data.set(fx.weights[names[i]]));
  return model;
}

runPeer(library, { threads: args.threads }, async () => {
  if (args.backend !== null) setDefaultBackend(checkBackend(args.backend, 'bench --backend'));
  const fx = loadFixture(args.fixture);
  const data = loadData();
  const run = resolveRun(fx, args, data);
  const model = buildReference(fx);
  const opt = new SGD(model.params(), { lr: fx.lr, momentum: fx.momentum });
  const parallel = args.threads > 1 ? new ParallelTrainer(model, [1, 28, 28], { threads: args.threads, maxBatch: Math.max(fx.batchSize, fx.inferBatch), optimizer: opt }) : null;

  // The first batch's loss at the initial weights, to check that every library starts from the same place.
  const first = new Tensor([fx.batchSize, 1, 28, 28]);
  const labels = new Uint8Array(fx.batchSize);
  const fill = (b: number) => {
    for (let i = 0; i < fx.batchSize; i++) {
      const src = run.order[b * fx.batchSize + i];
      first.data.set(data.train.images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
      labels[i] = data.train.labels[src];
    }
  };
  fill(0);
  const initialLoss = softmaxCrossEntropy(model.forward(first), labels).loss;

  const timer = new ChunkTimer(chunkBatches(fx.batchSize, run.batches), library, run.trainImages);
  let total = 0;
  let firstBatchMs = 0;
  for (let b = 0; b < run.batches; b++) {
    fill(b);
    const t0 = performance.now();
    let loss: number;
    if (parallel) {
      loss = parallel.trainStep(first, labels).loss; // the update shared out over the threads too
    } else {
      loss = trainStep(model, opt, first, labels).loss;
    }
    const ms = performance.now() - t0;
    if (b === 0) firstBatchMs = ms;
    total += ms;
    timer.add(fx.batchSize, ms, loss, b);
  }
  timer.flush(false);

  // Inference over the test images, in batches of inferBatch: warm-up passes, then timed inferRuns times (miniconv-infer.ts).
  const n = run.inferImages;
  const { times, correct, warmup } = timeInference(model, parallel, data.test, { n, batch: fx.inferBatch, runs: args.inferRuns, warmup: args.inferWarmup, inputShape: [1, 28, 28], classes: CLASSES });
  parallel?.close();
  // The trained model as ONNX, for the ONNX Runtime peers (peers/onnxruntime.ts): the same weights on the same images.
  if (args.saveOnnx) writeFileSync(args.saveOnnx, exportOnnx(model, [1, 28, 28]));

  finish({
    library, backend: args.backend ?? 'wasm', threads: args.threads, simd: wasmStatus() === 'wasm',
    trainImages: run.trainImages, trainSeconds: round(total / 1000, 3),
    trainImagesPerSec: round(run.trainImages / (total / 1000), 1), trainImagesPerSecMedian: round(timer.medianImagesPerSec(), 1),
    firstBatchMs: round(firstBatchMs, 2), chunkImagesPerSec: timer.chunks.map((c) => round(c.imagesPerSec, 1)),
    inferImages: n, inferImagesPerSec: round(n / (median(times) / 1000), 1), inferImagesPerSecFused: null,
    initialLoss: round(initialLoss, 6), testAccuracy: round(correct / n, 4), peakRssMB: round(peakRssMB(), 1),
    notes: `kernels: ${wasmStatus()}; inference: ${warmup} untimed warm-up passes, then the median of ${args.inferRuns}`,
  });
});
