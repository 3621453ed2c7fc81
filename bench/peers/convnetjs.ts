// ConvNetJS peer: trains the reference network (ConvNetJS's own MNIST demo) with convnetjs@0.3.0
// (float64, one image at a time, its own Trainer) and prints a JSON report as the last line of
// stdout (progress goes to stderr).
//
//   npx tsx bench/peers/convnetjs.ts --fixture FILE [--train-images N] [--infer-images N] [--infer-runs 7]
//
// The Trainer accumulates gradients over batch_size images and divides by batch_size (= a mean
// loss); its momentum update gsum = mu*gsum - lr*g; w += gsum equals PyTorch's v = mu*v + g; w -= lr*v.
import convnetjs from 'convnetjs';
import type { Net, Vol } from 'convnetjs';
import {
  C1, C2, CLASSES, ChunkTimer, FLAT, IMG, K, P2, PIXELS, chunkBatches, convFilterToConvnet, denseRowToConvnet, finish, loadData,
  loadFixture, median, parseArgs, peakRssMB, resolveRun, round, runPeer, warmUp, type Fixture,
} from './common.ts';

const library = 'convnetjs';
const args = parseArgs();

/** The demo's layer stack; ConvNetJS inserts a ReLU after each conv and an fc(10) before the softmax. */
export function buildNet(fx: Fixture): Net {
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: IMG, out_sy: IMG, out_depth: 1 },
    { type: 'conv', sx: K, filters: C1, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: K, filters: C2, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 3, stride: 3 },
    { type: 'softmax', num_classes: CLASSES },
  ]);
  const types = net.layers.map((l) => l.layer_type).join(',');
  if (types !== 'input,conv,relu,pool,conv,relu,pool,fc,softmax') throw new Error(`unexpected ConvNetJS layer stack ${types}`);
  const [, conv1, , pool1, conv2, , pool2, fc] = net.layers;
  const shape = (l: { out_sx: number; out_sy: number; out_depth: number }) => `${l.out_sx}x${l.out_sy}x${l.out_depth}`;
  if (shape(pool1) !== '14x14x8' || shape(conv2) !== '14x14x16' || shape(pool2) !== `${P2}x${P2}x${C2}`) {
    throw new Error(`unexpected ConvNetJS shapes: pool1 ${shape(pool1)}, conv2 ${shape(conv2)}, pool2 ${shape(pool2)}`);
  }
  // Overwrite every parameter (ConvNetJS initialised them with Math.random) from the fixture.
  const W = fx.weights;
  const setConv = (layer: typeof conv1, w: number[], b: number[], f: number, c: number) => {
    const filters = layer.filters!;
    if (filters.length !== f || filters[0].sx !== K || filters[0].sy !== K || filters[0].depth !== c) throw new Error('unexpected ConvNetJS conv filter shape');
    for (let o = 0; o < f; o++) convFilterToConvnet(w, o, c, K, K, filters[o].w);
    layer.biases!.w.set(b);
  };
  setConv(conv1, W['conv1.weight'], W['conv1.bias'], C1, 1);
  setConv(conv2, W['conv2.weight'], W['conv2.bias'], C2, C1);
  const neurons = fc.filters!;
  if (neurons.length !== CLASSES || neurons[0].w.length !== FLAT) throw new Error('unexpected ConvNetJS fc shape');
  // The fc layer reads the pool output Vol in its HWC storage order.
  for (let o = 0; o < CLASSES; o++) denseRowToConvnet(W['dense.weight'], o, C2, P2, P2, neurons[o].w);
  fc.biases!.w.set(W['dense.bias']);
  return net;
}

/** A Vol holding image `idx` of a set (C=1, so the NCHW image is also ConvNetJS's (x, y, d) order). */
function toVol(images: Float32Array, idx: number): Vol {
  const v = new convnetjs.Vol(IMG, IMG, 1, 0.0);
  v.w.set(images.subarray(idx * PIXELS, (idx + 1) * PIXELS));
  return v;
}

