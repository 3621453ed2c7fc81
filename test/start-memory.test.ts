// What `npm start` no longer pays for in memory (issue 27 §4), each checked against what it replaced:
// the summary table's thousands separators without Intl (whose ICU data cost about 6 MB of RSS) and
// the model file's base64 without String.fromCharCode(...bytes) + btoa (about 70 MB of garbage at the
// save of the default model). The digit sets' in-place split is in test/digits-cache.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../src/io/model-format.ts';
import { Dense } from '../src/layers/dense.ts';
import { Flatten } from '../src/layers/flatten.ts';
import { Sequential } from '../src/layers/sequential.ts';
import { createRng } from '../src/rng.ts';

describe('the summary table without Intl', () => {
  const original = Number.prototype.toLocaleString;
  afterEach(() => { Number.prototype.toLocaleString = original; });

  it('writes the counts as toLocaleString(\'en-US\') does, and never calls it', () => {
    const rng = createRng(1);
    // 1,234 x 1,000 + 1,000 = 1,235,000 parameters: a count with two separators.
    const model = new Sequential([new Flatten(), new Dense({ inFeatures: 1234, outFeatures: 1000, rng }), new Dense({ inFeatures: 1000, outFeatures: 7, rng })]);
    const expected = [1_235_000, 7_007, 1_242_007].map((v) => original.call(v, 'en-US'));
    Number.prototype.toLocaleString = () => { throw new Error('toLocaleString called: it loads ICU data'); };
    const text = model.summary([1, 1234], false);
    for (const e of expected) expect(text).toContain(e);
    expect(text).toContain('1,235,000');
  });
});

describe('bytesToBase64', () => {
  it('gives the standard base64 (Buffer\'s, btoa\'s) for every length from 0 to 40 and for random bytes', () => {
    const rng = createRng(3);
    for (let n = 0; n <= 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rng.uniform() * 256));
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
    const big = Uint8Array.from({ length: 100_003 }, () => Math.floor(rng.uniform() * 256));
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString('base64'));
    expect(bytesToBase64(Uint8Array.from([0, 255, 251, 62, 63]))).toBe(btoa(String.fromCharCode(0, 255, 251, 62, 63)));
  });

  it('reads a view at its own offset, not its buffer\'s start', () => {
    const buf = Uint8Array.from({ length: 64 }, (_, i) => i * 3);
    expect(bytesToBase64(buf.subarray(5, 22))).toBe(Buffer.from(buf.subarray(5, 22)).toString('base64'));
  });
});
