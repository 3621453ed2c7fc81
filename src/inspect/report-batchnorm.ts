// The report's batch-norm section: for every BatchNorm2D layer, per channel, the learned gamma and
// beta, the running mean and variance that evaluation uses, and what they amount to in evaluation,
// one multiply and one add per channel:
//   y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta = scale * x + shift
//   scale = gamma / sqrt(runningVar + eps),   shift = beta - scale * runningMean

import type { BatchNorm2D } from '../layers/batch-norm2d.ts';
import { escapeHtml as esc } from './svg.ts';

/** One row per channel of one batch-norm layer (numbers, for tests and the table). */
export interface BatchNormRow { c: number; gamma: number; beta: number; mean: number; variance: number; scale: number; shift: number }

export function batchNormRows(bn: BatchNorm2D): BatchNormRow[] {
  const gamma = bn.weight.value.data, beta = bn.bias.value.data;
  const mean = bn.runningMean.data, variance = bn.runningVar.data;
  return Array.from({ length: bn.numFeatures }, (_, c) => {
    const scale = gamma[c] / Math.sqrt(variance[c] + bn.eps);
    return { c, gamma: gamma[c], beta: beta[c], mean: mean[c], variance: variance[c], scale, shift: beta[c] - scale * mean[c] };
  });
}

const num = (v: number) => (Number.isFinite(v) ? v.toPrecision(4).replace(/\.?0+(e|$)/, '$1') : String(v));

export function batchNormSection(layers: Array<{ layer: BatchNorm2D; path: string }>): string {
  const intro = '<p class="note">Batch normalisation standardises each channel with the mean and variance of the batch in training, ' +
    'and with running averages of them (momentum ' + esc(String(layers[0]?.layer.momentum ?? 0.1)) + ') in evaluation; then it scales by the learned ' +
    '<b>gamma</b> and shifts by the learned <b>beta</b>. In evaluation the whole layer is one multiply and one add per channel: ' +
    '<code>y = scale * x + shift</code>, <code>scale = gamma / sqrt(running var + eps)</code>, <code>shift = beta - scale * running mean</code>. ' +
    'A channel whose gamma is near zero has been switched off by training.</p>';
  return intro + '\n' + layers.map(({ layer, path }) => {
    const rows = batchNormRows(layer);
    const body = rows.map((r) => `<tr><td class="num">${r.c}</td>${[r.gamma, r.beta, r.mean, r.variance, r.scale, r.shift].map((v) => `<td class="num">${num(v)}</td>`).join('')}</tr>`).join('\n');
    return `<figure>\n<figcaption><b>${esc(path)}</b>: ${layer.numFeatures} channels, eps ${num(layer.eps)}</figcaption>\n<div class="scroll">` +
      '<table class="batchnorm"><thead><tr><th class="num">channel</th><th class="num">gamma</th><th class="num">beta</th>' +
      '<th class="num">running mean</th><th class="num">running var</th><th class="num">scale</th><th class="num">shift</th></tr></thead>\n' +
      `<tbody>\n${body}\n</tbody></table></div>\n</figure>`;
  }).join('\n');
}
