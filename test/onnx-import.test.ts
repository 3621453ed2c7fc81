// importOnnx on files laid out the way PyTorch, Keras/tf2onnx and MatMul + Add exporters write them
// (built here with the same protobuf messages), each compared with ONNX Runtime on the same file;
// the round trip export -> import; preprocessing; and every error path.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { applyPreprocess, exportOnnx, exportOnnxFile, importOnnx, importOnnxFile, readOnnxFile } from '../src/io/onnx/index.ts';
import { DataLocation, DataType, int64, int64s, onnx } from '../src/io/onnx/proto.ts';
import { modelFromConfig } from '../src/layers/from-config.ts';
import { loadModel, saveModel } from '../src/io/model-file.ts';
import {
  type GraphSpec, argmaxAgreement, buildOnnx, floatDataTensor, forwardAll, heldOutDigits, int64Constant, int64Tensor, maxAbsDiff, node,
  randomWeight, runOrt, softmaxRows, toNhwc,
} from './onnx-helpers.ts';

const DIGIT = [1, 28, 28];
const SAMPLE = 500; // held-out digits per comparison

function digits(n = SAMPLE): Float32Array {
  return heldOutDigits().images.slice(0, n * 784);
}

/** Imports `bytes`, runs miniconv and ONNX Runtime on the same digits, returns both outputs. */
async function importAndRun(bytes: Uint8Array, opts: { nhwc?: boolean; output?: string } = {}) {
  const n = SAMPLE;
  const x = digits(n);
  const imported = importOnnx(bytes);
  const ours = forwardAll(imported.model, x, imported.inputShape);
  const input = imported.info.input;
  const ort = await runOrt(bytes, input, opts.nhwc ? toNhwc(x, n, 1, 28, 28) : x, opts.nhwc ? [n, 28, 28, 1] : [n, ...DIGIT]);
  const theirs = ort[opts.output ?? imported.info.output];
  return { imported, ours, theirs: theirs.data, classes: theirs.dims[1], n };
}

// ---- PyTorch's torch.onnx.export: Conv(bias) Relu MaxPool Conv Relu MaxPool Flatten|Reshape Gemm(transB) Relu Gemm ----

