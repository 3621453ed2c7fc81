// The layers beyond the first chain (AvgPool2D, GlobalAvgPool2D, BatchNorm2D, Dropout, Tanh, Sigmoid,
// Conv2D with dilation and groups, Residual, nested Sequential) through ONNX:
//   export: ONNX Runtime on the 2,000 held-out digits gives miniconv's logits (model.eval()) within
//     1e-4, every argmax the same, for small models of every kind trained a little (so that batch
//     norm's running statistics are not their initial values);
//   round trip: export -> import gives bit-identical logits;
//   import: files laid out as PyTorch, Keras/tf2onnx and separate-bias exporters write these ops,
//     each checked against ONNX Runtime; and the errors for what cannot be read.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../datasets/mnist.ts';
import {
  AvgPool2D, BatchNorm2D, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU, Residual, SGD, Sequential, Sigmoid, Tanh,
  Tensor, createRng,
} from '../src/index.ts';
import { exportOnnx, importOnnx } from '../src/io/onnx/index.ts';
import { shortestDecimal } from '../src/io/onnx/import-ops.ts';
import { AttributeType, onnx, toNumber } from '../src/io/onnx/proto.ts';
import { trainStep } from '../src/train/step.ts';
import {
  type GraphSpec, argmaxAgreement, buildOnnx, forwardAll, heldOutDigits, int64Tensor, maxAbsDiff, node, randomWeight, runOrt, softmaxRows, toNhwc,
} from './onnx-helpers.ts';

const DIGIT = [1, 28, 28];

/** Conv options (dilation, groups, depthwise), BatchNorm2D, AvgPool2D, Tanh, Sigmoid, GlobalAvgPool2D, Dropout. */
function plainKinds(): Sequential {
  const rng = createRng('onnx-layers-a');
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 6, kernelSize: 3, padding: 2, dilation: 2, rng }), // (N, 6, 28, 28)
    new BatchNorm2D({ numFeatures: 6 }), new ReLU(), new AvgPool2D({ kernelSize: 2 }), // (N, 6, 14, 14)
    new Conv2D({ inChannels: 6, outChannels: 8, kernelSize: 3, padding: 1, groups: 2, rng }), // (N, 8, 14, 14)
    new BatchNorm2D({ numFeatures: 8, eps: 1e-3, momentum: 0.2 }), new Tanh(), new AvgPool2D({ kernelSize: 3, stride: 2 }), // (N, 8, 6, 6)
    new Conv2D({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, groups: 8, rng }), new Sigmoid(), // depthwise
    new GlobalAvgPool2D(), new Dropout({ p: 0.3, rng }), // (N, 8)
    new Dense({ inFeatures: 8, outFeatures: 10, rng }),
  ]);
}

/** A small ResNet: residual blocks with the identity and with a projection shortcut (1x1 conv + BN). */
function residualNet(): Sequential {
  const rng = createRng('onnx-layers-b');
  const conv = (c: number, f: number, k: number, stride = 1) => new Conv2D({ inChannels: c, outChannels: f, kernelSize: k, stride, padding: (k - 1) / 2, bias: false, rng });
  return new Sequential([
    conv(1, 8, 3, 2), new BatchNorm2D({ numFeatures: 8 }), new ReLU(), // (N, 8, 14, 14)
    new Residual(new Sequential([conv(8, 8, 3), new BatchNorm2D({ numFeatures: 8 }), new ReLU(), conv(8, 8, 3), new BatchNorm2D({ numFeatures: 8 })])),
    new ReLU(),
    new Residual(
      new Sequential([conv(8, 16, 3, 2), new BatchNorm2D({ numFeatures: 16 }), new ReLU(), conv(16, 16, 3), new BatchNorm2D({ numFeatures: 16 })]), // (N, 16, 7, 7)
      new Sequential([conv(8, 16, 1, 2), new BatchNorm2D({ numFeatures: 16 })]),
    ),
    new ReLU(), new GlobalAvgPool2D(), new Dense({ inFeatures: 16, outFeatures: 10, rng }),
  ]);
}

/** Containers inside containers: a nested Sequential, a Residual whose block starts with a Residual, a one-layer block. */
function nestedContainers(): Sequential {
  const rng = createRng('onnx-layers-c');
  return new Sequential([
    new Sequential([new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, rng }), new ReLU()]), // (N, 4, 24, 24)
    new MaxPool2D({ size: 2 }), // (N, 4, 12, 12)
    new Residual(new Sequential([
      new Residual(new Sequential([new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, rng }), new Tanh()])),
      new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, rng }),
    ])),
    new Residual(new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 1, rng })),
    new Flatten(), new Dropout({ p: 0.5, rng }), // (N, 576)
    new Dense({ inFeatures: 576, outFeatures: 16, rng }), new Sigmoid(), new Dense({ inFeatures: 16, outFeatures: 10, rng }),
  ]);
}

const KINDS: Array<[string, () => Sequential]> = [
  ['dilated, grouped and depthwise Conv2D, BatchNorm2D, AvgPool2D, Tanh, Sigmoid, GlobalAvgPool2D, Dropout', plainKinds],
  ['residual blocks with an identity and a projection shortcut, batch norm throughout', residualNet],
  ['nested containers: a Sequential in the model, a Residual in a Residual, a one-layer block', nestedContainers],
];

