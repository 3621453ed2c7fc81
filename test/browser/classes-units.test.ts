// The "Your classes" panel's parts that need no browser (issue 21 §4), run in Node: the data set
// file (classes-format.ts) and its checks, the run on your classes (own-classes.ts: the split, the
// grey pictures, the bad inputs), a trained net of your classes read by `miniconv predict` through
// the model file, and the feature maps read in evaluation mode (inspect-net.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { BatchNorm2D, Conv2D, Dense, Flatten, ReLU, Sequential, Tensor, createRng, pictureToInput, serializeModel } from '../../src/index.ts';
import { EXAMPLE_BYTES, MAX_CLASSES, decodeClasses, encodeClasses } from '../../playground/src/classes-format.ts';
import { activations } from '../../playground/src/inspect-net.ts';
import { MIN_EXAMPLES, classesRun } from '../../playground/src/own-classes.ts';
import { Trainer } from '../../playground/src/trainer.ts';
import { runCli } from '../cli-run.ts';

const S = 32;
/** A 3 x 32 x 32 example: a dark ring (kind 0) or a bar (kind 1) at a seeded place, on a light background of varying colour. */
function example(kind: number, rng: ReturnType<typeof createRng>): Uint8Array {
  const img = new Uint8Array(EXAMPLE_BYTES);
  const u = (a: number, b: number) => a + (b - a) * rng.uniform();
  const bg = [u(170, 255), u(170, 255), u(170, 255)];
  const cx = u(12, 20), cy = u(12, 20), r = u(6, 9);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const ink = kind === 0 ? Math.abs(Math.hypot(x - cx, y - cy) - r) < 1.3 : Math.abs(y - cy) < 1.3 && Math.abs(x - cx) < r;
      for (let c = 0; c < 3; c++) img[c * S * S + y * S + x] = ink ? 20 : bg[c];
    }
  }
  return img;
}

function set(perClass: number, seed = 1): { codes: Uint8Array; labels: Uint8Array } {
  const rng = createRng(seed);
  const codes = new Uint8Array(2 * perClass * EXAMPLE_BYTES), labels = new Uint8Array(2 * perClass);
  for (let i = 0; i < 2 * perClass; i++) { labels[i] = i % 2; codes.set(example(i % 2, rng), i * EXAMPLE_BYTES); }
  return { codes, labels };
}

describe('the data set file', () => {
  const rng = createRng(3);
  const classes = [{ name: 'ring', examples: [example(0, rng), example(0, rng)] }, { name: 'bar', examples: [example(1, rng)] }];

  test('saves the names and every example byte for byte, and reads them back', () => {
    const back = decodeClasses(encodeClasses(classes));
    expect(back.map((c) => c.name)).toEqual(['ring', 'bar']);
    back.forEach((c, k) => c.examples.forEach((e, i) => expect(Array.from(e)).toEqual(Array.from(classes[k].examples[i]))));
  });

  test('a damaged or foreign file is refused with what is wrong, naming the file', () => {
    const doc = JSON.parse(encodeClasses(classes));
    const bad = (change: (d: typeof doc) => void) => { const d = structuredClone(doc); change(d); return JSON.stringify(d); };
    expect(() => decodeClasses('{ not json', 'x.json')).toThrow(/^x\.json: is not JSON/);
    expect(() => decodeClasses(bad((d) => { d.format = 'miniconv-model'; }), 'x.json')).toThrow('x.json: has format "miniconv-model", expected "miniconv-classes"');
    expect(() => decodeClasses(bad((d) => { d.version = 2; }), 'x.json')).toThrow('x.json: has version 2; this page reads version 1');
    expect(() => decodeClasses(bad((d) => { d.size = [28, 28]; }), 'x.json')).toThrow('expected size [32, 32] and 3 channels');
    expect(() => decodeClasses(bad((d) => { d.classes[0].examples[1] = 'AAAA'; }), 'x.json')).toThrow('x.json: class "ring", example 2: 3 bytes, expected 3072 (3 x 32 x 32); the file is damaged');
    expect(() => decodeClasses(bad((d) => { d.classes[1].examples[0] = '@@@'; }), 'x.json')).toThrow('class "bar", example 1: not base64 text');
    expect(() => decodeClasses(bad((d) => { d.classes[1].name = 'Ring'; }), 'x.json')).toThrow('"ring" and "Ring" are the same name (letter case aside)');
    expect(() => decodeClasses(bad((d) => { d.classes.pop(); }), 'x.json')).toThrow('1 class; make from 2 to 10');
    expect(() => decodeClasses(bad((d) => { d.classes = Array.from({ length: MAX_CLASSES + 1 }, (_, k) => ({ name: `c${k}`, examples: [] })); }), 'x.json')).toThrow('11 classes; make from 2 to 10');
    expect(() => decodeClasses(bad((d) => { d.classes[0].name = 'a/b'; }), 'x.json')).toThrow('cannot be a folder name');
    expect(() => decodeClasses(bad((d) => { d.classes[0].name = '  '; }), 'x.json')).toThrow('is empty; give each class a name');
    expect(() => encodeClasses([{ name: 'a', examples: [new Uint8Array(5)] }, { name: 'b', examples: [] }])).toThrow('an example of "a" has 5 bytes, expected 3072');
  });
});

