// `inspect` on the zoo's networks: grouped and depthwise kernels drawn one block per group or one
// kernel per channel, convolutions inside residual blocks found, and batch-norm statistics in the
// report, checked against the layers' own numbers.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadDigits } from '../datasets/mnist.ts';
import { BatchNorm2D, Conv2D, Tensor, createRng } from '../src/index.ts';
import { saveModel } from '../src/io/model-file.ts';
import { buildReport, renderKernelsPng } from '../src/inspect/index.ts';
import { groupedKernels } from '../src/inspect/kernels.ts';
import { leafLayers, leavesOf } from '../src/inspect/layer-tree.ts';
import { batchNormRows } from '../src/inspect/report-batchnorm.ts';
import { inspectModelFile } from '../src/inspect/inspect-model.ts';
import { takeFirst } from '../src/dataset.ts';
import { trainStep } from '../src/train/index.ts';
import { zooModel } from '../src/train/zoo.ts';
import { createOptimizer } from '../src/optim/factory.ts';

const { train, test } = loadDigits();

describe('grouped and depthwise kernels', () => {
  const rng = createRng(5);
  it('a grouped conv is split into one (F/G, C/G, KH, KW) block per group, each headed by its filters and channels', () => {
    const conv = new Conv2D({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2, rng, name: 'g' });
    const { weights, labels } = groupedKernels(conv);
    expect(weights.map((w) => w.shape)).toEqual([[3, 2, 3, 3], [3, 2, 3, 3]]);
    expect(labels).toEqual(['g  group 0: f0-2 on c0-1', 'group 1: f3-5 on c2-3']);
    // Block 1 holds filters 3..5 of the weight, in order.
    expect(Array.from(weights[1].data)).toEqual(Array.from(conv.weight.value.data.slice(3 * 2 * 9)));
    const png = PNG.sync.read(renderKernelsPng(conv));
    const plain = PNG.sync.read(renderKernelsPng(new Conv2D({ inChannels: 2, outChannels: 3, kernelSize: 3, rng, name: 'g' })));
    expect(png.width).toBeGreaterThan(1.5 * plain.width); // two blocks side by side
  }, 120_000);

  it('a depthwise conv is one compact grid of its C kernels, each on its own channel', () => {
    const conv = new Conv2D({ inChannels: 8, outChannels: 8, kernelSize: 3, groups: 8, rng, name: 'dw' });
    const { weights, labels } = groupedKernels(conv);
    expect(weights).toHaveLength(1);
    expect(weights[0].shape).toEqual([8, 1, 3, 3]);
    expect(labels).toEqual(['dw  depthwise 8×1×3×3: kernel f filters channel f']);
    const multiplier = new Conv2D({ inChannels: 4, outChannels: 8, kernelSize: 3, groups: 4, rng, name: 'dm' });
    expect(groupedKernels(multiplier).labels).toEqual(['dm  depthwise 8×1×3×3: kernel f filters channel floor(f / 2)']);
    const ungrouped = new Conv2D({ inChannels: 3, outChannels: 2, kernelSize: 5, rng, name: 'c' });
    expect(groupedKernels(ungrouped).labels).toEqual(['c  2×3×5×5']);
  }, 120_000);
});

