// The live view of the run in the worker: the figures (step, epoch, loss, accuracy, held-out
// accuracy, images per second, learning rate), the loss, accuracy and learning-rate curves, and the
// held-out confusion matrix with the class names. One view, shown by the Train panel and by the
// "Your classes" panel: both watch the one run of the current model.

import { CONFUSION_CSS, type Evaluation, confusionTableHtml } from 'miniconv';
import type { Progress, TaskInfo } from '../protocol.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, lazyDraw } from './dom.ts';
import { lineChart } from './paint.ts';

export interface RunView {
  stats: HTMLElement;
  charts: HTMLElement;
  confusion: HTMLElement;
  /** The step of the last report (0 before the first step). */
  lastStep(): number;
  /** Marks the curves at the last step (changes at one step share one mark). */
  mark(label: string, color: string): void;
  /** What the current model reads (from the last 'ready'). */
  task(): TaskInfo | null;
}

/**
 * `host`: the panel the view is in (drawn only while it is shown; its data-marks lists the marks).
 * `prefix`: put before every data-testid, so that two views on one page stay apart ('' for the Train panel's).
 */
export function createRunView(client: WorkerClient, host: HTMLElement, prefix = ''): RunView {
  const stat = (label: string, testid: string) => {
    const v = el('span', { class: 'value', 'data-testid': `${prefix}${testid}` }, '–');
    return { v, box: el('div', { class: 'stat' }, el('span', { class: 'label' }, label), v) };
  };
  const sStep = stat('step', 'step-value'), sEpoch = stat('epoch', 'epoch-value'), sLoss = stat('train loss', 'loss-value');
  const sAcc = stat('train accuracy', 'accuracy-value'), sHeld = stat('held-out accuracy', 'heldout-value'), sRate = stat('images/s', 'rate-value');
  const sHeldLabel = sHeld.box.querySelector('.label') as HTMLElement;
  sHeldLabel.dataset.testid = `${prefix}heldout-label`;
  const sLr = stat('learning rate now', 'lr-value');
  const lossChart = el('canvas', { class: 'chart', 'aria-label': 'loss curves' });
  const accChart = el('canvas', { class: 'chart', 'aria-label': 'accuracy curves' });
  const lrChart = el('canvas', { class: 'chart lr-chart', 'aria-label': 'learning rate per step', 'data-testid': `${prefix}lr-chart` });
  const confusion = el('div', { class: 'confusion', 'data-testid': `${prefix}confusion` }, el('p', { class: 'hint' }, 'The confusion matrix of the 2,000 held-out digits appears at the end of each epoch (8,000 training digits).'));
  let task: TaskInfo | null = null;
  const what = () => (task?.kind === 'classes' ? 'pictures' : 'digits');

  // The curves: every step's loss and accuracy (smoothed for the numbers), and held-out points.
  let trainLoss: Array<[number, number]> = [], trainAcc: Array<[number, number]> = [];
  let heldLoss: Array<[number, number]> = [], heldAcc: Array<[number, number]> = [];
  let emaLoss = NaN, emaAcc = NaN;
  let heldEpoch: Array<[number, number]> = [], heldEpochLoss: Array<[number, number]> = [];
  let lrPoints: Array<[number, number]> = [];
  let lastStep = 0;
  let testCount = 0;
  const epochMarks: Array<{ x: number; label: string }> = [];
  const rateMarks: Array<{ x: number; label: string; color?: string }> = [];
  const draw = lazyDraw(host, () => {
    const marks = [...epochMarks, ...rateMarks];
    host.dataset.marks = marks.map((m) => `${m.x}:${m.label}`).join('|'); // what the curves mark, for tests and screen readers
    const live = task?.kind === 'classes' ? `held-out (${testCount})` : 'held-out (500, live)';
    const after = task?.kind === 'classes' ? `after each epoch (${testCount})` : 'after each epoch (2,000)';
    lineChart(lossChart, [
      { points: trainLoss, color: '#2166ac', label: 'train (smoothed)' },
      { points: heldLoss, color: '#b2182b', label: live, dots: true },
      { points: heldEpochLoss, color: '#1b7837', label: after, dots: true },
    ], { title: 'loss', yMin: 0, marks });
    lineChart(accChart, [
      { points: trainAcc, color: '#2166ac', label: 'train (smoothed)' },
      { points: heldAcc, color: '#b2182b', label: live, dots: true },
      { points: heldEpoch, color: '#1b7837', label: after, dots: true },
    ], { title: 'accuracy', yMax: 1, format: (v) => `${(v * 100).toFixed(0)}%`, marks });
    const lrLabel = task?.kind === 'classes' ? 'learning rate (cosine over the run)' : 'learning rate (×0.85 after each epoch)';
    lineChart(lrChart, [{ points: lrPoints, color: '#e08214', label: lrLabel }], { title: 'learning rate', yMin: 0, marks });
  });
  client.on('ready', (m) => {
    task = m.task;
    testCount = m.testCount;
    trainLoss = []; trainAcc = []; heldLoss = []; heldAcc = []; emaLoss = NaN; emaAcc = NaN;
    heldEpoch = []; heldEpochLoss = []; lrPoints = []; epochMarks.length = 0; rateMarks.length = 0; lastStep = 0;
    sHeldLabel.textContent = 'held-out accuracy';
    for (const s of [sStep, sEpoch, sLoss, sAcc, sHeld, sRate]) s.v.textContent = '–';
    const classes = m.task.kind === 'classes' ? ` (${m.task.classes.join(', ')})` : '';
    confusion.replaceChildren(el('p', { class: 'hint' }, `Model ${m.model}, ${m.params.toLocaleString('en-US')} weights, ${m.backend}. The confusion matrix of the ${m.testCount.toLocaleString('en-US')} held-out ${what()}${classes} appears at the end of each epoch (${m.trainCount.toLocaleString('en-US')} training ${what()}).`));
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
      sHeld.v.title = `on ${m.heldOut.count} held-out ${what()} at step ${m.heldOut.step}`;
      sHeldLabel.textContent = m.heldOut.epochEnd ? `after epoch ${m.heldOut.epochEnd} (${m.heldOut.count.toLocaleString('en-US')} ${what()})` : `held-out (${m.heldOut.count.toLocaleString('en-US')} ${what()}, live)`;
    }
    lastStep = m.step;
    if (lrPoints.length === 0 || lrPoints[lrPoints.length - 1][1] !== m.lr || lrPoints[lrPoints.length - 1][0] !== m.step) lrPoints.push([m.step, m.lr]);
    sStep.v.textContent = String(m.step);
    sEpoch.v.textContent = task?.epochs ? `${Math.min(m.epoch, task.epochs)} of ${task.epochs} (batch ${m.batch}/${m.batches})` : `${m.epoch} (batch ${m.batch}/${m.batches})`;
    if (!Number.isNaN(emaLoss)) { sLoss.v.textContent = emaLoss.toFixed(4); sAcc.v.textContent = `${(emaAcc * 100).toFixed(1)}%`; }
    if (m.imagesPerSec !== null) sRate.v.textContent = Math.round(m.imagesPerSec).toLocaleString('en-US');
    sLr.v.textContent = fmt(m.lr, 3);
    draw();
  });
  client.on('epoch', (m) => {
    confusion.replaceChildren(confusionTable(m.test, `After epoch ${m.epoch}, on the ${m.test.count.toLocaleString('en-US')} held-out ${what()} (loss ${m.test.loss.toFixed(4)}):`, task));
    heldEpoch.push([m.step, m.test.accuracy]);
    heldEpochLoss.push([m.step, m.test.loss]);
    epochMarks.push({ x: m.step, label: `epoch ${m.epoch}` });
    draw();
  });
  client.on('classesDone', (m) => {
    confusion.replaceChildren(confusionTable(m.test, `The model now: the weights of epoch ${m.bestEpoch} of ${m.epochs}, the lowest held-out loss (restoreBest), on the ${m.test.count} held-out pictures (loss ${m.test.loss.toFixed(4)}, accuracy ${(m.test.accuracy * 100).toFixed(1)}%):`, task));
    sHeld.v.textContent = `${(m.test.accuracy * 100).toFixed(2)}%`;
    sHeldLabel.textContent = `best epoch ${m.bestEpoch} (${m.test.count} pictures)`;
  });
  return {
    stats: el('div', { class: 'stats' }, sStep.box, sEpoch.box, sLoss.box, sAcc.box, sHeld.box, sRate.box, sLr.box),
    charts: el('div', { class: 'charts' }, lossChart, accChart, lrChart),
    confusion,
    lastStep: () => lastStep,
    mark(label, color) {
      const prev = rateMarks[rateMarks.length - 1];
      if (prev?.x === lastStep) prev.label += `, ${label}`;
      else rateMarks.push({ x: lastStep, label, color });
      draw();
    },
    task: () => task,
  };
}

/** The held-out confusion matrix with the class names, drawn by the library's renderer (the one of `miniconv inspect`'s report). */
function confusionTable(e: Evaluation, caption: string, task: TaskInfo | null): HTMLElement {
  if (!document.getElementById('confusion-css')) document.head.append(el('style', { id: 'confusion-css' }, CONFUSION_CSS));
  const box = el('div', { class: 'scroll' });
  box.innerHTML = confusionTableHtml(e.confusion, caption, task?.classes);
  return box;
}
