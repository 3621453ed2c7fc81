// exportOnnx checked by ONNX Runtime: every layer kind, the default digit model trained briefly, on
// the 2,000 held-out digits; logits within 1e-4 of miniconv's and every argmax the same.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../datasets/mnist.ts';
import { Conv2D, Dense, Flatten, Layer, type LayerConfig, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { exportOnnx, exportOnnxFile, LAYER_EXPORTERS, ONNX_IR_VERSION, ONNX_OPSET } from '../src/io/onnx/index.ts';
import { onnx } from '../src/io/onnx/proto.ts';
import { saveModel } from '../src/io/model-file.ts';
import { trainStep } from '../src/train/step.ts';
import { argmaxAgreement, forwardAll, heldOutDigits, maxAbsDiff, runOrt, softmaxRows } from './onnx-helpers.ts';

const DIGIT = [1, 28, 28];

/** Exports, runs ONNX Runtime on the 2,000 held-out digits, and compares with model.forward. */
async function compareOnDigits(model: Sequential) {
  const { images, count } = heldOutDigits();
  const ours = forwardAll(model, images, DIGIT);
  const out = await runOrt(exportOnnx(model, DIGIT), 'input', images, [count, ...DIGIT]);
  const classes = out.logits.dims[1];
  return {
    diff: maxAbsDiff(ours, out.logits.data),
    agree: argmaxAgreement(ours, out.logits.data, classes),
    probsDiff: maxAbsDiff(softmaxRows(ours, classes), out.probs.data),
    count, dims: out.logits.dims,
  };
}

describe('exportOnnx: the default digit model', () => {
  let model: Sequential;
  beforeAll(() => {
    // Trained briefly (300 steps of 32) so that the weights are not the initialisation.
    model = createDigitModel(7);
    const { train } = loadDigits();
    const opt = new SGD(model.params(), { lr: 0.02, momentum: 0.9 });
    for (let step = 0; step < 300; step++) {
      const start = (step * 32) % (train.count - 32);
      trainStep(model, opt, new Tensor([32, ...DIGIT], train.images.subarray(start * 784, (start + 32) * 784)), train.labels.subarray(start, start + 32));
    }
  }, 120_000);

  it('ONNX Runtime gives its logits within 1e-4 on the 2,000 held-out digits, every argmax the same, and probs = softmax(logits)', async () => {
    const r = await compareOnDigits(model);
    expect(r.dims).toEqual([2000, 10]);
    expect(r.diff).toBeLessThan(1e-4);
    expect(r.agree).toBe(r.count);
    expect(r.probsDiff).toBeLessThan(1e-6);
  }, 60_000);

  it('declares opset 13, IR version 7, a symbolic batch, and outputs logits and probs', async () => {
    const proto = onnx.ModelProto.decode(exportOnnx(model, DIGIT));
    expect(Number(proto.irVersion)).toBe(ONNX_IR_VERSION);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', ONNX_OPSET]]);
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(13);
    const type = proto.graph!.input[0].type!.value;
    const dim = type.case === 'tensorType' ? type.value.shape!.dim : [];
    expect(dim.map((d) => (d.value.case === 'dimParam' ? d.value.value : Number(d.value.value)))).toEqual(['N', 1, 28, 28]);
    expect(proto.graph!.output!.map((o) => o.name)).toEqual(['logits', 'probs']);
    expect(proto.graph!.node!.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
  });

  it('runs any batch size: batch 1 and batch 3 give the rows of the batch-2000 run', async () => {
    const bytes = exportOnnx(model, DIGIT);
    const { images } = heldOutDigits();
    const one = await runOrt(bytes, 'input', images.slice(0, 784), [1, ...DIGIT]);
    const three = await runOrt(bytes, 'input', images.slice(0, 3 * 784), [3, ...DIGIT]);
    const ours = model.forward(new Tensor([3, ...DIGIT], images.slice(0, 3 * 784))).data;
    expect(one.logits.dims).toEqual([1, 10]);
    expect(maxAbsDiff(one.logits.data, ours.subarray(0, 10))).toBeLessThan(1e-4);
    expect(maxAbsDiff(three.logits.data, ours)).toBeLessThan(1e-4);
  });

  it('exportOnnxFile: reads a model file, writes the .onnx atomically (no temporary file left)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-onnx-'));
    saveModel(join(dir, 'm.json'), model, DIGIT, { seed: 7 });
    const r = exportOnnxFile(join(dir, 'm.json'), join(dir, 'm.onnx'));
    expect(readdirSync(dir).sort()).toEqual(['m.json', 'm.onnx']);
    const bytes = new Uint8Array(readFileSync(join(dir, 'm.onnx')));
    expect(r).toEqual({ bytes: bytes.length, inputShape: DIGIT });
    const { images } = heldOutDigits();
    const out = await runOrt(bytes, 'input', images.slice(0, 50 * 784), [50, ...DIGIT]);
    expect(maxAbsDiff(out.logits.data, forwardAll(model, images.slice(0, 50 * 784), DIGIT))).toBeLessThan(1e-4);
  });
});

