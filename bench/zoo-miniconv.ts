// miniconv's side of `npm run bench -- --model NAME` (bench/zoo.ts): trains and infers one zoo model
// from the zoo fixture (bench/zoo-fixture.ts: the seeded weights, data order and optimiser), timed as
// the reference bench times it (bench/miniconv.ts), the JSON report on the last line of stdout.
//
//   npx tsx bench/zoo-miniconv.ts --fixture FILE [--threads N] [--backend wasm|ts] [--train-images N]
//        [--infer-images N] [--infer-runs 7] [--winograd]
//
// --winograd runs every 3x3 stride-1 conv of the model by Winograd F(2x2,3x3) (Conv2D's winograd
// option, src/kernels/winograd.ts); the others as usual.
// --threads N > 1 trains with ParallelTrainer (data parallel: each thread takes a slice of the batch).
// Batch norm then normalises each slice by its own statistics (PyTorch's DataParallel without
// SyncBatchNorm), so for resnet-mini and mobilenet-mini the 2-thread run does slightly different
// arithmetic from the 1-thread run and TF.js; the initial loss is always that of the whole batch.
import { Tensor, softmaxCrossEntropy } from '../src/index.ts';
import { checkBackend, setDefaultBackend, wasmStatus } from '../src/kernels/index.ts';
import { trainStep } from '../src/train/step.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { timeInference } from './miniconv-infer.ts';
import { createOptimizer } from '../src/optim/factory.ts';
import { ChunkTimer, chunkBatches, finish, loadData, median, parseArgs, peakRssMB, round, runPeer } from './peers/common.ts';
import { loadZooFixture, resolveZooRun, zooModelFromFixture } from './zoo-fixture.ts';
import { Conv2D } from '../src/layers/conv2d.ts';
import { leavesOf } from '../src/inspect/layer-tree.ts';

const winograd = process.argv.includes('--winograd');
const args = parseArgs(process.argv.slice(2).filter((a) => a !== '--winograd'));
const library = winograd ? 'miniconv (winograd)' : 'miniconv';

runPeer(library, { threads: args.threads }, async () => {
  if (args.backend !== null) setDefaultBackend(checkBackend(args.backend, 'bench --backend'));
  const fx = loadZooFixture(args.fixture);
  const data = loadData();
  const run = resolveZooRun(fx, args, data);
  const B = fx.batchSize, per = fx.inputShape.reduce((a, d) => a * d, 1);
  const model = zooModelFromFixture(fx);
  const convs = winograd ? leavesOf(model, Conv2D).map(({ layer }) => layer) : [];
  for (const c of convs) c.winograd = true; // where it does not apply, the conv ignores it
  const winogradConvs = convs.filter((c) => c.kernelSize.join() === '3,3' && c.stride === 1 && c.groups === 1 && c.dilation === 1 && c.padding <= 2).length;
  const o = fx.optimizer;
  const opt = createOptimizer(o.name, model.params(), { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
  // With threads: ParallelTrainer's trainStep (the optimiser's update shared out over the threads too)
  // where this version of it has one, as bench/miniconv.ts; else computeGradients and the update here.
  const parallelOptions = { threads: args.threads, maxBatch: Math.max(B, fx.inferBatch), optimizer: opt };
  const parallel = args.threads > 1 ? new ParallelTrainer(model, fx.inputShape, parallelOptions) : null;
  const sharedStep = parallel as unknown as { trainStep?: (x: Tensor, y: ArrayLike<number>) => { loss: number } } | null;
  process.stderr.write(`[${library}] ${fx.model}, ${args.threads} thread(s), kernels ${wasmStatus()}; training ${run.trainImages} images in batches of ${B}, ${o.name} lr ${o.lr}\n`);

  const x = new Tensor([B, ...fx.inputShape]);
  const labels = new Uint8Array(B);
  const fill = (b: number) => {
    for (let i = 0; i < B; i++) {
      const src = run.order[b * B + i];
      x.data.set(data.train.images.subarray(src * per, (src + 1) * per), i * per);
      labels[i] = data.train.labels[src];
    }
  };

  // The first batch's loss at the initial weights, in training mode (batch norm by the batch's
  // statistics), on the whole batch; the running statistics that forward updates are put back.
  fill(0);
  const saved = model.buffers().map((t) => t.value.data.slice());
  model.train();
  const initialLoss = softmaxCrossEntropy(model.forward(x), labels).loss;
  model.buffers().forEach((t, i) => t.value.data.set(saved[i]));

  const timer = new ChunkTimer(chunkBatches(B, run.batches), library, run.trainImages);
  let total = 0, firstBatchMs = 0, firstStepLoss = NaN;
  for (let b = 0; b < run.batches; b++) {
    fill(b);
    const t0 = performance.now();
    let loss: number;
    if (parallel) {
      model.train();
      if (typeof sharedStep?.trainStep === 'function') loss = sharedStep.trainStep(x, labels).loss;
      else { loss = parallel.computeGradients(x, labels).loss; opt.step(); }
    } else {
      loss = trainStep(model, opt, x, labels).loss;
    }
    const ms = performance.now() - t0;
    if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at batch ${b}`);
    if (b === 0) { firstBatchMs = ms; firstStepLoss = loss; }
    total += ms;
    timer.add(B, ms, loss, b);
  }
  timer.flush(false);

  // Inference in evaluation mode (batch norm's running statistics), batches of inferBatch, warm-up passes then inferRuns timed.
  const n = run.inferImages;
  const { times, correct, warmup } = timeInference(model, parallel, data.test, { n, batch: fx.inferBatch, runs: args.inferRuns, warmup: args.inferWarmup, inputShape: fx.inputShape, classes: fx.classes });
  parallel?.close();
  process.stderr.write(`[${library}] inference: ${times.map((ms) => (n / (ms / 1000)).toFixed(0)).join(', ')} img/s, accuracy ${correct / n}\n`);

  finish({
    library, model: fx.model, backend: args.backend ?? 'wasm', threads: args.threads, simd: wasmStatus() === 'wasm',
    trainImages: run.trainImages, trainSeconds: round(total / 1000, 3),
    trainImagesPerSec: round(run.trainImages / (total / 1000), 1), trainImagesPerSecMedian: round(timer.medianImagesPerSec(), 1),
    firstBatchMs: round(firstBatchMs, 2), chunkImagesPerSec: timer.chunks.map((c) => round(c.imagesPerSec, 1)),
    inferImages: n, inferImagesPerSec: round(n / (median(times) / 1000), 1), inferImagesPerSecFused: null,
    initialLoss: round(initialLoss, 6), firstStepLoss: round(firstStepLoss, 6),
    finalChunkLoss: round(timer.chunks.at(-1)?.meanLoss ?? timer.partial?.meanLoss ?? NaN, 5),
    testAccuracy: round(correct / n, 4), peakRssMB: round(peakRssMB(), 1),
    notes: `kernels: ${wasmStatus()}; ${winograd ? `Winograd F(2x2,3x3) on ${winogradConvs} 3x3 stride-1 convs; ` : ''}inference: ${warmup} warm-up passes; ${fx.optimizer.name} lr ${fx.optimizer.lr} (no schedule); inference in eval mode${parallel ? `; batch norm per thread slice (DataParallel); ${typeof sharedStep?.trainStep === 'function' ? 'ParallelTrainer.trainStep (update shared out)' : 'computeGradients + optimizer.step() on the main thread'}` : ''}`,
  });
});
