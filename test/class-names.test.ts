// A Dataset's class names reach the outputs that name a class: evaluate sizes its confusion matrix
// from them (or the model's output), formatConfusion labels the rows with them.
import { describe, expect, it } from 'vitest';
import { Dense, Flatten, Sequential, createRng } from '../src/index.ts';
import { evaluate, formatConfusion } from '../src/train/metrics.ts';

describe('class names in evaluation', () => {
  const rng = createRng(3);
  const model = new Sequential([new Flatten(), new Dense({ inFeatures: 4, outFeatures: 3, rng })]);
  const set = { images: Float32Array.from({ length: 20 }, (_, i) => (i % 7) / 7), labels: Uint8Array.from([0, 1, 2, 1, 0]), count: 5, shape: [1, 2, 2] as [number, number, number] };
  it('a 3-class model gets a 3x3 confusion matrix (it used to assume 10 classes)', () => {
    const r = evaluate(model, set);
    expect(r.confusion).toHaveLength(3);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(5);
    const named = evaluate(model, { ...set, classes: ['circle', 'square', 'star'] });
    expect(named.confusion).toEqual(r.confusion);
    expect(() => evaluate(model, { ...set, classes: ['a', 'b'] })).toThrow("evaluate: the model gives 3 scores per picture, but the set has 2 classes (a, b)");
  });
  it('formatConfusion labels rows with number and name', () => {
    const text = formatConfusion([[3, 0], [1, 4]], ['circle', 'square']);
    expect(text.split('\n')).toEqual(['true\\pred    0   1', '0 circle     3   0', '1 square     1   4']);
    expect(formatConfusion([[3, 0], [1, 4]]).split('\n')[1]).toBe('0            3   0');
  });
});