function pytorchNet(opset: number, style: { flatten: 'Flatten' | 'ReshapeConstant' | 'ReshapeInitializer'; initializersAsInputs?: boolean; extras?: boolean }): Uint8Array {
  const init = [
    randomWeight('conv1.weight', [6, 1, 5, 5], 'pt-c1w'), randomWeight('conv1.bias', [6], 'pt-c1b', 25),
    randomWeight('conv2.weight', [12, 6, 3, 3], 'pt-c2w'), randomWeight('conv2.bias', [12], 'pt-c2b', 54),
    randomWeight('fc1.weight', [32, 432], 'pt-f1w'), randomWeight('fc1.bias', [32], 'pt-f1b', 432),
    randomWeight('fc2.weight', [10, 32], 'pt-f2w'), randomWeight('fc2.bias', [10], 'pt-f2b', 32),
  ];
  const pool = (i: string, o: string, name: string) => node('MaxPool', [i], [o], opset >= 10
    ? { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: opset >= 20 ? 1 : 0, ...(opset >= 12 ? { dilations: [1, 1] } : {}) }
    : { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, name);
  const nodes = [
    node('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['/conv1/Conv_output_0'], { dilations: [1, 1], group: 1, kernel_shape: [5, 5], pads: [2, 2, 2, 2], strides: [1, 1] }, '/conv1/Conv'),
    node('Relu', ['/conv1/Conv_output_0'], ['/Relu_output_0'], {}, '/Relu'),
    pool('/Relu_output_0', '/pool/MaxPool_output_0', '/pool/MaxPool'), // (N, 6, 14, 14)
    node('Conv', ['/pool/MaxPool_output_0', 'conv2.weight', 'conv2.bias'], ['/conv2/Conv_output_0'], { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [0, 0, 0, 0], strides: [1, 1] }, '/conv2/Conv'),
    node('Relu', ['/conv2/Conv_output_0'], ['/Relu_1_output_0'], {}, '/Relu_1'),
    pool('/Relu_1_output_0', '/pool_1/MaxPool_output_0', '/pool_1/MaxPool'), // (N, 12, 6, 6)
  ];
  let flat = '/Flatten_output_0';
  if (style.flatten === 'Flatten') nodes.push(node('Flatten', ['/pool_1/MaxPool_output_0'], [flat], { axis: 1 }, '/Flatten'));
  else if (style.flatten === 'ReshapeConstant') {
    nodes.push(int64Constant('/Constant_output_0', [-1, 432], '/Constant'));
    nodes.push(node('Reshape', ['/pool_1/MaxPool_output_0', '/Constant_output_0'], [flat = '/Reshape_output_0'], {}, '/Reshape'));
  } else {
    init.push(int64Tensor('shape', [0, -1]));
    nodes.push(node('Reshape', ['/pool_1/MaxPool_output_0', 'shape'], [flat = '/Reshape_output_0'], opset >= 14 ? { allowzero: 0 } : {}, '/Reshape'));
  }
  if (style.extras) { // what a model in eval mode may still carry
    nodes.push(node('Dropout', [flat], ['/dropout/Dropout_output_0'], {}, '/dropout/Dropout'));
    nodes.push(node('Identity', ['/dropout/Dropout_output_0'], ['/Identity_output_0'], {}, '/Identity'));
    flat = '/Identity_output_0';
  }
  nodes.push(
    node('Gemm', [flat, 'fc1.weight', 'fc1.bias'], ['/fc1/Gemm_output_0'], { alpha: { f: 1 }, beta: { f: 1 }, transB: 1 }, '/fc1/Gemm'),
    node('Relu', ['/fc1/Gemm_output_0'], ['/Relu_2_output_0'], {}, '/Relu_2'),
    node('Gemm', ['/Relu_2_output_0', 'fc2.weight', 'fc2.bias'], ['output'], { alpha: { f: 1 }, beta: { f: 1 }, transB: 1 }, '/fc2/Gemm'),
  );
  return buildOnnx({
    nodes, initializers: init, opset, producer: ['pytorch', opset <= 9 ? '1.4.0' : '2.1.0'],
    input: { name: 'input', dims: ['batch_size', 1, 28, 28] }, outputs: [{ name: 'output', dims: ['batch_size', 10] }],
    initializersAsInputs: style.initializersAsInputs,
  });
}

describe('importOnnx: PyTorch torch.onnx.export layouts, checked against ONNX Runtime', () => {
  const cases: Array<[number, Parameters<typeof pytorchNet>[1]]> = [
    [9, { flatten: 'ReshapeConstant', initializersAsInputs: true }],
    [11, { flatten: 'Flatten', initializersAsInputs: true }],
    [13, { flatten: 'Flatten' }],
    [17, { flatten: 'ReshapeInitializer', extras: true }],
    [20, { flatten: 'Flatten' }],
  ];
  for (const [opset, style] of cases) {
    it(`opset ${opset}, ${style.flatten}${style.initializersAsInputs ? ', initializers also listed as inputs' : ''}${style.extras ? ', Dropout and Identity' : ''}`, async () => {
      const r = await importAndRun(pytorchNet(opset, style));
      expect(r.imported.model.layers.map((l) => l.type)).toEqual(['Conv2D', 'ReLU', 'MaxPool2D', 'Conv2D', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense', 'ReLU', 'Dense']);
      expect(r.imported.inputShape).toEqual(DIGIT);
      expect(r.imported.info).toMatchObject({ opset, input: 'input', output: 'output', inputLayout: 'NCHW' });
      expect(maxAbsDiff(r.ours, r.theirs)).toBeLessThan(1e-4);
      expect(argmaxAgreement(r.ours, r.theirs, 10)).toBe(r.n);
    }, 60_000);
  }
});

// ---- Keras through tf2onnx: NHWC input, Transpose before the convolutions and after them, Reshape, MatMul + Add, Softmax ----

function kerasNet(wrapEveryConv: boolean): Uint8Array {
  const init = [
    randomWeight('sequential/conv2d/Conv2D/ReadVariableOp:0', [8, 1, 3, 3], 'k-c1w'), randomWeight('sequential/conv2d/BiasAdd/ReadVariableOp:0', [8], 'k-c1b', 9),
    randomWeight('sequential/conv2d_1/Conv2D/ReadVariableOp:0', [16, 8, 3, 3], 'k-c2w'), randomWeight('sequential/conv2d_1/BiasAdd/ReadVariableOp:0', [16], 'k-c2b', 72),
    randomWeight('sequential/dense/MatMul/ReadVariableOp:0', [784, 24], 'k-d1w', 784), randomWeight('sequential/dense/BiasAdd/ReadVariableOp:0', [24], 'k-d1b', 784),
    randomWeight('sequential/dense_1/MatMul/ReadVariableOp:0', [24, 10], 'k-d2w', 24), randomWeight('sequential/dense_1/BiasAdd/ReadVariableOp:0', [10], 'k-d2b', 24),
    int64Tensor('const_fold_opt__20', [-1, 784]),
  ];
  const toNchw = (i: string, o: string) => node('Transpose', [i], [o], { perm: [0, 3, 1, 2] }, `${o}__tr`);
  const toNhwcNode = (i: string, o: string) => node('Transpose', [i], [o], { perm: [0, 2, 3, 1] }, `${o}__tr`);
  const nodes = [toNchw('input_1', 't0')];
  // Keras 'same' padding: tf2onnx writes explicit pads for one conv here and auto_pad for the other.
  nodes.push(node('Conv', ['t0', init[0].name!, init[1].name!], ['c1'], { dilations: [1, 1], kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], group: 1 }, 'sequential/conv2d/Relu'));
  let v = 'c1';
  if (wrapEveryConv) { nodes.push(toNhwcNode(v, 'c1_nhwc')); v = 'c1_nhwc'; }
  nodes.push(node('Relu', [v], ['r1'], {}, 'sequential/conv2d/Relu_1'));
  v = 'r1';
  if (wrapEveryConv) { nodes.push(toNchw(v, 'r1_nchw')); v = 'r1_nchw'; }
  nodes.push(node('MaxPool', [v], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'sequential/max_pooling2d/MaxPool')); // (N, 8, 14, 14)
  v = 'p1';
  if (wrapEveryConv) { nodes.push(toNhwcNode(v, 'p1_nhwc'), toNchw('p1_nhwc', 'p1_nchw')); v = 'p1_nchw'; }
  nodes.push(node('Conv', [v, init[2].name!, init[3].name!], ['c2'], { auto_pad: 'SAME_UPPER', kernel_shape: [3, 3], strides: [1, 1] }, 'sequential/conv2d_1/Relu'));
  nodes.push(node('Relu', ['c2'], ['r2'], {}, 'sequential/conv2d_1/Relu_1'));
  nodes.push(node('MaxPool', ['r2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] }, 'sequential/max_pooling2d_1/MaxPool')); // (N, 16, 7, 7)
  nodes.push(toNhwcNode('p2', 'p2_nhwc'));
  nodes.push(node('Reshape', ['p2_nhwc', 'const_fold_opt__20'], ['flat'], {}, 'sequential/flatten/Reshape'));
  nodes.push(
    node('MatMul', ['flat', init[4].name!], ['m1'], {}, 'sequential/dense/MatMul'),
    node('Add', ['m1', init[5].name!], ['a1'], {}, 'sequential/dense/BiasAdd'),
    node('Relu', ['a1'], ['d1'], {}, 'sequential/dense/Relu'),
    node('MatMul', ['d1', init[6].name!], ['m2'], {}, 'sequential/dense_1/MatMul'),
    node('Add', ['m2', init[7].name!], ['a2'], {}, 'sequential/dense_1/BiasAdd'),
    node('Softmax', ['a2'], ['dense_1'], { axis: -1 }, 'sequential/dense_1/Softmax'),
  );
  return buildOnnx({
    nodes, initializers: init, opset: 13, producer: ['tf2onnx', '1.16.1 15c810'],
    input: { name: 'input_1', dims: ['unk__26', 28, 28, 1] }, outputs: [{ name: 'dense_1', dims: ['unk__27', 10] }],
  });
}

describe('importOnnx: Keras/tf2onnx layouts (NHWC), checked against ONNX Runtime', () => {
  for (const wrap of [false, true]) {
    it(wrap ? 'a Transpose pair around every convolution and pool (unoptimised tf2onnx)' : 'transposes once at the input and once before the flatten', async () => {
      const r = await importAndRun(kerasNet(wrap), { nhwc: true });
      expect(r.imported.inputShape).toEqual(DIGIT); // the miniconv model takes NCHW
      expect(r.imported.info.inputLayout).toBe('NHWC');
      expect(r.imported.info.dropped.join('\n')).toMatch(/the final Softmax; the model outputs the logits/);
      expect(r.imported.model.layers.map((l) => l.type)).toEqual(['Conv2D', 'ReLU', 'MaxPool2D', 'Conv2D', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense', 'ReLU', 'Dense']);
      // The file outputs probabilities; miniconv outputs the logits whose softmax they are.
      expect(maxAbsDiff(softmaxRows(r.ours, 10), r.theirs)).toBeLessThan(1e-5);
      expect(argmaxAgreement(r.ours, r.theirs, 10)).toBe(r.n);
    }, 60_000);
  }
});

// ---- Biases as separate Adds; Dense as MatMul + Add; Gemm with transB 0; float_data initializers ----

describe('importOnnx: separate bias Adds, MatMul + Add, Gemm transB 0, checked against ONNX Runtime', () => {
  it('Conv + Add [1, F, 1, 1], MatMul + Add [F], Gemm transB 0 with C [1, OUT] and alpha/beta, weights in float_data', async () => {
    const rng = createRng('sep');
    const fd = (name: string, dims: number[]) => floatDataTensor(name, dims, Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => rng.normal() * 0.3));
    const init = [fd('cw', [4, 1, 5, 5]), fd('cb', [1, 4, 1, 1]), fd('cb2', [4, 1, 1]), fd('w1', [4 * 12 * 12, 16]), fd('b1', [16]), fd('w2', [16, 10]), fd('b2', [1, 10])];
    const bytes = buildOnnx({
      opset: 12,
      nodes: [
        node('Conv', ['x', 'cw'], ['c'], { kernel_shape: [5, 5], strides: [1, 1], pads: [0, 0, 0, 0] }, 'conv'), // (N, 4, 24, 24)
        node('Add', ['c', 'cb'], ['cb_out'], {}, 'conv_bias'),
        node('Add', ['cb2', 'cb_out'], ['cb2_out'], {}, 'conv_bias_again'), // constant first, and a second Add folds in too
        node('Relu', ['cb2_out'], ['r'], {}, 'relu'),
        node('MaxPool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'), // (N, 4, 12, 12)
        node('Flatten', ['p'], ['f'], { axis: 1 }, 'flatten'),
        node('MatMul', ['f', 'w1'], ['m'], {}, 'dense1'),
        node('Add', ['m', 'b1'], ['a'], {}, 'dense1_bias'),
        node('Relu', ['a'], ['h'], {}, 'relu2'),
        node('Gemm', ['h', 'w2', 'b2'], ['y'], { alpha: { f: 0.5 }, beta: { f: 2 } }, 'dense2'),
      ],
      initializers: init, input: { name: 'x', dims: [1, 1, 28, 28] }, outputs: [{ name: 'y', dims: [1, 10] }],
    });
    // A fixed batch of 1 in the file: compare one digit at a time.
    const imported = importOnnx(bytes);
    expect(imported.model.config().layers).toMatchObject([{ type: 'Conv2D', bias: true }, { type: 'ReLU' }, { type: 'MaxPool2D' }, { type: 'Flatten' }, { type: 'Dense', bias: true }, { type: 'ReLU' }, { type: 'Dense', bias: true }]);
    const x = digits(20);
    const ours = forwardAll(imported.model, x, DIGIT);
    const theirs = new Float32Array(ours.length);
    for (let n = 0; n < 20; n++) theirs.set((await runOrt(bytes, 'x', x.slice(n * 784, (n + 1) * 784), [1, ...DIGIT])).y.data, n * 10);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4);
    expect(argmaxAgreement(ours, theirs, 10)).toBe(20);
  }, 60_000);

  it('dilation and groups: imported when this miniconv\'s Conv2D has them, else a clear error', async () => {
    const bytes = buildOnnx({
      opset: 13,
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2] }, 'dilated'), // (N, 4, 28, 28)
        node('Conv', ['c1', 'w2'], ['c2'], { kernel_shape: [3, 3], strides: [2, 2], group: 2 }, 'grouped'), // (N, 4, 13, 13)
        node('Flatten', ['c2'], ['f'], { axis: 1 }, 'flatten'),
        node('Gemm', ['f', 'w3'], ['y'], { transB: 1 }, 'fc'),
      ],
      initializers: [randomWeight('w1', [4, 1, 3, 3], 'd1'), randomWeight('b1', [4], 'd2'), randomWeight('w2', [4, 2, 3, 3], 'd3'), randomWeight('w3', [10, 676], 'd4')],
      input: { name: 'x', dims: ['N', 1, 28, 28] }, outputs: [{ name: 'y', dims: ['N', 10] }],
    });
    const hasOption = (key: string, value: number) =>
      modelFromConfig({ type: 'Sequential', layers: [{ type: 'Conv2D', inChannels: 2, outChannels: 2, kernelSize: [3, 3], stride: 1, padding: 0, bias: true, [key]: value }] }).layers[0].config()[key] === value;
    if (!hasOption('dilation', 2)) {
      expect(() => importOnnx(bytes)).toThrow(/node 'dilated' \(Conv\): dilation 2 is not supported by this miniconv's Conv2D/);
    } else if (!hasOption('groups', 2)) {
      expect(() => importOnnx(bytes)).toThrow(/node 'grouped' \(Conv\): groups 2 is not supported by this miniconv's Conv2D/);
    } else {
      const r = await importAndRun(bytes);
      expect(maxAbsDiff(r.ours, r.theirs)).toBeLessThan(1e-4);
    }
  }, 60_000);
});

// ---- Round trip ----

describe('importOnnx: round trip export -> import', () => {
  it('the default digit model comes back with the same layers and bit-identical logits', () => {
    const model = createDigitModel(11);
    const back = importOnnx(exportOnnx(model, DIGIT));
    expect(back.inputShape).toEqual(DIGIT);
    expect(back.model.config().layers).toEqual(model.config().layers);
    expect(back.info.dropped).toEqual([expect.stringMatching(/node 'softmax' \(Softmax\): a second output, the softmax of 'logits'/)]);
    const x = digits(300);
    expect(Array.from(forwardAll(back.model, x, DIGIT))).toEqual(Array.from(forwardAll(model, x, DIGIT)));
  });

  it('every layer kind: stride, padding, rectangular kernels, no bias, overlapping pools, a final Flatten', () => {
    const rng = createRng('rt');
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: [3, 5], stride: 2, padding: 2, bias: false, rng }), // (N, 3, 15, 14)
      new ReLU(), new MaxPool2D({ size: 3, stride: 2 }), // (N, 3, 7, 6)
      new Conv2D({ inChannels: 3, outChannels: 10, kernelSize: [7, 6], rng, biasInit: 'heNormal' }), new Flatten(), // (N, 10)
    ]);
    const back = importOnnx(exportOnnx(model, DIGIT));
    expect(back.model.config().layers).toEqual(model.config().layers);
    const x = digits(100);
    expect(Array.from(forwardAll(back.model, x, DIGIT))).toEqual(Array.from(forwardAll(model, x, DIGIT)));
  });

  it('files: model.json -> exportOnnxFile -> importOnnxFile -> model.json, the preprocess record kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-onnx-rt-'));
    const model = new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng(2) })]);
    saveModel(join(dir, 'a.json'), model, DIGIT, { preprocess: { mean: 0.1307, std: 0.3081 } });
    exportOnnxFile(join(dir, 'a.json'), join(dir, 'a.onnx'));
    const r = importOnnxFile(join(dir, 'a.onnx'), join(dir, 'b.json'));
    expect(r.preprocess).toEqual({ mean: 0.1307, std: 0.3081 });
    const { model: b, metadata } = loadModel(join(dir, 'b.json'));
    expect(metadata.preprocess).toEqual({ mean: 0.1307, std: 0.3081 });
    expect(metadata).toMatchObject({ source: 'onnx', onnx: { file: 'a.onnx', producer: 'miniconv 0.1.0', opset: 13, irVersion: 7, inputLayout: 'NCHW' } });
    const x = new Tensor([5, ...DIGIT], digits(5));
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(model.forward(x).data));
  });
});

