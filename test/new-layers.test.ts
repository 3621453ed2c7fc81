// The new layers (grouped / depthwise / dilated Conv2D, AvgPool2D, GlobalAvgPool2D) against the layer
// contract, in test/backend.test.ts's style: the same numbers on 'naive', 'ts' and 'wasm', forward and
// backward; model files (save, load, and files written before dilation and groups existed); and the
// multiply-adds that summary shows.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AvgPool2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, type Layer, MaxPool2D, ReLU, Sequential, createRng,
} from '../src/index.ts';
import type { Backend } from '../src/kernels/backend.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { deserializeModel, loadModel, saveModel, serializeModel } from '../src/io/model-file.ts';
import { modelFromConfig } from '../src/layers/from-config.ts';
import { expectSameOnEveryBackend, rand } from './helpers.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

const conv = (o: Partial<ConstructorParameters<typeof Conv2D>[0]>, backend?: Backend) =>
  new Conv2D({ inChannels: 4, outChannels: 8, kernelSize: 3, rng: createRng(JSON.stringify(o)), biasInit: 'heNormal', backend, ...o });

const LAYERS: Array<{ name: string; make: (b: Backend) => Layer; x: number[] }> = [
  { name: 'Conv2D groups 2 s2 p1', make: (b) => conv({ groups: 2, stride: 2, padding: 1 }, b), x: [2, 4, 9, 8] },
  { name: 'Conv2D depthwise (groups C) multiplier 2 p1', make: (b) => conv({ groups: 4, padding: 1 }, b), x: [2, 4, 9, 8] },
  { name: 'Conv2D depthwise 5x5 s2 p2 dilation 2', make: (b) => conv({ groups: 4, outChannels: 4, kernelSize: 5, stride: 2, padding: 2, dilation: 2 }, b), x: [3, 4, 11, 10] },
  { name: 'Conv2D dilation 2 groups 1 (TypeScript on wasm)', make: (b) => conv({ dilation: 2, padding: 2 }, b), x: [2, 4, 7, 9] },
  { name: 'AvgPool2D 2/2', make: (backend) => new AvgPool2D({ kernelSize: 2, backend }), x: [2, 3, 7, 6] },
  { name: 'AvgPool2D 3/2', make: (backend) => new AvgPool2D({ kernelSize: 3, stride: 2, backend }), x: [2, 3, 9, 8] },
  { name: 'GlobalAvgPool2D', make: (backend) => new GlobalAvgPool2D({ backend }), x: [3, 5, 4, 7] },
  {
    name: 'Sequential depthwise separable block (fused ReLUs) + GlobalAvgPool2D + Dense',
    make: (backend) => {
      const rng = createRng(3);
      return new Sequential([
        new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }), new ReLU(),
        new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, groups: 4, rng }), new ReLU(),
        new Conv2D({ inChannels: 4, outChannels: 6, kernelSize: 1, rng }), new ReLU(), new AvgPool2D({ kernelSize: 2 }),
        new GlobalAvgPool2D(), new Dense({ inFeatures: 6, outFeatures: 3, rng }),
      ]).setBackend(backend);
    },
    x: [2, 1, 8, 8],
  },
];

describe.each(LAYERS)('$name gives the same numbers on every backend', ({ make, x: shape }) => {
  it('forward, dx and every parameter gradient agree with naive (float32, relative 1e-5)', () => {
    // Two passes on the same layer: reused buffers hold no stale values, gradients add.
    expectSameOnEveryBackend(make, shape, 2);
  });
});

