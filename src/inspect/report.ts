// The inspection report: everything there is to see about one trained model, on one self-contained
// HTML page (images inlined as data: URIs, inline CSS, inline SVG charts, no scripts):
//
//   the model      the layer table, and what training recorded (data, epochs, time, accuracy)
//   training       loss and accuracy per epoch, train and test (metadata.history)
//   kernels        every Conv2D layer's weights (renderKernelsPng), those inside a Residual too
//   batchnorm      every BatchNorm2D layer's gamma, beta, running mean and variance per channel
//   learning       the first layer's kernels at initialisation and after each epoch, on one colour
//                  scale (metadata.snapshots, when the model was trained with --snapshots)
//   feature maps   one digit, the output of every layer, and the model's ten probabilities
//   confusion      true class down, prediction across, on the test set
//   mistakes       the test digits the model got wrong with the highest confidence
//
// buildReport() computes the figures and returns the page together with the PNG files it embeds,
// so that a caller can also write them out one by one (see inspect-model.ts). The evaluation is
// evaluate() of src/train/metrics.ts; the other numbers are report-numbers.ts, the page
// report-html.ts, its style sheet report-css.ts, the PNG helpers report-png.ts, the types of its
// options and result report-types.ts.

import { softmax } from '../kernels/softmax-xent.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { BatchNorm2D } from '../layers/batch-norm2d.ts';
import { leavesOf } from './layer-tree.ts';
import { batchNormSection } from './report-batchnorm.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import { escapeHtml as esc } from './svg.ts';
import { argmaxRow, evaluate } from '../train/metrics.ts';
import { featureMaps, renderFeatureMapsPng, renderModelFeatureMapsPng } from './feature-maps.ts';
import { renderColorKernelGridPng, renderColorKernelsPng, renderKernelGridPng, renderKernelsPng } from './kernels.ts';
import {
  confusionTable, featureSection, fmtInt, kernelsSection, learningSection, mistakesSection, overview, page, section, summaryTable, trainingCurves,
} from './report-html.ts';
import { type WrongDigit, confidentMistakes, fileSafe, kernelScale, minus, snapshotGroups, uniqueNamer, validConfusion } from './report-numbers.ts';

export type { WrongDigit } from './report-numbers.ts';
export type { ConfusionResult, Report, ReportDigit, ReportOptions } from './report-types.ts';
import type { ConfusionResult, Report, ReportOptions } from './report-types.ts';
import type { Sequential } from '../layers/sequential.ts';
import type { Dataset } from '../dataset.ts';