/** Trains `model` for a few steps on the bundled digits, so that BN's running statistics move, then model.eval(). */
function trainBriefly(model: Sequential, steps = 40): Sequential {
  const { train } = loadDigits();
  const opt = new SGD(model.params(), { lr: 0.02, momentum: 0.9 });
  for (let step = 0; step < steps; step++) {
    const start = step * 32;
    trainStep(model, opt, new Tensor([32, ...DIGIT], train.images.subarray(start * 784, (start + 32) * 784)), train.labels.subarray(start, start + 32));
  }
  return model.eval();
}

describe('exportOnnx: every layer kind, trained a little, checked by ONNX Runtime on the 2,000 held-out digits', () => {
  const trained = new Map<string, Sequential>();
  beforeAll(() => {
    for (const [name, make] of KINDS) trained.set(name, trainBriefly(make()));
  }, 240_000);

  for (const [name] of KINDS) {
    it(name, async () => {
      const model = trained.get(name)!;
      const bns = model.buffers().filter((b) => b.name.endsWith('runningMean'));
      for (const b of bns) expect(Array.from(b.value.data).some((v) => v !== 0), `${b.name} moved`).toBe(true);
      const { images, count } = heldOutDigits();
      const ours = forwardAll(model, images, DIGIT);
      const out = await runOrt(exportOnnx(model, DIGIT), 'input', images, [count, ...DIGIT]);
      expect(out.logits.dims).toEqual([count, 10]);
      expect(maxAbsDiff(ours, out.logits.data)).toBeLessThan(1e-4);
      expect(argmaxAgreement(ours, out.logits.data, 10)).toBe(count);
      expect(maxAbsDiff(softmaxRows(ours, 10), out.probs.data)).toBeLessThan(1e-6);
    }, 120_000);
  }

  it('writes the ops the issue names: AveragePool, GlobalAveragePool + Flatten, BatchNormalization, Add, Tanh, Sigmoid, Conv dilations and group; no Dropout', () => {
    const ops = (m: Sequential) => onnx.ModelProto.decode(exportOnnx(m, DIGIT)).graph!.node!.map((n) => n.opType);
    expect(ops(plainKinds())).toEqual([
      'Conv', 'BatchNormalization', 'Relu', 'AveragePool', 'Conv', 'BatchNormalization', 'Tanh', 'AveragePool', 'Conv', 'Sigmoid',
      'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax',
    ]);
    const proto = onnx.ModelProto.decode(exportOnnx(plainKinds(), DIGIT));
    const attrs = (i: number) => Object.fromEntries(proto.graph!.node![i].attribute!.map((a) => [
      a.name, a.type === AttributeType.INTS ? a.ints!.map((v) => toNumber(v, 'ints')) : a.type === AttributeType.FLOAT ? a.f : toNumber(a.i, 'i'),
    ]));
    expect(attrs(0)).toMatchObject({ dilations: [2, 2], group: 1, pads: [2, 2, 2, 2] });
    expect(attrs(4)).toMatchObject({ group: 2 });
    expect(attrs(8)).toMatchObject({ group: 8 });
    expect(attrs(5).epsilon).toBeCloseTo(1e-3, 9);
    expect(attrs(5).momentum).toBeCloseTo(0.8, 6); // ONNX's momentum weighs the old value: 1 - 0.2
    expect(attrs(7)).toMatchObject({ kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 0 });
    const res = onnx.ModelProto.decode(exportOnnx(residualNet(), DIGIT)).graph!;
    const adds = res.node!.filter((n) => n.opType === 'Add');
    expect(adds.map((n) => n.name)).toEqual(['residual_1.add', 'residual_2.add']);
    // The identity shortcut adds the block's input itself; the projection adds the shortcut branch's output.
    expect(adds[0].input![1]).toBe(res.node!.find((n) => n.name === 'relu_1')!.output![0]);
    expect(adds[1].input![1]).toBe(res.node!.find((n) => n.name === 'residual_2.shortcut.batchnorm2d_1')!.output![0]);
    expect(res.initializer!.map((t) => t.name)).toContain('residual_2.block.batchnorm2d_2.runningVar');
  });

  it('writes the inference form whatever mode the model is in (a model in training mode exports the same bytes)', () => {
    const model = trained.get(KINDS[0][0])!;
    const evalBytes = exportOnnx(model, DIGIT);
    model.train();
    try {
      expect(exportOnnx(model, DIGIT)).toEqual(evalBytes);
    } finally {
      model.eval();
    }
  });
});