describe('exportOnnx: every layer kind, on the 2,000 held-out digits', () => {
  const rng = () => createRng('onnx-export');
  const cases: Array<[string, () => Sequential]> = [
    ['Conv2D stride 2 pad 1 without bias, overlapping MaxPool2D 3 stride 2, Dense without bias', () => {
      const r = rng();
      return new Sequential([
        new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, bias: false, rng: r }), // (N, 4, 14, 14)
        new ReLU(), new MaxPool2D({ size: 3, stride: 2 }), new Flatten(), // (N, 4*6*6)
        new Dense({ inFeatures: 144, outFeatures: 12, bias: false, rng: r }), new ReLU(),
        new Dense({ inFeatures: 12, outFeatures: 10, rng: r, biasInit: 'heNormal' }),
      ]);
    }],
    ['Conv2D with a 3x5 kernel and pad 2, two convolutions, naive kernels', () => {
      const r = rng();
      return new Sequential([
        new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: [3, 5], padding: 2, rng: r, biasInit: 'heNormal', backend: 'naive' }), // (N, 3, 30, 28)
        new ReLU({ backend: 'naive' }),
        new Conv2D({ inChannels: 3, outChannels: 5, kernelSize: 1, rng: r, biasInit: 'heNormal' }), // (N, 5, 30, 28)
        new MaxPool2D({ size: 2 }), new Flatten(), // (N, 5*15*14)
        new Dense({ inFeatures: 1050, outFeatures: 10, rng: r }),
      ]);
    }],
    ['a model that ends in Flatten (a 28x28 convolution to 10 channels)', () => new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 10, kernelSize: 28, rng: rng(), biasInit: 'heNormal' }), new Flatten(),
    ])],
    ['Flatten first, then Dense layers (a perceptron)', () => {
      const r = rng();
      return new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 32, rng: r }), new ReLU(), new Dense({ inFeatures: 32, outFeatures: 10, rng: r })]);
    }],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const r = await compareOnDigits(make());
      expect(r.diff).toBeLessThan(1e-4);
      expect(r.agree).toBe(r.count);
    }, 60_000);
  }

  it('a Dense-only model on (N, 20) features', async () => {
    const r = createRng(3);
    const model = new Sequential([new Dense({ inFeatures: 20, outFeatures: 8, rng: r }), new ReLU(), new Dense({ inFeatures: 8, outFeatures: 4, rng: r })]);
    const x = Float32Array.from({ length: 50 * 20 }, () => r.normal());
    const out = await runOrt(exportOnnx(model, [20]), 'input', x, [50, 20]);
    const ours = model.forward(new Tensor([50, 20], x)).data;
    expect(maxAbsDiff(out.logits.data, ours)).toBeLessThan(1e-5);
  });

  it('has an exporter for every layer type that model files can hold (a new layer needs its entry)', async () => {
    const { modelFromConfig } = await import('../src/layers/from-config.ts');
    let message = '';
    try { modelFromConfig({ type: 'Sequential', layers: [{ type: 'NoSuchLayer' }] }); } catch (e) { message = (e as Error).message; }
    const types = /expected one of (.*)$/.exec(message)?.[1].split(', ') ?? [];
    expect(types).toContain('Conv2D');
    for (const t of types) expect(LAYER_EXPORTERS[t], `exporter for ${t}`).toBeTypeOf('function');
  });
});

describe('exportOnnx: errors', () => {
  const model = () => new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng(1) })]);
  it('rejects what is not a Sequential', () => {
    expect(() => exportOnnx({} as Sequential, DIGIT)).toThrow(/exportOnnx: expected a Sequential model/);
  });
  it('rejects a bad input shape, naming it', () => {
    expect(() => exportOnnx(model(), [0, 28, 28])).toThrow(/inputShape must be .* positive integers .*\[0,28,28\]/);
    expect(() => exportOnnx(model(), [])).toThrow(/inputShape/);
    expect(() => exportOnnx(model(), [1, 28, 27])).toThrow(/Dense\(dense_1\): input has 756 features/);
  });
  it('rejects a model whose output is not (N, classes)', () => {
    const conv = new Sequential([new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(1) })]);
    expect(() => exportOnnx(conv, DIGIT)).toThrow(/output is \[N, 2, 26, 26\], expected logits \(N, classes\)/);
  });
  it('rejects a layer type that has no ONNX form, naming the layer and the supported types', () => {
    class Square extends Layer {
      readonly type = 'Square';
      forwardView(x: Tensor) { return new Tensor(x.shape, x.data.map((v) => v * v)); }
      backwardView(dy: Tensor) { return dy; }
      outputShape(s: readonly number[]) { return [...s]; }
      config(): LayerConfig { return { type: this.type, name: this.name }; }
    }
    const m = new Sequential([new Flatten(), new Square(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng(1) })]);
    expect(() => exportOnnx(m, DIGIT)).toThrow(/layer 'square_1' has type Square, which has no ONNX form here; supported: Conv2D, ReLU, MaxPool2D, Flatten, Dense/);
  });
  it('rejects an invalid preprocess record', () => {
    expect(() => exportOnnx(model(), DIGIT, { preprocess: { mean: 0.5, std: 0 } })).toThrow(/exportOnnx: preprocess: std must be a positive finite number/);
  });
});