/** Computes every figure and writes the page. */
export function buildReport(opts: ReportOptions): Report {
  const { model, inputShape } = opts;
  const md = opts.metadata ?? {};
  const files: Report['files'] = [];
  const png = (name: string, data: Buffer) => { files.push({ name, data }); return data; };
  const unique = uniqueNamer();

  // Kernels of every convolution.
  // Convolutions inside a Residual are drawn too, named by their path (residual_1.block.conv2d_1).
  // The first layer of a colour model (3 input channels) is drawn in colour, its R, G, B weights as one picture per kernel.
  const kernelFigs = leavesOf(model, Conv2D).map(({ layer: conv, path }, k) => ({
    conv, path, png: png(unique(`kernels-${fileSafe(path)}.png`), k === 0 && isColorLayer(conv)
      ? renderColorKernelsPng(conv, { scale: kernelScale(conv), name: path })
      : renderKernelsPng(conv, { scale: kernelScale(conv), name: path })),
  }));
  const norms = leavesOf(model, BatchNorm2D).map(({ layer, path }) => ({ layer, path }));

  // Snapshots of one parameter (normally the first layer's weight), grouped by parameter.
  // Beside them, what training added: each later snapshot minus the first, on its own shared scale
  // (the first layer's kernels often keep much of their random start; the change shows what was learned).
  // The first layer of a colour model is drawn in colour there too, as its kernels figure is.
  const firstConv = kernelFigs[0]?.conv;
  const snapshotFigs = snapshotGroups(md).map((g, _, all) => {
    const base = all.length === 1 ? 'kernels-snapshots' : `kernels-snapshots-${fileSafe(g.param)}`;
    const deltas = g.values.slice(1).map((v) => minus(v, g.values[0]));
    const color = firstConv !== undefined && isColorLayer(firstConv) && g.param === firstConv.weight.name && g.values[0].shape[1] === 3;
    const render = color ? renderColorKernelGridPng : renderKernelGridPng;
    return {
      ...g,
      color,
      png: png(unique(`${base}.png`), render(g.values, { labels: g.labels })),
      changePng: deltas.length === 0 ? null
        : png(unique(`${base}-change.png`), render(deltas, { labels: g.labels.slice(1).map((l) => `${l} - ${g.labels[0]}`) })),
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
  const trainedElsewhere = opts.classes === undefined && trainedOn !== undefined && !/bundled digits/i.test(trainedOn); // a picture model's test set is its own folder's
  const recorded = validConfusion(md.confusion);
  const tset = opts.testSet ?? null;
  const noTest = opts.noTestSetReason;
  const canTest = tset !== null && last.rank === 2 && tset.set.count > 0;
  if (canTest) {
    const classes = classScores(model, tset.set);
    const r = evaluate(model, tset.set, { classes, keepProbs: true });
    test = { accuracy: r.accuracy, loss: r.loss, count: tset.set.count };
    wrong = confidentMistakes(r.probs!, classes, tset.set.labels).slice(0, opts.wrongCount ?? 10);
    if (!(trainedElsewhere && recorded)) {
      confusion = {
        matrix: r.confusion, origin: 'computed',
        source: `Computed now on the ${fmtInt(tset.set.count)} ${tset.name}.` +
          (trainedElsewhere ? ` The model was trained on ${trainedOn}, which may include some of these digits.` : ''),
      };
    }
  }
  if (!confusion && recorded) {
    confusion = { matrix: recorded, origin: 'recorded', source: `Recorded in the model file at the end of training, on the test set of ${trainedOn ?? 'its training data'}.${noTest && !tset ? ` (Not computed now: ${noTest}.)` : ''}` };
  }

  const what = opts.classes ? 'picture' : 'digit';
  const html = page(opts.title, [
    overview(opts, md, test, snapshotFigs.length > 0),
    section('summary', 'The model', summaryTable(model, inputShape)),
    section('training', 'Training curves', trainingCurves(md)),
    section('kernels', 'Kernels', kernelsSection(kernelFigs)),
    norms.length > 0 ? section('batchnorm', 'Batch normalisation', batchNormSection(norms)) : '',
    snapshotFigs.length > 0 ? section('learning', 'How the kernels were learned', learningSection(snapshotFigs)) : '',
    section('featuremaps', `Feature maps of one ${what}`, featureSection(opts, prediction, mapFigs)),
    section('confusion', 'Confusion matrix', confusion ? confusionTable(confusion, opts.classes) : `<p class="note">No confusion matrix: ${tset ? 'the model does not output class scores' : noTest ?? 'no test set matches the model\'s input and the model file records none'}.</p>`),
    section('mistakes', `Most confidently wrong test ${what}s`, canTest
      ? mistakesSection(wrong, tset!, trainedElsewhere ? trainedOn : undefined, opts.classes)
      : `<p class="note">No test set to search for mistakes${noTest ? `: ${esc(noTest)}` : ''}.</p>`),
  ]);
  return { html, files, prediction, confusion, test, wrong };
}

/** A layer reading 3 channels without groups: its kernels can be drawn as R, G, B pictures. */
export function isColorLayer(conv: Conv2D): boolean {
  return conv.weight.value.shape[1] === 3 && conv.groups === 1;
}

function probabilities(logits: Tensor): { predicted: number; probs: number[] } {
  const probs = Array.from(softmax(logits).data); // (1, classes)
  return { predicted: argmaxRow(probs, 0, probs.length), probs };
}

/** How many classes the model scores for an image of `set`; throws unless its output is (N, classes). */
function classScores(model: Sequential, set: Dataset): number {
  const out = model.outputShape([1, ...set.shape]);
  if (out.length !== 2) throw new Error(`buildReport: the model's output ${shapeStr(out)} is not (N, classes) class scores`);
  return out[1];
}