describe('model files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-layers-'));
  const model = () => {
    const rng = createRng(5);
    return new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng, biasInit: 'heNormal' }), new ReLU(),
      new Conv2D({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 2, dilation: 2, groups: 4, rng, biasInit: 'heNormal' }),
      new AvgPool2D({ kernelSize: 3, stride: 2 }),
      new Conv2D({ inChannels: 8, outChannels: 6, kernelSize: 1, groups: 2, bias: false, rng }),
      new MaxPool2D({ kernelSize: 2 }), new GlobalAvgPool2D(), new Dense({ inFeatures: 6, outFeatures: 10, rng }),
    ]);
  };

  it('every new layer saves and loads: same config, bit-identical predictions, at another input size too', () => {
    const m = model();
    const file = join(dir, 'new.json');
    saveModel(file, m, [1, 12, 12]);
    const { model: back } = loadModel(file);
    expect(back.config()).toEqual(m.config());
    const c2 = back.layers[2] as Conv2D;
    expect([c2.dilation, c2.groups, c2.weight.value.shape]).toEqual([2, 4, [8, 1, 3, 3]]);
    for (const shape of [[2, 1, 12, 12], [1, 1, 17, 15]]) {
      const x = rand(shape, 'file-x');
      expect(Array.from(back.forward(x).data)).toEqual(Array.from(m.forward(x).data));
    }
  });

  it('config() holds dilation and groups; AvgPool2D and GlobalAvgPool2D their options', () => {
    const layers = model().config().layers as Array<Record<string, unknown>>;
    expect(layers[2]).toMatchObject({ type: 'Conv2D', dilation: 2, groups: 4, kernelSize: [3, 3], padding: 2 });
    expect(layers[3]).toEqual({ type: 'AvgPool2D', name: 'avgpool2d_1', kernelSize: 3, stride: 2 });
    expect(layers[6]).toEqual({ type: 'GlobalAvgPool2D', name: 'globalavgpool2d_1' });
  });

  it('a file written before dilation and groups existed (no such keys) still loads, as an ordinary conv', () => {
    const rng = createRng(6);
    const old = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      new Flatten(), new Dense({ inFeatures: 3 * 4 * 4, outFeatures: 10, rng }),
    ]);
    const doc = JSON.parse(serializeModel(old, [1, 8, 8]));
    for (const l of doc.architecture.layers) { delete l.dilation; delete l.groups; }
    expect(JSON.stringify(doc)).not.toMatch(/dilation|groups/);
    const { model: back } = deserializeModel(JSON.stringify(doc), 'old.json');
    const c = back.layers[0] as Conv2D;
    expect([c.dilation, c.groups]).toEqual([1, 1]);
    const x = rand([2, 1, 8, 8], 'old-x');
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(old.forward(x).data));
  });

  it('a file with bad groups or dilation is rejected with the layer named', () => {
    const doc = JSON.parse(serializeModel(model(), [1, 12, 12]));
    const bad = (mutate: (d: any) => void) => { const d = structuredClone(doc); mutate(d); return JSON.stringify(d); };
    expect(() => deserializeModel(bad((d) => { d.architecture.layers[2].groups = 3; }), 'm.json'))
      .toThrow(/Conv2D\(conv2d_2\): groups 3 must divide inChannels 4 and outChannels 8/);
    expect(() => deserializeModel(bad((d) => { d.architecture.layers[2].dilation = 0; }), 'm.json'))
      .toThrow(/Conv2D\(conv2d_2\): dilation must be an integer >= 1, got 0/);
    expect(() => deserializeModel(bad((d) => { d.architecture.layers[2].groups = 1; }), 'm.json'))
      .toThrow(/weight 'conv2d_2.weight' has shape \[8, 1, 3, 3\], expected \[8, 4, 3, 3\]/);
    expect(() => deserializeModel(bad((d) => { d.architecture.layers[3].kernelSize = 0; }), 'm.json'))
      .toThrow(/AvgPool2D\(avgpool2d_1\): kernelSize must be an integer >= 1, got 0/);
  });

  it('modelFromConfig builds the new types', () => {
    const m = modelFromConfig({ type: 'Sequential', layers: [{ type: 'AvgPool2D', kernelSize: 2 }, { type: 'GlobalAvgPool2D' }] });
    expect(m.layers.map((l) => l.type)).toEqual(['AvgPool2D', 'GlobalAvgPool2D']);
    expect((m.layers[0] as AvgPool2D).stride).toBe(2);
  });
});

