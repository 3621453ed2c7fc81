// The inspection report: everything there is to see about one trained model, on one self-contained
// HTML page (images inlined as data: URIs, inline CSS, inline SVG charts, no scripts):
//
//   the model      the layer table, and what training recorded (data, epochs, time, accuracy)
//   training       loss and accuracy per epoch, train and test (metadata.history)
//   kernels        every Conv2D layer's weights (renderKernelsPng)
//   learning       the first layer's kernels at initialisation and after each epoch, on one colour
//                  scale (metadata.snapshots, when the model was trained with --snapshots)
//   feature maps   one digit, the output of every layer, and the model's ten probabilities
//   confusion      true class down, prediction across, on the test set
//   mistakes       the test digits the model got wrong with the highest confidence
//
// buildReport() computes the figures and returns the page together with the PNG files it embeds,
// so that a caller can also write them out one by one (see inspect-model.ts).

import type { Dataset } from '../train/dataset.ts';
import type { ModelMetadata } from '../io/model-file.ts';
import { softmax } from '../kernels/softmax-xent.ts';
import { Conv2D } from '../layers/conv2d.ts';
import type { LayerConfig } from '../layers/layer.ts';
import type { Sequential } from '../layers/sequential.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import { Canvas } from './canvas.ts';
import { greyColor } from './colormap.ts';
import { featureMaps, renderFeatureMapsPng, renderModelFeatureMapsPng } from './feature-maps.ts';
import { renderKernelGridPng, renderKernelsPng } from './kernels.ts';
import { escapeHtml as esc, lineChartSvg } from './svg.ts';

/** The one input whose feature maps the report shows. */
export interface ReportDigit {
  /** One image, C*H*W values in 0..1, laid out like the model's input shape. */
  pixels: Float32Array;
  /** Where it came from, e.g. 'test digit #0' or 'my-seven.png'. */
  source: string;
  /** Its true class, when known. */
  label?: number;
}

export interface ReportOptions {
  model: Sequential;
  /** One input's shape without the batch dimension, e.g. [1, 28, 28]. */
  inputShape: readonly number[];
  metadata?: ModelMetadata;
  /** The page's heading, e.g. the model file's name. */
  title: string;
  digit: ReportDigit;
  /** A labelled test set in the model's input shape (the bundled digits), for the confusion matrix and the mistakes. */
  testSet?: { set: Dataset; name: string } | null;
  /** How many confidently wrong test images to show (default 10). */
  wrongCount?: number;
}

/** A test image the model got wrong. */
export interface WrongDigit {
  index: number;
  label: number;
  predicted: number;
  /** The probability the model gave its (wrong) prediction. */
  confidence: number;
}

export interface ConfusionResult {
  /** confusion[true][predicted] */
  matrix: number[][];
  /** A sentence saying which data the matrix counts. */
  source: string;
  /** 'computed' on `testSet` now, or 'recorded' in the model file at the end of training. */
  origin: 'computed' | 'recorded';
}

export interface Report {
  html: string;
  /** The PNG figures the page embeds, under the file names a caller should use. */
  files: Array<{ name: string; data: Buffer }>;
  /** The model's class probabilities for the report's digit (null if the model does not output (1, K)). */
  prediction: { predicted: number; probs: number[] } | null;
  confusion: ConfusionResult | null;
  /** Accuracy and mean loss of the computed test pass (null when no test set was evaluated). */
  test: { accuracy: number; loss: number; count: number } | null;
  wrong: WrongDigit[];
}

/** A layer name made safe for a file name: 'conv2d_1' stays, anything else odd becomes '_'. */
export function fileSafe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return s.length > 0 ? s : '_';
}

/**
 * Runs the model over a whole labelled set in batches; returns the softmax probabilities (count, K).
 * Throws if the model's output is not (N, K) class scores.
 */
export function predictSet(model: Sequential, set: Dataset, batchSize = 100): { probs: Float32Array; K: number } {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const out = model.outputShape([1, ...set.shape]);
  if (out.length !== 2) throw new Error(`predictSet: the model's output ${shapeStr(out)} is not (N, K) class scores`);
  const K = out[1];
  const probs = new Float32Array(set.count * K);
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const x = new Tensor([n, ...set.shape], set.images.subarray(start * per, (start + n) * per)); // (n, C, H, W)
    probs.set(softmax(model.forward(x)).data, start * K); // (n, K)
  }
  return { probs, K };
}

