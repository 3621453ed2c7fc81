// Sets held as one byte per pixel (byteDataset): the bundled digits come this way, and training and
// evaluation on them give the same bits as on the same pixels in float32, without ever building the
// float32 copy of the whole set.
import { describe, expect, it, vi } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, createRng } from '../src/index.ts';
import { evaluate, fit } from '../src/train/index.ts';
import { type Dataset, byteDataset, bytesOf, copyImage, imageRange, takeFirst } from '../src/dataset.ts';
import { randomElastic } from '../src/train/augment.ts';
import '../src/train/parallel.ts';
import { loadDigits } from '../datasets/mnist.ts';

const small = (seed: number) => {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 4 }),
    new Flatten(), new Dense({ inFeatures: 4 * 7 * 7, outFeatures: 10, rng, weightInit: 'xavierUniform' }),
  ]);
};

/** The same set in float32: a plain object, decoded pixel by pixel here (not through the module). */
function asFloat(set: Dataset): Dataset {
  const { codes, palette } = bytesOf(set)!;
  return { images: Float32Array.from(codes, (c) => palette[c]), labels: set.labels, count: set.count, shape: set.shape };
}

/** A small byte set with a palette that is not code / 255, so that a missed decode shows. */
function tinySet(count: number): Dataset {
  const rng = createRng('tiny');
  const codes = Uint8Array.from({ length: count * 2 * 3 * 3 }, () => rng.int(256));
  const palette = Float32Array.from({ length: 256 }, (_, k) => Math.fround(Math.sqrt(k / 255)));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return byteDataset(codes, palette, labels, [2, 3, 3]);
}

describe('byteDataset', () => {
  it('the bundled digits are held as bytes; their images decode to the palette values', () => {
    const { train, test } = loadDigits();
    for (const set of [train, test]) {
      const bytes = bytesOf(set)!;
      expect(bytes.codes.length).toBe(set.count * 784);
      expect(bytes.palette.length).toBe(256);
      expect(bytes.palette[0]).toBe(0);
      const k = 123;
      const one = new Float32Array(784);
      copyImage(set, k, one, 0);
      expect(Array.from(one)).toEqual(Array.from(bytes.codes.subarray(k * 784, (k + 1) * 784), (c) => bytes.palette[c]));
      expect(Array.from(set.images.subarray(k * 784, (k + 1) * 784))).toEqual(Array.from(one)); // decoded on first read
    }
  });

  it('copyImage, imageRange and takeFirst give the float32 values; a copy with images of its own is read from them', () => {
    const set = tinySet(7), flat = asFloat(set), per = 18;
    const out = new Float32Array(2 * per).fill(-1);
    copyImage(set, 5, out, per);
    expect(Array.from(out.subarray(per))).toEqual(Array.from(flat.images.subarray(5 * per, 6 * per)));
    expect(Array.from(out.subarray(0, per))).toEqual(new Array(per).fill(-1));
    expect(Array.from(imageRange(set, 2, 3))).toEqual(Array.from(flat.images.subarray(2 * per, 5 * per)));
    const scratch = new Float32Array(10 * per);
    const view = imageRange(set, 4, 3, scratch);
    expect(view.buffer).toBe(scratch.buffer);
    expect(Array.from(view)).toEqual(Array.from(flat.images.subarray(4 * per, 7 * per)));
    const first = takeFirst(set, 4);
    expect(bytesOf(first)!.codes.length).toBe(4 * per);
    expect(first.count).toBe(4);
    expect(Array.from(first.images)).toEqual(Array.from(flat.images.subarray(0, 4 * per)));
    // A spread copy is a plain float32 set: its own images, not the bytes of the set it came from.
    const zeros = { ...set, images: new Float32Array(7 * per) };
    expect(bytesOf(zeros)).toBeUndefined();
    expect(Array.from(imageRange(zeros, 1, 1))).toEqual(new Array(per).fill(0));
  });

  it('fit and evaluate on bytes give the bits of fit and evaluate on the float32 pixels, and never decode the whole set', () => {
    const { train, test } = loadDigits();
    const tr = takeFirst(train, 300), te = takeFirst(test, 150);
    const trFloat = asFloat(tr), teFloat = asFloat(te);
    const readsOfImages = [vi.spyOn(tr, 'images', 'get'), vi.spyOn(te, 'images', 'get')];
    const run = (a: Dataset, b: Dataset, threads: number) => {
      const model = small(4);
      const h = fit(model, a, { epochs: 2, batchSize: 32, optimizer: new SGD(model.params(), { lr: 0.05, momentum: 0.9 }), seed: 4, testSet: b, threads, augment: randomElastic() });
      return { weights: model.params().map((p) => Array.from(p.value.data)), losses: h.epochs.map((e) => [e.trainLoss, e.testLoss]), model };
    };
    for (const threads of [1, 2]) {
      const bytes = run(tr, te, threads), floats = run(trFloat, teFloat, threads);
      expect(bytes.weights).toEqual(floats.weights);
      expect(bytes.losses).toEqual(floats.losses);
      expect(evaluate(bytes.model, te, { batchSize: 64 })).toEqual(evaluate(bytes.model, teFloat, { batchSize: 64 }));
    }
    for (const spy of readsOfImages) expect(spy).not.toHaveBeenCalled();
  });

  it('says what is wrong with a bad byte set', () => {
    const palette = new Float32Array(256), labels = new Uint8Array(2);
    expect(() => byteDataset(new Uint8Array(18), new Float32Array(10), labels, [1, 3, 3])).toThrow('byteDataset: the palette must hold 256 values (one per byte), got 10');
    expect(() => byteDataset(new Uint8Array(17), palette, labels, [1, 3, 3])).toThrow('byteDataset: 17 codes are not a whole number of images of [1, 3, 3] (9 each)');
    expect(() => byteDataset(new Uint8Array(27), palette, labels, [1, 3, 3])).toThrow('byteDataset: 2 labels for 3 images');
    expect(() => byteDataset(new Float32Array(18) as unknown as Uint8Array, palette, labels, [1, 3, 3])).toThrow('byteDataset: expected codes as a Uint8Array and the palette as a Float32Array');
  });
});