describe('round trip: export -> import gives bit-identical logits for every layer kind', () => {
  for (const [name, make] of KINDS) {
    it(name, () => {
      const model = trainBriefly(make(), 5);
      const back = importOnnx(exportOnnx(model, DIGIT));
      expect(back.model.training).toBe(false);
      const x = heldOutDigits().images.slice(0, 200 * 784);
      expect(Array.from(forwardAll(back.model, x, DIGIT))).toEqual(Array.from(forwardAll(model, x, DIGIT)));
    }, 60_000);
  }

  it('the same layers and options come back (Dropout, dropped at export, and a nested Sequential, flattened, aside)', () => {
    const model = residualNet();
    expect(importOnnx(exportOnnx(model, DIGIT)).model.config()).toEqual({ ...model.config(), name: 'miniconv' });
    const plain = plainKinds();
    const back = importOnnx(exportOnnx(plain, DIGIT)).model.config().layers;
    expect(back).toEqual((plain.config().layers as Array<{ type: string }>).filter((l) => l.type !== 'Dropout'));
    const nested = importOnnx(exportOnnx(nestedContainers(), DIGIT)).model;
    expect(nested.layers.map((l) => l.type)).toEqual(['Conv2D', 'ReLU', 'MaxPool2D', 'Residual', 'Residual', 'Flatten', 'Dense', 'Sigmoid', 'Dense']);
    expect((nested.layers[3] as Residual).block.config()).toMatchObject({ type: 'Sequential', layers: [{ type: 'Residual', shortcut: null }, { type: 'Conv2D' }] });
    expect((nested.layers[4] as Residual).block.config()).toMatchObject({ type: 'Conv2D', kernelSize: [1, 1] });
  });

  it('BatchNorm2D eps and momentum survive the float32 attributes exactly', () => {
    expect(shortestDecimal(Math.fround(1e-5))).toBe(1e-5);
    expect(shortestDecimal(Math.fround(0.001))).toBe(0.001);
    expect(shortestDecimal(Math.fround(0.9))).toBe(0.9);
    expect(shortestDecimal(0.5)).toBe(0.5);
    const model = new Sequential([
      new BatchNorm2D({ numFeatures: 1, eps: 2e-5, momentum: 0.03 }), new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng(1) }),
    ]);
    expect(importOnnx(exportOnnx(model, DIGIT)).model.layers[0].config()).toMatchObject({ eps: 2e-5, momentum: 0.03 });
  });
});

// ---- Import: files as the common exporters write these ops ----

const SAMPLE = 300;

/** Imports `bytes`, runs miniconv and ONNX Runtime on the same digits. */
async function importAndRun(bytes: Uint8Array, opts: { nhwc?: boolean } = {}) {
  const x = heldOutDigits().images.slice(0, SAMPLE * 784);
  const imported = importOnnx(bytes);
  const ours = forwardAll(imported.model, x, imported.inputShape);
  const ort = await runOrt(bytes, imported.info.input, opts.nhwc ? toNhwc(x, SAMPLE, 1, 28, 28) : x, opts.nhwc ? [SAMPLE, 28, 28, 1] : [SAMPLE, ...DIGIT]);
  return { imported, ours, theirs: ort[imported.info.output].data };
}

/** A per-channel tensor of positive values (a variance), seeded. */
function positive(name: string, C: number, seed: string): ReturnType<typeof randomWeight> {
  const rng = createRng(seed);
  const { rawData: _, $typeName: __, ...weight } = randomWeight(name, [C], seed); // values in float_data instead: raw_data left out (not set empty)
  return onnx.TensorProto.create({ ...weight, floatData: Array.from({ length: C }, () => 0.5 + rng.uniform()) });
}

/** The four BatchNormalization inputs of a layer with C channels, as PyTorch names them. */
function bnInputs(prefix: string, C: number) {
  return [
    randomWeight(`${prefix}.weight`, [C], `${prefix}w`, 1), randomWeight(`${prefix}.bias`, [C], `${prefix}b`, 4),
    randomWeight(`${prefix}.running_mean`, [C], `${prefix}m`, 8), positive(`${prefix}.running_var`, C, `${prefix}v`),
  ];
}
const bnNames = (prefix: string) => ['weight', 'bias', 'running_mean', 'running_var'].map((k) => `${prefix}.${k}`);

/**
 * PyTorch's torch.onnx.export of a small ResNet in eval mode with constant folding off (BN not
 * fused into the conv): /conv1/Conv, /bn1/BatchNormalization, /layer1/layer1.0/Add, ...
 */
