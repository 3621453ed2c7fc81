// One library's side of the peer comparison in bench/pictures.ts: trains the default picture model
// (Normalize 'image' + five 3x3 convs with batch norm + global average pooling + dense, at 3x32x32)
// from the fixture the driver wrote (the same seeded weights, pictures, batches and optimiser for
// every library), one thread, and prints a JSON report as the last line of stdout.
//
//   npx tsx bench/pictures-peer.ts --fixture DIR --library miniconv|tfjs-wasm [--images N] [--warmup B]
//
// miniconv: trainStep (forward, backward, SGD step), the model built from the fixture's layer configs.
// tfjs-wasm: TF.js 4.22's wasm backend (XNNPACK, SIMD, 1 thread; bench/peers/tfjs-setup.ts), the same
//   network written with tf ops by bench/peers/tfjs-zoo-model.ts (its Normalize translation included),
//   NHWC; tf.variableGrads + tf.train.momentum (Nesterov) with L2 weight decay added by hand.
// Neither augments: the figure is the network's training step (the driver times miniconv's fit with
// the augmentation separately). Figures: img/s, the median over chunks of 8 batches after B untimed
// warm-up batches; the first batch's loss at the initial weights (batch norm in training mode), which
// must agree between the libraries (the driver checks it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ZooFixture } from './zoo-fixture.ts';
import { ChunkTimer, finish, median, round, runPeer } from './peers/common.ts';

const arg = (name: string, d?: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : d; };
const dir = arg('fixture');
const library = arg('library', 'miniconv')!;
if (!dir) throw new Error('usage: npx tsx bench/pictures-peer.ts --fixture DIR --library miniconv|tfjs-wasm [--images N] [--warmup B]');

/** What bench/pictures.ts writes: a zoo-style fixture (config, params, buffers, optimiser) and the pictures. */
export interface PictureFixture extends Pick<ZooFixture, 'config' | 'inputShape' | 'classes' | 'params' | 'buffers' | 'batchSize' | 'optimizer' | 'macsPerImage'> {
  count: number;
}

runPeer(library, { threads: 1 }, async () => {
  const fx = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as PictureFixture;
  const images = new Float32Array(readFileSync(join(dir, 'images.bin')).buffer.slice(0)); // (count, C, H, W)
  const labels = new Uint8Array(readFileSync(join(dir, 'labels.bin')));
  const [C, H, W] = fx.inputShape, per = C * H * W, B = fx.batchSize;
  if (images.length !== fx.count * per || labels.length !== fx.count) throw new Error(`${dir}: images.bin or labels.bin do not hold ${fx.count} pictures of ${fx.inputShape.join('x')}`);
  const want = Number(arg('images', String(fx.count))), warm = Number(arg('warmup', '3'));
  const batches = Math.floor(want / B);
  // Batch b takes pictures (b * B .. b * B + B) mod count: the same batches for every library.
  const at = (b: number, i: number) => (b * B + i) % fx.count;
  const steps: Array<(b: number) => number> = [];
  let initialLoss: number;
  let what: string;

  if (library === 'miniconv') {
    const { Tensor, softmaxCrossEntropy } = await import('../src/index.ts');
    const { trainStep } = await import('../src/train/step.ts');
    const { createOptimizer } = await import('../src/optim/factory.ts');
    const { zooModelFromFixture } = await import('./zoo-fixture.ts');
    const { wasmStatus } = await import('../src/kernels/index.ts');
    const model = zooModelFromFixture(fx);
    const o = fx.optimizer;
    const opt = createOptimizer(o.name, model.params(), { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
    const x = new Tensor([B, C, H, W]);
    const y = new Uint8Array(B);
    const fill = (b: number) => { for (let i = 0; i < B; i++) { const k = at(b, i); x.data.set(images.subarray(k * per, (k + 1) * per), i * per); y[i] = labels[k]; } };
    fill(0);
    const saved = model.buffers().map((t) => t.value.data.slice());
    model.train();
    initialLoss = softmaxCrossEntropy(model.forward(x), y).loss;
    model.buffers().forEach((t, i) => t.value.data.set(saved[i]));
    steps.push((b) => { fill(b); return trainStep(model, opt, x, y).loss; });
    what = `miniconv, kernels ${wasmStatus()}, trainStep, ${o.name} lr ${o.lr} momentum ${o.momentum}${o.nesterov ? ' nesterov' : ''} weight decay ${o.weightDecay}`;
  } else if (library === 'tfjs-wasm') {
    const tf = await import('@tensorflow/tfjs-core');
    const { setupTfjs } = await import('./peers/tfjs-setup.ts');
    const { ZOO_GRADIENTS, buildTfZooModel, makeTfOptimizer } = await import('./peers/tfjs-zoo-model.ts');
    const setup = await setupTfjs('wasm', 1, { gradients: ZOO_GRADIENTS });
    const m = buildTfZooModel(fx);
    const opt = makeTfOptimizer(fx);
    // The pictures in NHWC, once.
    const nhwc = new Float32Array(images.length);
    for (let k = 0; k < fx.count; k++) for (let c = 0; c < C; c++) for (let j = 0; j < H * W; j++) nhwc[k * per + j * C + c] = images[k * per + c * H * W + j];
    const xbuf = new Float32Array(B * per), ybuf = new Int32Array(B);
    const fill = (b: number) => { for (let i = 0; i < B; i++) { const k = at(b, i); xbuf.set(nhwc.subarray(k * per, (k + 1) * per), i * per); ybuf[i] = labels[k]; } };
    const loss = (training: boolean) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ybuf, 'int32'), fx.classes), m.logits(tf.tensor4d(xbuf, [B, H, W, C]), training));
    fill(0);
    initialLoss = tf.tidy(() => loss(true).dataSync()[0]);
    m.updateRunningStats(false);
    steps.push((b) => {
      fill(b);
      const cost = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => loss(true) as import('@tensorflow/tfjs-core').Scalar, m.vars);
        opt.step(grads, m.vars);
        m.updateRunningStats();
        return value;
      });
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    });
    what = `TF.js ${tf.version_core} ${setup.backend} (${setup.wasmBinary}), ${setup.threads} thread; ${opt.what}; ${setup.notes.join('; ')}`;
  } else {
    throw new Error(`--library must be miniconv or tfjs-wasm, got '${library}'`);
  }

  const step = steps[0];
  for (let b = 0; b < warm; b++) step(b); // untimed: compiles, allocates
  const timer = new ChunkTimer(8, library, batches * B);
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    const l = step(warm + b);
    const ms = performance.now() - t0;
    if (!Number.isFinite(l)) throw new Error(`loss became ${l} at batch ${b}`);
    timer.add(B, ms, l, b);
  }
  timer.flush(false);
  finish({
    library, threads: 1, images: batches * B, batchSize: B, warmupBatches: warm,
    trainImagesPerSecMedian: round(timer.medianImagesPerSec(), 1),
    chunkImagesPerSec: timer.chunks.map((c) => round(c.imagesPerSec, 1)),
    spread: timer.chunks.length ? [round(Math.min(...timer.chunks.map((c) => c.imagesPerSec)), 1), round(median(timer.chunks.map((c) => c.imagesPerSec)), 1), round(Math.max(...timer.chunks.map((c) => c.imagesPerSec)), 1)] : null,
    initialLoss: round(initialLoss, 6), what,
  });
});
