// `miniconv inspect` on a model trained on a folder of pictures (issue 21 §3): the feature maps of a
// picture read the way the model was trained, the first layer's kernels in colour, and the report
// with class names. A tiny folder of test/shapes.ts pictures, 16x16, one epoch: seconds.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeShapeFolder } from './shapes.ts';
import { loadModel, saveModel } from '../src/io/model-file.ts';
import { Dense, Flatten, Sequential, createRng } from '../src/index.ts';
import { Conv2D } from '../src/layers/conv2d.ts';
import { featureMaps, planFeatureMapFigure } from '../src/inspect/feature-maps.ts';
import { planColorKernelFigure, planColorKernelGrid, planKernelFigure } from '../src/inspect/kernels.ts';
import { channelsColor } from '../src/inspect/colormap.ts';
import { weightsToAnsi } from '../src/inspect/terminal.ts';
import { dataLoaders } from '../bin/main.ts';
import { main } from '../src/cli/main.ts';
import { kernelScale } from '../src/inspect/report-numbers.ts';
import { readPicture } from '../src/io/digit-image.ts';
import { bytesToInput, pictureToInput } from '../src/io/picture-input.ts';
import { Tensor } from '../src/tensor.ts';
import { runCli as run } from './cli-run.ts';

const root = mkdtempSync(join(tmpdir(), 'miniconv-inspect-pictures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const pics = join(root, 'pics');
const model = join(root, 'shapes.json');
const CLASSES = ['circle', 'square', 'star'] as const;


const readPng = (file: string) => PNG.sync.read(readFileSync(file));

makeShapeFolder(pics, { perClass: 8, seed: 3, classes: CLASSES });
beforeAll(async () => {
  const r = await run('train', '--images', pics, '--size', '16', '--epochs', '1', '--threads', '1', '--out', model, '--seed', '4');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
}, 120_000);

describe('miniconv inspect on a model trained on pictures', () => {
  const star = join(pics, 'star', readdirSync(join(pics, 'star'))[0]);
  const out = join(root, 'inspect-image');

  it('--image: feature maps of the picture at the model\'s input size, the first layer\'s kernels in colour', async () => {
    const r = await run('inspect', model, '--image', star, '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Prediction for .*: (circle|square|star) \(/);
    const { model: net, inputShape } = loadModel(model);
    expect(inputShape).toEqual([3, 16, 16]);
    const convs = net.layers.filter((l): l is Conv2D => l instanceof Conv2D);
    const files = readdirSync(out);
    for (const f of files.filter((f) => f.endsWith('.png'))) {
      const png = readPng(join(out, f)); // decodes
      expect(png.width, f).toBeGreaterThan(0);
    }

    // The feature maps of the picture as predict reads it (16x16, 3 channels): the first conv's figure has the planned size.
    const pic = readPicture(star);
    const x = new Tensor([1, 3, 16, 16], bytesToInput(pictureToInput(pic.rgba, pic.width, pic.height, { size: [16, 16], channels: 3, fit: 'crop' })));
    const first = featureMaps(net, x).find((m) => m.layer === convs[0])!;
    expect(first.output.shape).toEqual([1, 16, 16, 16]);
    const plan = planFeatureMapFigure([{ label: `${first.layer.name}  16×16×16`, output: first.output }]);
    const fm = readPng(join(out, `featuremaps-${convs[0].name}.png`));
    expect([fm.width, fm.height]).toEqual([plan.width, plan.height]);

    // The first layer (3 channels): one colour cell per filter, R, G, B differ somewhere inside a kernel.
    const kplan = planColorKernelFigure(convs[0], { scale: kernelScale(convs[0]), name: convs[0].name });
    const k0 = readPng(join(out, `kernels-${convs[0].name}.png`));
    expect([k0.width, k0.height]).toEqual([kplan.width, kplan.height]);
    const cells = kplan.blocks[0].cells;
    expect(cells).toHaveLength(16);
    let coloured = 0, grey = 0;
    for (const cell of cells) {
      const i = (k0.width * (cell.y + kplan.scale + 1) + cell.x + kplan.scale + 1) * 4; // the middle weight's square
      const [R, G, B] = [k0.data[i], k0.data[i + 1], k0.data[i + 2]];
      if (R !== G || G !== B) coloured++; else grey++;
    }
    expect(coloured).toBeGreaterThan(grey);
    // A later layer (16 channels in): per channel, as for the digit models.
    const kplan2 = planKernelFigure([convs[1].weight.value]);
    expect(kplan2.blocks[0].cells).toHaveLength(16 * 16);
    const k1 = readPng(join(out, `kernels-${convs[1].name}.png`));
    expect(k1.height).toBeGreaterThan(k0.height);
  }, 120_000);

  it('report.html without --images: class names, the picture in colour, no dataset sections and it says why; no digits', async () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Feature maps of one picture');
    for (const c of CLASSES) expect(html).toMatch(new RegExp(`<td class="num">${c}( <span|</td>)`)); // the probability table names every class
    expect(html).toMatch(/<th class="num">circle<\/th><th class="num">square<\/th><th class="num">star<\/th>/); // the recorded matrix, by name
    expect(html).toContain('Not computed now: the model was trained on pictures, not digits; give inspect --images DIR');
    expect(html).toMatch(/No test set to search for mistakes: the model was trained on pictures/);
    expect(html).not.toMatch(/bundled test digits|test digits/);
    const probs = /<table class="probs">[\s\S]*?<\/table>/.exec(html)![0];
    expect(probs).not.toMatch(/<td class="num">[0-9]( <span|<\/td>)/); // classes by name, not by number
    expect(/<table class="confusion">[\s\S]*?<\/table>/.exec(html)![0]).not.toMatch(/<th class="num">[0-9]<\/th>/);
  });

  it('--images DIR: the held-out pictures of the training split, confusion matrix and mistakes by class name', async () => {
    const dir = join(root, 'inspect-images');
    const r = await run('inspect', model, '--images', pics, '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // 8 pictures per class, 20% held out: 2 per class, the 6 the training held out.
    expect(r.out).toMatch(/Running shapes\.json over the 6 held-out pictures of .* \(the split the training used, seed 4\)/);
    expect(r.out).toMatch(/Test accuracy [\d.]+% on 6 pictures/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/Computed now on the 6 held-out pictures/);
    expect(html).toMatch(/<th class="num">circle<\/th><th class="num">square<\/th><th class="num">star<\/th>/);
    expect(html).toMatch(/Rows are the true classes/);
    if (!/got every one/.test(html)) expect(html).toMatch(/true <b>(circle|square|star)<\/b> → predicted <b class="bad">(circle|square|star)<\/b>/);
    // A folder the model was not trained on: every picture in it.
    const other = join(root, 'other');
    makeShapeFolder(other, { perClass: 3, seed: 9, classes: CLASSES });
    const o = await run('inspect', model, '--images', other, '--image', star, '--out', join(root, 'inspect-other'));
    expect(o.code).toBe(0);
    expect(o.out).toMatch(/Test accuracy [\d.]+% on 9 pictures/);
  }, 120_000);

  it('--images on a digit model is refused', async () => {
    const digits = join(root, 'digits.json');
    const rng = createRng(1);
    saveModel(digits, new Sequential([new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng }), new Flatten(), new Dense({ inFeatures: 2 * 26 * 26, outFeatures: 10, rng })]), [1, 28, 28]);
    const r = await run('inspect', digits, '--images', pics, '--out', join(root, 'digits-inspect'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--images is for a model trained on pictures; .*digits\.json reads 28x28 digits/);
  });

  it('without --image it says what to give (the bundled digits mean nothing to this model)', async () => {
    const r = await run('inspect', model, '--out', join(root, 'none'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/trained on pictures \(input 3x16x16, classes circle, square, star\); give --image PICTURE/);
  });

  it('the snapshot strip and what training added: the first layer of a colour model in colour, one picture per filter', async () => {
    const out = join(root, 'inspect-image'); // written by the first test
    const { metadata } = loadModel(model);
    const snaps = (metadata.snapshots ?? []).map((s) => s.value);
    expect(snaps.map((v) => v.shape)).toEqual([[16, 3, 3, 3], [16, 3, 3, 3]]); // init and epoch 1
    const plan = planColorKernelGrid(snaps, { labels: ['init', 'epoch 1'] });
    const strip = readPng(join(out, 'kernels-snapshots.png'));
    expect([strip.width, strip.height]).toEqual([plan.width, plan.height]); // drawn per channel (3 columns a filter) it was 3 times as wide
    expect(plan.blocks.map((b) => b.cells.length)).toEqual([16, 16]);
    // Every square of every filter has the colour of its three weights (one scale over both snapshots).
    plan.blocks.forEach((block, k) => {
      for (const cell of block.cells) {
        for (const [m, n] of [[0, 0], [1, 2], [2, 1]]) {
          const i = (strip.width * (cell.y + m * plan.scale + 1) + cell.x + n * plan.scale + 1) * 4;
          const w = (c: number) => snaps[k].data[((cell.f * 3 + c) * 3 + m) * 3 + n];
          expect([strip.data[i], strip.data[i + 1], strip.data[i + 2]], `snapshot ${k} f${cell.f} (${m}, ${n})`).toEqual(channelsColor(w(0), w(1), w(2), plan.maxAbs));
        }
      }
    });
    const change = readPng(join(out, 'kernels-snapshots-change.png'));
    const changePlan = planColorKernelGrid([snaps[1]], { labels: ['epoch 1 - init'] });
    expect([change.width, change.height]).toEqual([changePlan.width, changePlan.height]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain("each square's red, green and blue are its weights on the red, green and blue channels");
  });

  describe('--terminal', () => {
    const firstConv = () => loadModel(model).model.layers.find((l): l is Conv2D => l instanceof Conv2D)!;
    const term = async (isTTY: boolean, env: Record<string, string | undefined>) => {
      const saved = { COLORTERM: process.env.COLORTERM, NO_COLOR: process.env.NO_COLOR };
      Object.assign(process.env, env);
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
      const out: string[] = [], err: string[] = [];
      try {
        const code = await main(['inspect', model, '--terminal'], { io: { out: (t) => out.push(t), err: (t) => err.push(t), isTTY }, data: dataLoaders });
        return { code, out: out.join('\n'), err: err.join('\n') };
      } finally {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    };

    it('on a 24-bit colour terminal: each first-layer filter is one colour picture of its R, G, B weights', async () => {
      const r = await term(true, { COLORTERM: 'truecolor', NO_COLOR: undefined });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^conv2d_1 {2}16×3×3×3 {3}channels 0, 1, 2 as red, green, blue/);
      const w = firstConv().weight.value, maxAbs = Math.max(...Array.from(w.data, Math.abs));
      // Filter 0's top row: three squares coloured by w[0, 0..2, 0, n].
      const row = [0, 1, 2].map((n) => {
        const [R, G, B] = channelsColor(w.data[n], w.data[9 + n], w.data[18 + n], maxAbs);
        return `\x1b[48;2;${R};${G};${B}m  `;
      }).join('');
      expect(r.out).toContain(`${row}\x1b[0m`);
      // The first layer takes 3 text rows a filter (not 3 channels side by side), the next layers their channels as before.
      const firstPart = r.out.slice(0, r.out.indexOf('conv2d_2'));
      expect(firstPart).not.toMatch(/\bc[0-2]\b|\bR {5}G/);
      expect(r.out).toMatch(/conv2d_2 {2}16×16×3×3 .*\n+ {4}c0 +c1 /);
    });

    it('in a pipe (or without COLORTERM): plain shaded blocks, the first layer\'s channels labelled R, G, B', async () => {
      for (const [isTTY, env] of [[false, { COLORTERM: 'truecolor' }], [true, { COLORTERM: undefined }], [true, { COLORTERM: 'truecolor', NO_COLOR: '1' }]] as const) {
        const r = await term(isTTY, env);
        expect(r.code).toBe(0);
        expect(r.out).not.toContain('\x1b');
        expect(r.out).toMatch(/^conv2d_1 {2}16×3×3×3 {3}shade = .*\n+channels R, G, B shaded one by one/);
        expect(r.out).toMatch(/\n {4}R +G +B\n/);
        expect(r.out).toContain(weightsToAnsi(firstConv().weight.value, { color: 'blocks', rgb: true, width: process.stdout.columns ?? 100 }).split('\n')[4]);
      }
    });

    it('rgb on a weight that does not read 3 channels is an error naming the shape', () => {
      expect(() => weightsToAnsi(new Tensor([2, 1, 3, 3]), { rgb: true, color: 'truecolor' })).toThrow(/rgb draws a weight reading 3 channels \(R, G, B\), \(F, 3, KH, KW\); got \[2, 1, 3, 3\]/);
    });
  });
});
