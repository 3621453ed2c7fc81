// Model files: round trip, and every corrupt case rejected with a clear error and no model.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';
import { deserializeModel, loadModel, saveModel, serializeModel } from '../src/io/model-file.ts';

function tinyModel(seed: number) {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, stride: 1, padding: 1, rng, biasInit: () => [0.1, -0.2, 0.3] }),
    new ReLU(), new MaxPool2D({ size: 2, stride: 2 }), new Flatten(),
    new Dense({ inFeatures: 3 * 4 * 4, outFeatures: 10, rng }),
  ]);
}
const x = new Tensor([2, 1, 8, 8], Float32Array.from({ length: 128 }, (_, i) => Math.cos(i * 0.3)));
const dir = mkdtempSync(join(tmpdir(), 'miniconv-model-'));

describe('model files', () => {
  it('round-trip: the loaded model gives bit-identical predictions and keeps the metadata', () => {
    const model = tinyModel(1);
    const file = join(dir, 'm.json');
    const snap = model.params()[0].value.clone();
    saveModel(file, model, [1, 8, 8], { seed: 1, epochs: 2, history: [{ epoch: 1, trainLoss: 1, trainAccuracy: 0.5, seconds: 2 }], snapshots: [{ label: 'init', param: 'conv2d_1.weight', value: snap }] });
    const { model: back, inputShape, metadata } = loadModel(file);
    expect(inputShape).toEqual([1, 8, 8]);
    expect(back.config()).toEqual(model.config());
    expect(Array.from(back.forward(x).data)).toEqual(Array.from(model.forward(x).data));
    expect(metadata.seed).toBe(1);
    expect(metadata.history?.[0].trainAccuracy).toBe(0.5);
    expect(Array.from(metadata.snapshots![0].value.data)).toEqual(Array.from(snap.data));
  });

  const good = JSON.parse(serializeModel(tinyModel(2), [1, 8, 8]));
  const bad = (mutate: (doc: any) => void) => { const d = structuredClone(good); mutate(d); return JSON.stringify(d); };
  const cases: Array<[string, string, RegExp]> = [
    ['truncated', JSON.stringify(good).slice(0, 500), /not valid JSON .* it may be truncated/],
    ['not JSON', 'hello', /is not a miniconv model file: not valid JSON/],
    ['foreign JSON', '{"name":"package"}', /is not a miniconv model file \(format undefined, expected "miniconv-model"\)/],
    ['wrong version', bad((d) => { d.version = 99; }), /has version 99; this miniconv reads versions 1 to 2/],
    ['wrong shape', bad((d) => { d.weights['dense_1.weight'].shape = [10, 47]; }), /weight 'dense_1.weight' holds 480 values, expected 470 for shape \[10, 47\]/],
    ['shape not matching the layer', bad((d) => { d.weights['conv2d_1.weight'].shape = [3, 1, 1, 9]; }), /weight 'conv2d_1.weight' has shape \[3, 1, 1, 9\], expected \[3, 1, 3, 3\]/],
    ['short data', bad((d) => { d.weights['conv2d_1.bias'].data = Buffer.alloc(8).toString('base64'); }), /weight 'conv2d_1.bias' holds 2 values, expected 3/],
    ['missing weight', bad((d) => { delete d.weights['dense_1.bias']; }), /weight 'dense_1.bias' is missing/],
    ['extra weight', bad((d) => { d.weights['x.weight'] = d.weights['dense_1.bias']; }), /weight 'x.weight' belongs to no layer/],
    ['unknown layer', bad((d) => { d.architecture.layers[1].type = 'Softplus'; }), /invalid architecture: layer 1 has unknown type "Softplus"/],
    ['bad layer option', bad((d) => { d.architecture.layers[0].stride = 0; }), /invalid architecture: Conv2D\(conv2d_1\): stride must be an integer >= 1, got 0/],
    ['inconsistent layers', bad((d) => { d.architecture.layers[4].inFeatures = 50; }), /invalid architecture: Dense\(dense_1\): input has 48 features/],
    ['NaN weight', bad((d) => { d.weights['dense_1.bias'].data = Buffer.from(new Float32Array(10).fill(NaN).buffer).toString('base64'); }), /holds a non-finite value \(NaN\)/],
  ];
  for (const [name, text, message] of cases) {
    it(`rejects a ${name} file with a clear error`, () => {
      expect(() => deserializeModel(text, 'm.json')).toThrow(message);
      writeFileSync(join(dir, 'bad.json'), text);
      expect(() => loadModel(join(dir, 'bad.json'))).toThrow(/^loadModel: /);
    });
  }
  it('a missing file is named', () => {
    expect(() => loadModel(join(dir, 'none.json'))).toThrow(`loadModel: no such file: ${join(dir, 'none.json')}`);
  });
  it('saving over a file replaces it whole, leaving no temporary files', () => {
    const file = join(dir, 'over.json');
    saveModel(file, tinyModel(3), [1, 8, 8]);
    saveModel(file, tinyModel(4), [1, 8, 8]);
    expect(loadModel(file).model.params()[0].value.data).toEqual(tinyModel(4).params()[0].value.data);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('a save that fails before the rename leaves the previous file intact', () => {
    const file = join(dir, 'keep.json');
    saveModel(file, tinyModel(5), [1, 8, 8]);
    const before = readFileSync(file, 'utf8');
    // The architecture cannot take an input of 2x2: serialisation throws before anything is written.
    expect(() => saveModel(file, tinyModel(6), [1, 2, 2])).toThrow();
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