runPeer(library, { backend: 'js', threads: 1 }, async () => {
  const fx = loadFixture(args.fixture);
  const data = loadData();
  const run = resolveRun(fx, args, data);
  const B = fx.batchSize;
  process.stderr.write(`[${library}] convnetjs ${convnetjs.REVISION}; training ${run.trainImages} images in batches of ${B}\n`);
  const net = buildNet(fx);
  const trainer = new convnetjs.Trainer(net, { method: 'sgd', learning_rate: fx.lr, momentum: fx.momentum, batch_size: B, l1_decay: 0, l2_decay: 0 });
  const timer = new ChunkTimer(chunkBatches(B, run.batches), library, run.trainImages);

  let trainMs = 0, initialLoss = NaN, firstBatchMs = NaN;
  for (let b = 0; b < run.batches; b++) {
    const t0 = performance.now();
    let loss = 0;
    for (let j = 0; j < B; j++) {
      const idx = run.order[b * B + j];
      loss += trainer.train(toVol(data.train.images, idx), data.train.labels[idx]).cost_loss;
    }
    const ms = performance.now() - t0;
    loss /= B;
    // The update happens after the batch's last image, so batch 0's losses are all at the initial weights.
    if (b === 0) { initialLoss = loss; firstBatchMs = ms; }
    if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at batch ${b}`);
    trainMs += ms;
    timer.add(B, ms, loss, b);
  }
  timer.flush(false);

  // ConvNetJS has no batched inference: one forward pass per image. Warm-up passes first (common.ts's warmUp).
  const inferPass = (): number => {
    let correct = 0;
    for (let i = 0; i < run.inferImages; i++) {
      net.forward(toVol(data.test.images, i), false);
      if (net.getPrediction() === data.test.labels[i]) correct++;
    }
    return correct;
  };
  const warmup = warmUp(inferPass, args.inferWarmup);
  const passes = Array.from({ length: args.inferRuns }, () => {
    const t0 = performance.now();
    const correct = inferPass();
    return { ms: performance.now() - t0, accuracy: correct / run.inferImages };
  });
  const rates = passes.map((p) => run.inferImages / (p.ms / 1000));
  process.stderr.write(`[${library}] inference: ${rates.map((r) => r.toFixed(0)).join(', ')} img/s, accuracy ${passes[0].accuracy}\n`);

  finish({
    library,
    backend: 'js',
    threads: 1,
    simd: false,
    trainImages: run.trainImages,
    trainSeconds: round(trainMs / 1000, 3),
    trainImagesPerSec: round(run.trainImages / (trainMs / 1000), 1),
    trainImagesPerSecMedian: round(timer.medianImagesPerSec(), 1),
    inferImages: run.inferImages,
    inferImagesPerSec: round(median(rates), 1),
    inferImagesPerSecFused: null,
    testAccuracy: passes[0].accuracy,
    peakRssMB: round(peakRssMB(), 1),
    initialLoss,
    finalChunkLoss: round(timer.chunks.at(-1)?.meanLoss ?? timer.partial?.meanLoss ?? NaN, 5),
    firstBatchMs: round(firstBatchMs, 1),
    chunkImagesPerSec: timer.chunks.map((c) => round(c.imagesPerSec, 1)),
    batchSize: B,
    inferBatch: 1,
    notes: [
      `convnetjs 0.3.0 (REVISION ${convnetjs.REVISION}); float64 (Float64Array Vols); one image at a time; Trainer sgd lr ${fx.lr} momentum ${fx.momentum} batch_size ${B} l2_decay 0`,
      'all batches timed, including the first; timing includes building each input Vol from the dataset',
      `inference: ${warmup} untimed warm-up passes, then ${args.inferRuns} passes over ${run.inferImages} test images one at a time (fixture inferBatch ${fx.inferBatch} does not apply), median`,
    ].join('; '),
  });
});