describe('the report of a zoo network', () => {
  it('finds the convolutions and batch norms inside residual blocks, by path', () => {
    const model = zooModel('resnet-mini').build(1);
    const convs = leavesOf(model, Conv2D).map((l) => l.path);
    expect(convs).toEqual([
      'conv2d_1', 'residual_1.block.conv2d_1', 'residual_1.block.conv2d_2',
      'residual_2.block.conv2d_1', 'residual_2.block.conv2d_2', 'residual_2.shortcut.conv2d_1',
    ]);
    expect(leavesOf(model, BatchNorm2D)).toHaveLength(6);
    // Every path is the prefix of the layer's parameter names.
    for (const { layer, path } of leafLayers(model)) for (const p of layer.params()) expect(p.name.startsWith(`${path}.`)).toBe(true);
  }, 120_000);

  it('mobilenet-mini: depthwise kernels and batch-norm statistics in report.html, equal to the layers\' numbers', () => {
    const model = zooModel('mobilenet-mini').build(2);
    const d = zooModel('mobilenet-mini').defaults;
    const opt = createOptimizer(d.optimizer, model.params(), { lr: d.lr, weightDecay: d.weightDecay });
    const x = new Tensor([32, 1, 28, 28], train.images.slice(0, 32 * 784));
    for (let i = 0; i < 3; i++) trainStep(model, opt, x, train.labels.slice(0, 32)); // moves gamma, beta and the running statistics
    const report = buildReport({
      model, inputShape: [1, 28, 28], metadata: {}, title: 'mobilenet', digit: { pixels: test.images.slice(0, 784), source: 'test digit #0', label: test.labels[0] },
      testSet: { set: takeFirst(test, 50), name: 'test digits' },
    });
    expect(report.files.map((f) => f.name)).toEqual(expect.arrayContaining(['kernels-conv2d_1.png', 'kernels-conv2d_2.png', 'kernels-conv2d_3.png']));
    expect(report.html).toContain('<b>conv2d_2</b>: depthwise (groups = 16): 16 kernels of 3×3, each filtering one channel');
    expect(report.html).toContain('<b>conv2d_3</b>: 32 filters of 16×1×1');
    expect(report.html).toContain('<h2>Batch normalisation</h2>');

    const bn = leavesOf(model, BatchNorm2D)[1].layer; // after the first depthwise conv
    const rows = batchNormRows(bn);
    expect(rows).toHaveLength(16);
    expect(rows[3].gamma).toBe(bn.weight.value.data[3]);
    expect(rows[3].mean).toBe(bn.runningMean.data[3]);
    expect(rows[3].mean).not.toBe(0); // three training steps moved it
    expect(rows[3].scale).toBeCloseTo(bn.weight.value.data[3] / Math.sqrt(bn.runningVar.data[3] + bn.eps), 6);
    expect(rows[3].shift).toBeCloseTo(rows[3].beta - rows[3].scale * rows[3].mean, 6);
    // The evaluation-mode layer is exactly scale * x + shift, channel by channel.
    bn.eval();
    const probe = new Tensor([1, 16, 1, 1], Float32Array.from({ length: 16 }, (_, c) => c - 7.5));
    const y = bn.forward(probe).data;
    for (const r of rows) expect(y[r.c]).toBeCloseTo(r.scale * (r.c - 7.5) + r.shift, 4);
    // Its table sits in the page: one row per channel, with the running variance of channel 0.
    const section = report.html.slice(report.html.indexOf('<h2>Batch normalisation</h2>'));
    expect(section).toContain('<b>batchnorm2d_2</b>: 16 channels');
    expect(section.match(/<table class="batchnorm">/g)).toHaveLength(leavesOf(model, BatchNorm2D).length);
  }, 120_000);

  it('inspect on a saved resnet-mini writes the residual blocks\' kernels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-inspect-zoo-'));
    const file = join(dir, 'resnet.json');
    saveModel(file, zooModel('resnet-mini').build(1), [1, 28, 28]);
    const r = inspectModelFile(file, { testSet: takeFirst(test, 20), outDir: join(dir, 'out') });
    const names = r.written.map((p) => p.slice(p.lastIndexOf('/') + 1));
    expect(names).toEqual(expect.arrayContaining(['kernels-residual_1.block.conv2d_1.png', 'kernels-residual_2.shortcut.conv2d_1.png', 'report.html']));
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<b>residual_2.shortcut.conv2d_1</b>: 32 filters of 16×1×1');
    expect(html).toContain('<b>residual_2.shortcut.batchnorm2d_1</b>: 32 channels');
  }, 120_000);
});
