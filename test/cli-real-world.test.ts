// The command line on the files people really have (issue 13): many pictures, JPEG, --save-input,
// --out that must not destroy anything, eval on the test files alone, bounded --threads, --max-file-mb
// and explain's bounded sizes.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, createRng } from '../src/index.ts';
import { saveModel } from '../src/io/model-file.ts';
import { showMatrix } from '../src/explain/matrix.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { takeFirst } from '../src/dataset.ts';
import { encodeIdx } from '../datasets/idx.ts';
import { runCli as run } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-cli-rw-'));

// An untrained model is enough to check formats and errors.
const rng = createRng(5);
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
  new Flatten(), new Dense({ inFeatures: 4 * 14 * 14, outFeatures: 10, rng }),
]);
const modelFile = join(dir, 'digits.json');
saveModel(modelFile, model, [1, 28, 28], { seed: 1 });
const { test } = loadDigits();

/** Test digit i drawn 4x larger, dark on white, as RGBA. */
function digitRgba(i: number): { data: Uint8Array; width: number; height: number } {
  const W = 112, H = 112, data = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = test.images[i * 784 + Math.floor(y / 4) * 28 + Math.floor(x / 4)];
    const o = 4 * (y * W + x);
    data[o] = data[o + 1] = data[o + 2] = Math.round(255 * (1 - v)); data[o + 3] = 255;
  }
  return { data, width: W, height: H };
}
const a = join(dir, 'a.png'), b = join(dir, 'b.jpg');
{
  const png = new PNG({ width: 112, height: 112 });
  png.data.set(digitRgba(0).data);
  writeFileSync(a, PNG.sync.write(png));
  writeFileSync(b, jpeg.encode(digitRgba(1), 90).data);
}