function pytorchResNet(opset: number): Uint8Array {
  const init = [
    randomWeight('conv1.weight', [8, 1, 3, 3], 'r-c1'), ...bnInputs('bn1', 8),
    randomWeight('layer1.0.conv1.weight', [8, 8, 3, 3], 'r-l1c1'), ...bnInputs('layer1.0.bn1', 8),
    randomWeight('layer1.0.conv2.weight', [8, 8, 3, 3], 'r-l1c2'), ...bnInputs('layer1.0.bn2', 8),
    randomWeight('layer2.0.conv1.weight', [16, 8, 3, 3], 'r-l2c1'), ...bnInputs('layer2.0.bn1', 16),
    randomWeight('layer2.0.conv2.weight', [16, 4, 3, 3], 'r-l2c2'), ...bnInputs('layer2.0.bn2', 16), // groups 4
    randomWeight('layer2.0.downsample.0.weight', [16, 8, 1, 1], 'r-ds'), ...bnInputs('layer2.0.downsample.1', 16),
    randomWeight('fc.weight', [10, 16], 'r-fc'), randomWeight('fc.bias', [10], 'r-fcb', 16),
  ];
  const bn = (i: string, o: string, prefix: string, name: string) => node('BatchNormalization', [i, ...bnNames(prefix)], [o], {
    epsilon: { f: 1e-5 }, momentum: { f: 0.9 }, ...(opset >= 14 ? { training_mode: 0 } : {}),
  }, name);
  const conv = (i: string, w: string, o: string, k: number, stride: number, pad: number, name: string, group = 1, dilation = 1) =>
    node('Conv', [i, w], [o], { dilations: [dilation, dilation], group, kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride] }, name);
  const nodes = [
    conv('input', 'conv1.weight', '/conv1/Conv_output_0', 3, 1, 1, '/conv1/Conv'),
    bn('/conv1/Conv_output_0', '/bn1/BatchNormalization_output_0', 'bn1', '/bn1/BatchNormalization'),
    node('Relu', ['/bn1/BatchNormalization_output_0'], ['/relu/Relu_output_0'], {}, '/relu/Relu'),
    node('AveragePool', ['/relu/Relu_output_0'], ['/avgpool0/AveragePool_output_0'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ...(opset >= 10 ? { ceil_mode: 0 } : {}), count_include_pad: 1 }, '/avgpool0/AveragePool'), // (N, 8, 14, 14)
    // layer1.0: a basic block with the identity shortcut; the second conv dilated
    conv('/avgpool0/AveragePool_output_0', 'layer1.0.conv1.weight', '/layer1/layer1.0/conv1/Conv_output_0', 3, 1, 1, '/layer1/layer1.0/conv1/Conv'),
    bn('/layer1/layer1.0/conv1/Conv_output_0', '/layer1/layer1.0/bn1/BatchNormalization_output_0', 'layer1.0.bn1', '/layer1/layer1.0/bn1/BatchNormalization'),
    node('Relu', ['/layer1/layer1.0/bn1/BatchNormalization_output_0'], ['/layer1/layer1.0/relu/Relu_output_0'], {}, '/layer1/layer1.0/relu/Relu'),
    conv('/layer1/layer1.0/relu/Relu_output_0', 'layer1.0.conv2.weight', '/layer1/layer1.0/conv2/Conv_output_0', 3, 1, 2, '/layer1/layer1.0/conv2/Conv', 1, 2),
    bn('/layer1/layer1.0/conv2/Conv_output_0', '/layer1/layer1.0/bn2/BatchNormalization_output_0', 'layer1.0.bn2', '/layer1/layer1.0/bn2/BatchNormalization'),
    node('Add', ['/layer1/layer1.0/bn2/BatchNormalization_output_0', '/avgpool0/AveragePool_output_0'], ['/layer1/layer1.0/Add_output_0'], {}, '/layer1/layer1.0/Add'),
    node('Relu', ['/layer1/layer1.0/Add_output_0'], ['/layer1/layer1.0/relu_1/Relu_output_0'], {}, '/layer1/layer1.0/relu_1/Relu'),
    // layer2.0: stride 2, a grouped conv, and a downsample shortcut (1x1 conv + BN)
    conv('/layer1/layer1.0/relu_1/Relu_output_0', 'layer2.0.conv1.weight', '/layer2/layer2.0/conv1/Conv_output_0', 3, 2, 1, '/layer2/layer2.0/conv1/Conv'), // (N, 16, 7, 7)
    bn('/layer2/layer2.0/conv1/Conv_output_0', '/layer2/layer2.0/bn1/BatchNormalization_output_0', 'layer2.0.bn1', '/layer2/layer2.0/bn1/BatchNormalization'),
    node('Tanh', ['/layer2/layer2.0/bn1/BatchNormalization_output_0'], ['/layer2/layer2.0/act/Tanh_output_0'], {}, '/layer2/layer2.0/act/Tanh'),
    conv('/layer2/layer2.0/act/Tanh_output_0', 'layer2.0.conv2.weight', '/layer2/layer2.0/conv2/Conv_output_0', 3, 1, 1, '/layer2/layer2.0/conv2/Conv', 4),
    bn('/layer2/layer2.0/conv2/Conv_output_0', '/layer2/layer2.0/bn2/BatchNormalization_output_0', 'layer2.0.bn2', '/layer2/layer2.0/bn2/BatchNormalization'),
    conv('/layer1/layer1.0/relu_1/Relu_output_0', 'layer2.0.downsample.0.weight', '/layer2/layer2.0/downsample/downsample.0/Conv_output_0', 1, 2, 0, '/layer2/layer2.0/downsample/downsample.0/Conv'),
    bn('/layer2/layer2.0/downsample/downsample.0/Conv_output_0', '/layer2/layer2.0/downsample/downsample.1/BatchNormalization_output_0', 'layer2.0.downsample.1', '/layer2/layer2.0/downsample/downsample.1/BatchNormalization'),
    node('Add', ['/layer2/layer2.0/bn2/BatchNormalization_output_0', '/layer2/layer2.0/downsample/downsample.1/BatchNormalization_output_0'], ['/layer2/layer2.0/Add_output_0'], {}, '/layer2/layer2.0/Add'),
    node('Sigmoid', ['/layer2/layer2.0/Add_output_0'], ['/layer2/layer2.0/act_1/Sigmoid_output_0'], {}, '/layer2/layer2.0/act_1/Sigmoid'),
    node('GlobalAveragePool', ['/layer2/layer2.0/act_1/Sigmoid_output_0'], ['/avgpool/GlobalAveragePool_output_0'], {}, '/avgpool/GlobalAveragePool'),
    node('Flatten', ['/avgpool/GlobalAveragePool_output_0'], ['/Flatten_output_0'], { axis: 1 }, '/Flatten'),
    node('Gemm', ['/Flatten_output_0', 'fc.weight', 'fc.bias'], ['output'], { alpha: { f: 1 }, beta: { f: 1 }, transB: 1 }, '/fc/Gemm'),
  ];
  return buildOnnx({
    nodes, initializers: init, opset, producer: ['pytorch', '2.1.0'],
    input: { name: 'input', dims: ['batch_size', 1, 28, 28] }, outputs: [{ name: 'output', dims: ['batch_size', 10] }],
  });
}

