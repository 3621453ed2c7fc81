// Train panel: the model and its settings, start / pause / one step / reset, live curves, images
// per second, and the confusion matrix of the held-out digits at each epoch end.

import { AUGMENT_NAMES, MODEL_LABELS, MODEL_LAYERS, MODEL_NAMES, type RunConfig, checkConfig } from '../models.ts';
import type { Progress } from '../protocol.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, lazyDraw, pixelCanvas, showMessage } from './dom.ts';
import { paintPicture } from './paint.ts';
import { createRunView } from './run-view.ts';

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
  const changeRates = () => {
    if (view.lastStep() === 0) { apply(); return; }
    try {
      const c = checkConfig({ ...config, lr: Number(lr.value), momentum: Number(momentum.value) });
      showMessage('');
      const what = [c.lr !== config.lr ? `lr ${fmt(c.lr, 3)}` : '', c.momentum !== config.momentum ? `momentum ${fmt(c.momentum, 3)}` : ''].filter(Boolean).join(', ');
      config = c;
      if (!what) return;
      view.mark(what, '#e08214');
      client.send({ type: 'rates', lr: c.lr, momentum: c.momentum });
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  };
  for (const input of [lr, momentum]) input.addEventListener('change', changeRates);

  const start = el('button', { 'data-testid': 'train-start', class: 'primary', onclick: () => client.send({ type: 'start' }) }, '▶ Start');
  const pause = el('button', { 'data-testid': 'train-pause', onclick: () => client.send({ type: 'pause' }) }, '❚❚ Pause');
  const step = el('button', { 'data-testid': 'train-step', onclick: () => client.send({ type: 'step' }), title: 'one SGD step on one batch' }, 'One step');
  const reset = el('button', { 'data-testid': 'train-reset', onclick: () => onConfig(config), title: 'new weights from the seed; the run starts again' }, '↺ Reset');

  const explain = el('p', { class: 'hint', 'data-testid': 'train-explain' },
    'Reading the curves: the train figures are measured on the batches as they were trained, augmented (warped, so harder than the real digits) and averaged over the last few dozen steps, while the weights were still a little worse; the held-out digits are clean and scored by the weights of now. So held-out accuracy often sits above training accuracy. ',
    'Held-out points are of two kinds: live ones on the first 500 held-out digits every couple of seconds, and one on all 2,000 after each epoch (dashed lines mark the epochs). Learning rate and momentum can be changed while it trains: the change applies from the next step and is marked on the curves in orange.');
  const galleryButton = el('button', { 'data-testid': 'test-gallery-show', title: 'score the first 500 held-out digits with the weights of now' }, 'Show held-out digits, mistakes first');
  const gallery = el('div', { class: 'gallery', 'data-testid': 'test-gallery' });

  const taskNote = el('p', { class: 'task-note', 'data-testid': 'train-task', hidden: true });
  const element = el('div', { class: 'panel-body' });
  const view = createRunView(client, element);
  element.append(
    el('p', { class: 'intro' }, 'Train a convolutional network on 8,000 handwritten digits, in your browser, and test it on 2,000 others it never sees in training. Every change of a setting starts a new run (except learning rate and momentum once it trains: those change the run as it goes); the address bar keeps the settings, so the link reproduces the run.'),
    el('div', { class: 'controls' },
      field('model', el('span', { class: 'model-pick' }, model, modelLayers)), field('learning rate', lr), field('momentum', momentum), field('batch size', batch),
      field('augmentation', augment, 'elastic: affine plus a smooth random warp (the default of miniconv train); affine: rotation, scale, shift'), field('seed', seed)),
    taskNote,
    el('div', { class: 'buttons' }, start, pause, step, reset),
    view.stats, view.charts, explain,
    el('h3', {}, 'Confusion matrix (held-out digits)'), view.confusion,
    el('h3', {}, 'Held-out digits and what the net makes of them'), galleryButton, gallery,
  );
  galleryButton.addEventListener('click', async () => {
    try {
      const g = await client.gallery();
      const t = view.task(), shape = t?.inputShape ?? [1, 28, 28], names = t?.classes ?? [];
      const name = (k: number) => names[k] ?? String(k);
      const what = t?.kind === 'classes' ? 'pictures' : 'digits';
      const wrongCount = g.items.filter((it) => it.top[0].k !== it.label).length;
      gallery.replaceChildren(el('p', { class: 'hint' }, `At step ${g.step}: the first ${g.count} held-out ${what}, the most confident mistakes first (${wrongCount} shown), then the right answers the net was least sure of. Each with its three most probable classes.`),
        el('div', { class: 'gallery-grid' }, ...g.items.map((it) => {
          const c = pixelCanvas(shape[2], shape[1], 56, 56, { 'aria-label': `held-out ${what === 'digits' ? 'digit' : 'picture'} ${it.index}, a ${name(it.label)}` });
          paintPicture(c.getContext('2d')!, it.pixels, 0, shape);
          const wrong = it.top[0].k !== it.label;
          return el('figure', { class: `gallery-item${wrong ? ' wrong' : ''}`, 'data-label': it.label, 'data-top': it.top[0].k, 'data-p': it.top[0].p },
            c, el('figcaption', {}, `true ${name(it.label)}`, el('br'), it.top.map((t) => `${name(t.k)} ${(t.p * 100).toFixed(t.p > 0.995 ? 1 : 0)}%`).join(' · ')));
        })));
    } catch {
      // the worker's error is on the status line
    }
  });

  client.on('ready', (m) => {
    gallery.replaceChildren();
    // Your own classes train here too (the "Your classes" panel): this panel's settings are the digits'.
    const own = m.task.kind === 'classes';
    taskNote.hidden = !own;
    taskNote.textContent = own ? `Training on your own classes (${m.task.classes.join(', ')}; ${m.trainCount} pictures, ${m.testCount} held out) for ${m.task.epochs} epochs, with the picture model's settings. Start, pause and one step work on that run; the settings below and Reset go back to the digits.` : '';
    (element.querySelector('h3') as HTMLElement).textContent = own ? 'Confusion matrix (held-out pictures)' : 'Confusion matrix (held-out digits)';
    galleryButton.textContent = own ? 'Show held-out pictures, mistakes first' : 'Show held-out digits, mistakes first';
  });
  client.on('progress', (m: Progress) => {
    start.disabled = m.running;
    pause.disabled = !m.running;
    element.dataset.running = String(m.running);
  });
  return { element, setConfig: (c) => { config = c; show(c); } };
}
