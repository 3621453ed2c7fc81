// `miniconv export` and `miniconv import`: --help, exit code 2 for bad arguments, 1 for file problems,
// the files they write (checked by ONNX Runtime and by eval), and the preprocess record that predict
// and eval apply to an imported model.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, ReLU, Residual, SGD, Sequential, Tensor, createRng } from '../src/index.ts';
import { digitToPng } from '../src/io/digit-image.ts';
import { loadModel, saveModel } from '../src/io/model-file.ts';
import { exportOnnx } from '../src/io/onnx/index.ts';
import { trainStep } from '../src/train/step.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { buildOnnx, forwardAll, heldOutDigits, maxAbsDiff, node, randomWeight, runOrt } from './onnx-helpers.ts';
import { runCli as run } from './cli-run.ts';

const DIGIT = [1, 28, 28];
const dir = mkdtempSync(join(tmpdir(), 'miniconv-cli-onnx-'));


function trainBriefly(model: Sequential, steps: number): Sequential {
  const { train } = loadDigits();
  const opt = new SGD(model.params(), { lr: 0.02, momentum: 0.9 });
  for (let step = 0; step < steps; step++) {
    trainStep(model, opt, new Tensor([32, ...DIGIT], train.images.subarray(step * 32 * 784, (step + 1) * 32 * 784)), train.labels.subarray(step * 32, (step + 1) * 32));
  }
  return model.eval();
}

// A small residual net with batch norm, trained briefly, saved as a model file.
const modelFile = join(dir, 'res.json');
let model: Sequential;
beforeAll(() => {
  const rng = createRng('cli-onnx');
  model = trainBriefly(new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, rng }), new BatchNorm2D({ numFeatures: 6 }), new ReLU(), // (N, 6, 14, 14)
    new Residual(new Sequential([new Conv2D({ inChannels: 6, outChannels: 6, kernelSize: 3, padding: 1, rng }), new BatchNorm2D({ numFeatures: 6 })])),
    new ReLU(), new GlobalAvgPool2D(), new Dense({ inFeatures: 6, outFeatures: 10, rng }),
  ]), 30);
  saveModel(modelFile, model, DIGIT, { seed: 1 });
}, 120_000);

