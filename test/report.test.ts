// `miniconv inspect` and its report: a tiny CNN trained for a moment on 300 bundled digits (with
// first-layer snapshots), saved with saveModel, then inspected. The PNGs are decoded with pngjs; the
// page is checked for well-formed markup (every tag closed, in order), for every section, and for
// numbers that agree with evaluate(). Then the errors and their exit codes.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../datasets/mnist.ts';
import { takeFirst } from '../src/dataset.ts';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, createRng } from '../src/index.ts';
import { digitToPng } from '../src/io/digit-image.ts';
import { type ModelMetadata, type Snapshot, saveModel } from '../src/io/model-file.ts';
import { buildReport, fileSafe, planKernelFigure } from '../src/inspect/index.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';
import { niceTicks } from '../src/inspect/svg.ts';
import { evaluate, fit } from '../src/train/index.ts';

const { train, test } = loadDigits();
let dir: string;
let modelPath: string;
let model: Sequential;
let metadata: ModelMetadata;

function tinyModel(seed = 3): Sequential {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }), // (N, 4, 28, 28)
    new ReLU(),
    new MaxPool2D({ size: 2 }), // (N, 4, 14, 14)
    new Flatten(),
    new Dense({ inFeatures: 4 * 14 * 14, outFeatures: 10, rng }), // (N, 10)
  ]);
}

