// `miniconv read`: numbers composed from HELD-OUT digits of the bundled set (the 2,000 that `npm start`
// tests on) read by a small classifier trained here in seconds on the other 8,000. 3 to 8 digits,
// scales 0.5x to 3x, gaps from touching to wide, clean and noisy pages; the accuracy is measured and
// printed, and a floor asserted. (The full measurement, with the default model: scripts/measure-read.ts.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng, fit, randomAffine, saveModel, softmax } from '../src/index.ts';
import { MAX_DIGITS, type Classify, readNumber } from '../src/io/read-number.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { runCli } from './cli-run.ts';
import { type ComposeOptions, composeNumber, digitImage } from './number-pictures.ts';
import { editDistance } from './read-number-metrics.ts';
import { normalizeToMnist } from '../src/io/clean-picture.ts';
import { wholeDigitLogP } from '../src/io/read-verifier.ts';

const { train, test } = loadDigits({ seed: 1 });
let model: Sequential;
let classify: Classify;
const dir = mkdtempSync(join(tmpdir(), 'miniconv-read-'));
const modelFile = join(dir, 'small.json');

beforeAll(() => {
  // A small LeNet-like net, 2 epochs with affine changes: about 97% on the held-out digits.
  const rng = createRng(3);
  model = new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
    new Conv2D({ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
    new Flatten(), new Dense({ inFeatures: 16 * 7 * 7, outFeatures: 64, rng }), new ReLU(), new Dense({ inFeatures: 64, outFeatures: 10, rng }),
  ]);
  fit(model, train, { epochs: 2, batchSize: 32, optimizer: new SGD(model.params(), { lr: 0.03, momentum: 0.9 }), seed: 1, augment: randomAffine() });
  model.eval();
  classify = (x, n) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
  saveModel(modelFile, model, [1, 28, 28]);
}, 120_000);

/**
 * Reads `count` composed numbers of 3 to 8 held-out digits; returns the share read entirely right, and
 * of digits right: 1 - (digits missed, added or misread, by edit distance) / digits written.
 */
function measure(seed: string, count: number, o: ComposeOptions, digits?: number): { numbers: number; digits: number } {
  const rng = createRng(seed);
  let right = 0, digitsRight = 0, digitsAll = 0;
  for (let k = 0; k < count; k++) {
    const len = digits ?? 3 + Math.floor(rng.uniform() * 6);
    const idx = Array.from({ length: len }, () => Math.floor(rng.uniform() * test.count));
    const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, o);
    let text = '';
    try { text = readNumber(c.rgba, c.width, c.height, classify).text; } catch { text = ''; }
    if (text === c.text) right++;
    digitsRight += Math.max(0, len - editDistance(text, c.text));
    digitsAll += len;
  }
  return { numbers: right / count, digits: digitsRight / digitsAll };
}

