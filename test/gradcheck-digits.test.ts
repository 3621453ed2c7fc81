// gradCheck on real digits. Their exact zeros and equal pixels sit on ReLU's kink and on max-pool
// ties, where a central difference averages two slopes. gradCheck finds those entries, reports
// them, and judges them by the one-sided slopes; the rest by the central difference. Before it did,
// a correct ReLU, MaxPool2D and whole model all "failed" on digits with relative error 1.0.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng, gradCheck } from '../src/index.ts';
import { loadDigits } from '../datasets/mnist.ts';

const { test } = loadDigits();
const digits = (n: number) => new Tensor([n, 1, 28, 28], test.images.slice(0, n * 784)).to('float64');
const total = (r: { kinks: Record<string, number> }) => Object.values(r.kinks).reduce((a, b) => a + b, 0);

describe('gradCheck on real digits (kinks and ties)', () => {
  it('ReLU: the zero pixels are kinks, reported and judged one-sided; the check passes', () => {
    const r = gradCheck(new ReLU(), digits(2), { maxPerTensor: 400, seed: 1 });
    expect(r.kinks.x).toBeGreaterThan(50);
    expect(r.kinkFailures).toEqual([]);
    expect(r.passed).toBe(true);
  });

  it('MaxPool2D: windows of equal pixels are ties; the check passes', () => {
    const r = gradCheck(new MaxPool2D({ kernelSize: 2 }), digits(2), { maxPerTensor: 400, seed: 2 });
    expect(r.kinks.x).toBeGreaterThan(50);
    expect(r.passed).toBe(true);
  });

  it('a whole conv-relu-pool-dense model with softmax cross-entropy { labels }: passes', () => {
    const rng = createRng(3);
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      new Flatten(), new Dense({ inFeatures: 2 * 14 * 14, outFeatures: 10, rng }),
    ]);
    const r = gradCheck(model, digits(2), { labels: [test.labels[0], test.labels[1]], maxPerTensor: 60, seed: 3 });
    expect(total(r)).toBeGreaterThan(0);
    expect(r.kinkFailures).toEqual([]);
    expect(r.maxRelError).toBeLessThan(1e-6);
    expect(r.passed).toBe(true);
  });

  it('still catches a wrong backward pass on digits', () => {
    const pool = new MaxPool2D({ kernelSize: 2 });
    const realBackward = pool.backwardView.bind(pool);
    pool.backwardView = (dy) => { const dx = realBackward(dy).clone(); for (let i = 0; i < dx.size; i++) dx.data[i] *= 1.5; return dx; };
    const r = gradCheck(pool, digits(1), { maxPerTensor: 400, seed: 4 });
    expect(r.passed).toBe(false);
  });
});
