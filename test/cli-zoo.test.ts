// The model zoo (src/train/zoo.ts) and `miniconv train --model / --arch / --optimizer / --schedule`.
// Training the zoo to accuracy takes minutes per model (README's "Model zoo" gives the measured
// figures); here each model builds with its documented size, learns on a few batches, and survives a
// save and a load, and the command line takes and refuses what it should.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/index.ts';
import { loadModel, saveModel } from '../src/io/model-file.ts';
import { SGD } from '../src/optim/sgd.ts';
import { exponentialLR } from '../src/optim/schedules.ts';
import { fit, trainStep } from '../src/train/index.ts';
import { takeFirst } from '../src/dataset.ts';
import { ZOO, ZOO_NAMES, zooModel } from '../src/train/zoo.ts';
import { createOptimizer } from '../src/optim/factory.ts';
import { scheduleFromSpec } from '../src/optim/schedule-spec.ts';
import { modelFromArchitecture } from '../src/layers/from-config.ts';
import { createDigitModel } from '../src/train/digit-model.ts';
import { Conv2D } from '../src/layers/conv2d.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { encodeIdx } from '../datasets/idx.ts';
import { runCli as run } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-zoo-'));
const { train, test } = loadDigits();


/**
 * Parameters and multiply-adds per image of a network, computed from its config (the layer options a
 * model file stores) by the textbook formulas, not by the layers' own params() and macs():
 *   Conv2D  F * C/G * KH * KW weights (+ F biases), each used OH * OW times per image
 *   Dense   IN * OUT weights (+ OUT biases), each used once
 *   BatchNorm2D  gamma and beta, C each (its running statistics are buffers, not parameters)
 * The shape is followed through the pools, Flatten and GlobalAvgPool2D; a Residual costs its block
 * plus its shortcut.
 */
type Config = { type: string; [k: string]: unknown };
function costOf(cfg: Config, shape: number[]): { params: number; macs: number; shape: number[] } {
  const pair = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number, v as number]);
  switch (cfg.type) {
    case 'Sequential': {
      let params = 0, macs = 0, s = shape;
      for (const l of cfg.layers as Config[]) { const c = costOf(l, s); params += c.params; macs += c.macs; s = c.shape; }
      return { params, macs, shape: s };
    }
    case 'Residual': {
      const block = costOf(cfg.block as Config, shape);
      const shortcut = cfg.shortcut ? costOf(cfg.shortcut as Config, shape) : { params: 0, macs: 0 };
      return { params: block.params + shortcut.params, macs: block.macs + shortcut.macs, shape: block.shape };
    }
    case 'Conv2D': {
      const [C, H, W] = shape, F = cfg.outChannels as number, G = cfg.groups as number;
      const [KH, KW] = pair(cfg.kernelSize), [SH, SW] = pair(cfg.stride), [PH, PW] = pair(cfg.padding), [DH, DW] = pair(cfg.dilation);
      const OH = Math.floor((H + 2 * PH - DH * (KH - 1) - 1) / SH) + 1, OW = Math.floor((W + 2 * PW - DW * (KW - 1) - 1) / SW) + 1;
      const weights = F * (C / G) * KH * KW;
      return { params: weights + (cfg.bias ? F : 0), macs: weights * OH * OW, shape: [F, OH, OW] };
    }
    case 'Dense': {
      const IN = cfg.inFeatures as number, OUT = cfg.outFeatures as number;
      return { params: IN * OUT + OUT, macs: IN * OUT, shape: [OUT] };
    }
    case 'BatchNorm2D': return { params: 2 * shape[0], macs: 0, shape };
    case 'MaxPool2D': case 'AvgPool2D': {
      const [C, H, W] = shape, [KH, KW] = pair(cfg.kernelSize), [SH, SW] = pair(cfg.stride ?? cfg.kernelSize);
      return { params: 0, macs: 0, shape: [C, Math.floor((H - KH) / SH) + 1, Math.floor((W - KW) / SW) + 1] };
    }
    case 'GlobalAvgPool2D': return { params: 0, macs: 0, shape: [shape[0]] };
    case 'Flatten': return { params: 0, macs: 0, shape: [shape.reduce((a, b) => a * b, 1)] };
    case 'ReLU': case 'Tanh': case 'Sigmoid': case 'Dropout': return { params: 0, macs: 0, shape };
    default: throw new Error(`costOf: no formula for a ${cfg.type} layer`);
  }
}