describe('reading numbers composed from held-out digits', () => {
  it('clean paper, scales 0.5x-3x, gaps from a fifth to half a digit: most numbers entirely right', () => {
    const r = measure('clean-wide', 30, { scale: [0.5, 3], gap: [0.2, 0.5] });
    console.log(`read, clean, wide gaps: ${(100 * r.numbers).toFixed(0)}% of numbers entirely right, ${(100 * r.digits).toFixed(1)}% of digits`);
    expect(r.digits).toBeGreaterThan(0.85);
    expect(r.numbers).toBeGreaterThan(0.55);
  });
  it('noisy paper (a shadow, grain, ruled lines), gaps from touching to wide', () => {
    const r = measure('noisy-mixed', 30, { scale: [0.5, 3], gap: [-0.05, 0.5], noisy: true });
    console.log(`read, noisy, touching to wide: ${(100 * r.numbers).toFixed(0)}% of numbers entirely right, ${(100 * r.digits).toFixed(1)}% of digits`);
    expect(r.digits).toBeGreaterThan(0.7);
    expect(r.numbers).toBeGreaterThan(0.25);
  });
  it('touching and overlapping neighbours (ink boxes from 10% of a height overlapping to 5% apart): most 5-digit numbers entirely right', () => {
    // These 20 numbers: the reader before the shortest-path cuts and the verifier read 3 entirely
    // right with this model (15%), with them 16 (80%; 2026-12-07), with the height prior and the
    // fragments joined 17 (85%; 2026-12-08).
    const r = measure('touching-floor', 20, { scale: [0.5, 3], gap: [-0.1, 0.05] }, 5);
    console.log(`read, touching: ${(100 * r.numbers).toFixed(0)}% of numbers entirely right, ${(100 * r.digits).toFixed(1)}% of digits`);
    expect(r.numbers).toBeGreaterThanOrEqual(0.75);
    expect(r.digits).toBeGreaterThan(0.9);
  });
  it('touching neighbours: a mark holding two digits is split (the split is reported)', () => {
    // Two held-out digits whose ink boxes overlap by a tenth of their height: one connected mark.
    const rng = createRng('pair');
    let splitRight = 0, tried = 0;
    for (let k = 0; k < 12; k++) {
      const idx = [Math.floor(rng.uniform() * test.count), Math.floor(rng.uniform() * test.count)];
      const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [1.5, 1.5], jitter: 0, gap: [-0.1, -0.1] });
      const r = readNumber(c.rgba, c.width, c.height, classify);
      tried++;
      if (r.text === c.text) splitRight++;
    }
    console.log(`read, touching pairs: ${splitRight} of ${tried} right`);
    expect(splitRight / tried).toBeGreaterThanOrEqual(0.75);
  });
  it('a digit from 12 to 400 pixels high, several sizes in one picture', () => {
    const rng = createRng('sizes');
    const pick = [0, 1, 2].map(() => Math.floor(rng.uniform() * test.count));
    for (const scale of [0.6, 18]) {
      const c = composeNumber(pick.map((i) => digitImage(test.images, i)), pick.map((i) => test.labels[i]), rng, { scale: [scale, scale], jitter: 0.2, gap: [0.3, 0.4] });
      const r = readNumber(c.rgba, c.width, c.height, classify);
      expect(r.digits.length, `scale ${scale}: ${c.text} read as ${r.text}`).toBe(3);
      const heights = r.digits.map((d) => d.box[3]);
      expect(Math.max(...heights)).toBeGreaterThanOrEqual(scale > 1 ? 250 : 8);
    }
  });
});

describe('the verifier: one whole digit, or not', () => {
  it('says "one whole digit" of most held-out digits, and of few pairs run together or halves of digits', () => {
    // 60 held-out digits whole; 60 pairs of them side by side (touching), and the left 45% of 60, each
    // normalised as the reader normalises a candidate. (Measured 2026-12-07: 90%, 0%, 10%.)
    const rng = createRng('verifier');
    const pick = () => digitImage(test.images, Math.floor(rng.uniform() * test.count));
    const wholes: Float32Array[] = [], pairs: Float32Array[] = [], halves: Float32Array[] = [];
    for (let k = 0; k < 60; k++) {
      wholes.push(normalizeToMnist(pick(), 28, 28));
      const a = pick(), b = pick(), pair = new Float32Array(50 * 28);
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) { pair[y * 50 + x] = Math.max(pair[y * 50 + x], a[y * 28 + x]); pair[y * 50 + x + 22] = Math.max(pair[y * 50 + x + 22], b[y * 28 + x]); }
      pairs.push(normalizeToMnist(pair, 50, 28));
      const d = pick(), half = new Float32Array(28 * 28);
      let x0 = 28, x1 = 0;
      for (let i = 0; i < 784; i++) if (d[i] > 0.1) { x0 = Math.min(x0, i % 28); x1 = Math.max(x1, i % 28); }
      for (let i = 0; i < 784; i++) if (i % 28 <= x0 + 0.45 * (x1 - x0)) half[i] = d[i];
      halves.push(normalizeToMnist(half, 28, 28));
    }
    const score = (xs: Float32Array[]) => { const all = new Float32Array(xs.length * 784); xs.forEach((x, k) => all.set(x, k * 784)); return Array.from(wholeDigitLogP(all, xs.length)); };
    const w = score(wholes), p = score(pairs), h = score(halves);
    const sayWhole = (v: number[]) => v.filter((q) => q > Math.log(0.5)).length / v.length;
    console.log(`verifier says "one whole digit" of ${(100 * sayWhole(w)).toFixed(0)}% of wholes, ${(100 * sayWhole(p)).toFixed(0)}% of pairs, ${(100 * sayWhole(h)).toFixed(0)}% of halves`);
    expect(sayWhole(w)).toBeGreaterThan(0.85);
    expect(sayWhole(p)).toBeLessThan(0.25);
    expect(sayWhole(h)).toBeLessThan(0.5);
  });
});

