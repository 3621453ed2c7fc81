// The command line: exit codes, messages, and predict on a PNG that the test writes.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { defaultBackend, setDefaultBackend } from '../src/kernels/index.ts';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng, softmax } from '../src/index.ts';
import { saveModel } from '../src/io/model-file.ts';
import { fit } from '../src/train/index.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { takeFirst } from '../src/dataset.ts';
import { encodeIdx } from '../datasets/idx.ts';
import { runCli as run } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-cli-'));

// A small model trained briefly on the bundled digits, saved for eval, predict and summary.
const { train, test } = loadDigits();
const rng = createRng(11);
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
  new Conv2D({ inChannels: 6, outChannels: 8, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
  new Flatten(), new Dense({ inFeatures: 8 * 7 * 7, outFeatures: 10, rng, weightInit: 'xavierUniform' }),
]);
fit(model, takeFirst(train, 1500), { epochs: 1, batchSize: 16, optimizer: new SGD(model.params(), { lr: 0.02, momentum: 0.9 }), seed: 1 });
const modelFile = join(dir, 'digits.json');
saveModel(modelFile, model, [1, 28, 28], { seed: 1 });

describe('miniconv CLI', () => {
  it('bad arguments print the usage and exit with code 2', async () => {
    for (const argv of [[], ['bogus'], ['train', '--epochs', 'x'], ['train', '--lr', '-1'], ['train', '--nope'], ['eval'], ['predict', modelFile], ['train', 'extra']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^miniconv( [a-z]+)?: /);
      expect(r.err).toMatch(/\n\nUsage: miniconv /);
      expect(r.out).toBe('');
    }
    expect((await run('train', '--epochs', '0')).err).toMatch(/^miniconv train: --epochs must be an integer from 1 to 10000, in decimal digits \(for example --epochs 3\), got '0'\n\nUsage: miniconv train \[options\]/);
    expect((await run('train', '--augment', 'warp')).err).toContain("miniconv train: --augment must be one of elastic, affine, shift, picture, none, got 'warp'");
    expect((await run('bogus')).err).toMatch(/^miniconv: unknown command 'bogus'\n\nUsage: miniconv <command>/);
  });

  it('every bad argument exits with code 2, on every command', async () => {
    const cases = [
      ['train', '--momentum', '1'], ['train', '--lr-decay', '0'], ['train', '--threads', '0'], ['train', '--seed', '1.5'], ['train', '--backend', 'gpu'],
      ['train', '--out', ''], ['eval', modelFile, '--backend', 'fast'], ['eval', modelFile, 'extra'], ['predict', modelFile, 'a.png', '--save-input', ''],
      ['summary'], ['summary', modelFile, '--data', 'x'], ['inspect'], ['inspect', modelFile, '--index', 'abc'], ['inspect', modelFile, '--index', '-1'],
      ['inspect', modelFile, '--index', '1.5'], ['inspect', modelFile, '--index', '99999'], ['inspect', modelFile, '--out'],
      ['explain', '--stride', '0'], ['explain', '--input', '[[1,2'], ['explain', '--dy', '[[1]]'], ['explain', 'extra'],
      ['help', 'bogus'], ['--bogus'],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/^miniconv[^\n]*: [^\n]+\n\nUsage: miniconv /);
    }
  });

  it('a negative number after a space is read as the value, and the message says what to type', async () => {
    expect((await run('explain', '--padding', '-1')).err).toMatch(/^miniconv explain: --padding must be an integer >= 0, in decimal digits \(for example --padding 1\), got '-1'/);
    expect((await run('train', '--lr', '-0.5')).err).toMatch(/^miniconv train: --lr must be a decimal number >= 0 \(for example --lr 0.02\), got '-0.5'/);
    expect((await run('inspect', modelFile, '--index', '-3')).err).toMatch(/^miniconv inspect: --index must be an integer >= 0, in decimal digits \(for example --index 3\), got '-3'/);
    // A negative entry inside JSON is fine, after a space or an '='.
    const r = await run('explain', '--no-color', '--kernel', '[[-1,0],[0,1]]', '--dy=[[-1,2],[3,-4]]');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('dw[0][0] = -1*1 + 2*2 + 3*4 + -4*5 = -5');
  });

  it('--help on every command prints its usage and exits 0; --version prints package.json\'s version', async () => {
    const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).version as string;
    for (const flag of ['--version', '-V']) {
      const v = await run(flag);
      expect(v.code).toBe(0);
      expect(v.out).toBe(version);
    }
    const top = await run('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/^Usage: miniconv <command> \[options\]/);
    expect((await run('help')).out).toBe(top.out);
    expect((await run('-h')).out).toBe(top.out);
    for (const command of ['train', 'eval', 'predict', 'summary', 'inspect', 'explain', 'help']) {
      expect(top.out, command).toMatch(new RegExp(`\\n  ${command} `));
      for (const argv of [[command, '--help'], [command, '-h'], ['help', command]]) {
        const r = await run(...argv);
        expect(r.code, argv.join(' ')).toBe(0);
        expect(r.err).toBe('');
        expect(r.out, argv.join(' ')).toMatch(new RegExp(`^Usage: miniconv ${command} `));
      }
      // The usage a bad argument prints is the same text as --help.
      const bad = await run(command, '--no-such-option');
      expect(bad.code).toBe(2);
      expect(bad.err.split('\n\n').slice(1).join('\n\n')).toBe((await run(command, '--help')).out);
    }
    // The defaults the help shows are the ones used.
    const train = (await run('train', '--help')).out;
    expect(train).toMatch(/--epochs <N> +passes over the training set, at most 10000 \(default: the model's; digits:\s+15\)/); // the help may wrap before 15
    expect(train).toMatch(/--backend <NAME> +the kernels to run: naive, ts, wasm/);
  });

  it('inspect --help says snapshots are kept by default (issue 23 §4), and every writer offers --force', async () => {
    const help = (await run('inspect', '--help')).out;
    expect(help).not.toContain('models trained with --snapshots');
    expect(help).toMatch(/train\s+keeps them by default; not for a model trained with --no-snapshots or imported/);
    for (const cmd of ['inspect', 'export', 'import', 'predict', 'train']) expect((await run(cmd, '--help')).out, cmd).toMatch(/--force/);
  });

  it('--backend chooses the kernels for the process', async () => {
    try {
      const r = await run('eval', modelFile, '--backend', 'ts');
      expect(r.code, r.err).toBe(0);
      expect(defaultBackend()).toBe('ts');
      expect(r.out).toMatch(/Accuracy [\d.]+%/);
    } finally {
      setDefaultBackend(undefined);
    }
  });

  it('a missing or unreadable file gives a one-line error and exit code 1', async () => {
    const missing = await run('eval', join(dir, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`miniconv eval: loadModel: no such file: ${join(dir, 'none.json')}`);
    writeFileSync(join(dir, 'junk.json'), '{"format": "miniconv-model", "version": 1');
    const junk = await run('summary', join(dir, 'junk.json'));
    expect(junk.code).toBe(1);
    expect(junk.err.split('\n')).toHaveLength(1);
    const png = await run('predict', modelFile, join(dir, 'none.png'));
    expect(png.code).toBe(1);
    expect(png.err).toBe(`miniconv predict: no such file: ${join(dir, 'none.png')}`);
    writeFileSync(join(dir, 'not.png'), 'hello');
    expect((await run('predict', modelFile, join(dir, 'not.png'))).err).toMatch(/not\.png is not a readable PNG image/);
  });

  it('the real binary exits with the same codes and prints no stack trace', () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'miniconv.js');
    const bad = spawnSync(process.execPath, [bin, 'bogus'], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    const missing = spawnSync(process.execPath, [bin, 'summary', join(dir, 'none.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`miniconv summary: loadModel: no such file: ${join(dir, 'none.json')}`);
    expect(execFileSync(process.execPath, [bin, 'help'], { encoding: 'utf8', timeout: 60_000 })).toContain('Usage: miniconv');
    const badIndex = spawnSync(process.execPath, [bin, 'inspect', modelFile, '--index', 'abc'], { encoding: 'utf8', timeout: 60_000 });
    expect(badIndex.status).toBe(2);
    expect(badIndex.stderr).not.toMatch(/\n +at /);
  }, 120_000);

  it('a closed stdout (miniconv explain | head -1) ends quietly, without an EPIPE stack trace', async () => {
    // A 40x40 input makes about 380 kB of text, far more than a pipe holds, so the writes go on
    // after the reader has gone.
    const input = JSON.stringify(Array.from({ length: 40 }, (_, i) => Array.from({ length: 40 }, (_, j) => (7 * i + 3 * j) % 10)));
    const bin = join(import.meta.dirname, '..', 'bin', 'miniconv.js');
    const child = spawn(process.execPath, [bin, 'explain', '--input', input, '--kernel', '[[1,2,3],[4,5,6],[7,8,9]]'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '', first = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((done) => {
      child.stdout.once('data', (d: Buffer) => {
        first = d.toString().split('\n')[0];
        child.stdout.destroy(); // like head -1: read one line, then close the pipe
      });
      child.on('close', (c) => done(c));
    });
    expect(first).toBe('One convolution, forward and backward, every number written out');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('summary prints the layer table', async () => {
    const r = await run('summary', modelFile);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/conv2d_1 \(Conv2D\)\s+\[N, 6, 28, 28\]\s+156/);
  });

  it('eval prints the accuracy and the confusion matrix', async () => {
    const r = await run('eval', modelFile);
    expect(r.code).toBe(0);
    const acc = Number(/Accuracy ([\d.]+)%/.exec(r.out)![1]);
    expect(acc).toBeGreaterThan(80);
    expect(r.out).toContain('true\\pred');
  });

  it('predict reads a PNG of a digit of any size, dark on light, in colour', async () => {
    // Take a test digit the model gets right, draw it 3x larger in dark blue on cream paper, off-centre.
    const probsOf = (i: number) => softmax(model.forward(new Tensor([1, 1, 28, 28], test.images.slice(i * 784, (i + 1) * 784)))).data;
    let i = 0;
    while (probsOf(i)[test.labels[i]] < 0.9) i++;
    const W = 120, H = 100, png = new PNG({ width: W, height: H });
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sx = Math.floor((x - 30) / 3), sy = Math.floor((y - 5) / 3);
        const v = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? test.images[i * 784 + sy * 28 + sx] : 0;
        const o = 4 * (y * W + x);
        png.data[o] = 250 - 230 * v; png.data[o + 1] = 245 - 225 * v; png.data[o + 2] = 230 - 100 * v; png.data[o + 3] = 255;
      }
    }
    const file = join(dir, 'digit.png');
    writeFileSync(file, PNG.sync.write(png));
    const r = await run('predict', modelFile, file);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Predicted digit: ${test.labels[i]}`);
    const probs = [...r.out.matchAll(/^\s+\d: +([\d.]+)%/gm)].map((m) => Number(m[1]));
    expect(probs).toHaveLength(10);
    expect(probs.reduce((a, v) => a + v, 0)).toBeCloseTo(100, 0);
  });

  it('train on IDX files given with --data, saving a model that eval can read', async () => {
    const data = join(dir, 'idx');
    mkdirSync(data);
    const a = encodeIdx(takeFirst(train, 64)), b = encodeIdx(takeFirst(test, 32));
    writeFileSync(join(data, 'train-images-idx3-ubyte'), a.images); writeFileSync(join(data, 'train-labels-idx1-ubyte'), a.labels);
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), b.images); writeFileSync(join(data, 't10k-labels-idx1-ubyte'), b.labels);
    const out = join(dir, 'idx-model.json');
    const r = await run('train', '--data', data, '--epochs', '1', '--batch-size', '16', '--out', out, '--snapshots');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/64 train, 32 test images, \d+ threads?/);
    expect(r.out).toMatch(/epoch 1\/1: train loss [\d.]+, train acc [\d.]+%, test loss [\d.]+, test acc [\d.]+%/);
    expect(r.out).toContain(`Model saved to ${out}`);
    expect(JSON.parse(readFileSync(out, 'utf8')).metadata.augment).toBe('elastic'); // the default
    const e = await run('eval', out, '--data', data);
    expect(e.code).toBe(0);
    expect(e.out).toMatch(/\(\d+\/32\)/);
  });
});

describe('miniconv inspect and explain through the CLI', () => {
  it('inspect writes the pictures and the report', async () => {
    const out = join(dir, 'inspect');
    const r = await run('inspect', modelFile, '--index', '3', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['kernels-conv2d_1.png', 'kernels-conv2d_2.png', 'featuremaps-conv2d_1.png', 'report.html']));
    expect((await run('inspect', modelFile, '--index', '99999', '--out', out)).code).toBe(2);
    expect((await run('inspect', join(dir, 'none.json'), '--out', out)).code).toBe(1);
    expect((await run('inspect', modelFile, '--index', '1', '--image', 'x.png')).code).toBe(2);
  });
  it('explain narrates the seed example', async () => {
    const r = await run('explain', '--no-color');
    expect(r.code).toBe(0);
    expect(r.out).toContain('y[0][0] = 1*-1 + 2*0 + 4*0 + 5*1 = 4');
    expect((await run('explain', '--kernel', '[[1,2],[3]]')).code).toBe(2);
  });
});