/** Runs `miniconv inspect ...argv`, collecting what it prints. */
async function run(...argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(['inspect', ...argv], { io: { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false }, data: dataLoaders });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const VOID = new Set(['meta', 'img', 'br', 'hr', 'link', 'input']);
/** Every opened tag is closed, in order (void elements and `<x/>` excepted); returns the problems found. */
function tagProblems(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  for (const m of html.matchAll(/<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<(\/?)([a-zA-Z][\w-]*)([^>]*)>/g)) {
    if (!m[2]) continue;
    const [, close, tag, rest] = m;
    const name = tag.toLowerCase();
    if (close) {
      const top = stack.pop();
      if (top !== name) problems.push(`</${name}> closes <${top}> at offset ${m.index}`);
    } else if (!VOID.has(name) && !rest.endsWith('/')) {
      stack.push(name);
    }
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}

/** The text of <section id="id">, or '' if there is none. */
function sectionOf(html: string, id: string): string {
  const m = html.match(new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`));
  return m ? m[1] : '';
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'miniconv-report-'));
  model = tinyModel();
  const w = model.params()[0];
  const snapshots: Snapshot[] = [{ label: 'init', param: w.name, value: w.value.clone() }];
  const history = fit(model, takeFirst(train, 300), {
    epochs: 2, batchSize: 20, seed: 1, testSet: takeFirst(test, 200),
    optimizer: new SGD(model.params(), { lr: 0.05, momentum: 0.9 }),
    onEpochEnd: (e) => snapshots.push({ label: `epoch ${e.epoch}`, param: w.name, value: w.value.clone() }),
  });
  metadata = {
    seed: 1, epochs: 2, dataset: 'bundled digits of the mnist package (first 300)',
    history: history.epochs.map(({ test: _t, imagesPerSec: _i, ...rest }) => rest),
    confusion: history.epochs[1].test?.confusion, snapshots,
  };
  modelPath = join(dir, 'tiny.json');
  saveModel(modelPath, model, [1, 28, 28], metadata);
}, 60_000); // generous: the layers may still run naive kernels on a busy machine

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('miniconv inspect MODEL --index N --out DIR', () => {
  let result: Awaited<ReturnType<typeof run>>;
  let out: string;
  let html: string;
  beforeAll(async () => {
    out = join(dir, 'out', 'nested'); // created if missing
    result = await run(modelPath, '--index', '3', '--out', out);
    html = readFileSync(join(out, 'report.html'), 'utf8');
  }, 30_000);

  it('exits 0 and lists what it wrote', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Prediction for test digit #3: \d \((> )?\d+\.\d%\)/);
    expect(result.out).toContain('report.html');
  });

  it('writes kernels and feature maps for the right layers, PNGs of sensible sizes, and no temporary files', () => {
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'featuremaps-conv2d_1.png', 'featuremaps-maxpool2d_1.png', 'featuremaps-relu_1.png', 'featuremaps.png',
      'kernels-conv2d_1.png', 'kernels-snapshots-change.png', 'kernels-snapshots.png', 'report.html',
    ]);
    const size = (f: string) => { const p = PNG.sync.read(readFileSync(join(out, f))); return [p.width, p.height]; };
    const [kw, kh] = size('kernels-conv2d_1.png');
    expect(kw).toBeGreaterThan(4 * 3 * 4); // four 3x3 kernels, several pixels per weight
    expect(kw).toBeLessThan(800);
    expect(kh).toBeGreaterThan(3 * 4);
    const snaps = metadata.snapshots!;
    const plan = planKernelFigure(snaps.map((s) => s.value), { labels: snaps.map((s) => s.label) }); // three blocks side by side
    expect(size('kernels-snapshots.png')).toEqual([plan.width, plan.height]);
    expect(plan.blocks).toHaveLength(3);
    const change = planKernelFigure(snaps.slice(1).map((s) => s.value), { labels: ['epoch 1 - init', 'epoch 2 - init'] });
    expect(size('kernels-snapshots-change.png')).toEqual([change.width, change.height]);
    const [fw, fh] = size('featuremaps-conv2d_1.png');
    expect(fw).toBeGreaterThanOrEqual(2 * 28); // 4 tiles of 28x28 in a 2x2 grid, at least 1 px per value
    expect(fh).toBeGreaterThanOrEqual(2 * 28);
    const [, smallH] = size('featuremaps-maxpool2d_1.png');
    expect(smallH).toBeLessThan(1000);
    const [, stackH] = size('featuremaps.png');
    expect(stackH).toBeGreaterThan(fh); // input + every layer, stacked
  });

  it('report.html is well-formed, self-contained and has no scripts', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(tagProblems(html)).toEqual([]);
    expect(html).not.toMatch(/<script|\s(src|href)="(https?:|\/\/)|url\(/i);
    const srcs = [...html.matchAll(/<img [^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs.length).toBeGreaterThan(10);
    for (const s of srcs) {
      expect(s.startsWith('data:image/png;base64,')).toBe(true);
      const png = PNG.sync.read(Buffer.from(s.slice('data:image/png;base64,'.length), 'base64'));
      expect(png.width).toBeGreaterThan(0);
    }
  });

  it('holds every section: summary, curves, kernels, learning, feature maps, confusion, mistakes', () => {
    for (const id of ['summary', 'training', 'kernels', 'learning', 'featuremaps', 'confusion', 'mistakes']) {
      expect(sectionOf(html, id), id).not.toBe('');
    }
    const summary = sectionOf(html, 'summary');
    for (const l of model.layers) expect(summary).toContain(`<td>${l.name}</td>`);
    expect(summary).toContain('7,890'); // 4*9 + 4 + 784*10 + 10 parameters
    // Two charts (loss, accuracy), each with axes, a line per series, markers and a legend.
    const svgs = sectionOf(html, 'training').match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) {
      expect(svg.match(/<polyline/g)).toHaveLength(2); // train and test
      expect(svg).toMatch(/class="legend"[^>]*>train</);
      expect(svg).toMatch(/class="legend"[^>]*>test</);
      expect(svg).toMatch(/class="axis-title"[^>]*>epoch</);
      expect((svg.match(/class="tick"/g) ?? []).length).toBeGreaterThanOrEqual(4);
    }
    expect(sectionOf(html, 'learning')).toMatch(/init[\s\S]*epoch 1[\s\S]*epoch 2[\s\S]*What training added/);
    expect(sectionOf(html, 'featuremaps')).toContain(`true label <b>${test.labels[3]}</b>`);
    expect((sectionOf(html, 'mistakes').match(/<figure class="wrong">/g) ?? [])).toHaveLength(10);
  });

  it('the confusion matrix is evaluate()\'s on the bundled test set, and the mistakes are really wrong', () => {
    const ev = evaluate(model, test);
    const cells = [...sectionOf(html, 'confusion').matchAll(/<td class="num[^"]*"[^>]*title="true (\d), predicted (\d): (\d+)"/g)];
    expect(cells).toHaveLength(100);
    for (const [, t, p, v] of cells) expect(Number(v)).toBe(ev.confusion[Number(t)][Number(p)]);
    expect(html).toContain(`${(100 * ev.accuracy).toFixed(2)}%`);
    const mistakes = [...sectionOf(html, 'mistakes').matchAll(/true <b>(\d)<\/b> → predicted <b class="bad">(\d)<\/b><br>(?:&[lg]t; )?([\d.]+)% sure · #(\d+)/g)];
    expect(mistakes).toHaveLength(10);
    const sure = mistakes.map((m) => Number(m[3]));
    expect(sure).toEqual([...sure].sort((a, b) => b - a)); // most confident first
    for (const m of mistakes) {
      const [, label, pred, , index] = m.map(Number);
      expect(test.labels[index]).toBe(label);
      expect(pred).not.toBe(label);
      expect(ev.confusion[label][pred]).toBeGreaterThan(0);
    }
  }, 30_000);
});

describe('inspect with --image, without metadata, and with escaping', () => {
  it('--image: feature maps of a picture, the file name as its caption', async () => {
    const img = join(dir, 'digit.png');
    writeFileSync(img, digitToPng(test.images.subarray(5 * 784, 6 * 784)));
    const out = join(dir, 'out-image');
    const r = await run(modelPath, '--image', img, '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Prediction for digit.png');
    expect(sectionOf(readFileSync(join(out, 'report.html'), 'utf8'), 'featuremaps')).toContain('digit.png');
  }, 30_000);

  it('a model without metadata: says there is no history, has no learning section; names are escaped', () => {
    const { html } = buildReport({
      model, inputShape: [1, 28, 28], title: 'bare <b>&"x".json', digit: { pixels: test.images.slice(0, 784), source: 'test digit #0' },
      testSet: { set: takeFirst(test, 50), name: 'test digits' },
    });
    expect(tagProblems(html)).toEqual([]);
    expect(sectionOf(html, 'training')).toContain('No training history');
    expect(sectionOf(html, 'learning')).toBe('');
    expect(html).toContain('bare &lt;b&gt;&amp;&quot;x&quot;.json');
    expect(html).not.toContain('<b>&');
  });

  it('a model trained on other data shows the confusion matrix recorded in its file, and says so', () => {
    const recorded = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 90 + i : 1)));
    const r = buildReport({
      model, inputShape: [1, 28, 28], title: 'm', digit: { pixels: test.images.slice(0, 784), source: 'test digit #0' },
      metadata: { dataset: 'MNIST IDX files in /data/mnist', confusion: recorded }, testSet: { set: takeFirst(test, 50), name: 'test digits' },
    });
    expect(r.confusion?.origin).toBe('recorded');
    expect(r.confusion?.matrix).toEqual(recorded);
    expect(r.html).toContain('Recorded in the model file at the end of training, on the test set of MNIST IDX files in /data/mnist.');
    expect(r.html).toContain('some of these digits may have been among its training images');
  });

  it('file names and chart ticks', () => {
    expect(fileSafe('conv2d_1')).toBe('conv2d_1');
    expect(fileSafe('../my conv')).toBe('__my_conv');
    expect(niceTicks(0, 1.37)).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(0.62, 1, 4)).toEqual([0.6, 0.7, 0.8, 0.9, 1]);
  });
});

describe('inspect errors: one line and exit code 1 for bad data, usage and exit code 2 for bad arguments', () => {
  const notWritten = () => join(dir, 'never');
  it.each([
    ['a non-integer --index', ['--index', 'two'], 2, /^miniconv inspect: --index must be an integer >= 0, in decimal digits \(for example --index 3\), got 'two'\n\nUsage: miniconv inspect/],
    ['an --index past the end', ['--index', '2000'], 2, /^miniconv inspect: --index must be an integer from 0 to 1999 \(the bundled test set has 2,000 digits\), got '2000'\n\nUsage/],
    ['a negative --index', ['--index=-1'], 2, /--index must be an integer >= 0, .* got '-1'/],
    ['a missing --image', ['--image', '/no/such/digit.png'], 1, /^miniconv inspect: --image: no such file: \/no\/such\/digit\.png$/],
  ])('%s', async (_, args, code, message) => {
    const r = await run(modelPath, ...(args as string[]), '--out', notWritten());
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message as RegExp);
    if (code === 1) expect(r.err.split('\n')).toHaveLength(1);
    expect(existsSync(notWritten())).toBe(false);
  });

  it('a model without Conv2D layers', async () => {
    const path = join(dir, 'dense.json');
    saveModel(path, new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng: createRng(1) })]), [1, 28, 28]);
    const r = await run(path, '--out', notWritten());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^miniconv inspect: .*dense\.json has no Conv2D layer \(layers: Flatten, Dense\)/);
  });

  it('a missing or corrupt model file', async () => {
    const missing = await run(join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^miniconv inspect: loadModel: no such file: .*nope\.json$/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, readFileSync(modelPath, 'utf8').slice(0, 500));
    const corrupt = await run(bad, '--out', notWritten());
    expect(corrupt.code).toBe(1);
    expect(corrupt.err).toMatch(/not valid JSON.*truncated/);
    expect(corrupt.err.split('\n')).toHaveLength(1);
  });

  it.each([
    ['an unknown flag', ['MODEL', '--colour'], /unknown option '--colour'/],
    ['both --image and --index', ['MODEL', '--image', 'a.png', '--index', '1'], /either --index or --image, not both/],
    ['no MODEL', ['--index', '1'], /missing required argument 'MODEL'/],
    ['two MODELs', ['a.json', 'b.json'], /too many arguments for 'inspect'. Expected 1 argument but got 2/],
  ])('%s', async (_, args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('Usage: miniconv inspect [options] <MODEL>');
  });

  it('--help prints the usage, with what it writes, and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: miniconv inspect \[options\] <MODEL>/);
    expect(r.out).toContain('report.html               one self-contained page');
  });
});
