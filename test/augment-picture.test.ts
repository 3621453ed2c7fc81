// randomPicture (train/augment.ts): general-picture augmentation on 3 channels: identity when
// switched off, each step doing what it says, reproducible from the seed, shareable across threads.
import { describe, expect, it } from 'vitest';
import { createRng, randomPicture } from '../src/index.ts';
import { augmentFromSpec, isSplitAugment } from '../src/train/augment.ts';

const OFF = { crop: 0, degrees: 0, scale: 0, brightness: 0, contrast: 0, saturation: 0, hue: 0, invert: 0, grey: 0 };
const SHAPE = [3, 6, 8] as const;
/** Two pictures of 3 x 6 x 8 with distinct values in 0.05..0.95. */
const pictures = () => Float32Array.from({ length: 2 * 144 }, (_, i) => 0.05 + 0.9 * (((i * 37) % 101) / 100));

describe('randomPicture', () => {
  it('switched off it leaves the pictures as they are', () => {
    const x = pictures();
    randomPicture(OFF)(x, 2, SHAPE, createRng(1));
    expect(x).toEqual(pictures());
  });
  it('flip mirrors every channel left to right; invert gives 1 - x; grey makes the three channels equal', () => {
    const x = pictures(), src = pictures();
    // flip: true draws a coin per picture; seed 3's first coins are checked by comparing either way.
    randomPicture({ ...OFF, flip: true })(x, 2, SHAPE, createRng(3));
    let flipped = 0;
    for (let k = 0; k < 2; k++) {
      const mirrored = Array.from({ length: 144 }, (_, j) => {
        const c = Math.floor(j / 48), y = Math.floor((j % 48) / 8), xx = j % 8;
        return src[k * 144 + c * 48 + y * 8 + (7 - xx)];
      });
      const got = Array.from(x.subarray(k * 144, (k + 1) * 144));
      if (got.every((v, j) => Math.abs(v - mirrored[j]) < 1e-6)) flipped++; // each picture is either mirrored or left alone
      else expect(got.every((v, j) => Math.abs(v - src[k * 144 + j]) < 1e-6)).toBe(true);
    }
    const many = new Float32Array(64 * 144).fill(0.3);
    let seen = 0;
    for (let t = 0; t < 64; t++) many.set(src.subarray(0, 144), t * 144);
    randomPicture({ ...OFF, flip: true })(many, 64, SHAPE, createRng(3));
    for (let t = 0; t < 64; t++) if (Math.abs(many[t * 144] - src[7]) < 1e-6) seen++;
    expect(seen).toBeGreaterThan(16); // about half of them flipped
    expect(seen).toBeLessThan(48);
    const inv = pictures();
    randomPicture({ ...OFF, invert: 1 })(inv, 2, SHAPE, createRng(1));
    inv.forEach((v, i) => expect(v).toBeCloseTo(1 - src[i], 6));
    const grey = pictures();
    randomPicture({ ...OFF, grey: 1 })(grey, 2, SHAPE, createRng(1));
    for (let k = 0; k < 2; k++) {
      for (let j = 0; j < 48; j++) {
        const o = k * 144;
        const luma = 0.299 * src[o + j] + 0.587 * src[o + 48 + j] + 0.114 * src[o + 96 + j];
        expect(grey[o + j]).toBeCloseTo(luma, 5);
        expect(grey[o + 48 + j]).toBeCloseTo(luma, 5);
        expect(grey[o + 96 + j]).toBeCloseTo(luma, 5);
      }
    }
  });
  it('colour jitter changes the channels of a picture differently, and keeps values in 0..1', () => {
    const x = pictures();
    randomPicture({ ...OFF, brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2 })(x, 2, SHAPE, createRng(5));
    const src = pictures();
    for (const v of x) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    const ratio = (c: number) => x[c * 48 + 9] / src[c * 48 + 9];
    expect(new Set([ratio(0), ratio(1), ratio(2)].map((r) => r.toFixed(3))).size).toBeGreaterThan(1);
  });
  it('a pure shift moves the content and repeats the edge (random crop of a padded picture)', () => {
    // A 1 x 1 x 8 x 8 ramp along x; shifting right by 2 pixels repeats column 0.
    const x = Float32Array.from({ length: 64 }, (_, i) => (i % 8) / 8);
    const aug = randomPicture({ ...OFF, crop: 0.25 });
    const draws = new Float64Array(11);
    draws.set([0, 1, 0, 0.25, 0, 1, 1, 1, 0, 0, 0]); // angle 0, scale 1, ty 0, tx 0.25 * 8 = 2 pixels
    aug.apply(x, 1, [1, 8, 8], draws);
    expect(Array.from(x.subarray(0, 8))).toEqual([0, 0, 0, 1, 2, 3, 4, 5].map((v) => v / 8));
  });
  it('is reproducible from the seed, and the same when drawn and applied separately (threads)', () => {
    const a = pictures(), b = pictures(), c = pictures();
    randomPicture()(a, 2, SHAPE, createRng(9));
    randomPicture()(b, 2, SHAPE, createRng(9));
    expect(a).toEqual(b);
    const split = augmentFromSpec(randomPicture().spec);
    expect(isSplitAugment(split)).toBe(true);
    const draws = new Float64Array(2 * split.drawsPerImage);
    split.draw(2, createRng(9), draws);
    split.apply(c, 2, SHAPE, draws);
    expect(c).toEqual(a);
    expect(a).not.toEqual(pictures());
  });
  it('rejects bad options, naming them', () => {
    expect(() => randomPicture({ crop: 0.6 })).toThrow('randomPicture: crop must be a fraction of the side in [0, 0.5), got 0.6');
    expect(() => randomPicture({ invert: 2 })).toThrow('randomPicture: invert must be a probability in [0, 1], got 2');
    expect(() => randomPicture({ hue: 0.7 })).toThrow(/hue must be a fraction of a turn/);
  });
});