/**
 * Keras through tf2onnx: NHWC input and one Transpose, a residual block (Add of two convolutions'
 * outputs in NCHW), GlobalAveragePooling2D as GlobalAveragePool + Squeeze, Dense as MatMul + Add,
 * a final Softmax.
 */
function kerasResNet(): Uint8Array {
  const init = [
    randomWeight('model/conv2d/Conv2D/ReadVariableOp:0', [8, 1, 3, 3], 'kr-c1'), randomWeight('model/conv2d/BiasAdd/ReadVariableOp:0', [8], 'kr-c1b', 9),
    randomWeight('model/conv2d_1/Conv2D/ReadVariableOp:0', [8, 8, 3, 3], 'kr-c2'), randomWeight('model/conv2d_1/BiasAdd/ReadVariableOp:0', [8], 'kr-c2b', 72),
    randomWeight('model/conv2d_2/Conv2D/ReadVariableOp:0', [8, 8, 3, 3], 'kr-c3'), randomWeight('model/conv2d_2/BiasAdd/ReadVariableOp:0', [8], 'kr-c3b', 72),
    randomWeight('model/dense/MatMul/ReadVariableOp:0', [8, 10], 'kr-d', 8), randomWeight('model/dense/BiasAdd/ReadVariableOp:0', [10], 'kr-db', 8),
    int64Tensor('const_axes__12', [2, 3]),
  ];
  const [c1w, c1b, c2w, c2b, c3w, c3b, dw, db] = init.map((t) => t.name!);
  const same = { dilations: [1, 1], kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], group: 1 };
  return buildOnnx({
    opset: 13, producer: ['tf2onnx', '1.16.1 15c810'], initializers: init,
    nodes: [
      node('Transpose', ['input_1'], ['t0'], { perm: [0, 3, 1, 2] }, 'model/conv2d/Conv2D__6'),
      node('Conv', ['t0', c1w, c1b], ['c1'], { ...same, strides: [2, 2], pads: [0, 0, 0, 0], auto_pad: 'NOTSET' }, 'model/conv2d/Conv2D'), // (N, 8, 13, 13)
      node('Relu', ['c1'], ['r1'], {}, 'model/conv2d/Relu'),
      node('Conv', ['r1', c2w, c2b], ['c2'], same, 'model/conv2d_1/Conv2D'),
      node('Relu', ['c2'], ['r2'], {}, 'model/conv2d_1/Relu'),
      node('Conv', ['r2', c3w, c3b], ['c3'], same, 'model/conv2d_2/Conv2D'),
      node('Add', ['r1', 'c3'], ['a'], {}, 'model/add/add'), // Keras's layers.Add()([x, y]): the shortcut first
      node('Relu', ['a'], ['r3'], {}, 'model/activation/Relu'),
      node('GlobalAveragePool', ['r3'], ['g'], {}, 'model/global_average_pooling2d/Mean'),
      node('Squeeze', ['g', 'const_axes__12'], ['s'], {}, 'model/global_average_pooling2d/Mean_Squeeze__20'),
      node('MatMul', ['s', dw], ['m'], {}, 'model/dense/MatMul'),
      node('Add', ['m', db], ['logits'], {}, 'model/dense/BiasAdd'),
      node('Softmax', ['logits'], ['dense'], { axis: -1 }, 'model/dense/Softmax'),
    ],
    input: { name: 'input_1', dims: ['unk__30', 28, 28, 1] }, outputs: [{ name: 'dense', dims: ['unk__31', 10] }],
  });
}