describe('miniconv export and import: usage', () => {
  it('--help shows each command\'s usage and options (exit 0); both are listed in miniconv --help', async () => {
    const top = await run('--help');
    for (const command of ['export', 'import']) {
      expect(top.out).toMatch(new RegExp(`\\n  ${command} `));
      const r = await run(command, '--help');
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`^Usage: miniconv ${command} `));
    }
    expect((await run('export', '--help')).out).toMatch(/--onnx <FILE>[\s\S]*opset 13[\s\S]*Example:\n  miniconv export models\/digits\.json --onnx digits\.onnx/);
    expect((await run('import', '--help')).out).toMatch(/--out <FILE>[\s\S]*--mean <X\[,X\.\.\.\]>[\s\S]*--std <X\[,X\.\.\.\]>[\s\S]*--mean 0\.5 --std 0\.5/);
  });

  it('bad arguments exit with code 2, naming the problem, then the usage', async () => {
    const onnxFile = join(dir, 'usage.onnx');
    writeFileSync(onnxFile, exportOnnx(model, DIGIT));
    const cases: Array<[string[], RegExp]> = [
      [['export'], /required option '--onnx <FILE>' not specified/], // commander checks required options first
      [['export', '--onnx', 'a.onnx'], /missing required argument 'MODEL'/],
      [['export', modelFile], /required option '--onnx <FILE>' not specified/],
      [['export', modelFile, '--onnx', ''], /--onnx needs a file name, got an empty string/],
      [['export', modelFile, '--onnx', 'a.onnx', 'extra'], /too many arguments/],
      [['export', modelFile, '--onnx', 'a.onnx', '--bogus'], /unknown option '--bogus'/],
      [['import', onnxFile], /required option '--out <FILE>' not specified/],
      [['import', onnxFile, '--out', 'x.json', '--mean', '0.5'], /give --mean and --std together \(for example --mean 0\.5 --std 0\.5\), got only --mean/],
      [['import', onnxFile, '--out', 'x.json', '--std', '0.5'], /got only --std/],
      [['import', onnxFile, '--out', 'x.json', '--mean', 'abc', '--std', '1'], /--mean must be a number or a comma-separated list, one per channel \(for example --mean 0\.5 or --mean 0\.485,0\.456,0\.406\), got 'abc'/],
      [['import', onnxFile, '--out', 'x.json', '--mean', '0.5,', '--std', '1'], /--mean must be a number .* got '0\.5,'/],
      [['import', onnxFile, '--out', 'x.json', '--mean', '0', '--std', '0'], /--std must be a number > 0 .* got '0'/],
      [['import', onnxFile, '--out', 'x.json', '--mean', '0', '--std', '-1'], /--std must be a number > 0 .* got '-1'/],
      [['import', onnxFile, '--out', 'x.json', '--mean', '0.5,0.5', '--std', '0.5'], /--mean\/--std: mean has 2 values, expected one per input channel \(1\)/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(new RegExp(`^miniconv ${argv[0]}: `));
      expect(r.err, argv.join(' ')).toMatch(message);
      expect(r.err, argv.join(' ')).toMatch(new RegExp(`\\n\\nUsage: miniconv ${argv[0]} `));
      expect(r.out).toBe('');
    }
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  it('file problems exit with code 1 and one line naming the file', async () => {
    mkdirSync(join(dir, 'folder.onnx'));
    writeFileSync(join(dir, 'junk.onnx'), 'this is not protobuf at all, just some text');
    writeFileSync(join(dir, 'lrn.onnx'), buildOnnx({
      opset: 13, nodes: [node('LRN', ['x'], ['l'], { size: 3 }, 'norm1'), node('Flatten', ['l'], ['f'], { axis: 1 }, 'flatten'), node('Gemm', ['f', 'w'], ['y'], { transB: 1 }, 'fc')],
      initializers: [randomWeight('w', [10, 784], 'w')], input: { name: 'x', dims: ['N', 1, 28, 28] }, outputs: [{ name: 'y', dims: ['N', 10] }],
    }));
    const conv = new Sequential([new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(1) })]);
    saveModel(join(dir, 'conv-only.json'), conv, DIGIT);
    const cases: Array<[string[], string | RegExp]> = [
      [['export', join(dir, 'missing.json'), '--onnx', join(dir, 'a.onnx')], `miniconv export: loadModel: no such file: ${join(dir, 'missing.json')}`],
      [['export', modelFile, '--onnx', join(dir, 'no-such-folder', 'a.onnx')], `miniconv export: exportOnnxFile: cannot write ${join(dir, 'no-such-folder', 'a.onnx')}: its folder does not exist`],
      [['export', join(dir, 'conv-only.json'), '--onnx', join(dir, 'a.onnx')], /^miniconv export: exportOnnx: the model's output is \[N, 2, 26, 26\], expected logits \(N, classes\)/],
      [['import', join(dir, 'missing.onnx'), '--out', join(dir, 'x.json')], `miniconv import: importOnnx: no such file: ${join(dir, 'missing.onnx')}`],
      [['import', join(dir, 'folder.onnx'), '--out', join(dir, 'x.json')], /^miniconv import: importOnnx: .*folder\.onnx is not a regular file$/],
      [['import', join(dir, 'junk.onnx'), '--out', join(dir, 'x.json')], /^miniconv import: importOnnx: not an ONNX model/],
      [['import', join(dir, 'lrn.onnx'), '--out', join(dir, 'x.json')], /^miniconv import: importOnnx: node 'norm1' \(LRN\): op type LRN is not supported; supported: Conv, /],
      [['import', join(dir, 'usage.onnx'), '--out', join(dir, 'no-such-folder', 'x.json')], `miniconv import: saveModel: cannot write ${join(dir, 'no-such-folder', 'x.json')}: no such file or folder (ENOENT)`],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err.split('\n'), argv.join(' ')).toHaveLength(1);
      if (typeof message === 'string') expect(r.err).toBe(message);
      else expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
    expect(existsSync(join(dir, 'a.onnx')) || existsSync(join(dir, 'x.json'))).toBe(false);
  });
});

describe('miniconv export and import: the files', () => {
  it('export writes an .onnx file that ONNX Runtime runs to the model\'s logits; import brings it back, and eval scores both the same', async () => {
    const onnxFile = join(dir, 'res.onnx');
    const ex = await run('export', modelFile, '--onnx', onnxFile);
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(new RegExp(`^Wrote ${onnxFile.replace(/[.\\/]/g, '\\$&')} \\([\\d,]+ bytes\\): ONNX opset 13, input \\[N, 1, 28, 28\\], outputs logits and probs$`));
    const x = heldOutDigits().images.slice(0, 100 * 784);
    const ort = await runOrt(new Uint8Array((await import('node:fs')).readFileSync(onnxFile)), 'input', x, [100, ...DIGIT]);
    expect(maxAbsDiff(ort.logits.data, forwardAll(model, x, DIGIT))).toBeLessThan(1e-4);

    const backFile = join(dir, 'res-back.json');
    const im = await run('import', onnxFile, '--out', backFile);
    expect(im.code).toBe(0);
    expect(im.out.split('\n')).toEqual([
      `Wrote ${backFile}: 7 layers (Conv2D, BatchNorm2D, ReLU, Residual, ReLU, GlobalAvgPool2D, Dense), input [N, 1, 28, 28]`,
      "  from miniconv 0.1.0, ONNX opset 13, IR version 7; graph input 'input' (NCHW), output 'logits'",
      "  left out: node 'softmax' (Softmax): a second output, the softmax of 'logits'",
      `See it with: miniconv summary ${backFile}`,
    ]);
    const back = loadModel(backFile);
    expect(back.metadata).toMatchObject({ source: 'onnx', onnx: { file: 'res.onnx', opset: 13 } });
    expect(Array.from(forwardAll(back.model, x, DIGIT))).toEqual(Array.from(forwardAll(model, x, DIGIT)));
    const [a, b] = [await run('eval', modelFile), await run('eval', backFile)];
    expect(a.code).toBe(0);
    expect(b.out).toBe(a.out);
    expect((await run('summary', backFile)).out).toMatch(/residual_1 \(Residual\)/);
  }, 120_000);
});

