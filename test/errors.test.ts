// Bad input gets a clear error naming the layer or function, what was expected and what was received.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, MaxPool2D, Sequential, Tensor, createRng, softmaxCrossEntropy } from '../src/index.ts';

const rng = createRng(0);
const conv = () => new Conv2D({ inChannels: 3, outChannels: 4, kernelSize: 5, rng, name: 'c1' });

describe('errors', () => {
  it('wrong rank', () => {
    expect(() => conv().forward(Tensor.zeros([3, 28, 28]))).toThrow('Conv2D(c1): input must be rank 4 (N, C, H, W), but got rank 3 [3, 28, 28]');
  });
  it('wrong channel count', () => {
    expect(() => conv().forward(Tensor.zeros([2, 1, 28, 28]))).toThrow('Conv2D(c1): input has 1 channels [2, 1, 28, 28], expected 3');
  });
  it('Dense feature mismatch', () => {
    const d = new Dense({ inFeatures: 784, outFeatures: 10, rng });
    expect(() => d.forward(Tensor.zeros([2, 100]))).toThrow('Dense: input has 100 features [2, 100], expected 784');
  });
  it('a Dense layer inside a Sequential is named in the error', () => {
    const m = new Sequential([new Dense({ inFeatures: 4, outFeatures: 2, rng })]);
    expect(() => m.forward(Tensor.zeros([1, 5]))).toThrow('Dense(dense_1): input has 5 features [1, 5], expected 4');
  });
  it('input smaller than the kernel', () => {
    expect(() => conv().forward(Tensor.zeros([1, 3, 4, 9]))).toThrow(/Conv2D\(c1\): input 4x9 \[1, 3, 4, 9\] with padding 0 is smaller than the 5x5 kernel; expected at least 5x5/);
    expect(() => new MaxPool2D({ kernelSize: 3 }).forward(Tensor.zeros([1, 1, 2, 2]))).toThrow(/MaxPool2D: input 2x2 .* smaller than the 3x3 window/);
  });
  it('stride 0', () => {
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 0, rng })).toThrow(RangeError);
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 0, rng })).toThrow('Conv2D: stride must be an integer >= 1, got 0');
    expect(() => new MaxPool2D({ kernelSize: 2, stride: 0 })).toThrow('MaxPool2D: stride must be an integer >= 1, got 0');
  });
  it('negative padding', () => {
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: -1, rng })).toThrow(new RangeError('Conv2D: padding must be an integer >= 0, got -1'));
  });
  it('non-integer sizes', () => {
    expect(() => new Conv2D({ inChannels: 1, outChannels: 2.5, kernelSize: 3, rng })).toThrow(new RangeError('Conv2D: outChannels must be an integer >= 1, got 2.5'));
    expect(() => new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 1.5, rng })).toThrow(RangeError);
    expect(() => new MaxPool2D({ kernelSize: 1.5 })).toThrow('MaxPool2D: kernelSize must be an integer >= 1, got 1.5');
    expect(() => new MaxPool2D({ size: 1.5 })).toThrow('MaxPool2D: kernelSize must be an integer >= 1, got 1.5');
    expect(() => new MaxPool2D({ kernelSize: 2, size: 3 })).toThrow(/kernelSize 2 and size 3 disagree/);
    expect(() => new Dense({ inFeatures: 10.2, outFeatures: 2, rng })).toThrow('Dense: inFeatures must be an integer >= 1, got 10.2');
  });
  it('label out of range', () => {
    expect(() => softmaxCrossEntropy(Tensor.zeros([2, 10]), [3, 10])).toThrow(new RangeError('softmaxCrossEntropy: label 10 at index 1 is out of range; expected an integer in 0..9'));
    expect(() => softmaxCrossEntropy(Tensor.zeros([2, 10]), [3])).toThrow('softmaxCrossEntropy: got 1 labels for a batch of 2 logits [2, 10]');
  });
  it('NaN in the logits', () => {
    const z = Tensor.zeros([2, 3]);
    z.data[4] = NaN;
    expect(() => softmaxCrossEntropy(z, [0, 1])).toThrow(/softmaxCrossEntropy: logits hold NaN at row 1, column 1; expected finite numbers/);
  });
  it('data length not matching the shape', () => {
    expect(() => new Tensor([2, 3], new Float32Array(5))).toThrow(new RangeError('Tensor: data length 5 does not match shape [2, 3], which needs 6 values'));
  });
  it('a random initialiser without an rng', () => {
    expect(() => new Dense({ inFeatures: 2, outFeatures: 2 })).toThrow(/Dense: initialiser 'heNormal' needs an rng/);
  });
  it('an initial weight tensor of the wrong shape', () => {
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 2, weightInit: Tensor.zeros([1, 1, 3, 3]) })).toThrow('Conv2D: initial tensor has shape [1, 1, 3, 3], expected [1, 1, 2, 2]');
  });
  it('backward before forward', () => {
    expect(() => conv().backward(Tensor.zeros([1, 4, 1, 1]))).toThrow('Conv2D(c1): backward called before forward');
  });
});