describe('importOnnx: the new ops as exporters write them, checked against ONNX Runtime', () => {
  for (const opset of [9, 13, 17]) {
    it(`PyTorch, opset ${opset}: BatchNormalization, AveragePool, dilated and grouped Conv, Tanh, Sigmoid, two residual blocks, GlobalAveragePool + Flatten`, async () => {
      const r = await importAndRun(pytorchResNet(opset));
      expect(r.imported.model.layers.map((l) => l.type)).toEqual([
        'Conv2D', 'BatchNorm2D', 'ReLU', 'AvgPool2D', 'Residual', 'ReLU', 'Residual', 'Sigmoid', 'GlobalAvgPool2D', 'Dense',
      ]);
      const [first, second] = r.imported.model.layers.filter((l): l is Residual => l instanceof Residual);
      expect(first.shortcut).toBeNull();
      expect(first.block.config()).toMatchObject({ layers: [{ type: 'Conv2D' }, { type: 'BatchNorm2D' }, { type: 'ReLU' }, { type: 'Conv2D', dilation: 2, padding: 2 }, { type: 'BatchNorm2D' }] });
      expect(second.block.config()).toMatchObject({ layers: [{ type: 'Conv2D', stride: 2 }, { type: 'BatchNorm2D' }, { type: 'Tanh' }, { type: 'Conv2D', groups: 4 }, { type: 'BatchNorm2D' }] });
      expect(second.shortcut!.config()).toMatchObject({ layers: [{ type: 'Conv2D', kernelSize: [1, 1], stride: 2 }, { type: 'BatchNorm2D', eps: 1e-5, momentum: 0.1 }] });
      expect(maxAbsDiff(r.ours, r.theirs)).toBeLessThan(1e-4);
      expect(argmaxAgreement(r.ours, r.theirs, 10)).toBe(SAMPLE);
    }, 60_000);
  }

  it('Keras/tf2onnx: NHWC input, a residual Add with the shortcut first, GlobalAveragePool + Squeeze, MatMul + Add, final Softmax', async () => {
    const r = await importAndRun(kerasResNet(), { nhwc: true });
    expect(r.imported.info.inputLayout).toBe('NHWC');
    expect(r.imported.model.layers.map((l) => l.type)).toEqual(['Conv2D', 'ReLU', 'Residual', 'ReLU', 'GlobalAvgPool2D', 'Dense']);
    expect((r.imported.model.layers[2] as Residual).shortcut).toBeNull();
    expect(maxAbsDiff(softmaxRows(r.ours, 10), r.theirs)).toBeLessThan(1e-5);
    expect(argmaxAgreement(r.ours, r.theirs, 10)).toBe(SAMPLE);
  }, 60_000);

  it('separate bias Adds inside both branches of a residual block, a Reshape after GlobalAveragePool, Squeeze with axes as an attribute (opset 11)', async () => {
    const init = [
      randomWeight('w1', [4, 1, 3, 3], 'sb1'), randomWeight('b1', [1, 4, 1, 1], 'sb2', 9),
      randomWeight('w2', [4, 4, 3, 3], 'sb3'), randomWeight('b2', [1, 4, 1, 1], 'sb4', 36),
      randomWeight('w3', [4, 4, 1, 1], 'sb5'), randomWeight('b3', [4, 1, 1], 'sb6', 4),
      randomWeight('w4', [10, 4], 'sb7'), int64Tensor('shape', [-1, 4]),
    ];
    const nodes = (gapTail: 'Reshape' | 'Squeeze') => [
      node('Conv', ['x', 'w1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      node('Add', ['c1', 'b1'], ['c1b'], {}, 'conv1_bias'),
      node('Sigmoid', ['c1b'], ['h'], {}, 'sigmoid'),
      node('Conv', ['h', 'w2'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'block_conv'),
      node('Add', ['c2', 'b2'], ['c2b'], {}, 'block_bias'),
      node('Tanh', ['c2b'], ['t'], {}, 'block_tanh'),
      node('Conv', ['h', 'w3'], ['c3'], { kernel_shape: [1, 1] }, 'shortcut_conv'),
      node('Add', ['b3', 'c3'], ['c3b'], {}, 'shortcut_bias'),
      node('Add', ['t', 'c3b'], ['sum'], {}, 'join'),
      node('GlobalAveragePool', ['sum'], ['g'], {}, 'gap'),
      gapTail === 'Reshape' ? node('Reshape', ['g', 'shape'], ['f'], {}, 'flat') : node('Squeeze', ['g'], ['f'], { axes: [2, 3] }, 'flat'),
      node('Gemm', ['f', 'w4'], ['y'], { transB: 1 }, 'fc'),
    ];
    for (const tail of ['Reshape', 'Squeeze'] as const) {
      const bytes = buildOnnx({ opset: 11, nodes: nodes(tail), initializers: init, input: { name: 'x', dims: ['N', 1, 28, 28] }, outputs: [{ name: 'y', dims: ['N', 10] }] });
      const r = await importAndRun(bytes);
      expect(r.imported.model.config().layers).toMatchObject([
        { type: 'Conv2D', bias: true }, { type: 'Sigmoid' },
        { type: 'Residual', block: { type: 'Sequential', layers: [{ type: 'Conv2D', bias: true }, { type: 'Tanh' }] }, shortcut: { type: 'Conv2D', bias: true, kernelSize: [1, 1] } },
        { type: 'GlobalAvgPool2D' }, { type: 'Dense' },
      ]);
      expect(maxAbsDiff(r.ours, r.theirs)).toBeLessThan(1e-4);
      expect(argmaxAgreement(r.ours, r.theirs, 10)).toBe(SAMPLE);
    }
  }, 60_000);
});

// ---- Errors ----

/** A (N, 2, 4, 4) input, the nodes given, then Flatten + Gemm to 10 classes from `last` (which has `features` values). */
function graph(nodes: ReturnType<typeof node>[], last: string, features: number, initializers: GraphSpec['initializers'] = []): Uint8Array {
  return buildOnnx({
    opset: 13,
    nodes: [...nodes, node('Flatten', [last], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', 'fcw'], ['y'], { transB: 1 }, 'fc')],
    initializers: [randomWeight('fcw', [10, features], 'fcw'), ...initializers],
    input: { name: 'x', dims: ['N', 2, 4, 4] }, outputs: [{ name: 'y', dims: ['N', 10] }],
  });
}

describe('importOnnx: errors for the new ops and for graphs that fork', () => {
  const bn = (attrs: Record<string, unknown> = {}, outputs = ['b'], inputs = ['x', ...bnNames('bn')]) => node('BatchNormalization', inputs, outputs, attrs as never, 'bn');
  const bnInit = bnInputs('bn', 2);

  it('the graphs below import when not broken (so each error comes from the one change)', () => {
    expect(importOnnx(graph([bn()], 'b', 32, bnInit)).model.layers.map((l) => l.type)).toEqual(['BatchNorm2D', 'Flatten', 'Dense']);
    const res = graph([node('Relu', ['x'], ['r'], {}, 'relu'), node('Add', ['r', 'x'], ['a'], {}, 'join')], 'a', 32);
    expect(importOnnx(res).model.layers.map((l) => l.type)).toEqual(['Residual', 'Flatten', 'Dense']);
  });

  it('BatchNormalization: training mode, used statistics outputs, a features input, bad statistics', () => {
    expect(() => importOnnx(graph([bn({ training_mode: 1 })], 'b', 32, bnInit))).toThrow(/node 'bn' \(BatchNormalization\): training_mode 1 normalises by the batch; expected the inference form/);
    const stats = graph([bn({}, ['b', 'mean_out']), node('Relu', ['mean_out'], ['m'], {}, 'uses_mean')], 'b', 32, bnInit);
    expect(() => importOnnx(stats)).toThrow(/node 'bn' \(BatchNormalization\): its running-statistics outputs are used/);
    const onFeatures = buildOnnx({
      opset: 13, initializers: [randomWeight('fcw', [10, 32], 'fcw'), ...bnInit.map(({ rawData: _, $typeName: __, ...t }) => onnx.TensorProto.create({ ...t, dims: [32n], floatData: Array(32).fill(1) }))],
      nodes: [node('Flatten', ['x'], ['f'], { axis: 1 }, 'flatten'), bn({}, ['b'], ['f', ...bnNames('bn')]), node('Gemm', ['b', 'fcw'], ['y'], { transB: 1 }, 'fc')],
      input: { name: 'x', dims: ['N', 2, 4, 4] }, outputs: [{ name: 'y', dims: ['N', 10] }],
    });
    expect(() => importOnnx(onFeatures)).toThrow(/node 'bn' \(BatchNormalization\): receives \[N, 32\], expected images \(N, C, H, W\); miniconv has BatchNorm2D, not a batch norm over features/);
    const wrongDims = [...bnInit.slice(0, 3), randomWeight('bn.running_var', [3], 'v')];
    expect(() => importOnnx(graph([bn()], 'b', 32, wrongDims))).toThrow(/node 'bn' \(BatchNormalization\): input_var has dims \[3\], expected \[2\] float values/);
    const negative = [...bnInit.slice(0, 3), onnx.TensorProto.create({ name: 'bn.running_var', dims: [2n], dataType: 1, floatData: [1, -2] })];
    expect(() => importOnnx(graph([bn()], 'b', 32, negative))).toThrow(/input_var\[1\] is -2; a variance plus epsilon must be > 0/);
    expect(() => importOnnx(graph([bn({}, ['b'], ['x', 'bn.weight', 'bn.bias', 'x', 'bn.running_var'])], 'b', 32, bnInit))).toThrow(/its input_mean 'x' must be a constant/);
  });

  it('AveragePool and GlobalAveragePool: what AvgPool2D and GlobalAvgPool2D do not have', () => {
    const avg = (attrs: Record<string, unknown>) => graph([node('AveragePool', ['x'], ['p'], attrs as never, 'avg')], 'p', 8);
    expect(() => importOnnx(avg({ kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] }))).toThrow(/node 'avg' \(AveragePool\): padding 1 is not supported by AvgPool2D; expected no padding/);
    expect(() => importOnnx(avg({ kernel_shape: [2, 1] }))).toThrow(/node 'avg' \(AveragePool\): kernel_shape \[2, 1\] is not a square 2-D window; miniconv's AvgPool2D/);
    expect(() => importOnnx(avg({ kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }))).toThrow(/ceil_mode 1 keeps a partial window on this 4x4 input; miniconv's AvgPool2D drops it/);
    expect(importOnnx(avg({ kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })).model.layers[0].config()).toMatchObject({ type: 'AvgPool2D', kernelSize: 2, stride: 2 });
    const gapThen = (nodes: ReturnType<typeof node>[], last: string, init: GraphSpec['initializers'] = []) => graph([node('GlobalAveragePool', ['x'], ['g'], {}, 'gap'), ...nodes], last, 2, init);
    expect(() => importOnnx(gapThen([node('Relu', ['g'], ['r'], {}, 'relu')], 'r')))
      .toThrow(/node 'relu' \(Relu\): follows importOnnx: node 'gap' \(GlobalAveragePool\), whose \(N, C, 1, 1\) output miniconv's GlobalAvgPool2D gives as \(N, C\); expected a Flatten, Reshape or Squeeze/);
    expect(() => importOnnx(gapThen([node('Squeeze', ['g', 'ax'], ['s'], {}, 'squeeze')], 's', [int64Tensor('ax', [1, 2])]))).toThrow(/node 'squeeze' \(Squeeze\): axes \[1, 2\] after GlobalAveragePool; expected \[2, 3\]/);
    expect(importOnnx(gapThen([node('Squeeze', ['g', 'ax'], ['s'], {}, 'squeeze')], 's', [int64Tensor('ax', [-1, -2])])).model.layers.map((l) => l.type)).toEqual(['GlobalAvgPool2D', 'Dense']);
    expect(() => importOnnx(graph([node('Squeeze', ['x'], ['s'], { axes: [0] }, 'squeeze')], 's', 32))).toThrow(/node 'squeeze' \(Squeeze\): Squeeze is read only right after GlobalAveragePool/);
    const gapOut = buildOnnx({ opset: 13, nodes: [node('GlobalAveragePool', ['x'], ['y'], {}, 'gap')], input: { name: 'x', dims: ['N', 2, 4, 4] }, outputs: [{ name: 'y', dims: ['N', 2, 1, 1] }] });
    expect(() => importOnnx(gapOut)).toThrow(/the graph outputs the \(N, C, 1, 1\) value of importOnnx: node 'gap' \(GlobalAveragePool\); expected a Flatten after it/);
  });

  it('forks that are not a residual block: branches that never meet, meet at another op, or add a value to itself', () => {
    const twoOutputs = buildOnnx({
      opset: 13, initializers: [randomWeight('fcw', [10, 32], 'fcw')],
      nodes: [node('Relu', ['x'], ['r'], {}, 'relu'), node('Tanh', ['x'], ['t'], {}, 'tanh'), node('Flatten', ['r'], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', 'fcw'], ['y'], { transB: 1 }, 'fc')],
      input: { name: 'x', dims: ['N', 2, 4, 4] }, outputs: [{ name: 'y', dims: ['N', 10] }, { name: 't', dims: ['N', 2, 4, 4] }],
    });
    expect(() => importOnnx(twoOutputs)).toThrow(/value 'x' goes to 2 nodes \(importOnnx: node 'relu' \(Relu\), importOnnx: node 'tanh' \(Tanh\)\); this importer reads a chain of layers and residual blocks \(two branches from one value, joined by an Add\)/);
    const mul = graph([node('Relu', ['x'], ['r'], {}, 'relu'), node('Mul', ['r', 'x'], ['m'], {}, 'gate')], 'm', 32);
    expect(() => importOnnx(mul)).toThrow(/value 'x' goes to 2 nodes .*, which meet at importOnnx: node 'gate' \(Mul\), not at an Add of two computed values/);
    const concat = graph([node('Relu', ['x'], ['r'], {}, 'relu'), node('Tanh', ['x'], ['t'], {}, 'tanh'), node('Concat', ['r', 't'], ['c'], { axis: 1 }, 'cat')], 'c', 64);
    expect(() => importOnnx(concat)).toThrow(/which meet at importOnnx: node 'cat' \(Concat\), not at an Add/);
    expect(() => importOnnx(graph([node('Add', ['x', 'x'], ['a'], {}, 'double')], 'a', 32))).toThrow(/node 'double' \(Add\): adds 'x' to itself/);
    const identities = graph([node('Identity', ['x'], ['i'], {}, 'id'), node('Add', ['i', 'x'], ['a'], {}, 'double')], 'a', 32);
    expect(() => importOnnx(identities)).toThrow(/node 'double' \(Add\): adds 'x' to itself \(both branches are the identity\)/);
    const shapes = graph([node('Conv', ['x', 'cw'], ['c'], { kernel_shape: [3, 3] }, 'conv'), node('Add', ['c', 'x'], ['a'], {}, 'join')], 'a', 8, [randomWeight('cw', [2, 2, 3, 3], 'cw')]);
    expect(() => importOnnx(shapes)).toThrow(/node 'join' \(Add\): Residual\(residual_1\): for input \[1, 2, 4, 4\] the block gives \[1, 2, 2, 2\] but the identity shortcut gives \[1, 2, 4, 4\]/);
    const layouts = buildOnnx({
      opset: 13, initializers: [randomWeight('fcw', [10, 64], 'fcw')],
      nodes: [
        node('Transpose', ['x'], ['t'], { perm: [0, 3, 1, 2] }, 'to_nchw'), node('Transpose', ['t'], ['u'], { perm: [0, 2, 3, 1] }, 'to_nhwc'),
        node('Transpose', ['u'], ['v'], { perm: [0, 3, 1, 2] }, 'block_to_nchw'), node('Relu', ['v'], ['r'], {}, 'block_relu'),
        node('Add', ['r', 'u'], ['a'], {}, 'mixed'), node('Flatten', ['a'], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', 'fcw'], ['y'], { transB: 1 }, 'fc'),
      ],
      input: { name: 'x', dims: ['N', 4, 4, 4] }, outputs: [{ name: 'y', dims: ['N', 10] }],
    });
    expect(() => importOnnx(layouts)).toThrow(/node 'mixed' \(Add\): adds an NCHW value to an NHWC one; expected both branches in the same layout/);
    const leak = graph([node('Relu', ['x'], ['r'], {}, 'relu'), node('Add', ['r', 'x'], ['a'], {}, 'join'), node('Add', ['a', 'r'], ['a2'], {}, 'again')], 'a2', 32);
    expect(() => importOnnx(leak)).toThrow(/value 'r' goes to importOnnx: node 'join' \(Add\) and on to importOnnx: node 'again' \(Add\); a residual branch must end at the Add that joins it/);
  });
});