describe('multiply-adds (Layer.macs) and the summary column', () => {
  it('Conv2D: F*OH*OW * C/G*KH*KW per image; depthwise separable is cheaper than the standard conv it replaces', () => {
    const std = new Conv2D({ inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1, weightInit: 'zeros' });
    expect(std.macs([1, 32, 14, 14])).toBe(64 * 14 * 14 * 32 * 9);
    const dw = new Conv2D({ inChannels: 32, outChannels: 32, kernelSize: 3, padding: 1, groups: 32, weightInit: 'zeros' });
    const pw = new Conv2D({ inChannels: 32, outChannels: 64, kernelSize: 1, weightInit: 'zeros' });
    expect(dw.macs([1, 32, 14, 14])).toBe(32 * 14 * 14 * 9);
    expect(pw.macs([1, 32, 14, 14])).toBe(64 * 14 * 14 * 32);
    // MobileNet's ratio: 1/F + 1/(KH*KW).
    expect((dw.macs([1, 32, 14, 14]) + pw.macs([1, 32, 14, 14])) / std.macs([1, 32, 14, 14])).toBeCloseTo(1 / 64 + 1 / 9, 12);
    const grouped = new Conv2D({ inChannels: 32, outChannels: 64, kernelSize: 3, stride: 2, padding: 1, dilation: 2, groups: 4, weightInit: 'zeros' });
    expect(grouped.macs([1, 32, 14, 14])).toBe(64 * 6 * 6 * 8 * 9); // OH = floor((14 + 2 - 4 - 1) / 2) + 1 = 6
  });
  it('Dense: IN*OUT; pools, activations and reshapes: 0; a shape the layer cannot take throws', () => {
    expect(new Dense({ inFeatures: 784, outFeatures: 10, weightInit: 'zeros' }).macs([1, 784])).toBe(7840);
    expect(new MaxPool2D({ kernelSize: 2 }).macs([1, 3, 8, 8])).toBe(0);
    expect(new AvgPool2D({ kernelSize: 2 }).macs([1, 3, 8, 8])).toBe(0);
    expect(new GlobalAvgPool2D().macs([1, 3, 8, 8])).toBe(0);
    expect(new ReLU().macs([1, 3, 8, 8])).toBe(0);
    expect(new Flatten().macs([1, 3, 8, 8])).toBe(0);
    expect(() => new Dense({ inFeatures: 4, outFeatures: 2, weightInit: 'zeros' }).macs([1, 5])).toThrow(/input has 5 features/);
    expect(() => new AvgPool2D({ kernelSize: 3 }).macs([1, 1, 2, 2])).toThrow(RangeError);
  });
  it('Sequential.macs sums its layers at the shapes they see; summary shows the column and the total', () => {
    const rng = createRng(1);
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      new Conv2D({ inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, groups: 8, rng }),
      new Conv2D({ inChannels: 8, outChannels: 16, kernelSize: 1, rng }), new GlobalAvgPool2D(), new Dense({ inFeatures: 16, outFeatures: 10, rng }),
    ]);
    const perLayer = [8 * 28 * 28 * 25, 0, 0, 8 * 14 * 14 * 9, 16 * 14 * 14 * 8, 0, 160];
    const total = perLayer.reduce((a, b) => a + b, 0);
    expect(model.macs([1, 1, 28, 28])).toBe(total);
    const text = model.summary([1, 28, 28], false);
    expect(text).toMatch(/Layer \(type\)\s+Output shape\s+Params\s+Mult-adds/);
    expect(text).toMatch(/conv2d_1 \(Conv2D\)\s+\[N, 8, 28, 28\]\s+208\s+156,800/);
    expect(text).toMatch(/conv2d_2 \(Conv2D\)\s+\[N, 8, 14, 14\]\s+80\s+14,112/);
    expect(text).toMatch(/maxpool2d_1 \(MaxPool2D\)\s+\[N, 8, 14, 14\]\s+0\s+0/);
    expect(text).toContain(`Mult-adds per image: ${total.toLocaleString('en-US')}`);
    // The rules are as wide as the table.
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('Layer (type)'))!;
    expect(lines[1].length).toBe(header.length);
  });
});