describe('predict on many pictures', () => {
  it('one line each, PNG and JPEG; a bad picture gets one line on stderr, the others go on, exit 1', async () => {
    const missing = join(dir, 'none.png');
    const r = await run('predict', modelFile, a, missing, b);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${a.replace(/[.]/g, '\\.')}: \\d \\((> )?[\\d.]+%\\)$`));
    expect(lines[1]).toMatch(new RegExp(`^${b.replace(/[.]/g, '\\.')}: \\d \\((> )?[\\d.]+%\\)$`));
    expect(r.err.split('\n')).toEqual([`miniconv predict: no such file: ${missing}`, 'miniconv predict: 1 of 3 pictures could not be read (see above)']);
    const ok = await run('predict', modelFile, a, b);
    expect(ok.code, ok.err).toBe(0);
  });

  it('one picture keeps the ten probabilities; --save-input writes the 28x28 input (numbered for several)', async () => {
    const save = join(dir, 'seen.png');
    const r = await run('predict', modelFile, b, '--save-input', save);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Predicted digit: \d \(probability [\d.]+%\)/);
    expect([...r.out.matchAll(/^\s+\d: +([\d.]+)%/gm)]).toHaveLength(10);
    const seen = PNG.sync.read(readFileSync(save));
    expect([seen.width, seen.height]).toEqual([28, 28]);
    const many = join(dir, 'many.png');
    expect((await run('predict', modelFile, a, b, '--save-input', many)).code).toBe(0);
    expect(existsSync(join(dir, 'many-1.png')) && existsSync(join(dir, 'many-2.png'))).toBe(true);
    expect(existsSync(many)).toBe(false);
  });

  it('warnings go to stderr, naming the picture', async () => {
    // A faint digit: grey 230 strokes on white paper.
    const { data, width, height } = digitRgba(2);
    for (let i = 0; i < data.length; i += 4) data[i] = data[i + 1] = data[i + 2] = 255 - Math.round((255 - data[i]) * 0.08);
    const png = new PNG({ width, height });
    png.data.set(data);
    const faint = join(dir, 'faint.png');
    writeFileSync(faint, PNG.sync.write(png));
    const r = await run('predict', modelFile, faint);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`^${faint.replace(/[.]/g, '\\.')}: warning: the digit is very faint`));
  });

  it('--max-file-mb sets the size cap of the files read', async () => {
    const big = join(dir, 'big.png');
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 7));
    expect((await run('predict', modelFile, big)).err).toMatch(/big\.png is not a readable PNG image/);
    const capped = await run('predict', modelFile, big, '--max-file-mb', '1');
    expect(capped.code).toBe(1);
    expect(capped.err).toBe(`miniconv predict: ${big} is 2.0 MB, above the limit of 1.0 MB`);
    expect((await run('summary', modelFile, '--max-file-mb', '0')).code).toBe(2);
    expect((await run('eval', big, '--max-file-mb', '1')).err).toBe(`miniconv eval: loadModel: ${big} is 2.0 MB, above the limit of 1.0 MB`);
  });
});

describe('train --out is checked before training', () => {
  it('refuses a file that is not a model, a folder and an unwritable place, at once, touching nothing', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes');
    const t0 = Date.now();
    const r = await run('train', '--out', notes, '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`miniconv train: saveModel: ${notes} exists and is not a miniconv model file; refusing to overwrite it (rule: an existing file is replaced only by a file of its own kind; pass --force to replace it)`);
    expect(r.out).toBe(''); // no training started
    expect(readFileSync(notes, 'utf8')).toBe('my notes');
    expect((await run('train', '--out', dir, '--force')).err).toMatch(/is a directory; refusing to replace it/);
    expect((await run('train', '--out', '/proc/miniconv-model.json')).err).toMatch(/^miniconv train: saveModel: cannot (write in|create the folder)/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('--force replaces such a file, after training on IDX files', async () => {
    const data = join(dir, 'idx');
    mkdirSync(data, { recursive: true });
    const tr = encodeIdx(takeFirst(loadDigits().train, 32)), te = encodeIdx(takeFirst(test, 16));
    writeFileSync(join(data, 'train-images-idx3-ubyte'), tr.images); writeFileSync(join(data, 'train-labels-idx1-ubyte'), tr.labels);
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), te.images); writeFileSync(join(data, 't10k-labels-idx1-ubyte'), te.labels);
    const notes = join(dir, 'old.txt');
    writeFileSync(notes, 'old');
    const r = await run('train', '--data', data, '--epochs', '1', '--batch-size', '16', '--threads', '1', '--out', notes, '--force');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(notes, 'utf8')).format).toBe('miniconv-model');
  }, 120_000);
});

describe('eval --data', () => {
  it('reads only the test files; an empty test set is an error, not NaN%', async () => {
    const only = join(dir, 'test-only');
    mkdirSync(only);
    const te = encodeIdx(takeFirst(test, 20));
    writeFileSync(join(only, 't10k-images-idx3-ubyte'), te.images); writeFileSync(join(only, 't10k-labels-idx1-ubyte'), te.labels);
    const r = await run('eval', modelFile, '--data', only);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\(\d+\/20\)/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = encodeIdx({ ...takeFirst(test, 0) });
    writeFileSync(join(empty, 't10k-images-idx3-ubyte'), none.images); writeFileSync(join(empty, 't10k-labels-idx1-ubyte'), none.labels);
    const e = await run('eval', modelFile, '--data', empty);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/holds no images/);
    expect(e.out).not.toMatch(/NaN/);
  });

  it('a model whose input is not 1x28x28 says which input it expects', async () => {
    const small = join(dir, 'small.json');
    saveModel(small, new Sequential([new Flatten(), new Dense({ inFeatures: 64, outFeatures: 10, rng })]), [1, 8, 8]);
    const r = await run('eval', small);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`miniconv eval: ${small} takes inputs of shape [1, 8, 8]; expected a model of 28x28 digits [1, 28, 28]`);
  });
});

describe('bounded sizes', () => {
  it('--threads above 4 per core is a usage error, and --help says so', async () => {
    const max = 4 * availableParallelism();
    const r = await run('train', '--threads', String(max + 1));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^miniconv train: --threads must be at most ${max} \\(4 per core, ${availableParallelism()} cores here\\)`));
    expect((await run('train', '--help')).out).toMatch(new RegExp(`--threads <N> +threads that share each batch, at most 4 per core \\(here ${max}\\)`));
  });

  it('explain --padding 200 is a usage error naming the limit; showMatrix takes a huge matrix', async () => {
    const r = await run('explain', '--padding', '200');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^miniconv explain: --padding must be at most 16/);
    const big = JSON.stringify(Array.from({ length: 70 }, () => [1, 2]));
    expect((await run('explain', '--input', big)).err).toMatch(/^miniconv explain: --input must be at most 64x64 .*got 70x2/);
    expect((await run('explain', '--no-color', '--padding', '16')).code).toBe(0);
    const m = Array.from({ length: 700 }, () => new Array<number>(700).fill(0));
    m[3][4] = 12345;
    const rows = showMatrix(m); // 490,000 cells: Math.max(...cells) overflowed the stack
    expect(rows).toHaveLength(700);
    expect(rows[3]).toContain('12345');
  });
});