describe('predict and eval apply the preprocess a model file records', () => {
  // A Dense model trained on raw 0..1 pixels, and the same model rewritten to expect (x - 0.5) / 0.5,
  // as a model trained elsewhere on normalised input would: w' = w / 2, b' = b + sum(w) / 2, so that
  // w' (x - 0.5) / 0.5 + b' = w x + b. Imported with --mean 0.5 --std 0.5 it must score as the first.
  let rawFile = '', normOnnx = '';
  beforeAll(() => {
    const raw = trainBriefly(new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng('pre') })]), 60);
    rawFile = join(dir, 'raw.json');
    saveModel(rawFile, raw, DIGIT, { seed: 1 });
    const norm = new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng('pre') })]);
    const [w, b] = raw.params().map((p) => p.value.data);
    const [w2, b2] = norm.params().map((p) => p.value.data);
    for (let o = 0; o < 10; o++) {
      let sum = 0;
      for (let k = 0; k < 784; k++) { w2[o * 784 + k] = w[o * 784 + k] / 2; sum += w[o * 784 + k]; }
      b2[o] = b[o] + sum / 2;
    }
    normOnnx = join(dir, 'norm.onnx');
    writeFileSync(normOnnx, exportOnnx(norm, DIGIT));
  }, 120_000);

  it('import --mean 0.5 --std 0.5 records it; eval and predict then match the model trained on raw pixels, and differ without it', async () => {
    const withFile = join(dir, 'norm.json'), withoutFile = join(dir, 'norm-plain.json');
    const im = await run('import', normOnnx, '--out', withFile, '--mean', '0.5', '--std', '0.5');
    expect(im.code).toBe(0);
    expect(im.out).toContain('  preprocess: (x - 0.5) / 0.5, applied by predict and eval');
    expect(loadModel(withFile).metadata.preprocess).toEqual({ mean: 0.5, std: 0.5 });
    expect((await run('import', normOnnx, '--out', withoutFile)).code).toBe(0);
    expect(loadModel(withoutFile).metadata.preprocess).toBeUndefined();

    const score = (out: string) => {
      const m = /Accuracy ([\d.]+)% \((\d+)\/(\d+)\), loss ([\d.]+)/.exec(out);
      if (!m) throw new Error(`no accuracy line in ${out}`);
      return { accuracy: m[1], loss: Number(m[4]), confusion: out.split('\n').slice(2).join('\n') };
    };
    const [rawEval, withEval, withoutEval] = [score((await run('eval', rawFile)).out), score((await run('eval', withFile)).out), score((await run('eval', withoutFile)).out)];
    expect(withEval.accuracy).toBe(rawEval.accuracy);
    expect(withEval.confusion).toBe(rawEval.confusion);
    expect(Math.abs(withEval.loss - rawEval.loss)).toBeLessThan(2e-4);
    expect(withoutEval.loss).not.toBeCloseTo(rawEval.loss, 2);

    const png = join(dir, 'digit.png');
    writeFileSync(png, digitToPng(heldOutDigits().images.subarray(3 * 784, 4 * 784)));
    const [p1, p2, p3] = [await run('predict', rawFile, png), await run('predict', withFile, png), await run('predict', withoutFile, png)];
    expect(p1.code).toBe(0);
    expect(p2.out).toBe(p1.out);
    expect(p3.out).not.toBe(p1.out);
  }, 120_000);

  it('a model file with an invalid preprocess record: predict and eval exit 1 naming the file', async () => {
    const { model: m, inputShape } = loadModel(rawFile);
    const bad = join(dir, 'bad-pre.json');
    saveModel(bad, m, inputShape, { preprocess: { mean: [0.5, 0.5], std: 1 } });
    const png = join(dir, 'digit.png');
    for (const argv of [['eval', bad], ['predict', bad, png]]) {
      const r = await run(...argv);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`miniconv ${argv[0]}: ${bad}: metadata.preprocess: mean has 2 values, expected one per input channel (1)`);
    }
  });
});
