// Defects a red-team pass found (issue 13, part 2), each reproduced: sizes checked before allocating,
// dy checked by the layer, and the silent misuses of fit, trainStep, evaluate and the optimisers.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MAX_TENSOR_ELEMENTS, ReLU, SGD, Sequential, Tensor, createRng } from '../src/index.ts';
import { fit, evaluate } from '../src/train/index.ts';
import { trainStep } from '../src/train/step.ts';
import type { Dataset } from '../src/dataset.ts';

const rng = createRng(3);
const tiny = () => new Sequential([new Flatten(), new Dense({ inFeatures: 16, outFeatures: 10, rng })]);
const set = (count: number, values = count * 16): Dataset =>
  ({ images: new Float32Array(values).fill(0.5), labels: new Uint8Array(count), count, shape: [1, 4, 4] });

describe('sizes are checked before anything is allocated', () => {
  it('new Tensor([1e6, 1e6]) names the tensor, its size and the maximum', () => {
    expect(() => new Tensor([1e6, 1e6])).toThrow(/^Tensor: shape \[1000000, 1000000\] would hold 1,000,000,000,000 values, above the maximum of 1,073,741,824 per tensor/);
    expect(() => Tensor.zeros([1e5, 1e5])).toThrow(/Tensor.zeros: shape \[100000, 100000\]/);
    expect(MAX_TENSOR_ELEMENTS).toBe(2 ** 30);
  });
  it('Conv2D with outChannels 1e9 and Dense 1e5 x 1e5 name the layer and the weight', () => {
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1e9, kernelSize: 5, rng })).toThrow(/^Conv2D: weight \[1000000000, 1, 5, 5\] would hold 25,000,000,000 values/);
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1e9, kernelSize: 5, rng, name: 'big' })).toThrow(/^Conv2D\(big\): weight/);
    expect(() => new Dense({ inFeatures: 1e5, outFeatures: 1e5, rng })).toThrow(/^Dense: weight \[100000, 100000\] would hold 10,000,000,000 values/);
  });
  it('Conv2D with padding 100000 names the layer and the output it would make', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: 100000, rng });
    expect(() => conv.forward(new Tensor([1, 1, 28, 28]))).toThrow(/^Conv2D: output \[1, 1, 200026, 200026\] would hold 40,010,400,676 values, above the maximum/);
  });
});

describe('a wrong dy names the layer and says dy', () => {
  it('Conv2D', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng, name: 'c1' });
    conv.forward(new Tensor([1, 1, 5, 5]));
    expect(() => conv.backward(new Tensor([1, 2, 2, 2]))).toThrow('Conv2D(c1): dy must have the shape of the last output [1, 2, 3, 3], got [1, 2, 2, 2]');
    expect(() => conv.backwardParamsOnly(new Tensor([2, 2, 3, 3]))).toThrow(/Conv2D\(c1\): dy must have the shape/);
  });
  it('Dense, also inside a Sequential (the layer is named by its place)', () => {
    const model = new Sequential([new Flatten(), new Dense({ inFeatures: 16, outFeatures: 4, rng }), new ReLU(), new Dense({ inFeatures: 4, outFeatures: 3, rng })]);
    model.forward(new Tensor([2, 1, 4, 4]));
    expect(() => model.backward(new Tensor([2, 4]))).toThrow(/dense_2.*dy must have the shape of the last output \[2, 3\], got \[2, 4\]/);
  });
});

describe('silent API misuse gets a clear error', () => {
  it('fit with an image buffer shorter than count x C x H x W', () => {
    const model = tiny();
    const opt = new SGD(model.params(), { lr: 0.1 });
    expect(() => fit(model, set(10, 100), { epochs: 1, batchSize: 4, optimizer: opt })).toThrow("fit: the training set's images hold 100 values, but 10 images of [1, 4, 4] need 160");
    expect(() => fit(model, { ...set(10), labels: new Uint8Array(3) }, { epochs: 1, batchSize: 4, optimizer: opt })).toThrow('fit: the training set has 3 labels for 10 images');
    expect(() => fit(model, set(10), { epochs: 1, batchSize: 4, optimizer: opt, testSet: set(5, 10) })).toThrow(/fit: the test set's images hold 10 values/);
    expect(() => fit(model, set(10), { epochs: 1, batchSize: 4, optimizer: opt, testSet: set(0) })).toThrow(/fit: the test set is empty/);
  });
  it("an optimiser built on another model's parameters", () => {
    const model = tiny(), other = tiny();
    const opt = new SGD(other.params(), { lr: 0.1 });
    expect(() => fit(model, set(8), { epochs: 1, batchSize: 4, optimizer: opt })).toThrow(/^fit: the SGD optimiser's param 0 \(.*\) is not a parameter of the model being trained/);
    expect(() => trainStep(model, opt, new Tensor([1, 1, 4, 4]), [0])).toThrow(/^trainStep: the SGD optimiser's param 0/);
    // A subset (frozen layers) is fine.
    const part = new SGD(model.params().slice(0, 1), { lr: 0.1 });
    expect(() => trainStep(model, part, new Tensor([1, 1, 4, 4]), [0])).not.toThrow();
  });
  it('evaluate on an empty set', () => {
    expect(() => evaluate(tiny(), set(0))).toThrow('evaluate: the set is empty (count 0); there is nothing to score');
  });
  it('opt.lr = NaN after construction', () => {
    const model = tiny();
    const opt = new SGD(model.params(), { lr: 0.1 });
    expect(() => { opt.lr = NaN; }).toThrow('SGD: lr must be a number in [0, inf), got NaN');
    expect(() => { opt.lr = Infinity; }).toThrow(RangeError);
    expect(opt.lr).toBe(0.1);
  });
});