/** Computes every figure and writes the page. */
export function buildReport(opts: ReportOptions): Report {
  const { model, inputShape } = opts;
  const md = opts.metadata ?? {};
  const files: Report['files'] = [];
  const png = (name: string, data: Buffer) => { files.push({ name, data }); return data; };
  const unique = uniqueNamer();

  // Kernels of every convolution.
  const convs = model.layers.filter((l): l is Conv2D => l instanceof Conv2D);
  const kernelFigs = convs.map((conv) => ({
    conv, png: png(unique(`kernels-${fileSafe(conv.name)}.png`), renderKernelsPng(conv, { scale: kernelScale(conv) })),
  }));

  // Snapshots of one parameter (normally the first layer's weight), grouped by parameter.
  // Beside them, what training added: each later snapshot minus the first, on its own shared scale
  // (the first layer's kernels often keep much of their random start; the change shows what was learned).
  const snapshotFigs = snapshotGroups(md).map((g, _, all) => {
    const base = all.length === 1 ? 'kernels-snapshots' : `kernels-snapshots-${fileSafe(g.param)}`;
    const deltas = g.values.slice(1).map((v) => minus(v, g.values[0]));
    return {
      ...g,
      png: png(unique(`${base}.png`), renderKernelGridPng(g.values, { labels: g.labels })),
      changePng: deltas.length === 0 ? null
        : png(unique(`${base}-change.png`), renderKernelGridPng(deltas, { labels: g.labels.slice(1).map((l) => `${l} - ${g.labels[0]}`) })),
    };
  });

  // Feature maps of the chosen digit.
  const x = new Tensor([1, ...inputShape], opts.digit.pixels);
  const maps = featureMaps(model, x);
  const mapFigs = maps.filter((m) => m.layer.type !== 'Flatten' && m.layer.type !== 'Dense' && m.output.rank === 4).map((m) => ({
    layer: m.layer,
    shape: m.output.shape,
    png: png(unique(`featuremaps-${fileSafe(m.layer.name)}.png`),
      renderFeatureMapsPng(m.output, { label: `${m.layer.name}  ${m.output.shape.slice(1).join('×')}` })),
  }));
  png(unique('featuremaps.png'), renderModelFeatureMapsPng(model, x));
  const last = maps[maps.length - 1].output;
  const prediction = last.rank === 2 ? probabilities(last) : null;

  // The test set: one pass gives the confusion matrix, the accuracy and the confident mistakes.
  let confusion: ConfusionResult | null = null;
  let test: Report['test'] = null;
  let wrong: WrongDigit[] = [];
  const trainedOn = typeof md.dataset === 'string' ? md.dataset : undefined;
  // The bundled digits are a subset of MNIST: a model trained on other data (the full MNIST files) may
  // have seen them in training, so its own recorded test-set matrix is the honest one to show.
  const trainedElsewhere = trainedOn !== undefined && !/bundled digits/i.test(trainedOn);
  const recorded = validConfusion(md.confusion);
  const tset = opts.testSet ?? null;
  const canTest = tset !== null && last.rank === 2 && tset.set.count > 0;
  if (canTest) {
    const { probs, K } = predictSet(model, tset.set);
    const r = scoreSet(probs, K, tset.set.labels);
    test = { accuracy: r.accuracy, loss: r.loss, count: tset.set.count };
    wrong = r.wrong.slice(0, opts.wrongCount ?? 10);
    if (!(trainedElsewhere && recorded)) {
      confusion = {
        matrix: r.confusion, origin: 'computed',
        source: `Computed now on the ${fmtInt(tset.set.count)} ${tset.name}.` +
          (trainedElsewhere ? ` The model was trained on ${trainedOn}, which may include some of these digits.` : ''),
      };
    }
  }
  if (!confusion && recorded) {
    confusion = { matrix: recorded, origin: 'recorded', source: `Recorded in the model file at the end of training, on the test set of ${trainedOn ?? 'its training data'}.` };
  }

  const html = page(opts.title, [
    overview(opts, md, test, snapshotFigs.length > 0),
    section('summary', 'The model', summaryTable(model, inputShape)),
    section('training', 'Training curves', trainingCurves(md)),
    section('kernels', 'Kernels', kernelsSection(kernelFigs)),
    snapshotFigs.length > 0 ? section('learning', 'How the kernels were learned', learningSection(snapshotFigs)) : '',
    section('featuremaps', 'Feature maps of one digit', featureSection(opts, prediction, mapFigs)),
    section('confusion', 'Confusion matrix', confusion ? confusionTable(confusion) : `<p class="note">No confusion matrix: ${tset ? 'the model does not output class scores' : 'no test set matches the model\'s input and the model file records none'}.</p>`),
    section('mistakes', 'Most confidently wrong test digits', canTest ? mistakesSection(wrong, tset!, trainedElsewhere ? trainedOn : undefined) : '<p class="note">No test set to search for mistakes.</p>'),
  ]);
  return { html, files, prediction, confusion, test, wrong };
}

