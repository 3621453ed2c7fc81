// Data augmentation: exact shifts, identity when switched off, reproducible from the seed.
import { describe, expect, it } from 'vitest';
import { createRng, randomAffine, randomElastic, randomShift, type Rng } from '../src/index.ts';
import { augmentFromSpec, isSplitAugment } from '../src/train/augment.ts';

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

describe('randomElastic', () => {
  const still = { degrees: 0, scale: 0, shift: 0 }; // the elastic part alone

  it('with alpha 0 and no affine change it leaves the images unchanged', () => {
    const x = image();
    randomElastic({ ...still, alpha: 0 })(x, 1, [2, 4, 5], createRng(1));
    for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(i + 1, 5);
  });

  it('moves pixels by a smooth random field of the expected size', () => {
    // On the ramp img[y, x] = x, a bilinear sample at (sy, sx) is sx itself, so out - x is the
    // horizontal displacement. Simard's field (uniform noise, Gaussian of width sigma, times alpha)
    // has standard deviation alpha * sqrt(1/3) / (2 * sigma * sqrt(pi)): 1.38 px for 34 and 4.
    const H = 28, W = 28, n = 200;
    const ramp = Float32Array.from({ length: n * H * W }, (_, i) => i % W);
    randomElastic({ ...still, alpha: 34, sigma: 4 })(ramp, n, [1, H, W], createRng(2));
    let sum = 0, sum2 = 0, count = 0, neighbour = 0, far = 0;
    for (let k = 0; k < n; k++) {
      for (let y = 8; y < 20; y++) {
        for (let x = 8; x < 20; x++) { // well inside, so that no sample falls off the picture
          const d = (i: number, j: number) => ramp[k * H * W + i * W + j] - j;
          sum += d(y, x); sum2 += d(y, x) ** 2; count++;
          neighbour += Math.abs(d(y, x) - d(y, x + 1));
          far += Math.abs(d(y, x) - d(y, x + 8 < W ? x + 8 : x - 8));
        }
      }
    }
    const mean = sum / count, std = Math.sqrt(sum2 / count - mean ** 2);
    const theory = (34 * Math.sqrt(1 / 3)) / (2 * 4 * Math.sqrt(Math.PI));
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(std).toBeGreaterThan(0.85 * theory);
    expect(std).toBeLessThan(1.15 * theory);
    // Smooth: next-door pixels move almost together, pixels 8 apart much less so.
    expect(neighbour / count).toBeLessThan(0.25 * (far / count));
  });

  it('is reproducible from the seed, and a different seed gives a different distortion', () => {
    const digit = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => ((i * 7) % 11) / 11);
    const a = digit.slice(), b = digit.slice(), c = digit.slice();
    randomElastic()(a, 2, [1, 28, 28], createRng(4));
    randomElastic()(b, 2, [1, 28, 28], createRng(4));
    randomElastic()(c, 2, [1, 28, 28], createRng(5));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(digit);
  });

  it('rejects bad options', () => {
    expect(() => randomElastic({ sigma: 0 })).toThrow(/randomElastic: expected alpha >= 0 and sigma > 0/);
    expect(() => randomElastic({ alpha: -1 })).toThrow(/randomElastic: expected alpha >= 0/);
    expect(() => randomElastic({ degrees: -5 })).toThrow(/randomElastic: expected degrees >= 0/);
  });
});

describe('split augmentation (draw on one thread, apply on many)', () => {
  for (const [name, make] of [['randomShift', () => randomShift(2)], ['randomAffine', () => randomAffine()], ['randomElastic', () => randomElastic({ alpha: 20 })]] as const) {
    it(`${name}: drawing once and applying in two runs of images gives the bits of one call; the spec rebuilds it`, () => {
      const n = 7, per = 28 * 28;
      const src = Float32Array.from({ length: n * per }, (_, i) => ((i * 7919) % 255) / 255);
      const whole = src.slice();
      make()(whole, n, [1, 28, 28], createRng(11));
      const a = make();
      expect(isSplitAugment(a)).toBe(true);
      const draws = new Float64Array(n * a.drawsPerImage);
      a.draw(n, createRng(11), draws);
      const split = src.slice();
      const b = augmentFromSpec(JSON.parse(JSON.stringify(a.spec))); // as a worker gets it
      a.apply(split.subarray(0, 3 * per), 3, [1, 28, 28], draws.subarray(0, 3 * a.drawsPerImage));
      b.apply(split.subarray(3 * per), n - 3, [1, 28, 28], draws.subarray(3 * a.drawsPerImage));
      expect(Buffer.from(split.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
      expect(Buffer.from(split.buffer).equals(Buffer.from(src.buffer))).toBe(false);
    });
  }
  it('a plain function is not split; an unknown spec is rejected', () => {
    expect(isSplitAugment(() => {})).toBe(false);
    expect(() => augmentFromSpec({ kind: 'blur' } as never)).toThrow(/augmentFromSpec: unknown augmentation \{"kind":"blur"\}/);
  });
});