describe('a run on your classes', () => {
  test('each class gives its share to the held-out set (at least one), and the grey run reads the luma as pictureToInput does', () => {
    const { codes, labels } = set(5);
    const r = classesRun({ classes: ['ring', 'bar'], codes, labels, channels: 1, seed: 4, epochs: 3 });
    expect(r.train.count + r.test.count).toBe(10);
    for (const k of [0, 1]) expect(Array.from(r.test.labels).filter((l) => l === k).length).toBe(1); // round(0.2 * 5)
    expect(r.train.shape).toEqual([1, 32, 32]);
    expect(r.picture).toEqual({ size: [32, 32], channels: 1, fit: 'crop', normalize: 'image' });
    // Every held-out grey picture is the luma of one of the examples.
    const greys = Array.from({ length: 10 }, (_, i) => {
      const rgba = new Uint8ClampedArray(S * S * 4);
      for (let p = 0; p < S * S; p++) { for (let c = 0; c < 3; c++) rgba[4 * p + c] = codes[i * EXAMPLE_BYTES + c * S * S + p]; rgba[4 * p + 3] = 255; }
      return Float32Array.from(pictureToInput(rgba, S, S, { size: [S, S], channels: 1 }), (b) => b / 255).join();
    });
    const first = Array.from(r.test.images.subarray(0, S * S)).join();
    expect(greys).toContain(first);
  });

  test('bad requests are refused naming what is wrong', () => {
    const { codes, labels } = set(MIN_EXAMPLES - 1);
    expect(() => classesRun({ classes: ['ring', 'bar'], codes, labels, channels: 3, seed: 1, epochs: 3 }))
      .toThrow('your classes: "ring" has 2 examples, "bar" has 2 examples; each class needs at least 3');
    const ok = set(3);
    expect(() => classesRun({ classes: ['ring'], ...ok, channels: 3, seed: 1, epochs: 3 })).toThrow('1 class; make from 2 to 10');
    expect(() => classesRun({ classes: ['ring', 'bar'], codes: ok.codes.subarray(1), labels: ok.labels, channels: 3, seed: 1, epochs: 3 })).toThrow('18431 bytes of pictures for 6 labels');
    expect(() => classesRun({ classes: ['ring', 'bar'], ...ok, channels: 2 as 1, seed: 1, epochs: 3 })).toThrow('channels must be 1 (grey) or 3 (colour), got 2');
    expect(() => classesRun({ classes: ['ring', 'bar'], ...ok, channels: 3, seed: 1, epochs: 0 })).toThrow('epochs must be an integer from 1 to 500, got 0');
  });

  test('trains to the end, keeps the best held-out epoch, and miniconv predict reads a PNG with the model file and names the class', async () => {
    const { codes, labels } = set(10);
    const r = classesRun({ classes: ['ring', 'bar'], codes, labels, channels: 3, seed: 1, epochs: 12 });
    const t = new Trainer(r.config, r.train, undefined, undefined, r.run);
    expect(r.config.batchSize).toBe(8); // 16 training pictures: 2 batches an epoch
    let steps = 0;
    while (t.trainBatch()) steps++;
    expect(steps).toBe(12 * 2);
    expect(t.finished!.epochs.length).toBe(12);
    const best = t.picture!.best;
    const kept = t.evaluate(r.test);
    expect(kept.loss).toBeCloseTo(Math.min(...t.finished!.epochs.map((e) => e.testLoss!)), 5);
    expect(best.bestEpoch).toBeGreaterThan(0);
    expect(() => t.trainBatch()).not.toThrow(); // ended: null, no step
    expect(t.trainBatch()).toBeNull();

    const dir = mkdtempSync(join(tmpdir(), 'miniconv-classes-'));
    const file = join(dir, 'my-classes.json');
    writeFileSync(file, serializeModel(t.model, r.train.shape, { classes: r.classes, picture: r.picture }));
    const png = new PNG({ width: 64, height: 48 });
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 64; x++) {
        const ink = Math.abs(Math.hypot(x - 32, y - 24) - 13) < 2.5; // a ring in the centre square
        png.data.set(ink ? [20, 20, 20, 255] : [230, 200, 180, 255], 4 * (y * 64 + x));
      }
    }
    writeFileSync(join(dir, 'ring.png'), PNG.sync.write(png));
    const out = await runCli('predict', file, join(dir, 'ring.png'));
    expect(out.code, out.err).toBe(0);
    expect(out.out).toMatch(/ring/);
    expect(out.out).toMatch(/bar/); // one line per class for one picture
  }, 60_000);
});

describe('the feature maps of one picture', () => {
  test('are read in evaluation mode (BatchNorm on its running statistics), as model.predict, and the training mode is restored', () => {
    const rng = createRng(2);
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }), new BatchNorm2D({ numFeatures: 4 }), new ReLU(),
      new Flatten(), new Dense({ inFeatures: 4 * 6 * 6, outFeatures: 3, rng }),
    ]);
    // Running statistics far from one picture's own, as after training on other pictures.
    const bn = model.layers[1] as BatchNorm2D;
    bn.runningMean.data.fill(0.7);
    bn.runningVar.data.fill(4);
    const x = new Tensor([1, 1, 6, 6], Float32Array.from({ length: 36 }, (_, i) => (i % 7) / 7));
    expect(model.training).toBe(true);
    const { probs } = activations(model, x);
    expect(model.training).toBe(true);
    const expected = model.predict(x).data;
    probs.forEach((p, k) => expect(p).toBeCloseTo(expected[k], 6));
  });
});
