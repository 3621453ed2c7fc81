// The inspection report's page: one self-contained HTML file (images inlined as data: URIs, the
// style sheet of report-css.ts inline, inline SVG charts, no scripts), built from what buildReport
// (report.ts) computed.

import type { ModelMetadata } from '../io/model-file.ts';
import { REPORT_MARKER } from '../io/report-marker.ts';
import type { Conv2D } from '../layers/conv2d.ts';
import type { LayerConfig } from '../layers/layer.ts';
import type { Sequential } from '../layers/sequential.ts';
import { type Tensor, shapeStr } from '../tensor.ts';
import type { Dataset } from '../dataset.ts';
import type { ConfusionResult, Report, ReportOptions } from './report-types.ts';
import { REPORT_CSS } from './report-css.ts';
import { confusionTableHtml } from './confusion.ts';
import { relativeChange, type WrongDigit } from './report-numbers.ts';
import { imagePng, img } from './report-png.ts';
import { escapeHtml as esc, lineChartSvg } from './svg.ts';

export const fmtInt = (v: number) => v.toLocaleString('en-US');
const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;
/** A probability as a percentage (HTML) that never rounds a near-certainty to 100% or a small chance to 0%. */
function probPct(v: number, digits = 1): string {
  const step = 10 ** -digits / 100;
  if (v > 0 && v < step) return `&lt; ${pct(step, digits)}`;
  if (v < 1 && v > 1 - step) return `&gt; ${pct(1 - step, digits)}`;
  return pct(v, digits);
}

/** Class k's name: the model's own class names, else the digit itself. */
export function className(classes: readonly string[] | undefined, k: number): string {
  return classes?.[k] ?? String(k);
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${body}\n</section>`;
}

export function overview(opts: ReportOptions, md: ModelMetadata, test: Report['test'], learning: boolean): string {
  const hist = validHistory(md.history);
  const lastEpoch = hist[hist.length - 1];
  const facts: Array<[string, string]> = [];
  if (test) facts.push(['Test accuracy', `${pct(test.accuracy, 2)} <span class="sub">on ${fmtInt(test.count)} ${opts.classes ? 'pictures' : 'digits'}, now</span>`]);
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

export function summaryTable(model: Sequential, inputShape: readonly number[]): string {
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
    case 'MaxPool2D': case 'AvgPool2D': {
      // The config key is kernelSize (`size` only in old model files); it read `size` and said "max over undefined×undefined".
      const k = (c.kernelSize ?? c.size) as number | number[];
      const [kh, kw] = Array.isArray(k) ? k : [k, k];
      return `${c.type === 'MaxPool2D' ? 'max' : 'mean'} over ${kh}×${kw}, stride ${c.stride ?? kh}`;
    }
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

export function trainingCurves(md: ModelMetadata): string {
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

export function kernelsSection(figs: Array<{ conv: Conv2D; path?: string; png: Buffer }>): string {
  const intro = '<p class="note">Each square is one weight, drawn the way the kernel is laid over the image (no flip): ' +
    '<span class="neg">blue</span> is negative, near-white zero, <span class="pos">red</span> positive, on one symmetric scale per layer (the colour bar). ' +
    'A one-channel layer shows one kernel per filter; a deeper layer shows one row per filter and one column per input channel. ' +
    'A grouped convolution shows one block per group (its filters read only their group\'s channels); a depthwise one, one kernel per channel.</p>';
  return intro + '\n' + figs.map(({ conv, path, png }) => {
    const [F, CG, KH, KW] = conv.weight.value.shape;
    const G = conv.groups, name = path ?? conv.name;
    const what = G === 1 ? `${F} filters of ${CG}×${KH}×${KW}`
      : CG === 1 ? `depthwise (groups = ${G}): ${F} kernels of ${KH}×${KW}, each filtering one channel`
      : `${G} groups of ${F / G} filters, each of ${CG}×${KH}×${KW} over its group's ${CG} channels`;
    return `<figure>\n<figcaption><b>${esc(name)}</b>: ${what}</figcaption>\n<div class="scroll">${img(png, `kernels of ${name}`)}</div>\n</figure>`;
  }).join('\n');
}

