// Model-level sanity checks, in CS231n's order: initial loss ~ ln(10), then overfitting a tiny set.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng, softmaxCrossEntropy } from '../src/index.ts';
import { loadDigits } from '../datasets/mnist.ts';

function smallCnn(seed: number) {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }),
    new ReLU(),
    new MaxPool2D({ size: 2 }),
    new Conv2D({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 1, rng }),
    new ReLU(),
    new MaxPool2D({ size: 2 }),
    new Flatten(),
    new Dense({ inFeatures: 8 * 7 * 7, outFeatures: 10, rng, weightInit: 'xavierUniform' }),
  ]);
}

const { train } = loadDigits();
const batch = (n: number) => ({ x: new Tensor([n, 1, 28, 28], train.images.slice(0, n * 784)), y: train.labels.subarray(0, n) });

describe('a fresh 10-class model', () => {
  it('starts with a loss close to ln(10) = 2.303 on real digits', () => {
    // With He/Xavier weights the logits have a spread of about 0.7-1, which adds about var/2
    // to the expected loss; so "close" here means within 0.5.
    const { x, y } = batch(100);
    const { loss } = softmaxCrossEntropy(smallCnn(1).forward(x), y);
    expect(Math.abs(loss - Math.log(10))).toBeLessThan(0.5);
  });

  it('with tiny weights (std 1e-3) the initial loss is ln(10) to two decimals, as in CS231n', () => {
    const rng = createRng(5);
    const tiny = (shape: readonly number[], r: typeof rng) => Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => 1e-3 * r.normal());
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng, weightInit: tiny }),
      new ReLU(), new MaxPool2D({ size: 2 }), new Flatten(),
      new Dense({ inFeatures: 4 * 14 * 14, outFeatures: 10, rng, weightInit: tiny }),
    ]);
    const { x, y } = batch(100);
    expect(softmaxCrossEntropy(model.forward(x), y).loss).toBeCloseTo(Math.log(10), 2);
  });

  it('overfits 20 digits to 100% training accuracy with SGD', () => {
    const model = smallCnn(2);
    const { x, y } = batch(20);
    const opt = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
    let loss = Infinity;
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const r = softmaxCrossEntropy(model.forward(x), y);
      loss = r.loss;
      model.backward(r.grad);
      opt.step();
    }
    const logits = model.forward(x);
    let correct = 0;
    for (let n = 0; n < 20; n++) {
      const row = Array.from(logits.data.subarray(n * 10, n * 10 + 10));
      if (row.indexOf(Math.max(...row)) === y[n]) correct++;
    }
    expect(correct).toBe(20);
    expect(loss).toBeLessThan(0.05);
  });
});

describe('Sequential', () => {
  it('summary gives a Keras-style table with output shapes and parameter counts', () => {
    const text = smallCnn(3).summary([1, 28, 28], false);
    expect(text).toContain('conv2d_1 (Conv2D)');
    expect(text).toContain('[N, 4, 28, 28]');
    expect(text).toContain('[N, 8, 7, 7]');
    expect(text).toMatch(/dense_1 \(Dense\)\s+\[N, 10\]\s+3,930/);
    // 4*25+4 + 8*4*9+8 + 392*10+10
    expect(text).toContain(`Total params: ${(104 + 296 + 3930).toLocaleString('en-US')}`);
  });

  it('names parameters by layer', () => {
    expect(smallCnn(3).params().map((p) => p.name)).toEqual([
      'conv2d_1.weight', 'conv2d_1.bias', 'conv2d_2.weight', 'conv2d_2.bias', 'dense_1.weight', 'dense_1.bias',
    ]);
  });

  it('backward accumulates parameter gradients until zeroGrad', () => {
    const model = smallCnn(4);
    const { x, y } = batch(2);
    const r = softmaxCrossEntropy(model.forward(x), y);
    model.backward(r.grad);
    const once = Float32Array.from(model.params()[0].grad.data);
    model.forward(x);
    model.backward(r.grad);
    const twice = model.params()[0].grad.data;
    for (let i = 0; i < once.length; i++) expect(twice[i]).toBeCloseTo(2 * once[i], 5);
  });
});