// ---------------------------------------------------------------------------------------------
// Numbers

function probabilities(logits: Tensor): { predicted: number; probs: number[] } {
  const probs = Array.from(softmax(logits).data);
  let predicted = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[predicted]) predicted = k;
  return { predicted, probs };
}

/** Confusion matrix, accuracy, mean cross-entropy and the wrong predictions (most confident first) from (N, K) probabilities. */
export function scoreSet(probs: ArrayLike<number>, K: number, labels: ArrayLike<number>) {
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const wrong: WrongDigit[] = [];
  let correct = 0, lossSum = 0;
  for (let n = 0; n < labels.length; n++) {
    let p = 0;
    for (let k = 1; k < K; k++) if (probs[n * K + k] > probs[n * K + p]) p = k;
    const y = labels[n];
    confusion[y][p]++;
    lossSum += -Math.log(Math.max(probs[n * K + y], 1e-30));
    if (p === y) correct++;
    else wrong.push({ index: n, label: y, predicted: p, confidence: probs[n * K + p] });
  }
  wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return { confusion, accuracy: correct / labels.length, loss: lossSum / labels.length, wrong };
}

/** A K x K matrix of non-negative integers, or null. */
function validConfusion(m: unknown): number[][] | null {
  if (!Array.isArray(m) || m.length === 0) return null;
  const ok = m.every((row) => Array.isArray(row) && row.length === m.length && row.every((v) => Number.isInteger(v) && v >= 0));
  return ok ? (m as number[][]) : null;
}

function snapshotGroups(md: ModelMetadata): Array<{ param: string; labels: string[]; values: Tensor[] }> {
  const groups = new Map<string, { param: string; labels: string[]; values: Tensor[] }>();
  for (const s of md.snapshots ?? []) {
    if (s.value.rank !== 4) continue; // only kernels (F, C, KH, KW) are drawn
    const g = groups.get(s.param) ?? { param: s.param, labels: [], values: [] };
    if (g.values.length > 0 && shapeStr(g.values[0].shape) !== shapeStr(s.value.shape)) continue;
    g.labels.push(s.label);
    g.values.push(s.value);
    groups.set(s.param, g);
  }
  return [...groups.values()];
}

/** a - b, element by element (same shapes). */
function minus(a: Tensor, b: Tensor): Tensor {
  const d = a.clone();
  for (let i = 0; i < d.size; i++) d.data[i] -= b.data[i];
  return d;
}

/** ||a - b|| / ||b||: how far a snapshot moved from the initial weights. */
function relativeChange(a: Tensor, b: Tensor): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.size; i++) { d += (a.data[i] - b.data[i]) ** 2; n += b.data[i] ** 2; }
  return n === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d / n);
}

/** Pixels per weight for the report: full size for one-channel kernels, smaller when a layer has many. */
function kernelScale(conv: Conv2D): number | undefined {
  const k = Math.max(...conv.kernelSize);
  if (conv.inChannels === 1) return undefined;
  return Math.max(2, Math.min(12, Math.round(36 / k)));
}

function uniqueNamer(): (name: string) => string {
  const used = new Set<string>();
  return (name) => {
    let n = name, i = 2;
    while (used.has(n)) n = name.replace(/\.png$/, `-${i++}.png`);
    used.add(n);
    return n;
  };
}

// ---------------------------------------------------------------------------------------------
// Pieces of the page