describe('a digit in pieces, and what cannot be read', () => {
  it('a 5 whose top bar floats apart is one digit', () => {
    // A held-out 5 with the rows under its bar erased: two separate pieces of ink.
    const k = Array.from(test.labels).findIndex((l, i) => l === 5 && i > 10);
    const five = digitImage(test.images, k);
    let top = 0;
    while (top < 28 && !five.subarray(top * 28, top * 28 + 28).some((v) => v > 0.1)) top++;
    five.fill(0, (top + 3) * 28, (top + 5) * 28); // rows 3-4 below the top of the ink: the bar's underside
    const c = composeNumber([five], [5], createRng('five'), { scale: [3, 3], jitter: 0, gap: [0, 0] });
    const r = readNumber(c.rgba, c.width, c.height, classify);
    expect(r.digits.length).toBe(1);
  });
  it('a short stroke broken off beside a digit is part of it, not a digit of its own', () => {
    // Three held-out digits, a fifth of a height apart; a short dark tick (a quarter of the middle
    // digit's height) 2 pixels right of the middle digit's ink box, near its foot: a separate mark,
    // as a stroke the threshold broke off. It used to be read as a fourth digit (a 1); it is joined to the digit beside it.
    const rng = createRng('fragment');
    let right = 0, three = 0;
    for (let k = 0; k < 8; k++) {
      const idx = [0, 1, 2].map(() => Math.floor(rng.uniform() * test.count));
      const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [2, 2], jitter: 0, gap: [0.5, 0.5] });
      const [x, y, w, h] = c.boxes[1];
      const tw = Math.max(2, Math.round(0.08 * h));
      for (let yy = Math.round(y + 0.65 * h); yy < Math.round(y + 0.9 * h); yy++) {
        for (let xx = x + w + 2; xx < x + w + 2 + tw; xx++) c.rgba.fill(40, 4 * (yy * c.width + xx), 4 * (yy * c.width + xx) + 3);
      }
      const r = readNumber(c.rgba, c.width, c.height, classify);
      if (r.digits.length === 3) three++;
      if (r.text === c.text) right++;
    }
    // (2026-12-08, this model: 3 digits in 7 of 8, 5 entirely right; before the fragments were joined, 1 and 1.)
    console.log(`read, a digit with a broken-off tick: 3 digits found in ${three} of 8, ${right} entirely right`);
    expect(three).toBeGreaterThanOrEqual(7);
    expect(right).toBeGreaterThanOrEqual(4);
  });
  it('a digit broken in two side by side (two columns of its ink lost) is read as one digit', () => {
    // Three held-out digits, half a height apart; in the middle one two columns of its 28x28 picture
    // across its ink's middle are erased: a left and a right piece, side by side, that no column
    // overlap joins (a 0 as "( )", a 4 as "L |"). The lattice joins neighbouring marks into one candidate digit.
    const rng = createRng('broken');
    let right = 0, three = 0, parted = 0;
    for (let k = 0; k < 8; k++) {
      const idx = [0, 1, 2].map(() => Math.floor(rng.uniform() * test.count));
      const digits = idx.map((i) => digitImage(test.images, i));
      const mid = digits[1];
      let x0 = 28, x1 = -1;
      for (let i = 0; i < 784; i++) if (mid[i] > 0.1) { x0 = Math.min(x0, i % 28); x1 = Math.max(x1, i % 28); }
      const cut = Math.round((x0 + x1) / 2);
      for (let y = 0; y < 28; y++) mid[y * 28 + cut] = mid[y * 28 + cut + 1] = 0;
      const c = composeNumber(digits, idx.map((i) => test.labels[i]), rng, { scale: [3, 3], jitter: 0, gap: [0.5, 0.5] });
      const r = readNumber(c.rgba, c.width, c.height, classify);
      if (r.warnings.some((w) => /separate strokes joined/.test(w))) parted++;
      if (r.digits.length === 3) three++;
      if (r.text === c.text) right++;
    }
    console.log(`read, a digit broken in two: 3 digits found in ${three} of 8, ${right} entirely right, ${parted} joined`);
    expect(three).toBeGreaterThanOrEqual(7);
    expect(right).toBeGreaterThanOrEqual(5);
  });
  it('a blank page: no digit found; too many digits: refused', () => {
    const blank = new Uint8Array(200 * 100 * 4).fill(240);
    expect(() => readNumber(blank, 200, 100, classify, { source: 'blank.png' })).toThrow(/^blank\.png: no digit found/);
    const rng = createRng('many');
    const idx = Array.from({ length: MAX_DIGITS + 5 }, () => Math.floor(rng.uniform() * test.count));
    const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [0.8, 0.8], gap: [0.5, 0.5] });
    expect(() => readNumber(c.rgba, c.width, c.height, classify, { source: 'many.png' })).toThrow(new RegExp(`^many\\.png: \\d+ marks found, more than the ${MAX_DIGITS} digits`));
    expect(() => readNumber(blank, 200, 50, classify)).toThrow(/expected 200x50x4 RGBA values/);
  });
});