export function learningSection(groups: Array<{ param: string; labels: string[]; values: Tensor[]; png: Buffer; changePng: Buffer | null; color?: boolean }>): string {
  return groups.map((g) => {
    const first = esc(g.labels[0]);
    const change = g.values.map((v, k) => `<td class="num">${k === 0 ? '–' : pct(relativeChange(v, g.values[0]), 0)}</td>`).join('');
    const learned = g.color
      ? 'colours and edges: each square\'s red, green and blue are its weights on the red, green and blue channels (mid-grey is 0).'
      : 'smooth strokes and edges, a red region beside a blue one.';
    const changeFig = g.changePng === null ? '' : `<figure>\n<figcaption><b>What training added</b>: each snapshot minus the ${first} weights, on a shared scale of its own. ` +
      `The random start cancels out and what was learned remains: ${learned}</figcaption>\n` +
      `<div class="scroll strip">${img(g.changePng, `${g.param}: change since ${g.labels[0]}`, 'pixel')}</div>\n</figure>`;
    return `<p class="note"><b>${esc(g.param)}</b> at ${first} and after each epoch, side by side on one shared colour scale, so that a change of colour is a change of weight. ` +
      'Training starts from random noise and reshapes it a little with every batch.</p>\n' +
      // At its own size (one weight = several pixels), scrolling sideways: shrunk to the page's width, a strip of
      // 16 snapshots drew each weight under 2 pixels wide (issue 23 §4).
      `<figure>\n<div class="scroll strip">${img(g.png, `${g.param} at ${g.labels.join(', ')}`, 'pixel')}</div>\n</figure>\n` +
      `<table class="change"><thead><tr><th></th>${g.labels.map((l) => `<th class="num">${esc(l)}</th>`).join('')}</tr></thead>\n` +
      `<tbody><tr><td>change, ‖W − W<sub>${first}</sub>‖ / ‖W<sub>${first}</sub>‖</td>${change}</tr></tbody></table>\n${changeFig}`;
  }).join('\n');
}

export function featureSection(opts: ReportOptions, prediction: Report['prediction'], figs: Array<{ layer: { name: string; type: string }; shape: readonly number[]; png: Buffer }>): string {
  const [C, H, W] = opts.inputShape.length === 3 ? opts.inputShape : [1, 1, opts.inputShape[0]];
  const digitPng = imagePng(opts.digit.pixels, C, H, W, Math.max(1, Math.round(140 / Math.max(H, W))));
  const label = opts.digit.label;
  const name = (k: number) => esc(className(opts.classes, k));
  let probs = '<p class="note">The model\'s output is not a vector of class scores.</p>';
  if (prediction) {
    const { predicted, probs: p } = prediction;
    const verdict = label === undefined ? '' : predicted === label ? ' <span class="ok">correct</span>' : ` <span class="bad">wrong: it is a ${name(label)}</span>`;
    probs = `<p class="prediction">Prediction: <b>${name(predicted)}</b> with probability ${probPct(p[predicted])}${verdict}</p>
<table class="probs">
<tbody>
${p.map((v, k) => `<tr class="${k === predicted ? 'top' : ''}"><td class="num">${name(k)}${k === label ? ' <span class="truth" title="true label">✓</span>' : ''}</td><td class="barcell"><div class="bar" style="width:${(100 * v).toFixed(1)}%"></div></td><td class="num">${probPct(v, 2)}</td></tr>`).join('\n')}
</tbody>
</table>`;
  }
  const digit = `<div class="digit">
<figure>
${img(digitPng, `the input: ${opts.digit.source}`, 'pixel')}
<figcaption>${esc(opts.digit.source)}${label !== undefined ? `, true label <b>${name(label)}</b>` : ''}${C > 1 && C !== 3 ? ' (channel 0)' : ''}</figcaption>
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

export function confusionTable(c: ConfusionResult, names?: readonly string[]): string {
  return confusionTableHtml(c.matrix, c.source, names);
}

export function mistakesSection(wrong: WrongDigit[], tset: { set: Dataset; name: string }, trainedOn: string | undefined, names?: readonly string[]): string {
  const name = (k: number) => esc(className(names, k));
  const what = names ? 'pictures' : 'digits';
  if (wrong.length === 0) return `<p class="note">The model got every one of the ${fmtInt(tset.set.count)} ${esc(tset.name)} right.</p>`;
  const [, H, W] = tset.set.shape;
  const per = tset.set.shape[0] * H * W;
  const cells = wrong.map((w) => {
    const png = imagePng(tset.set.images.subarray(w.index * per, (w.index + 1) * per), tset.set.shape[0], H, W, names ? Math.max(1, Math.round(48 / Math.max(H, W))) : 3);
    return `<figure class="wrong">\n${img(png, `test ${what.slice(0, -1)} ${w.index}: a ${className(names, w.label)} taken for a ${className(names, w.predicted)}`, 'pixel')}\n` +
      `<figcaption>true <b>${name(w.label)}</b> → predicted <b class="bad">${name(w.predicted)}</b><br>${probPct(w.confidence)} sure${names ? '' : ` · #${w.index}`}</figcaption>\n</figure>`;
  });
  const caveat = trainedOn ? ` The model was trained on ${esc(trainedOn)}; some of these digits may have been among its training images.` : '';
  return `<p class="note">The ${wrong.length} test ${what} the model was most sure about and got wrong, from the ${fmtInt(tset.set.count)} ${esc(tset.name)}${names ? '' : ' (# is the index for <code>--index</code>)'}. Some are ambiguous even to a person; others show what the model has not learned.${caveat}</p>\n<div class="gallery">\n${cells.join('\n')}\n</div>`;
}

export function page(title: string, parts: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${REPORT_MARKER}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · miniconv report</title>
<style>${REPORT_CSS}</style>
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