const fmtInt = (v: number) => v.toLocaleString('en-US');
const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;
/** A probability as a percentage (HTML) that never rounds a near-certainty to 100% or a small chance to 0%. */
function probPct(v: number, digits = 1): string {
  const step = 10 ** -digits / 100;
  if (v > 0 && v < step) return `&lt; ${pct(step, digits)}`;
  if (v < 1 && v > 1 - step) return `&gt; ${pct(1 - step, digits)}`;
  return pct(v, digits);
}
const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

/** An <img> of a PNG at its natural size (scaled down by CSS on narrow screens). */
function img(png: Buffer, alt: string, cls = 'fig'): string {
  const w = png.readUInt32BE(16), h = png.readUInt32BE(20); // the IHDR chunk
  return `<img class="${cls}" src="${dataUri(png)}" width="${w}" height="${h}" alt="${esc(alt)}">`;
}

/** A one-channel image (H, W) in 0..1 as a greyscale PNG, each pixel `scale` x `scale`. */
export function greyImagePng(pixels: ArrayLike<number>, H: number, W: number, scale: number): Buffer {
  const cv = new Canvas(W * scale, H * scale);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) cv.fillRect(j * scale, i * scale, scale, scale, greyColor(pixels[i * W + j]));
  return cv.toPng();
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function overview(opts: ReportOptions, md: ModelMetadata, test: Report['test'], learning: boolean): string {
  const hist = validHistory(md.history);
  const lastEpoch = hist[hist.length - 1];
  const facts: Array<[string, string]> = [];
  if (test) facts.push(['Test accuracy', `${pct(test.accuracy, 2)} <span class="sub">on ${fmtInt(test.count)} digits, now</span>`]);
  else if (lastEpoch?.testAccuracy !== undefined) facts.push(['Test accuracy', `${pct(lastEpoch.testAccuracy, 2)} <span class="sub">last epoch</span>`]);
  facts.push(['Parameters', fmtInt(opts.model.params().reduce((a, p) => a + p.value.size, 0))]);
  if (hist.length > 0) facts.push(['Epochs', String(hist.length)]);
  const seconds = typeof md.wallSeconds === 'number' ? md.wallSeconds : hist.reduce((a, e) => a + e.seconds, 0);
  if (hist.length > 0 || typeof md.wallSeconds === 'number') facts.push(['Training time', `${seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`}`]);
  const cards = facts.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`).join('\n');

  const details: Array<[string, string]> = [];
  if (typeof md.dataset === 'string') details.push(['trained on', md.dataset]);
  if (typeof md.batchSize === 'number') details.push(['batch size', String(md.batchSize)]);
  if (md.optimizer && typeof md.optimizer === 'object') {
    const { type, ...settings } = md.optimizer as Record<string, unknown>;
    const words = Object.entries(settings).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    details.push(['optimizer', [...(typeof type === 'string' ? [type] : []), ...words].join(', ')]);
  }
  if (typeof md.seed === 'number') details.push(['seed', String(md.seed)]);
  if (typeof md.date === 'string') details.push(['saved', md.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')]);
  const dl = details.length > 0 ? `<p class="details">${details.map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v)}</span>`).join('\n')}</p>` : '';
  const nav = [['summary', 'Model'], ['training', 'Training'], ['kernels', 'Kernels'],
    ...(learning ? [['learning', 'Learning']] : []), ['featuremaps', 'Feature maps'], ['confusion', 'Confusion'], ['mistakes', 'Mistakes']]
    .map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`).join('\n');
  return `<header>\n<h1>${esc(opts.title)}</h1>\n<div class="cards">\n${cards}\n</div>\n${dl}\n<nav>${nav}</nav>\n</header>`;
}

function summaryTable(model: Sequential, inputShape: readonly number[]): string {
  let shape = [1, ...inputShape];
  let total = 0;
  const rows = model.layers.map((l) => {
    shape = l.outputShape(shape);
    const count = l.params().reduce((a, p) => a + p.value.size, 0);
    total += count;
    return `<tr><td>${esc(l.name)}</td><td>${esc(l.type)}</td><td>${esc(layerDetails(l.config()))}</td>` +
      `<td class="num">${esc(shapeStr(['N', ...shape.slice(1)]))}</td><td class="num">${fmtInt(count)}</td></tr>`;
  });
  return `<table class="summary">
<thead><tr><th>Layer</th><th>Type</th><th>Settings</th><th class="num">Output shape</th><th class="num">Params</th></tr></thead>
<tbody>
<tr class="input"><td>input</td><td></td><td></td><td class="num">${esc(shapeStr(['N', ...inputShape]))}</td><td class="num"></td></tr>
${rows.join('\n')}
</tbody>
<tfoot><tr><td colspan="4">Total parameters</td><td class="num">${fmtInt(total)}</td></tr></tfoot>
</table>`;
}

