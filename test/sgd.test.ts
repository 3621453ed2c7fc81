// SGD against values worked out by hand (PyTorch's formulation: v = mu*v + g + wd*w; w -= lr*v).
import { describe, expect, it } from 'vitest';
import { SGD, Tensor, type Param } from '../src/index.ts';

function param(values: number[], grads: number[]): Param {
  return { name: 'p', value: new Tensor([values.length], Float64Array.from(values)), grad: new Tensor([grads.length], Float64Array.from(grads)) };
}

describe('SGD', () => {
  it('plain: w -= lr * g', () => {
    const p = param([1, -2], [0.5, 4]);
    new SGD([p], { lr: 0.1 }).step();
    expect(Array.from(p.value.data)).toEqual([1 - 0.1 * 0.5, -2 - 0.1 * 4]);
  });

  it('momentum: two steps with a constant gradient', () => {
    const p = param([1], [2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step(); // v = 2, w = 1 - 0.2 = 0.8
    expect(p.value.data[0]).toBeCloseTo(0.8, 14);
    opt.step(); // v = 0.9*2 + 2 = 3.8, w = 0.8 - 0.38 = 0.42
    expect(p.value.data[0]).toBeCloseTo(0.42, 14);
  });

  it('weight decay adds wd * w to the gradient', () => {
    const p = param([2], [1]);
    new SGD([p], { lr: 0.5, weightDecay: 0.1 }).step(); // g = 1 + 0.2 = 1.2; w = 2 - 0.6
    expect(p.value.data[0]).toBeCloseTo(1.4, 14);
  });

  it('momentum and weight decay together', () => {
    const p = param([2], [1]);
    const opt = new SGD([p], { lr: 0.5, momentum: 0.5, weightDecay: 0.1 });
    opt.step(); // g = 1.2, v = 1.2, w = 2 - 0.6 = 1.4
    opt.step(); // g = 1 + 0.14 = 1.14, v = 0.6 + 1.14 = 1.74, w = 1.4 - 0.87 = 0.53
    expect(p.value.data[0]).toBeCloseTo(0.53, 14);
  });

  it('zeroGrad clears the gradients and leaves the values', () => {
    const p = param([1, 2], [3, 4]);
    new SGD([p], { lr: 1 }).zeroGrad();
    expect(Array.from(p.grad.data)).toEqual([0, 0]);
    expect(Array.from(p.value.data)).toEqual([1, 2]);
  });

  it('rejects a bad learning rate or momentum, naming the option', () => {
    expect(() => new SGD([param([1], [1])], { lr: -1 })).toThrow(/SGD: lr must be/);
    expect(() => new SGD([param([1], [1])], { lr: 0.1, momentum: 1.5 })).toThrow(/SGD: momentum must be .* got 1.5/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/SGD: expected a non-empty array/);
  });
});