describe('miniconv read', () => {
  const run = async (...argv: string[]) => {
    const { code, out, err } = await runCli(...argv);
    return { code, stdout: out, stderr: err };
  };
  const write = (name: string, rgba: Uint8Array, width: number, height: number) => {
    const png = new PNG({ width, height });
    png.data.set(rgba);
    const file = join(dir, name);
    writeFileSync(file, PNG.sync.write(png));
    return file;
  };

  it('prints the number and each digit; --json; --save-boxes and --heatmap write pictures of the same size', async () => {
    const rng = createRng('cli');
    const idx = [3, 30, 300].map((i) => i % test.count);
    const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [2, 2], gap: [0.4, 0.4] });
    const pic = write('number.png', c.rgba, c.width, c.height);
    const boxes = join(dir, 'boxes.png'), heat = join(dir, 'heat.png');
    const r = await run('read', modelFile, pic, '--save-boxes', boxes, '--heatmap', heat);
    expect(r.code, r.stderr).toBe(0);
    const direct = readNumber(c.rgba, c.width, c.height, classify);
    expect(r.stdout.split('\n')[0]).toBe(`Read: ${direct.text}`);
    expect(r.stdout.split('\n')).toHaveLength(1 + direct.digits.length);
    for (const f of [boxes, heat]) {
      const p = PNG.sync.read(readFileSync(f));
      expect([p.width, p.height]).toEqual([c.width, c.height]);
    }
    const j = await run('read', modelFile, pic, '--json');
    const parsed = JSON.parse(j.stdout) as { text: string; digits: Array<{ digit: number; p: number; box: number[] }> };
    expect(parsed.text).toBe(direct.text);
    expect(parsed.digits.map((d) => d.digit).join('')).toBe(direct.text);
    for (const d of parsed.digits) { expect(d.p).toBeGreaterThan(0); expect(d.p).toBeLessThanOrEqual(1); expect(d.box).toHaveLength(4); }
  });

  it('--save-boxes and --heatmap follow the one destination rule: never the picture or the model, a non-PNG only with --force', async () => {
    const rng = createRng('dest');
    const idx = [5, 50];
    const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [1.5, 1.5], gap: [0.4, 0.4] });
    const pic = write('dest.png', c.rgba, c.width, c.height);
    const before = readFileSync(pic);
    const onInput = await run('read', modelFile, pic, '--save-boxes', pic, '--force');
    expect(onInput.code).toBe(1);
    expect(onInput.stderr).toMatch(/never writes onto its own input/);
    expect(readFileSync(pic).equals(before)).toBe(true);
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes');
    const refused = await run('read', modelFile, pic, '--heatmap', notes);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--heatmap/);
    expect(readFileSync(notes, 'utf8')).toBe('my notes');
    expect((await run('read', modelFile, pic, '--heatmap', notes, '--force')).code).toBe(0);
    expect(readFileSync(notes).subarray(1, 4).toString()).toBe('PNG');
    expect((await run('read', modelFile, pic, '--heatmap', notes, '--save-boxes', notes)).code).toBe(2);
  });

  it('nothing found: a clear message and exit 1; a missing picture: exit 1; no picture: usage, exit 2', async () => {
    const blank = write('blank.png', new Uint8Array(120 * 60 * 4).fill(250), 120, 60);
    const r = await run('read', modelFile, blank);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^miniconv read: .*blank\.png: no digit found/);
    expect((await run('read', modelFile, join(dir, 'nope.png'))).code).toBe(1);
    expect((await run('read', modelFile)).code).toBe(2);
  });
});