/** What a layer was built with, in words: '8 filters 5×5 over 1 channel, stride 1, padding 2'. */
function layerDetails(c: LayerConfig): string {
  switch (c.type) {
    case 'Conv2D': {
      const [kh, kw] = c.kernelSize as number[];
      const ch = c.inChannels as number;
      return `${c.outChannels} filters ${kh}×${kw} over ${ch} channel${ch === 1 ? '' : 's'}, stride ${c.stride}, padding ${c.padding}${c.bias ? '' : ', no bias'}`;
    }
    case 'MaxPool2D': return `max over ${c.size}×${c.size}, stride ${c.stride}`;
    case 'Dense': return `${c.inFeatures} → ${c.outFeatures}${c.bias ? '' : ', no bias'}`;
    case 'ReLU': return 'max(0, x)';
    case 'Flatten': return '(C, H, W) → C·H·W';
    default: return '';
  }
}

interface EpochRow { epoch: number; trainLoss: number; trainAccuracy: number; testLoss?: number; testAccuracy?: number; seconds: number }

function validHistory(h: unknown): EpochRow[] {
  if (!Array.isArray(h)) return [];
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return h.filter((e): e is EpochRow => e && typeof e === 'object' && num(e.epoch) && num(e.trainLoss) && num(e.trainAccuracy))
    .map((e) => ({ ...e, seconds: num(e.seconds) ? e.seconds : 0, testLoss: num(e.testLoss) ? e.testLoss : undefined, testAccuracy: num(e.testAccuracy) ? e.testAccuracy : undefined }));
}

const TRAIN_COLOR = '#1f77b4', TEST_COLOR = '#d62728';

