// Train panel: the model and its settings, start / pause / one step / reset, live curves, images
// per second, and the confusion matrix of the held-out digits at each epoch end.

import { CONFUSION_CSS, type Evaluation, confusionTableHtml } from 'miniconv';
import { AUGMENT_NAMES, MODEL_LABELS, MODEL_NAMES, type RunConfig, checkConfig } from '../models.ts';
import type { Progress } from '../protocol.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, lazyDraw, showMessage } from './dom.ts';
import { lineChart } from './paint.ts';

export interface TrainPanel { element: HTMLElement; setConfig(c: RunConfig): void }

export function createTrainPanel(client: WorkerClient, initial: RunConfig, onConfig: (c: RunConfig) => void): TrainPanel {
  let config = initial;
  const field = (label: string, input: HTMLElement, hint = '') => el('label', { class: 'field', title: hint }, el('span', {}, label), input);
  const model = el('select', { id: 'cfg-model', 'data-testid': 'cfg-model' }, ...MODEL_NAMES.map((m) => el('option', { value: m }, MODEL_LABELS[m])));
  const lr = el('input', { id: 'cfg-lr', 'data-testid': 'cfg-lr', type: 'number', step: 'any', min: '0.0001', max: '1' });
  const momentum = el('input', { id: 'cfg-momentum', 'data-testid': 'cfg-momentum', type: 'number', step: '0.05', min: '0', max: '0.99' });
  const batch = el('input', { id: 'cfg-batch', 'data-testid': 'cfg-batch', type: 'number', step: '1', min: '1', max: '512' });
  const augment = el('select', { id: 'cfg-augment', 'data-testid': 'cfg-augment' }, ...AUGMENT_NAMES.map((a) => el('option', { value: a }, a)));
  const seed = el('input', { id: 'cfg-seed', 'data-testid': 'cfg-seed', type: 'number', step: '1', min: '0' });
  const show = (c: RunConfig) => {
    model.value = c.model; lr.value = String(c.lr); momentum.value = String(c.momentum);
    batch.value = String(c.batchSize); augment.value = c.augment; seed.value = String(c.seed);
  };
  show(config);
  const apply = () => {
    try {
      config = checkConfig({
        model: model.value as RunConfig['model'], lr: Number(lr.value), momentum: Number(momentum.value),
        batchSize: Number(batch.value), augment: augment.value as RunConfig['augment'], seed: Number(seed.value),
      });
      showMessage('');
      onConfig(config);
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  };
  for (const input of [model, lr, momentum, batch, augment, seed]) input.addEventListener('change', apply);

  const start = el('button', { 'data-testid': 'train-start', class: 'primary', onclick: () => client.send({ type: 'start' }) }, '▶ Start');
  const pause = el('button', { 'data-testid': 'train-pause', onclick: () => client.send({ type: 'pause' }) }, '❚❚ Pause');
  const step = el('button', { 'data-testid': 'train-step', onclick: () => client.send({ type: 'step' }), title: 'one SGD step on one batch' }, 'One step');
  const reset = el('button', { 'data-testid': 'train-reset', onclick: () => onConfig(config), title: 'new weights from the seed; the run starts again' }, '↺ Reset');

  const stat = (label: string, testid: string) => {
    const v = el('span', { class: 'value', 'data-testid': testid }, '–');
    return { v, box: el('div', { class: 'stat' }, el('span', { class: 'label' }, label), v) };
  };
  const sStep = stat('step', 'step-value'), sEpoch = stat('epoch', 'epoch-value'), sLoss = stat('train loss', 'loss-value');
  const sAcc = stat('train accuracy', 'accuracy-value'), sHeld = stat('held-out accuracy', 'heldout-value'), sRate = stat('images/s', 'rate-value');
  const sLr = stat('learning rate now', 'lr-value');
  const lossChart = el('canvas', { class: 'chart', 'aria-label': 'loss curves' });
  const accChart = el('canvas', { class: 'chart', 'aria-label': 'accuracy curves' });
  const confusion = el('div', { class: 'confusion', 'data-testid': 'confusion' }, el('p', { class: 'hint' }, 'The confusion matrix of the 2,000 held-out digits appears at the end of each epoch (8,000 training digits).'));

  const element = el('div', { class: 'panel-body' },
    el('p', { class: 'intro' }, 'Train a convolutional network on 8,000 handwritten digits, in your browser, and test it on 2,000 others it never sees in training. Every change of a setting starts a new run; the address bar keeps the settings, so the link reproduces the run.'),
    el('div', { class: 'controls' },
      field('model', model), field('learning rate', lr), field('momentum', momentum), field('batch size', batch),
      field('augmentation', augment, 'elastic: affine plus a smooth random warp (the default of miniconv train); affine: rotation, scale, shift'), field('seed', seed)),
    el('div', { class: 'buttons' }, start, pause, step, reset),
    el('div', { class: 'stats' }, sStep.box, sEpoch.box, sLoss.box, sAcc.box, sHeld.box, sRate.box, sLr.box),
    el('div', { class: 'charts' }, lossChart, accChart),
    el('h3', {}, 'Confusion matrix (held-out digits)'), confusion,
  );

  // The curves: every step's loss and accuracy (smoothed for the numbers), and held-out points.
  let trainLoss: Array<[number, number]> = [], trainAcc: Array<[number, number]> = [];
  let heldLoss: Array<[number, number]> = [], heldAcc: Array<[number, number]> = [];
  let emaLoss = NaN, emaAcc = NaN;
  const draw = lazyDraw(element, () => {
    lineChart(lossChart, [
      { points: trainLoss, color: '#2166ac', label: 'train (smoothed)' },
      { points: heldLoss, color: '#b2182b', label: 'held-out', dots: true },
    ], { title: 'loss', yMin: 0 });
    lineChart(accChart, [
      { points: trainAcc, color: '#2166ac', label: 'train (smoothed)' },
      { points: heldAcc, color: '#b2182b', label: 'held-out', dots: true },
    ], { title: 'accuracy', yMax: 1, format: (v) => `${(v * 100).toFixed(0)}%` });
  });
  client.on('ready', (m) => {
    trainLoss = []; trainAcc = []; heldLoss = []; heldAcc = []; emaLoss = NaN; emaAcc = NaN;
    for (const s of [sStep, sEpoch, sLoss, sAcc, sHeld, sRate]) s.v.textContent = '–';
    confusion.replaceChildren(el('p', { class: 'hint' }, `Model ${m.model}, ${m.params.toLocaleString('en-US')} weights, ${m.backend}. The confusion matrix of the ${m.testCount.toLocaleString('en-US')} held-out digits appears at the end of each epoch (${m.trainCount.toLocaleString('en-US')} training digits).`));
    draw();
  });
  client.on('progress', (m: Progress) => {
    for (const s of m.steps) {
      emaLoss = Number.isNaN(emaLoss) ? s.loss : 0.95 * emaLoss + 0.05 * s.loss;
      emaAcc = Number.isNaN(emaAcc) ? s.accuracy : 0.95 * emaAcc + 0.05 * s.accuracy;
      trainLoss.push([s.step, emaLoss]);
      trainAcc.push([s.step, emaAcc]);
    }
    if (m.heldOut) {
      heldLoss.push([m.heldOut.step, m.heldOut.loss]);
      heldAcc.push([m.heldOut.step, m.heldOut.accuracy]);
      sHeld.v.textContent = `${(m.heldOut.accuracy * 100).toFixed(2)}%`;
      sHeld.v.title = `on ${m.heldOut.count} held-out digits at step ${m.heldOut.step}`;
    }
    sStep.v.textContent = String(m.step);
    sEpoch.v.textContent = `${m.epoch} (batch ${m.batch}/${m.batches})`;
    if (!Number.isNaN(emaLoss)) { sLoss.v.textContent = emaLoss.toFixed(4); sAcc.v.textContent = `${(emaAcc * 100).toFixed(1)}%`; }
    if (m.imagesPerSec !== null) sRate.v.textContent = Math.round(m.imagesPerSec).toLocaleString('en-US');
    sLr.v.textContent = fmt(m.lr, 3);
    start.disabled = m.running;
    pause.disabled = !m.running;
    element.dataset.running = String(m.running);
    draw();
  });
  client.on('epoch', (m) => { confusion.replaceChildren(confusionTable(m.test, m.epoch)); });
  return { element, setConfig: (c) => { config = c; show(c); } };
}

/** The held-out confusion matrix, drawn by the library's renderer (the one of `miniconv inspect`'s report). */
function confusionTable(e: Evaluation, epoch: number): HTMLElement {
  if (!document.getElementById('confusion-css')) document.head.append(el('style', { id: 'confusion-css' }, CONFUSION_CSS));
  const box = el('div', { class: 'scroll' });
  box.innerHTML = confusionTableHtml(e.confusion, `After epoch ${epoch}, on the ${e.count.toLocaleString('en-US')} held-out digits (loss ${e.loss.toFixed(4)}):`);
  return box;
}
