// Pictures people really have (issue 13), without a model: every synthesised picture of every style
// (ruled paper, side shadow, pale pencil, sticky note, transparent canvas, JPEG photo, and the clean
// variants) must come out of preprocessDigit as nearly the same 28x28 input as the very same digit
// drawn black on white. Recognition rates with the default model are measured by
// `npx tsx examples/real-world.ts` (they need the fully trained model; see the table in the report).
// MINICONV_REAL_WORLD_ALL=1 runs all 120 clean pictures instead of the first 20.
import { describe, expect, it } from 'vitest';
import { decodePicture } from '../src/io/digit-image.ts';
import { preprocessDigit } from '../src/io/clean-picture.ts';
import { STYLES, TARGET_COUNTS, synthesise, truthPicture } from './pictures.ts';

const all = process.env.MINICONV_REAL_WORLD_ALL === '1';

describe('real-world pictures give the input their clean twin gives', () => {
  for (const style of STYLES) {
    it(`${style}: mean difference per pixel under 0.1 for every picture, under 0.05 for 9 in 10`, () => {
      const count = style === 'clean' && !all ? 20 : TARGET_COUNTS[style];
      const diffs = synthesise(style, count).map((pic, i) => {
        const d = pic.bytes ? decodePicture(pic.bytes, `${style}-${i}.jpg`) : { rgba: pic.rgba, width: pic.width, height: pic.height };
        const got = preprocessDigit(d.rgba, d.width, d.height, { source: `${style} ${i}` }).pixels;
        const want = preprocessDigit(truthPicture(pic), pic.width, pic.height).pixels;
        let diff = 0;
        for (let k = 0; k < 784; k++) diff += Math.abs(got[k] - want[k]);
        return { i, variant: pic.variant, diff: diff / 784 };
      });
      const worst = diffs.filter((d) => d.diff >= 0.1);
      expect(worst, 'pictures far from their clean twin').toEqual([]);
      expect(diffs.filter((d) => d.diff < 0.05).length).toBeGreaterThanOrEqual(Math.ceil(0.9 * count));
    }, 120_000);
  }
});
