// "Write a number": a wide pad where several digits are written side by side. The worker reads it
// as `miniconv read` reads a picture (readNumber, src/io/read-number.ts, with the model in training
// as the classifier); the page draws each digit's box over the pad with the digit read and its
// probability, and the heat map of the fully convolutional network (toFullyConvolutional: the
// classifier's dense layers turned into convolutions, run at every position of the pad in one pass).

import { CLASS_COLORS } from 'miniconv';
import type { WorkerClient } from './client.ts';
import { el } from './dom.ts';
import { drawStrokes } from './strokes.ts';

const PAD_W = 600, PAD_H = 200; // canvas pixels; the page scales the pad down to the screen's width
const STROKE = 12;
/** A read starts this long after the last stroke ends (another stroke within it restarts the wait). */
const READ_AFTER_MS = 600;

export function createNumberPad(client: WorkerClient): HTMLElement {
  const pad = el('canvas', { width: PAD_W, height: PAD_H, class: 'number-pad', 'data-testid': 'number-pad', 'aria-label': 'number pad: write several digits side by side' });
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clearPad = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, PAD_W, PAD_H); };
  clearPad();
  const boxes = el('div', { class: 'number-boxes', 'data-testid': 'number-boxes' });
  const readButton = el('button', { 'data-testid': 'number-read-button' }, 'Read');
  const clear = el('button', { 'data-testid': 'number-clear' }, 'Clear');
  const read = el('div', { class: 'number-read', 'data-testid': 'number-read', 'aria-live': 'polite' }, 'Write a few digits, side by side.');
  const heat = el('canvas', { width: PAD_W, height: PAD_H, class: 'number-heatmap', 'data-testid': 'number-heatmap', 'aria-label': 'heat map: the class the fully convolutional network scores highest at each position' });
  const heatNote = el('p', { class: 'hint' });
  const legend = el('div', { class: 'heat-legend' }, ...CLASS_COLORS.map((c, k) => {
    const sw = el('span', { class: 'swatch' });
    sw.style.background = `rgb(${c.join(',')})`;
    return el('span', {}, sw, String(k));
  }));
  const element = el('section', { class: 'number-section', 'data-testid': 'number-section', 'data-number': 'none' },
    el('h3', {}, 'Write a number'),
    el('p', { class: 'intro' }, 'Write several digits side by side. Each is found, boxed and read as miniconv read does it (connected ink, pieces of one digit joined, touching digits split), by the network in training.'),
    el('div', { class: 'number-pad-wrap' }, pad, boxes),
    el('div', { class: 'buttons' }, readButton, clear),
    read,
    el('h3', {}, 'The classifier at every position of the pad'),
    el('p', { class: 'intro' }, 'Its dense layers turned into convolutions (the first one with the kernel size of the map it flattened), the same network runs at every position of the pad in one pass: each place is coloured by the class it scores highest, as strongly as that class\'s probability, where there is ink.'),
    heat, legend, heatNote);

  let seq = 0, shown = 0, timer = 0;
  const clearResult = (text: string) => {
    boxes.replaceChildren();
    read.replaceChildren(text);
    read.dataset.text = '';
    heat.getContext('2d')!.clearRect(0, 0, PAD_W, PAD_H);
    heatNote.textContent = '';
  };
  const readNow = async () => {
    clearTimeout(timer);
    const id = ++seq;
    element.dataset.number = 'reading';
    const rgba = ctx.getImageData(0, 0, PAD_W, PAD_H).data;
    if (!rgba.some((v, i) => i % 4 === 0 && v < 128)) { // a blank pad is not an error: nothing to read yet
      clearResult('Nothing written yet: write a few digits, side by side.');
      element.dataset.number = 'none';
      return;
    }
    let r: Awaited<ReturnType<WorkerClient['readNumber']>>;
    try {
      r = await client.readNumber(rgba, PAD_W, PAD_H);
    } catch (e) {
      if (id !== seq) return;
      clearResult((e as Error).message); // also on the page's status line, as the worker's errors are
      element.dataset.number = 'none';
      return;
    }
    if (id < shown || id !== seq) return; // a later read is on its way
    shown = id;
    boxes.replaceChildren(...r.digits.map((d) => {
      const [x, y, w, h] = d.box;
      const b = el('div', { class: `number-box${d.p < 0.7 ? ' unsure' : ''}`, 'data-testid': 'number-box', title: `${d.digit}, p = ${d.p.toFixed(3)}` },
        el('span', { class: 'label' }, `${d.digit} ${(d.p * 100).toFixed(0)}%`));
      Object.assign(b.style, { left: `${(x / PAD_W) * 100}%`, top: `${(y / PAD_H) * 100}%`, width: `${(w / PAD_W) * 100}%`, height: `${(h / PAD_H) * 100}%` });
      return b;
    }));
    read.dataset.text = r.text;
    read.replaceChildren(el('span', { class: 'text' }, `Read: ${r.text}`), ' ',
      ...r.digits.map((d) => el('span', { class: 'digit-p' }, `${d.digit} (${(d.p * 100).toFixed(1)}%)`)),
      ...r.warnings.map((w) => el('p', { class: 'hint' }, `Unsure: ${w}`)));
    if (r.heatmap) {
      heat.getContext('2d')!.putImageData(new ImageData(Uint8ClampedArray.from(r.heatmap), PAD_W, PAD_H), 0, 0);
      heatNote.textContent = '';
    } else {
      heat.getContext('2d')!.clearRect(0, 0, PAD_W, PAD_H);
      heatNote.textContent = `No heat map: ${r.heatmapError}`;
    }
    element.dataset.number = 'read';
  };

  drawStrokes(pad, ctx, {
    width: PAD_W, height: PAD_H, lineWidth: () => STROKE,
    onStart: () => clearTimeout(timer),
    onEnd: () => { clearTimeout(timer); timer = window.setTimeout(() => void readNow(), READ_AFTER_MS); },
  });
  readButton.addEventListener('click', () => void readNow());
  clear.addEventListener('click', () => {
    clearTimeout(timer);
    seq++;
    clearPad();
    clearResult('Write a few digits, side by side.');
    element.dataset.number = 'none';
  });
  return element;
}
