// The same seed gives the same model, bit for bit; another seed gives another model.
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';

function build(seed: number) {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, rng }), new ReLU(), new Flatten(),
    new Dense({ inFeatures: 3 * 4 * 4, outFeatures: 5, rng }),
  ]);
}
const weights = (m: Sequential) => m.params().map((p) => Array.from(p.value.data));
const input = new Tensor([2, 1, 6, 6], Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)));

describe('seeded initialisation', () => {
  it('the same seed gives bit-identical weights and outputs', () => {
    const a = build(42), b = build(42);
    expect(weights(a)).toEqual(weights(b));
    expect(Array.from(a.forward(input).data)).toEqual(Array.from(b.forward(input).data));
  });
  it('a different seed gives different weights and outputs', () => {
    const a = build(42), b = build(43);
    expect(weights(a)[0]).not.toEqual(weights(b)[0]);
    expect(Array.from(a.forward(input).data)).not.toEqual(Array.from(b.forward(input).data));
  });
  it('He-normal weights have the expected spread (std = sqrt(2 / fanIn))', () => {
    const conv = new Conv2D({ inChannels: 8, outChannels: 64, kernelSize: 5, rng: createRng(0) });
    const w = Array.from(conv.weight.value.data);
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std / Math.sqrt(2 / 200)).toBeGreaterThan(0.95);
    expect(std / Math.sqrt(2 / 200)).toBeLessThan(1.05);
    expect(Array.from(conv.bias!.value.data).every((v) => v === 0)).toBe(true);
  });
});
