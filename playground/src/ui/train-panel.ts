// Train panel: the model and its settings, start / pause / one step / reset, live curves, images
// per second, and the confusion matrix of the held-out digits at each epoch end.

import { CONFUSION_CSS, type Evaluation, confusionTableHtml } from 'miniconv';
import { AUGMENT_NAMES, MODEL_LABELS, MODEL_LAYERS, MODEL_NAMES, type RunConfig, checkConfig } from '../models.ts';
import type { Progress } from '../protocol.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, lazyDraw, pixelCanvas, showMessage } from './dom.ts';
import { lineChart, paintBlock } from './paint.ts';

export interface TrainPanel { element: HTMLElement; setConfig(c: RunConfig): void }

export function createTrainPanel(client: WorkerClient, initial: RunConfig, onConfig: (c: RunConfig) => void): TrainPanel {
  let config = initial;
  const field = (label: string, input: HTMLElement, hint = '') => el('label', { class: 'field', title: hint }, el('span', {}, label), input);
  const model = el('select', { id: 'cfg-model', 'data-testid': 'cfg-model' }, ...MODEL_NAMES.map((m) => el('option', { value: m }, MODEL_LABELS[m])));
  const modelLayers = el('span', { class: 'field-note', 'data-testid': 'cfg-model-layers' });
  const showLayers = () => { modelLayers.textContent = MODEL_LAYERS[model.value as RunConfig['model']] ?? ''; };
  model.addEventListener('change', showLayers);
  const lr = el('input', { id: 'cfg-lr', 'data-testid': 'cfg-lr', type: 'number', step: 'any', min: '0.0001', max: '1' });
  const momentum = el('input', { id: 'cfg-momentum', 'data-testid': 'cfg-momentum', type: 'number', step: '0.05', min: '0', max: '0.99' });
  const batch = el('input', { id: 'cfg-batch', 'data-testid': 'cfg-batch', type: 'number', step: '1', min: '1', max: '512' });
  const augment = el('select', { id: 'cfg-augment', 'data-testid': 'cfg-augment' }, ...AUGMENT_NAMES.map((a) => el('option', { value: a }, a)));
  const seed = el('input', { id: 'cfg-seed', 'data-testid': 'cfg-seed', type: 'number', step: '1', min: '0' });
  const show = (c: RunConfig) => {
    model.value = c.model; showLayers(); lr.value = String(c.lr); momentum.value = String(c.momentum);
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
  for (const input of [model, batch, augment, seed]) input.addEventListener('change', apply);
  // Learning rate and momentum: before the first step they start a new run like any setting; once it
  // trains they change the run as it goes (from the next step), and the change is marked on the curves.
  let lastStep = 0;
  const rateMarks: Array<{ x: number; label: string; color?: string }> = [];
  const changeRates = () => {
    if (lastStep === 0) { apply(); return; }
    try {
      const c = checkConfig({ ...config, lr: Number(lr.value), momentum: Number(momentum.value) });
      showMessage('');
      const what = [c.lr !== config.lr ? `lr ${fmt(c.lr, 3)}` : '', c.momentum !== config.momentum ? `momentum ${fmt(c.momentum, 3)}` : ''].filter(Boolean).join(', ');
      config = c;
      if (!what) return;
      const prevMark = rateMarks[rateMarks.length - 1];
      if (prevMark?.x === lastStep) prevMark.label += `, ${what}`; // changes at one step share one mark
      else rateMarks.push({ x: lastStep, label: what, color: '#e08214' });
      client.send({ type: 'rates', lr: c.lr, momentum: c.momentum });
      draw();
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  };
  for (const input of [lr, momentum]) input.addEventListener('change', changeRates);

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
  const sHeldLabel = sHeld.box.querySelector('.label') as HTMLElement;
  sHeldLabel.dataset.testid = 'heldout-label';
  const sLr = stat('learning rate now', 'lr-value');
  const lossChart = el('canvas', { class: 'chart', 'aria-label': 'loss curves' });
  const accChart = el('canvas', { class: 'chart', 'aria-label': 'accuracy curves' });
  const lrChart = el('canvas', { class: 'chart lr-chart', 'aria-label': 'learning rate per step', 'data-testid': 'lr-chart' });
  const explain = el('p', { class: 'hint', 'data-testid': 'train-explain' },
    'Reading the curves: the train figures are measured on the batches as they were trained, augmented (warped, so harder than the real digits) and averaged over the last few dozen steps, while the weights were still a little worse; the held-out digits are clean and scored by the weights of now. So held-out accuracy often sits above training accuracy. ',
    'Held-out points are of two kinds: live ones on the first 500 held-out digits every couple of seconds, and one on all 2,000 after each epoch (dashed lines mark the epochs). Learning rate and momentum can be changed while it trains: the change applies from the next step and is marked on the curves in orange.');
  const galleryButton = el('button', { 'data-testid': 'test-gallery-show', title: 'score the first 500 held-out digits with the weights of now' }, 'Show held-out digits, mistakes first');
  const gallery = el('div', { class: 'gallery', 'data-testid': 'test-gallery' });
  const confusion = el('div', { class: 'confusion', 'data-testid': 'confusion' }, el('p', { class: 'hint' }, 'The confusion matrix of the 2,000 held-out digits appears at the end of each epoch (8,000 training digits).'));

  const element = el('div', { class: 'panel-body' },
    el('p', { class: 'intro' }, 'Train a convolutional network on 8,000 handwritten digits, in your browser, and test it on 2,000 others it never sees in training. Every change of a setting starts a new run (except learning rate and momentum once it trains: those change the run as it goes); the address bar keeps the settings, so the link reproduces the run.'),
    el('div', { class: 'controls' },
      field('model', el('span', { class: 'model-pick' }, model, modelLayers)), field('learning rate', lr), field('momentum', momentum), field('batch size', batch),
      field('augmentation', augment, 'elastic: affine plus a smooth random warp (the default of miniconv train); affine: rotation, scale, shift'), field('seed', seed)),
    el('div', { class: 'buttons' }, start, pause, step, reset),
    el('div', { class: 'stats' }, sStep.box, sEpoch.box, sLoss.box, sAcc.box, sHeld.box, sRate.box, sLr.box),
    el('div', { class: 'charts' }, lossChart, accChart, lrChart), explain,
    el('h3', {}, 'Confusion matrix (held-out digits)'), confusion,
    el('h3', {}, 'Held-out digits and what the net makes of them'), galleryButton, gallery,
  );
  galleryButton.addEventListener('click', async () => {
    try {
      const g = await client.gallery();
      const wrongCount = g.items.filter((it) => it.top[0].k !== it.label).length;
      gallery.replaceChildren(el('p', { class: 'hint' }, `At step ${g.step}: the first ${g.count} held-out digits, the most confident mistakes first (${wrongCount} shown), then the right answers the net was least sure of. Each with its three most probable classes.`),
        el('div', { class: 'gallery-grid' }, ...g.items.map((it) => {
          const c = pixelCanvas(28, 28, 56, 56, { 'aria-label': `held-out digit ${it.index}, a ${it.label}` });
          paintBlock(c.getContext('2d')!, it.pixels, 0, 28, 28, 1, 'grey');
          const wrong = it.top[0].k !== it.label;
          return el('figure', { class: `gallery-item${wrong ? ' wrong' : ''}`, 'data-label': it.label, 'data-top': it.top[0].k, 'data-p': it.top[0].p },
            c, el('figcaption', {}, `true ${it.label}`, el('br'), it.top.map((t) => `${t.k} ${(t.p * 100).toFixed(t.p > 0.995 ? 1 : 0)}%`).join(' · ')));
        })));
    } catch {
      // the worker's error is on the status line
    }
  });

  // The curves: every step's loss and accuracy (smoothed for the numbers), and held-out points.
  let trainLoss: Array<[number, number]> = [], trainAcc: Array<[number, number]> = [];
  let heldLoss: Array<[number, number]> = [], heldAcc: Array<[number, number]> = [];
  let emaLoss = NaN, emaAcc = NaN;
  let heldEpoch: Array<[number, number]> = [], heldEpochLoss: Array<[number, number]> = [];
  let lrPoints: Array<[number, number]> = [];
  const epochMarks: Array<{ x: number; label: string }> = [];
  const draw = lazyDraw(element, () => {
    const marks = [...epochMarks, ...rateMarks];
    element.dataset.marks = marks.map((m) => `${m.x}:${m.label}`).join('|'); // what the curves mark, for tests and screen readers
    lineChart(lossChart, [
      { points: trainLoss, color: '#2166ac', label: 'train (smoothed)' },
      { points: heldLoss, color: '#b2182b', label: 'held-out (500, live)', dots: true },
      { points: heldEpochLoss, color: '#1b7837', label: 'after each epoch (2,000)', dots: true },
    ], { title: 'loss', yMin: 0, marks });
    lineChart(accChart, [
      { points: trainAcc, color: '#2166ac', label: 'train (smoothed)' },
      { points: heldAcc, color: '#b2182b', label: 'held-out (500, live)', dots: true },
      { points: heldEpoch, color: '#1b7837', label: 'after each epoch (2,000)', dots: true },
    ], { title: 'accuracy', yMax: 1, format: (v) => `${(v * 100).toFixed(0)}%`, marks });
    lineChart(lrChart, [{ points: lrPoints, color: '#e08214', label: 'learning rate (×0.85 after each epoch)' }], { title: 'learning rate', yMin: 0, marks });
  });
  client.on('ready', (m) => {
    trainLoss = []; trainAcc = []; heldLoss = []; heldAcc = []; emaLoss = NaN; emaAcc = NaN;
    heldEpoch = []; heldEpochLoss = []; lrPoints = []; epochMarks.length = 0; rateMarks.length = 0; lastStep = 0;
    gallery.replaceChildren();
    sHeldLabel.textContent = 'held-out accuracy';
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
    if (m.heldOut && !m.heldOut.epochEnd) {
      heldLoss.push([m.heldOut.step, m.heldOut.loss]);
      heldAcc.push([m.heldOut.step, m.heldOut.accuracy]);
    }
    if (m.heldOut) {
      sHeld.v.textContent = `${(m.heldOut.accuracy * 100).toFixed(2)}%`;
      sHeld.v.title = `on ${m.heldOut.count} held-out digits at step ${m.heldOut.step}`;
      sHeldLabel.textContent = m.heldOut.epochEnd ? `after epoch ${m.heldOut.epochEnd} (${m.heldOut.count.toLocaleString('en-US')} digits)` : `held-out (${m.heldOut.count.toLocaleString('en-US')} digits, live)`;
    }
    lastStep = m.step;
    if (lrPoints.length === 0 || lrPoints[lrPoints.length - 1][1] !== m.lr || lrPoints[lrPoints.length - 1][0] !== m.step) lrPoints.push([m.step, m.lr]);
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
  client.on('epoch', (m) => {
    confusion.replaceChildren(confusionTable(m.test, m.epoch));
    heldEpoch.push([m.step, m.test.accuracy]);
    heldEpochLoss.push([m.step, m.test.loss]);
    epochMarks.push({ x: m.step, label: `epoch ${m.epoch}` });
    draw();
  });
  return { element, setConfig: (c) => { config = c; show(c); } };
}

/** The held-out confusion matrix, drawn by the library's renderer (the one of `miniconv inspect`'s report). */
function confusionTable(e: Evaluation, epoch: number): HTMLElement {
  if (!document.getElementById('confusion-css')) document.head.append(el('style', { id: 'confusion-css' }, CONFUSION_CSS));
  const box = el('div', { class: 'scroll' });
  box.innerHTML = confusionTableHtml(e.confusion, `After epoch ${epoch}, on the ${e.count.toLocaleString('en-US')} held-out digits (loss ${e.loss.toFixed(4)}):`);
  return box;
}
