// Data augmentation: exact shifts, identity when switched off, reproducible from the seed.
import { describe, expect, it } from 'vitest';
import { createRng, randomAffine, randomShift, type Rng } from '../src/index.ts';

/** An rng whose int(n) answers come from a list: to force known shifts. */
const scripted = (ints: number[]): Rng => ({ ...createRng(0), int: () => ints.shift() as number });
const image = () => Float32Array.from({ length: 2 * 4 * 5 }, (_, i) => i + 1); // [C=2, H=4, W=5]

describe('randomShift', () => {
  it('moves the picture by the drawn amount and fills the border with zeros', () => {
    const x = image();
    // int(2*max+1) - max with max = 2: dy = 3 - 2 = 1 (down one row), dx = 0 - 2 = -2 (left two columns)
    randomShift(2)(x, 1, [2, 4, 5], scripted([3, 0]));
    const src = image();
    for (let c = 0; c < 2; c++) {
      for (let y = 0; y < 4; y++) {
        for (let xx = 0; xx < 5; xx++) {
          const sy = y - 1, sx = xx + 2;
          const want = sy >= 0 && sx < 5 ? src[c * 20 + sy * 5 + sx] : 0;
          expect(x[c * 20 + y * 5 + xx]).toBe(want);
        }
      }
    }
  });
  it('is reproducible from the seed', () => {
    const a = image(), b = image();
    randomShift(1)(a, 1, [2, 4, 5], createRng(9));
    randomShift(1)(b, 1, [2, 4, 5], createRng(9));
    expect(a).toEqual(b);
  });
  it('rejects a bad size', () => expect(() => randomShift(-1)).toThrow('randomShift: max must be an integer >= 0, got -1'));
});

describe('randomAffine', () => {
  it('with no rotation, scaling or shift it leaves the images unchanged', () => {
    const x = image();
    randomAffine({ degrees: 0, scale: 0, shift: 0 })(x, 1, [2, 4, 5], createRng(1));
    for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(i + 1, 5);
  });
  it('changes the images, keeps values in range, and is reproducible from the seed', () => {
    const a = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => (i % 7) / 7);
    const b = a.slice(), orig = a.slice();
    randomAffine()(a, 3, [1, 28, 28], createRng(4));
    randomAffine()(b, 3, [1, 28, 28], createRng(4));
    expect(a).toEqual(b);
    expect(a).not.toEqual(orig);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(1 + 1e-6);
  });
  it('rejects bad options', () => expect(() => randomAffine({ scale: 1.5 })).toThrow(/randomAffine: expected/));
});
