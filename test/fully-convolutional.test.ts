// toFullyConvolutional: the dense layers become convolutions with the same numbers. On a 28x28
// input every zoo model's converted twin gives its logits (to float32 rounding); on a larger input
// an unpadded classifier's twin gives, at every position, the classifier's logits for the crop at
// that position times the stride (exactly where the crops are whole inputs: see the file's header).
import { describe, expect, it } from 'vitest';
import {
  AvgPool2D, BatchNorm2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU, Sequential, Tanh, Tensor, createRng, toFullyConvolutional,
} from '../src/index.ts';
import { ZOO, ZOO_NAMES } from '../src/train/zoo.ts';
import { rand, relMaxError } from './helpers.ts';

/** Random running statistics (as after training) so that batch norm's evaluation path is exercised, then evaluation mode. */
function trainedLike(model: Sequential, seed: number): Sequential {
  const rng = createRng(seed);
  for (const b of model.buffers()) for (let i = 0; i < b.value.size; i++) b.value.data[i] = b.name.endsWith('runningVar') ? 0.5 + rng.uniform() : 0.2 * rng.normal();
  for (const p of model.params()) if (p.name.endsWith('bias')) for (let i = 0; i < p.value.size; i++) p.value.data[i] = 0.1 * rng.normal();
  return model.eval();
}

/** Logits of `model` for the crop of x (1, C, H, W) at (top, left), `size` square. */
function cropLogits(model: Sequential, x: Tensor, top: number, left: number, size: number): Float32Array {
  const [, C, H, W] = x.shape;
  const crop = new Tensor([1, C, size, size]);
  for (let c = 0; c < C; c++) for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) crop.data[(c * size + i) * size + j] = x.data[(c * H + top + i) * W + left + j];
  return Float32Array.from(model.forward(crop).data);
}

function mapLogits(map: Tensor, i: number, j: number): Float32Array {
  const [, K, OH, OW] = map.shape;
  return Float32Array.from({ length: K }, (_, k) => map.data[(k * OH + i) * OW + j]);
}

describe('toFullyConvolutional on the zoo', () => {
  for (const name of ZOO_NAMES) {
    it(`${name}: the same logits at 28x28, as a (N, 10, 1, 1) map, sharing no arrays`, () => {
      const model = trainedLike(ZOO[name].build(3), 7);
      const fcn = toFullyConvolutional(model);
      expect(fcn.layers.some((l) => l.type === 'Dense' || l.type === 'Flatten' || l.type === 'GlobalAvgPool2D')).toBe(false);
      const x = rand([3, 1, 28, 28], `x-${name}`);
      const want = Float32Array.from(model.forward(x).data);
      const got = fcn.forward(x);
      expect(got.shape).toEqual([3, 10, 1, 1]);
      expect(relMaxError(got.data, want)).toBeLessThan(1e-5);
      const own = new Set([...model.params(), ...model.buffers()].map((p) => p.value.data.buffer));
      for (const p of [...fcn.params(), ...fcn.buffers()]) expect(own.has(p.value.data.buffer)).toBe(false);
      // Changing the twin leaves the original alone.
      for (const p of fcn.params()) p.value.data.fill(0);
      expect(relMaxError(model.forward(x).data, want)).toBe(0);
    });
  }

  it('the digit model: the first dense layer becomes a 7x7 conv over 32 channels, the second a 1x1 conv', () => {
    const fcn = toFullyConvolutional(ZOO.digits.build(1));
    const convs = fcn.layers.filter((l): l is Conv2D => l instanceof Conv2D);
    expect(convs.slice(-2).map((c) => [c.inChannels, c.outChannels, ...c.kernelSize])).toEqual([[32, 128, 7, 7], [128, 10, 1, 1]]);
  });
});

describe('toFullyConvolutional on a larger input: the classifier at every stride-spaced crop', () => {
  const rng = () => createRng(5);
  // Unpadded classifiers (28 -> 24 -> 12 -> 10 -> 5), so each crop is a whole input: stride 4.
  const flat = () => {
    const r = rng();
    return new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, rng: r }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      new Conv2D({ inChannels: 4, outChannels: 6, kernelSize: 3, rng: r }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      new Flatten(), new Dense({ inFeatures: 6 * 5 * 5, outFeatures: 12, rng: r }), new Tanh(), new Dense({ inFeatures: 12, outFeatures: 10, rng: r }),
    ]);
  };
  const pooled = () => {
    const r = rng();
    return new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, rng: r }), new BatchNorm2D({ numFeatures: 4 }), new ReLU(), new AvgPool2D({ kernelSize: 2 }),
      new Conv2D({ inChannels: 4, outChannels: 6, kernelSize: 3, rng: r }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      new GlobalAvgPool2D(), new Dense({ inFeatures: 6, outFeatures: 10, rng: r }),
    ]);
  };
  for (const [what, make] of [['Flatten + Dense + Tanh + Dense', flat], ['BatchNorm, AvgPool, GlobalAvgPool2D + Dense', pooled]] as const) {
    it(`${what}: x 1x40x52 -> map 4x7, each position = the classifier on the crop at (4i, 4j)`, () => {
      const model = trainedLike(make(), 11);
      const fcn = toFullyConvolutional(model);
      const x = rand([1, 1, 40, 52], 'big');
      const map = fcn.forward(x);
      expect(map.shape).toEqual([1, 10, 4, 7]);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 7; j++) expect(relMaxError(mapLogits(map, i, j), cropLogits(model, x, 4 * i, 4 * j, 28)), `position ${i},${j}`).toBeLessThan(1e-5);
      }
    });
  }

  it('the digit model (padded): a 28x28 input still gives its logits, a 60x100 input a 9x19 map', () => {
    const model = trainedLike(ZOO.digits.build(2), 3);
    const fcn = toFullyConvolutional(model);
    expect(fcn.forward(rand([1, 1, 60, 100], 'wide')).shape).toEqual([1, 10, 9, 19]);
  });
});

describe('toFullyConvolutional refuses what it cannot convert', () => {
  it('a dense layer that reads a vector input (no map was flattened)', () => {
    const m = new Sequential([new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng(1) })]);
    expect(() => toFullyConvolutional(m, [784, 1, 1])).toThrow(/never a map|4-D input|reads/);
  });
  it('a model with no dense part', () => {
    const m = new Sequential([new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(1) }), new ReLU()]);
    expect(() => toFullyConvolutional(m)).toThrow(/nothing to convert/);
  });
  it('a layer after the flatten that mixes positions, and a bad input shape', () => {
    const r = createRng(1);
    const m = new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 8, rng: r }), new Flatten(), new Dense({ inFeatures: 8, outFeatures: 2, rng: r })]);
    expect(() => toFullyConvolutional(m)).toThrow(/flatten_2.*not element by element/);
    expect(() => toFullyConvolutional(m, [28, 28])).toThrow(/inputShape must be \[C, H, W\]/);
  });
});