// ---- Preprocessing ----

describe('preprocess: recorded at import, applied by applyPreprocess', () => {
  it('a model trained on (x - 0.5) / 0.5: ONNX Runtime on normalised digits = miniconv on applyPreprocess(raw digits)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-onnx-pre-'));
    const bytes = pytorchNet(13, { flatten: 'Flatten' });
    writeFileSync(join(dir, 'net.onnx'), bytes);
    const r = importOnnxFile(join(dir, 'net.onnx'), join(dir, 'net.json'), { preprocess: { mean: 0.5, std: 0.5 } });
    expect(r.preprocess).toEqual({ mean: 0.5, std: 0.5 });
    const { model, metadata } = loadModel(join(dir, 'net.json'));
    expect(metadata.preprocess).toEqual({ mean: 0.5, std: 0.5 });
    const raw = digits(100);
    const normalised = raw.map((v) => (v - 0.5) / 0.5);
    const theirs = (await runOrt(bytes, 'input', normalised, [100, ...DIGIT])).output.data;
    const ours = model.forward(applyPreprocess(new Tensor([100, ...DIGIT], raw), metadata.preprocess as { mean: number; std: number })).data;
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4);
  }, 60_000);

  it('applyPreprocess works per channel and leaves its input alone', () => {
    const x = new Tensor([2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const y = applyPreprocess(x, { mean: [1, 3], std: [2, 0.5] });
    expect(Array.from(y.data)).toEqual([0, 0.5, 0, 2, 2, 2.5, 8, 10]);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('rejects a bad preprocess record, naming what was wrong', () => {
    const x = new Tensor([1, 2, 1, 1], [1, 2]);
    expect(() => applyPreprocess(x, { mean: 0, std: 0 })).toThrow(/applyPreprocess: std must be a positive finite number/);
    expect(() => applyPreprocess(x, { mean: [0, 0, 0], std: 1 })).toThrow(/mean has 3 values, expected one per input channel \(2\)/);
    expect(() => applyPreprocess(x, { mean: Number.NaN, std: 1 })).toThrow(/mean must be a finite number/);
    expect(() => applyPreprocess(new Tensor([3], [1, 2, 3]), { mean: 0, std: 1 })).toThrow(/input must be \(N, C, \.\.\.\)/);
    expect(() => importOnnx(pytorchNet(13, { flatten: 'Flatten' }), { preprocess: { mean: [0.5, 0.5], std: 0.5 } })).toThrow(/importOnnx: preprocess: mean has 2 values, expected one per input channel \(1\)/);
    const bad = buildOnnx({ ...tinySpec(), metadata: { 'miniconv.preprocess': '{"mean": 0.5' } });
    expect(() => importOnnx(bad)).toThrow(/metadata miniconv.preprocess is invalid/);
  });
});

// ---- Errors ----

/** A minimal valid graph (Flatten, Gemm) that the error tests break one way at a time. */
function tinySpec(): GraphSpec {
  return {
    opset: 13,
    nodes: [node('Flatten', ['x'], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', 'w'], ['y'], { transB: 1 }, 'fc')],
    initializers: [randomWeight('w', [10, 16], 'tiny')],
    input: { name: 'x', dims: ['N', 1, 4, 4] }, outputs: [{ name: 'y', dims: ['N', 10] }],
  };
}

/** tinySpec with the nodes before the final Flatten + Gemm replaced, for a (N, 1, 4, 4) input. */
function withNodes(nodes: ReturnType<typeof node>[], last: string, initializers: GraphSpec['initializers'] = [], extra: Partial<GraphSpec> = {}): Uint8Array {
  const t = tinySpec();
  return buildOnnx({ ...t, ...extra, nodes: [...nodes, node('Flatten', [last], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', 'w'], ['y'], { transB: 1 }, 'fc')], initializers: [...t.initializers!, ...initializers] });
}

describe('importOnnx: errors name the node, its op type and what is supported', () => {
  it('the tiny graph itself imports (so each error below comes from the one change)', () => {
    expect(importOnnx(buildOnnx(tinySpec())).model.layers.map((l) => l.type)).toEqual(['Flatten', 'Dense']);
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => importOnnx(new Uint8Array())).toThrow(/importOnnx: expected the bytes of an \.onnx file/);
    expect(() => importOnnx(buildOnnx(tinySpec()).subarray(0, 60))).toThrow(/importOnnx: not an ONNX model \(the protobuf does not decode/);
    expect(() => importOnnx(onnx.ModelProto.encode({ irVersion: int64(7), opsetImport: [{ domain: '', version: int64(13) }] }))).toThrow(/holds no ONNX graph/);
  });

  it('rejects an opset outside 9 to 20', () => {
    expect(() => importOnnx(buildOnnx({ ...tinySpec(), opset: 8 }))).toThrow(/uses ONNX opset 8; supported: 9 to 20/);
    expect(() => importOnnx(buildOnnx({ ...tinySpec(), opset: 21 }))).toThrow(/uses ONNX opset 21; supported: 9 to 20/);
  });

  it('rejects an unsupported op, naming it and listing the supported ones', () => {
    expect(() => importOnnx(withNodes([node('LRN', ['x'], ['l'], { size: 3 }, 'norm1')], 'l')))
      .toThrow(/importOnnx: node 'norm1' \(LRN\): op type LRN is not supported; supported: Conv, Relu, Tanh, Sigmoid, MaxPool, AveragePool, GlobalAveragePool, Squeeze, BatchNormalization, Flatten, Reshape, Gemm, MatMul, Add, Transpose/);
    expect(() => importOnnx(withNodes([node('Softmax', ['x'], ['s'], { axis: 1 }, 'mid')], 's'))).toThrow(/node 'mid' \(Softmax\): op type Softmax is not supported/);
    const custom = onnx.NodeProto.create({ opType: 'FusedConv', domain: 'com.microsoft', input: ['x'], output: ['c'], name: 'fused' });
    expect(() => importOnnx(withNodes([custom], 'c'))).toThrow(/node 'fused' \(FusedConv\): op domain 'com.microsoft' is not supported/);
  });

  const conv = (attrs: Record<string, unknown>, w = 'cw', name = 'conv') => node('Conv', ['x', w], ['c'], attrs as never, name);
  const cw = randomWeight('cw', [1, 1, 1, 1], 'cw');
  it('rejects Conv options that Conv2D does not have', () => {
    expect(() => importOnnx(withNodes([conv({ pads: [0, 0, 1, 1] })], 'c', [cw]))).toThrow(/node 'conv' \(Conv\): pads \[0, 0, 1, 1\] are not the same on every side/);
    expect(() => importOnnx(withNodes([conv({ strides: [1, 2] })], 'c', [cw]))).toThrow(/node 'conv' \(Conv\): strides \[1, 2\] differ between height and width/);
    expect(() => importOnnx(withNodes([conv({ strides: 2 })], 'c', [cw]))).toThrow(/node 'conv' \(Conv\): attribute strides has type INT, expected INTS/);
    expect(() => importOnnx(withNodes([conv({ auto_pad: 'SAME_UPPER', kernel_shape: [2, 2] }, 'cw2')], 'c', [randomWeight('cw2', [1, 1, 2, 2], 'x')])))
      .toThrow(/auto_pad SAME_UPPER needs a total padding of 1 \(height\) and 1 \(width\) here, which equal padding on every side cannot give/);
    expect(() => importOnnx(withNodes([conv({ kernel_shape: [3, 3] })], 'c', [cw]))).toThrow(/kernel_shape \[3, 3\] does not match the weight's \[1, 1\]/);
    expect(() => importOnnx(withNodes([conv({}, 'cw3')], 'c', [randomWeight('cw3', [1, 3, 1, 1], 'x')]))).toThrow(/takes 3 channels, but the input has 1/);
    expect(() => importOnnx(withNodes([conv({}, 'cw4')], 'c', [randomWeight('cw4', [1, 1, 3], 'x')]))).toThrow(/weight has dims \[1, 1, 3\], expected 4 \(F, C\/group, KH, KW\)/);
    expect(() => importOnnx(withNodes([conv({}, 'nowhere')], 'c'))).toThrow(/node 'conv' \(Conv\): takes a computed value other than 'x' \(x, nowhere\)/);
    expect(() => importOnnx(withNodes([conv({ kernel_shape: [9, 9] }, 'cw5')], 'c', [randomWeight('cw5', [1, 1, 9, 9], 'x')]))).toThrow(/node 'conv' \(Conv\): Conv2D\(conv2d_1\): input 4x4 .* is smaller than the 9x9 kernel/);
  });

  it('rejects MaxPool options that MaxPool2D does not have', () => {
    const pool = (attrs: Record<string, unknown>, outputs = ['p']) => node('MaxPool', ['x'], outputs, attrs as never, 'pool');
    expect(() => importOnnx(withNodes([pool({ kernel_shape: [2, 3] })], 'p'))).toThrow(/node 'pool' \(MaxPool\): kernel_shape \[2, 3\] is not a square 2-D window/);
    expect(() => importOnnx(withNodes([pool({ kernel_shape: [2, 2], pads: [1, 1, 1, 1] })], 'p'))).toThrow(/padding 1 is not supported by MaxPool2D/);
    expect(() => importOnnx(withNodes([pool({ kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })], 'p'))).toThrow(/ceil_mode 1 keeps a partial window on this 4x4 input/);
    expect(() => importOnnx(withNodes([pool({ kernel_shape: [2, 2], dilations: [2, 2] })], 'p'))).toThrow(/dilations 2 are not supported by MaxPool2D/);
    const idx = withNodes([pool({ kernel_shape: [2, 2] }, ['p', 'idx']), node('Relu', ['idx'], ['ri'], {}, 'uses_indices')], 'p');
    expect(() => importOnnx(idx)).toThrow(/node 'pool' \(MaxPool\): its Indices output is used/);
  });

  it('rejects a Reshape that is not a flatten, or whose shape is computed at run time', () => {
    const reshape = (shape: number[]) => withNodes([node('Reshape', ['x', 's'], ['r'], {}, 'reshape')], 'r', [int64Tensor('s', shape)]);
    expect(() => importOnnx(reshape([1, 2, -1]))).toThrow(/node 'reshape' \(Reshape\): reshape to \[1, 2, -1\] from \[N, 1, 4, 4\] is not supported; expected a flatten to \(N, 16\)/);
    expect(() => importOnnx(reshape([-1, -1]))).toThrow(/reshape to \[-1, -1\]/);
    expect(() => importOnnx(reshape([-1, 8]))).toThrow(/reshape to \[-1, 8\]/);
    const dynamic = withNodes([
      node('Shape', ['x'], ['sh'], {}, 'shape'), node('Gather', ['sh', 'zero'], ['n'], { axis: 0 }, 'gather'),
      node('Unsqueeze', ['n'], ['n1'], { axes: [0] }, 'unsq'), node('Concat', ['n1', 'minus1'], ['s2'], { axis: 0 }, 'concat'),
      node('Reshape', ['x', 's2'], ['r'], {}, 'reshape'),
    ], 'r', [int64Tensor('zero', [0]), int64Tensor('minus1', [-1])]);
    expect(() => importOnnx(dynamic)).toThrow(/value 'x' goes to 2 nodes \(.*'shape' \(Shape\).*\) \(a Shape node: a reshape computed at run time; in PyTorch use nn.Flatten/);
  });

  it('rejects Gemm, MatMul and Add that are not a Dense layer or a bias', () => {
    const gemm = (attrs: Record<string, unknown>, w = 'w') => buildOnnx({ ...tinySpec(), nodes: [node('Flatten', ['x'], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', w], ['y'], attrs as never, 'fc')], initializers: [randomWeight('w', [10, 16], 't'), randomWeight('w2', [10, 17], 't')] });
    expect(() => importOnnx(gemm({ transA: 1, transB: 1 }))).toThrow(/node 'fc' \(Gemm\): transA 1 is not supported/);
    expect(() => importOnnx(gemm({ transB: 0 }))).toThrow(/node 'fc' \(Gemm\): weight B has dims \[10, 16\], expected \[16, OUT\] \(transB 0\)/);
    expect(() => importOnnx(gemm({ transB: 1 }, 'w2'))).toThrow(/weight B has dims \[10, 17\], expected \[OUT, 16\] \(transB 1\)/);
    const noFlatten = buildOnnx({ ...tinySpec(), nodes: [node('Gemm', ['x', 'w'], ['y'], { transB: 1 }, 'fc')] });
    expect(() => importOnnx(noFlatten)).toThrow(/node 'fc' \(Gemm\): receives \[N, 1, 4, 4\], expected features \(N, F\); put a Flatten before it/);
    expect(() => importOnnx(withNodes([node('Relu', ['x'], ['r'], {}, 'relu'), node('Add', ['r', 'r'], ['a'], {}, 'residual')], 'a')))
      .toThrow(/node 'residual' \(Add\): adds 'r' to itself; miniconv reads an Add as a bias .* or as the join of a residual block's two branches/);
    expect(() => importOnnx(withNodes([node('Relu', ['x'], ['r'], {}, 'relu'), node('Add', ['r', 'k'], ['a'], {}, 'shift')], 'a', [randomWeight('k', [1], 'k')])))
      .toThrow(/node 'shift' \(Add\): adds a constant that does not follow a Conv, Gemm or MatMul/);
    expect(() => importOnnx(withNodes([conv({}), node('Add', ['c', 'k'], ['a'], {}, 'pixel_bias')], 'a', [cw, randomWeight('k', [1, 1, 4, 4], 'k')])))
      .toThrow(/node 'pixel_bias' \(Add\): the constant has dims \[1, 1, 4, 4\], which is not a per-channel bias of \[N, 1, 4, 4\]; expected e.g. \[1, 1, 1, 1\]/);
    const leftMatMul = buildOnnx({ ...tinySpec(), nodes: [node('Flatten', ['x'], ['f'], { axis: 1 }, 'flatten'), node('MatMul', ['w', 'f'], ['y'], {}, 'mm')], initializers: [randomWeight('w', [10, 16], 't')] });
    expect(() => importOnnx(leftMatMul)).toThrow(/node 'mm' \(MatMul\): the constant is the left operand/);
  });

  it('rejects layouts it cannot follow', () => {
    expect(() => importOnnx(withNodes([node('Transpose', ['x'], ['t'], { perm: [0, 1, 3, 2] }, 'swap')], 't')))
      .toThrow(/node 'swap' \(Transpose\): perm \[0,1,3,2\] on a NCHW \[N, 1, 4, 4\] value is not supported; expected NHWC -> NCHW \(0,3,1,2\)/);
    expect(() => importOnnx(withNodes([node('Transpose', ['x'], ['t'], { perm: [0, 2, 3, 1] }, 'to_nhwc'), node('Conv', ['t', 'cw'], ['c'], {}, 'conv')], 'c', [cw])))
      .toThrow(/node 'conv' \(Conv\): receives an NHWC tensor; ONNX convolutions and pools take NCHW/);
    const nhwcOut = buildOnnx({ ...tinySpec(), nodes: [node('Transpose', ['x'], ['t'], { perm: [0, 2, 3, 1] }, 'to_nhwc'), node('Flatten', ['t'], ['y'], { axis: 1 }, 'flatten')], outputs: [{ name: 'y', dims: ['N', 16] }] });
    expect(() => importOnnx(nhwcOut)).toThrow(/flattens an NHWC tensor and outputs it without a Dense layer/);
  });

  it('rejects graph inputs, outputs and initializers it cannot read', () => {
    expect(() => importOnnx(buildOnnx({ ...tinySpec(), input: { name: 'x', dims: ['N', 1, 'H', 4] } }))).toThrow(/input 'x' has no fixed size at dim 2 \(H\)/);
    expect(() => importOnnx(buildOnnx({ ...tinySpec(), input: { name: 'x', dims: ['N', 4, 4] } }))).toThrow(/input 'x' has rank 3; expected \(N, C, H, W\), \(N, H, W, C\) or \(N, features\)/);
    const two = onnx.ModelProto.decode(buildOnnx(tinySpec()));
    two.graph!.input!.push(onnx.ValueInfoProto.create({ name: 'extra', type: two.graph!.input![0].type }));
    expect(() => importOnnx(onnx.ModelProto.encode(two))).toThrow(/the graph has 2 inputs that are not initializers \(x, extra\); expected one/);
    const intInput = onnx.ModelProto.decode(buildOnnx(tinySpec()));
    const intType = intInput.graph!.input[0].type!.value;
    if (intType.case === 'tensorType') intType.value.elemType = DataType.INT64;
    expect(() => importOnnx(onnx.ModelProto.encode(intInput))).toThrow(/input 'x' is not a float tensor \(type INT64\); expected FLOAT/);
    const external = onnx.ModelProto.decode(buildOnnx(tinySpec()));
    external.graph!.initializer![0].dataLocation = DataLocation.EXTERNAL;
    external.graph!.initializer![0].rawData = new Uint8Array();
    expect(() => importOnnx(onnx.ModelProto.encode(external))).toThrow(/initializer 'w': the values are stored in an external file/);
    const short = onnx.ModelProto.decode(buildOnnx(tinySpec()));
    short.graph!.initializer![0].rawData = short.graph!.initializer![0].rawData!.subarray(0, 12);
    expect(() => importOnnx(onnx.ModelProto.encode(short))).toThrow(/initializer 'w': raw_data holds 12 bytes, expected 640 for dims \[10, 16\]/);
    const half = onnx.ModelProto.decode(buildOnnx(tinySpec()));
    half.graph!.initializer![0].dataType = DataType.FLOAT16;
    expect(() => importOnnx(onnx.ModelProto.encode(half))).toThrow(/initializer 'w': data type FLOAT16 is not supported/);
    const huge = onnx.ModelProto.decode(buildOnnx(tinySpec()));
    huge.graph!.initializer[0].dims = int64s([1 << 20, 1 << 20]);
    expect(() => importOnnx(onnx.ModelProto.encode(huge))).toThrow(/initializer 'w': dims \[1048576, 1048576\] hold 1099511627776 values, more than/);
  });

  it('rejects graphs that are not one chain from the input to the output', () => {
    const stray = buildOnnx({ ...tinySpec(), nodes: [...tinySpec().nodes, node('Relu', ['w'], ['unused'], {}, 'stray')] });
    expect(() => importOnnx(stray)).toThrow(/node 'stray' \(Relu\) is not on the path from input 'x' to output 'y'/);
    const deadEnd = buildOnnx({ ...tinySpec(), outputs: [{ name: 'elsewhere', dims: ['N', 10] }] });
    expect(() => importOnnx(deadEnd)).toThrow(/value 'y' leads nowhere: no node uses it and it is not a graph output/);
    const branch = buildOnnx({ ...tinySpec(), nodes: [...tinySpec().nodes, node('Relu', ['f'], ['side'], {}, 'side')], outputs: [...tinySpec().outputs, { name: 'side', dims: ['N', 16] }] });
    expect(() => importOnnx(branch)).toThrow(/value 'f' goes to 2 nodes \(importOnnx: node 'fc' \(Gemm\), importOnnx: node 'side' \(Relu\)\)/);
    const nothing = buildOnnx({ ...tinySpec(), nodes: [node('Identity', ['x'], ['y'], {}, 'id')] });
    expect(() => importOnnx(nothing)).toThrow(/the graph has no layers miniconv can build/);
    const emptyConst = buildOnnx({ ...tinySpec(), nodes: [node('Constant', [], ['k'], {}, 'k'), ...tinySpec().nodes] });
    expect(() => importOnnx(emptyConst)).toThrow(/node 'k' \(Constant\): has none of value, value_float\(s\), value_int\(s\)/);
  });

  it('readOnnxFile: a missing file, a folder, an empty file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-onnx-err-'));
    mkdirSync(join(dir, 'folder.onnx'));
    writeFileSync(join(dir, 'empty.onnx'), '');
    expect(() => readOnnxFile(join(dir, 'missing.onnx'))).toThrow(/importOnnx: no such file: .*missing\.onnx/);
    expect(() => readOnnxFile(join(dir, 'folder.onnx'))).toThrow(/folder\.onnx is not a regular file/);
    expect(() => readOnnxFile(join(dir, 'empty.onnx'))).toThrow(/empty\.onnx is empty; expected an \.onnx file/);
    expect(() => importOnnxFile(join(dir, 'missing.onnx'), join(dir, 'out.json'))).toThrow(/no such file/);
  });
});