const ZOO_SOURCE = readFileSync(new URL('../src/train/zoo.ts', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ZOO_README = README.slice(README.indexOf('## Model zoo'), README.indexOf('\n## ', README.indexOf('## Model zoo') + 1));

describe('the model zoo', () => {
  it('lists every model the command line offers, the default first', () => {
    expect(ZOO_NAMES).toEqual(['digits', 'lenet5', 'vgg-mini', 'resnet-mini', 'mobilenet-mini']);
    expect(() => zooModel('alexnet')).toThrow(/unknown model 'alexnet', expected one of digits, lenet5, vgg-mini, resnet-mini, mobilenet-mini/);
  }, 120_000);

  for (const name of ZOO_NAMES) {
    it(`${name}: the size computed from its layers, as README and zoo.ts give it; the same weights for a seed; (N, 10) out`, () => {
      const model = zooModel(name).build(1);
      const { params, macs, shape } = costOf(model.config() as Config, [1, 28, 28]);
      expect(shape).toEqual([10]);
      expect(model.params().reduce((a, p) => a + p.value.size, 0)).toBe(params);
      expect(model.macs([1, 1, 28, 28])).toBe(macs);
      expect(model.summary([1, 28, 28], false)).toContain(`Mult-adds per image: ${macs.toLocaleString('en-US')}`);
      expect(model.outputShape([5, 1, 28, 28])).toEqual([5, 10]);
      // README's zoo table row, and the builder's doc comment (digits' is digit-model.ts's), state these figures.
      const row = ZOO_README.split('\n').find((l) => l.startsWith(`| \`${name}\``));
      expect(row, `README's Model zoo row for ${name}`).toBeDefined();
      expect(row).toContain(`| ${params.toLocaleString('en-US')} | ${macs.toLocaleString('en-US')} |`);
      if (name !== 'digits') expect(ZOO_SOURCE).toContain(`${params.toLocaleString('en-US')} parameters, ${macs.toLocaleString('en-US')} multiply-adds per image`);
      const again = zooModel(name).build(1), other = zooModel(name).build(2);
      expect(again.params().map((p) => Array.from(p.value.data))).toEqual(model.params().map((p) => Array.from(p.value.data)));
      expect(other.params()[0].value.data).not.toEqual(model.params()[0].value.data);
    }, 120_000);
  }

  it("is part of the digit application's entry (miniconv/digits)", async () => {
    const digits = await import('../src/digits.ts');
    expect(digits.ZOO).toBe(ZOO);
    expect(typeof digits.createMobilenetMini).toBe('function');
    expect(typeof digits.scheduleFromSpec).toBe('function');
  }, 120_000);

  it('digits is the default model itself, unchanged', () => {
    const a = ZOO.digits.build(7), b = createDigitModel(7);
    expect(a.config()).toEqual(b.config());
    expect(a.params().map((p) => Array.from(p.value.data))).toEqual(b.params().map((p) => Array.from(p.value.data)));
    expect(ZOO.digits.defaults).toMatchObject({ epochs: 15, batchSize: 64, optimizer: 'sgd', lr: 0.04, momentum: 0.9, nesterov: false, schedule: 'cosine', augment: 'elastic' });
  }, 120_000);

  it('the depthwise blocks of mobilenet-mini are grouped convs, one group per channel', () => {
    const convs = zooModel('mobilenet-mini').build(1).config().layers as { type: string; groups?: number; inChannels?: number; kernelSize?: number[] }[];
    const depthwise = convs.filter((c) => c.type === 'Conv2D' && c.groups !== undefined && c.groups > 1);
    expect(depthwise.map((c) => [c.groups, c.inChannels])).toEqual([[16, 16], [32, 32], [32, 32], [64, 64], [64, 64]]);
  }, 120_000);

  // One fixed batch of 32 digits, 10 steps with each model's own optimiser and learning rate: the loss
  // must fall (a model with a wrong gradient or a wrong default rate does not).
  const x = new Tensor([32, 1, 28, 28], train.images.slice(0, 32 * 784));
  const y = train.labels.slice(0, 32);
  for (const name of ZOO_NAMES) {
    it(`${name}: its defaults lower the loss on a batch, and it saves and loads`, () => {
      const zoo = zooModel(name), d = zoo.defaults;
      const model = zoo.build(3);
      const opt = createOptimizer(d.optimizer, model.params(), { lr: d.lr, momentum: d.momentum, nesterov: d.nesterov, weightDecay: d.weightDecay });
      const losses: number[] = [];
      for (let step = 0; step < 10; step++) losses.push(trainStep(model, opt, x, y).loss);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[9], losses.join(' ')).toBeLessThan(0.85 * losses[0]);

      const file = join(dir, `${name}.json`);
      saveModel(file, model, [1, 28, 28], { model: name });
      const loaded = loadModel(file);
      expect(loaded.metadata.model).toBe(name);
      model.eval(); loaded.model.eval();
      const probe = new Tensor([4, 1, 28, 28], test.images.slice(0, 4 * 784));
      expect(Array.from(loaded.model.forward(probe).data)).toEqual(Array.from(model.forward(probe).data));
    }, 120_000);
  }
});

describe('schedules from the command line, and fit({ schedule })', () => {
  it('reads every form, and refuses anything else naming what it expected', () => {
    expect(scheduleFromSpec('constant', 0.1, 5)(4)).toBe(0.1);
    expect([0, 1, 2, 3].map(scheduleFromSpec('step:2:0.5', 0.1, 4))).toEqual([0.1, 0.1, 0.05, 0.05]);
    expect(scheduleFromSpec('exp:0.5', 1, 4)(3)).toBe(0.125);
    expect(scheduleFromSpec('cosine', 1, 4)(2)).toBeCloseTo(0.5, 12);
    expect(scheduleFromSpec('cosine', 1, 4)(0)).toBe(1);
    const w = scheduleFromSpec('warmup-cosine:2', 1, 6);
    expect(w(0)).toBeCloseTo(0.1, 12);
    expect(w(2)).toBe(1);
    expect(w(4)).toBeCloseTo(0.5, 12);
    for (const [spec, why] of [
      ['cosin', "unknown kind 'cosin'"], ['step:2', "'step' takes 2 values after it, got 1"], ['exp:1.5', "G must be a number in (0, 1], got '1.5'"],
      ['exp:', "G must be a number in (0, 1], got ''"], ['step:0:0.5', "S must be an integer >= 1, got '0'"], ['warmup-cosine:5', 'the warm-up (5 epochs) must be shorter than the run (5 epochs)'],
      ['cosine:3', "'cosine' takes 0 values after it, got 1"], ['', "unknown kind ''"],
    ]) {
      expect(() => scheduleFromSpec(spec, 0.1, 5), spec).toThrow(`schedule '${spec}': ${why}; expected one of constant, step:S:G`);
    }
  }, 120_000);

  it('fit sets the rate from the schedule before each epoch; exponentialLR trains as lrDecay does', () => {
    const small = takeFirst(train, 64);
    const rates: number[] = [];
    const runWith = (o: { schedule?: (e: number) => number; lrDecay?: number }) => {
      const model = zooModel('lenet5').build(1);
      const optimizer = new SGD(model.params(), { lr: 0.1, momentum: 0.9 });
      fit(model, small, { epochs: 3, batchSize: 32, optimizer, seed: 1, ...o, onBatchEnd: (b) => { if (b.batch === 1 && o.schedule) rates.push(optimizer.lr); } });
      return model.params().map((p) => Array.from(p.value.data));
    };
    const a = runWith({ schedule: exponentialLR(0.1, { gamma: 0.5 }) });
    expect(rates).toEqual([0.1, 0.05, 0.025]);
    const b = runWith({ lrDecay: 0.5 });
    expect(a).toEqual(b);
    const model = zooModel('lenet5').build(1);
    const optimizer = new SGD(model.params(), { lr: 0.1 });
    expect(() => fit(model, small, { epochs: 1, batchSize: 32, optimizer, schedule: exponentialLR(0.1, { gamma: 0.5 }), lrDecay: 0.9 }))
      .toThrow('fit: give either schedule or lrDecay (0.9), not both');
    expect(() => fit(model, small, { epochs: 1, batchSize: 32, optimizer, schedule: 0.1 as unknown as (e: number) => number }))
      .toThrow('fit: schedule must be a function of the epoch');
  }, 120_000);
});

describe('--arch: a network of your own', () => {
  const example = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'examples', 'arch-small-cnn.json'), 'utf8')) as { architecture: { layers: unknown[] } };

  it('builds the example file, He-normal weights from the seed, batch norm at gamma 1', () => {
    const model = modelFromArchitecture(example, 1, { inputShape: [1, 28, 28], classes: 10 });
    expect(model.outputShape([2, 1, 28, 28])).toEqual([2, 10]);
    const w = model.params()[0].value.data;
    const std = Math.sqrt(Array.from(w).reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.2); // He normal for 1x3x3: sqrt(2 / 9) = 0.47; zeros would be 0
    expect(Array.from(model.params().find((p) => p.name === 'batchnorm2d_1.weight')!.value.data)).toEqual(new Array(8).fill(1));
    expect(modelFromArchitecture(example, 1, { inputShape: [1, 28, 28], classes: 10 }).params()[0].value.data).toEqual(w);
    expect(modelFromArchitecture(example, 2, { inputShape: [1, 28, 28], classes: 10 }).params()[0].value.data).not.toEqual(w);
  }, 120_000);

  it('refuses a bad document, naming what was wrong', () => {
    const build = (doc: unknown) => () => modelFromArchitecture(doc, 1, { inputShape: [1, 28, 28], classes: 10 }, 'net.json');
    expect(build([1, 2])).toThrow('net.json: expected a JSON object { "inputShape": [1, 28, 28], "architecture"');
    expect(build({ architecture: { type: 'Sequential', layers: [] } })).toThrow('net.json: "architecture" must be { "type": "Sequential", "layers"');
    expect(build({ ...example, inputShape: [3, 32, 32] })).toThrow('net.json: inputShape is [3,32,32], but the data\'s images are [1,28,28]');
    expect(build({ architecture: { type: 'Sequential', layers: [{ type: 'Conv3D' }] } })).toThrow('net.json: layer 0 has unknown type "Conv3D"');
    expect(build({ architecture: { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Dense', inFeatures: 784, outFeatures: 7 }] } }))
      .toThrow('net.json: the network\'s output is [N, 7], expected [N, 10]');
    expect(build({ architecture: { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Dense', inFeatures: 100, outFeatures: 10 }] } }))
      .toThrow(/^net.json: the layers do not fit a \[N, 1, 28, 28\] input: /);
  }, 120_000);
});

describe('miniconv train --model, --arch, --optimizer, --schedule', () => {
  // A tiny IDX data set (64 train, 32 test digits), so that a command-line run takes a second.
  const data = join(dir, 'idx');
  mkdirSync(data);
  const a = encodeIdx(takeFirst(train, 64)), b = encodeIdx(takeFirst(test, 32));
  writeFileSync(join(data, 'train-images-idx3-ubyte'), a.images); writeFileSync(join(data, 'train-labels-idx1-ubyte'), a.labels);
  writeFileSync(join(data, 't10k-images-idx3-ubyte'), b.images); writeFileSync(join(data, 't10k-labels-idx1-ubyte'), b.labels);

  it('bad values exit with code 2 and say what was expected', async () => {
    const cases: [string[], string][] = [
      [['--model', 'alexnet'], "--model must be one of digits, lenet5, vgg-mini, resnet-mini, mobilenet-mini, got 'alexnet'"],
      [['--optimizer', 'rmsprop'], "--optimizer must be one of sgd, adam, adamw, got 'rmsprop'"],
      [['--schedule', 'cosin'], "--schedule: schedule 'cosin': unknown kind 'cosin'; expected one of constant, step:S:G"],
      [['--schedule', 'step:3'], "--schedule: schedule 'step:3': 'step' takes 2 values after it, got 1"],
      [['--schedule', 'exp:2'], "G must be a number in (0, 1], got '2'"],
      [['--schedule', 'warmup-cosine:20'], 'the warm-up (20 epochs) must be shorter than the run (15 epochs)'],
      [['--schedule', ''], '--schedule needs a schedule such as cosine, got an empty string'],
      [['--schedule', 'cosine', '--lr-decay', '0.9'], 'give either --schedule or --lr-decay, not both'],
      [['--model', 'lenet5', '--arch', 'x.json'], 'give either --model or --arch, not both'],
      [['--optimizer', 'adam', '--momentum', '0.9'], '--momentum is for --optimizer sgd'],
      [['--model', 'mobilenet-mini', '--optimizer', 'adamw', '--momentum', '0.5'], '--momentum is for --optimizer sgd; adamw keeps its own running averages'],
      [['--model', 'lenet5', '--optimizer', 'adam', '--momentum', '0.5'], '--momentum is for --optimizer sgd; adam keeps its own running averages'],
      [['--arch', ''], '--arch needs a JSON file, got an empty string'],
    ];
    for (const [argv, message] of cases) {
      const r = await run('train', '--data', data, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toContain(message);
      expect(r.err).toMatch(/\n\nUsage: miniconv train /);
    }
  }, 120_000);

  it('a missing or bad --arch file is one line and exit code 1', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "architecture": ');
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ architecture: { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Dense', inFeatures: 784, outFeatures: 3 }] } }));
    for (const [file, message] of [[join(dir, 'none.json'), '--arch: no such file'], [bad, 'is not valid JSON'], [wrong, "the network's output is [N, 3], expected [N, 10]"], [dir, 'is not a regular file']]) {
      const r = await run('train', '--data', data, '--arch', file, '--epochs', '1');
      expect(r.code, file).toBe(1);
      expect(r.err).toContain(message);
      expect(r.err).not.toContain('\n');
    }
  }, 120_000);

  it('--model lenet5 trains with its own defaults and records them', async () => {
    const out = join(dir, 'lenet5-cli.json');
    const r = await run('train', '--model', 'lenet5', '--data', data, '--epochs', '2', '--out', out, '--threads', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Training model lenet5 on the MNIST IDX files');
    const d = ZOO.lenet5.defaults;
    expect(r.out).toContain(`Optimiser ${d.optimizer} lr ${d.lr}, schedule ${d.schedule}, 2 epochs, batch ${d.batchSize}, augment ${d.augment}`);
    expect(r.out).toMatch(/tanh_1 \(Tanh\)/);
    expect(r.out).toMatch(/epoch 2\/2: train loss [\d.]+/);
    const meta = loadModel(out).metadata;
    expect(meta.model).toBe('lenet5');
    expect(meta.optimizer).toMatchObject({ type: 'SGD', lr: d.lr, momentum: d.momentum, weightDecay: d.weightDecay, schedule: d.schedule });
    expect(meta.augment).toBe(d.augment);
  }, 120_000);

  it('--optimizer, --schedule and --lr-decay replace the model\'s; --arch trains the example network', async () => {
    const out = join(dir, 'mine.json');
    const r = await run('train', '--arch', join(import.meta.dirname, '..', 'examples', 'arch-small-cnn.json'), '--data', data, '--epochs', '2',
      '--optimizer', 'adamw', '--lr', '0.001', '--schedule', 'step:1:0.5', '--out', out, '--threads', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Optimiser adamw lr 0.001, schedule step:1:0.5, 2 epochs');
    expect(r.out).toMatch(/residual_1 \(Residual\)/);
    const meta = loadModel(out).metadata;
    expect(meta.model).toBe('arch:arch-small-cnn.json');
    expect(meta.optimizer).toMatchObject({ type: 'AdamW', lr: 0.001, schedule: 'step:1:0.5' });

    const out2 = join(dir, 'resnet-sgd.json');
    const s = await run('train', '--model', 'resnet-mini', '--data', data, '--epochs', '1', '--lr-decay', '0.9', '--momentum', '0.5', '--out', out2, '--threads', '1');
    expect(s.code, s.err).toBe(0);
    expect(s.out).toContain('Optimiser sgd lr 0.05, lr decay 0.9, 1 epochs');
    expect(loadModel(out2).metadata.optimizer).toMatchObject({ type: 'SGD', momentum: 0.5, nesterov: true, lrDecay: 0.9 });
  }, 120_000);

  // Issue 25: resnet-mini's and mobilenet-mini's default warm-up (1 epoch) used to fail a 1-epoch run.
  it('a zoo model trains for any --epochs: its default warm-up is dropped or shortened, and the command says so', async () => {
    for (const model of ['resnet-mini', 'mobilenet-mini']) {
      const out = join(dir, `${model}-1.json`);
      const r = await run('train', '--model', model, '--data', data, '--epochs', '1', '--out', out, '--threads', '1', '--no-snapshots');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain("The model's schedule warmup-cosine:1 does not fit 1 epoch: the warm-up dropped (cosine).");
      expect(r.out).toContain(`Optimiser sgd lr 0.05, schedule cosine, 1 epochs`);
      expect(loadModel(out).metadata.optimizer).toMatchObject({ schedule: 'cosine' });
    }
    // Two epochs fit the default: unchanged, and nothing said.
    const r2 = await run('train', '--model', 'resnet-mini', '--data', data, '--epochs', '2', '--out', join(dir, 'resnet-2.json'), '--threads', '1', '--no-snapshots');
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out).toContain('schedule warmup-cosine:1, 2 epochs');
    expect(r2.out).not.toContain('does not fit');
    // A warm-up the user gives is taken as given: still an error when it does not fit.
    const r3 = await run('train', '--model', 'resnet-mini', '--data', data, '--epochs', '1', '--schedule', 'warmup-cosine:1');
    expect(r3.code).toBe(2);
    expect(r3.err).toContain('the warm-up (1 epochs) must be shorter than the run (1 epochs)');
  }, 120_000);

  it('--help lists the models and their defaults', async () => {
    const h = (await run('train', '--help')).out;
    expect(h).toMatch(/--model <NAME> +the network: digits, lenet5, vgg-mini, resnet-mini, mobilenet-mini/);
    expect(h).toMatch(/--schedule <SPEC> +learning rate per epoch: constant, step:S:G/);
    for (const name of ZOO_NAMES) expect(h).toContain(`  ${name}: ${ZOO[name].description}`);
    expect(h).toContain('examples/arch-small-cnn.json');
  }, 120_000);

  it('summary shows the multiply-adds of every layer, so the depthwise saving can be read', async () => {
    const file = join(dir, 'mobilenet-summary.json');
    const model = zooModel('mobilenet-mini').build(1);
    saveModel(file, model, [1, 28, 28]);
    const r = await run('summary', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Params +Mult-adds/);
    // The strided 3x3 depthwise conv over 32 channels (14x14 -> 7x7) and the 1x1 conv to 64 after it:
    // 288 + 2,048 weights and 14,112 + 100,352 multiply-adds, where a standard 3x3 conv from 32 to 64
    // channels at the same stride would have 18,432 weights used 7*7 times, 903,168, eight times as many.
    expect(r.out).toMatch(/conv2d_6 \(Conv2D\) +\[N, 32, 7, 7\] +288 +14,112/);
    expect(r.out).toMatch(/conv2d_7 \(Conv2D\) +\[N, 64, 7, 7\] +2,048 +100,352/);
    const standard = new Conv2D({ inChannels: 32, outChannels: 64, kernelSize: 3, stride: 2, padding: 1, bias: false, weightInit: 'zeros' });
    expect(standard.macs([1, 32, 14, 14])).toBe(903_168);
    expect(standard.macs([1, 32, 14, 14]) / (14_112 + 100_352)).toBeGreaterThan(7.8);
    expect(r.out).toContain(`Mult-adds per image: ${model.macs([1, 1, 28, 28]).toLocaleString('en-US')}`);
  }, 120_000);
});