function trainingCurves(md: ModelMetadata): string {
  const hist = validHistory(md.history);
  if (hist.length === 0) {
    return '<p class="note">No training history: the model file records no per-epoch losses (it was not saved by <code>miniconv train</code> or <code>fit</code> with history in its metadata).</p>';
  }
  const series = (get: (e: EpochRow) => number | undefined, name: string, color: string, test: boolean) => ({
    name, color, dash: test ? '6 4' : undefined, marker: test ? 'square' as const : 'circle' as const,
    points: hist.map((e) => [e.epoch, get(e) ?? NaN] as [number, number]),
  });
  const hasTest = hist.some((e) => e.testLoss !== undefined);
  const loss = lineChartSvg({
    title: 'Loss (cross-entropy)', xLabel: 'epoch', yLabel: 'loss', yMin: 0,
    series: [series((e) => e.trainLoss, 'train', TRAIN_COLOR, false), ...(hasTest ? [series((e) => e.testLoss, 'test', TEST_COLOR, true)] : [])],
  });
  const accValues = hist.flatMap((e) => [e.trainAccuracy, e.testAccuracy ?? 1]);
  const accLo = Math.max(0, Math.floor(Math.min(...accValues) * 10 - 1e-9) / 10);
  const acc = lineChartSvg({
    title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', yMin: accLo, yMax: 1, formatY: (v) => `${Math.round(v * 100)}%`,
    series: [series((e) => e.trainAccuracy, 'train', TRAIN_COLOR, false), ...(hasTest ? [series((e) => e.testAccuracy, 'test', TEST_COLOR, true)] : [])],
  });
  const rows = hist.map((e) => `<tr><td class="num">${e.epoch}</td><td class="num">${e.trainLoss.toFixed(4)}</td><td class="num">${pct(e.trainAccuracy, 2)}</td>` +
    `<td class="num">${e.testLoss?.toFixed(4) ?? '–'}</td><td class="num">${e.testAccuracy !== undefined ? pct(e.testAccuracy, 2) : '–'}</td><td class="num">${e.seconds.toFixed(1)}</td></tr>`);
  const note = 'Train figures are averaged over each epoch\'s batches while the weights were still changing' +
    (hasTest ? '; test figures are measured after the epoch.' : '. The model file records no test figures.');
  return `<p class="note">${esc(note)}</p>
<div class="charts">
${loss}
${acc}
</div>
<table class="history">
<thead><tr><th class="num">Epoch</th><th class="num">Train loss</th><th class="num">Train acc.</th><th class="num">Test loss</th><th class="num">Test acc.</th><th class="num">Seconds</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function kernelsSection(figs: Array<{ conv: Conv2D; png: Buffer }>): string {
  const intro = '<p class="note">Each square is one weight, drawn the way the kernel is laid over the image (no flip): ' +
    '<span class="neg">blue</span> is negative, near-white zero, <span class="pos">red</span> positive, on one symmetric scale per layer (the colour bar). ' +
    'A one-channel layer shows one kernel per filter; a deeper layer shows one row per filter and one column per input channel.</p>';
  return intro + '\n' + figs.map(({ conv, png }) => {
    const [F, C, KH, KW] = conv.weight.value.shape;
    return `<figure>\n<figcaption><b>${esc(conv.name)}</b>: ${F} filters of ${C}×${KH}×${KW}</figcaption>\n<div class="scroll">${img(png, `kernels of ${conv.name}`)}</div>\n</figure>`;
  }).join('\n');
}

function learningSection(groups: Array<{ param: string; labels: string[]; values: Tensor[]; png: Buffer; changePng: Buffer | null }>): string {
  return groups.map((g) => {
    const first = esc(g.labels[0]);
    const change = g.values.map((v, k) => `<td class="num">${k === 0 ? '–' : pct(relativeChange(v, g.values[0]), 0)}</td>`).join('');
    const changeFig = g.changePng === null ? '' : `<figure>\n<figcaption><b>What training added</b>: each snapshot minus the ${first} weights, on a shared scale of its own. ` +
      'The random start cancels out and what was learned remains: smooth strokes and edges, a red region beside a blue one.</figcaption>\n' +
      `<div class="scroll">${img(g.changePng, `${g.param}: change since ${g.labels[0]}`)}</div>\n</figure>`;
    return `<p class="note"><b>${esc(g.param)}</b> at ${first} and after each epoch, side by side on one shared colour scale, so that a change of colour is a change of weight. ` +
      'Training starts from random noise and reshapes it a little with every batch.</p>\n' +
      `<figure>\n<div class="scroll">${img(g.png, `${g.param} at ${g.labels.join(', ')}`)}</div>\n</figure>\n` +
      `<table class="change"><thead><tr><th></th>${g.labels.map((l) => `<th class="num">${esc(l)}</th>`).join('')}</tr></thead>\n` +
      `<tbody><tr><td>change, ‖W − W<sub>${first}</sub>‖ / ‖W<sub>${first}</sub>‖</td>${change}</tr></tbody></table>\n${changeFig}`;
  }).join('\n');
}

function featureSection(opts: ReportOptions, prediction: Report['prediction'], figs: Array<{ layer: { name: string; type: string }; shape: readonly number[]; png: Buffer }>): string {
  const [C, H, W] = opts.inputShape.length === 3 ? opts.inputShape : [1, 1, opts.inputShape[0]];
  const digitPng = greyImagePng(opts.digit.pixels, H, W, Math.max(1, Math.round(140 / Math.max(H, W))));
  const label = opts.digit.label;
  let probs = '<p class="note">The model\'s output is not a vector of class scores.</p>';
  if (prediction) {
    const { predicted, probs: p } = prediction;
    const verdict = label === undefined ? '' : predicted === label ? ' <span class="ok">correct</span>' : ` <span class="bad">wrong: it is a ${label}</span>`;
    probs = `<p class="prediction">Prediction: <b>${predicted}</b> with probability ${probPct(p[predicted])}${verdict}</p>
<table class="probs">
<tbody>
${p.map((v, k) => `<tr class="${k === predicted ? 'top' : ''}"><td class="num">${k}${k === label ? ' <span class="truth" title="true label">✓</span>' : ''}</td><td class="barcell"><div class="bar" style="width:${(100 * v).toFixed(1)}%"></div></td><td class="num">${probPct(v, 2)}</td></tr>`).join('\n')}
</tbody>
</table>`;
  }
  const digit = `<div class="digit">
<figure>
${img(digitPng, `the input: ${opts.digit.source}`, 'pixel')}
<figcaption>${esc(opts.digit.source)}${label !== undefined ? `, true label <b>${label}</b>` : ''}${C > 1 ? ' (channel 0)' : ''}</figcaption>
</figure>
<div>
${probs}
</div>
</div>`;
  const intro = '<p class="note">What every layer makes of this one input, one tile per channel. The tiles of one layer share one colour scale, so a bright tile responded strongly compared with its neighbours. ' +
    'After a ReLU or a max-pool the values are ≥ 0 and drawn in grey (black 0, white the layer\'s maximum); before the ReLU a convolution\'s output has both signs and uses the kernels\' blue–red scale.</p>';
  const maps = figs.map((f) => `<figure>\n<figcaption><b>${esc(f.layer.name)}</b> (${esc(f.layer.type)}), output ${esc(f.shape.slice(1).join('×'))}</figcaption>\n<div class="scroll">${img(f.png, `feature maps of ${f.layer.name}`)}</div>\n</figure>`);
  return `${digit}\n${intro}\n<div class="maps">\n${maps.join('\n')}\n</div>`;
}

function confusionTable(c: ConfusionResult): string {
  const K = c.matrix.length;
  const rowSums = c.matrix.map((r) => r.reduce((a, v) => a + v, 0));
  const total = rowSums.reduce((a, v) => a + v, 0);
  const correct = c.matrix.reduce((a, r, i) => a + r[i], 0);
  let maxOff = 0;
  c.matrix.forEach((r, i) => r.forEach((v, j) => { if (i !== j && v > maxOff) maxOff = v; }));
  // Diagonal cells: green, by the share of the class that was right. Off the diagonal: red, by the
  // count relative to the largest confusion, so that the worst mix-ups stand out.
  const cell = (v: number, i: number, j: number) => {
    const t = i === j ? (rowSums[i] === 0 ? 0 : v / rowSums[i]) : maxOff === 0 ? 0 : v / maxOff;
    const bg = i === j ? `rgba(44, 160, 44, ${(0.12 + 0.6 * t).toFixed(2)})` : v === 0 ? 'transparent' : `rgba(214, 39, 40, ${(0.1 + 0.75 * t).toFixed(2)})`;
    const strong = i !== j && t > 0.6 ? ' strong' : '';
    return `<td class="num${i === j ? ' diag' : ''}${strong}" style="background:${bg}" title="true ${i}, predicted ${j}: ${v}">${v === 0 && i !== j ? '·' : v}</td>`;
  };
  const head = `<tr><th class="corner">true ↓ / predicted →</th>${Array.from({ length: K }, (_, j) => `<th class="num">${j}</th>`).join('')}<th class="num">recall</th></tr>`;
  const rows = c.matrix.map((r, i) => `<tr><th class="num">${i}</th>${r.map((v, j) => cell(v, i, j)).join('')}<td class="num recall">${rowSums[i] === 0 ? '–' : pct(r[i] / rowSums[i])}</td></tr>`);
  return `<p class="note">${esc(c.source)} ${fmtInt(correct)} of ${fmtInt(total)} right (${total === 0 ? '–' : pct(correct / total, 2)}). ` +
    'Rows are the true digits, columns the predictions; green cells are right (shade: the share of that digit), red cells are mistakes (shade: the count, relative to the largest mix-up).</p>\n' +
    `<table class="confusion">\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

function mistakesSection(wrong: WrongDigit[], tset: { set: Dataset; name: string }, trainedOn: string | undefined): string {
  if (wrong.length === 0) return `<p class="note">The model got every one of the ${fmtInt(tset.set.count)} ${esc(tset.name)} right.</p>`;
  const [, H, W] = tset.set.shape;
  const per = tset.set.shape[0] * H * W;
  const cells = wrong.map((w) => {
    const png = greyImagePng(tset.set.images.subarray(w.index * per, w.index * per + H * W), H, W, 3);
    return `<figure class="wrong">\n${img(png, `test digit ${w.index}: a ${w.label} taken for a ${w.predicted}`, 'pixel')}\n` +
      `<figcaption>true <b>${w.label}</b> → predicted <b class="bad">${w.predicted}</b><br>${probPct(w.confidence)} sure · #${w.index}</figcaption>\n</figure>`;
  });
  const caveat = trainedOn ? ` The model was trained on ${esc(trainedOn)}; some of these digits may have been among its training images.` : '';
  return `<p class="note">The ${wrong.length} test digits the model was most sure about and got wrong, from the ${fmtInt(tset.set.count)} ${esc(tset.name)} (# is the index for <code>--index</code>). Some are ambiguous even to a person; others show what the model has not learned.${caveat}</p>\n<div class="gallery">\n${cells.join('\n')}\n</div>`;
}

const CSS = `
:root { --fg: #1d1d22; --muted: #5d5d68; --line: #d9d9e0; --panel: #f6f6f9; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header h1 { margin: 0 0 12px; font-size: 26px; word-break: break-all; }
h2 { margin: 40px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); font-size: 21px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 16px; min-width: 150px; }
.card .k { color: var(--muted); font-size: 13px; }
.card .v { font-size: 22px; font-weight: 600; }
.sub { font-size: 13px; font-weight: 400; color: var(--muted); }
.details { color: var(--muted); font-size: 14px; display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 10px 0; }
.details b { color: var(--fg); font-weight: 600; }
nav { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
nav a { color: var(--accent); text-decoration: none; padding: 2px 10px; border: 1px solid var(--line); border-radius: 14px; font-size: 14px; }
.note { color: var(--muted); max-width: 900px; }
.neg { color: #2166ac; font-weight: 600; } .pos { color: #b2182b; font-weight: 600; }
.ok { color: #2ca02c; font-weight: 600; } .bad { color: #d62728; font-weight: 600; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: left; }
.num { text-align: right; }
table.summary, table.history { margin: 8px 0; }
table.summary th, table.history th { border-bottom: 2px solid var(--line); }
table.summary td, table.history td { border-bottom: 1px solid var(--line); }
table.summary tfoot td { font-weight: 600; border-bottom: none; }
tr.input td { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 20px; margin: 8px 0; }
svg.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
svg .grid { stroke: #e2e2e8; stroke-width: 1; }
svg .axis { stroke: #55555f; stroke-width: 1; }
svg .tick { font-size: 12px; fill: #55555f; }
svg .axis-title { font-size: 13px; fill: #33333b; }
svg .chart-title { font-size: 15px; font-weight: 600; fill: #1d1d22; }
svg .legend { font-size: 13px; fill: #33333b; }
figure { margin: 14px 0; }
figcaption { color: var(--muted); font-size: 14px; margin-bottom: 4px; }
img.fig { max-width: 100%; height: auto; border-radius: 4px; display: block; }
img.pixel { image-rendering: pixelated; display: block; border-radius: 4px; }
.scroll { overflow-x: auto; }
.maps { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
.digit { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 20px; }
.digit figure { margin: 8px 0; }
.prediction { font-size: 17px; margin: 8px 0; }
.prediction b { font-size: 22px; }
table.probs td { padding: 1px 8px; }
.barcell { width: 260px; }
.bar { height: 14px; background: #9fb7d0; border-radius: 2px; min-width: 1px; }
tr.top .bar { background: var(--accent); }
tr.top td { font-weight: 600; }
.truth { color: #2ca02c; }
table.confusion { margin: 8px 0; }
table.confusion th, table.confusion td { border: 1px solid var(--line); min-width: 46px; }
table.confusion th { background: var(--panel); text-align: center; }
table.confusion th.corner { font-weight: 400; font-size: 12px; color: var(--muted); min-width: 0; }
table.confusion td.diag { font-weight: 700; }
table.confusion td.strong { color: #fff; font-weight: 700; }
table.confusion td.recall { background: var(--panel); color: var(--muted); }
table.change { margin: 6px 0; font-size: 14px; color: var(--muted); }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, 176px); gap: 14px; max-width: 950px; }
figure.wrong { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px; display: flex; flex-direction: column; align-items: center; }
figure.wrong figcaption { margin: 6px 0 0; font-size: 13px; text-align: center; color: var(--fg); }
code { background: var(--panel); padding: 0 4px; border-radius: 3px; }
`;

function page(title: string, parts: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · miniconv report</title>
<style>${CSS}</style>
</head>
<body>
<main>
${parts.filter((p) => p !== '').join('\n')}
<footer><p class="note">Written by <code>miniconv inspect</code>. The figures are also saved as PNG files beside this page.</p></footer>
</main>
</body>
</html>
`;
}
