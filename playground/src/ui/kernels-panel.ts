// Kernels panel: the first layer's kernels redrawn live, each with its weight gradient beside it;
// the second layer on demand; a filmstrip of snapshots with a slider to replay the learning.
// Colours: the diverging map of `miniconv inspect`, one symmetric scale per picture (in the legend).

import type { KernelData, Progress } from '../protocol.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, lazyDraw } from './dom.ts';
import { divergingLegend, maxAbs, paintBlock, paintColorKernels } from './paint.ts';

const CELL = 8; // css pixels per weight

export function createKernelsPanel(client: WorkerClient): HTMLElement {
  const layer1 = el('div', { class: 'kernel-grid', 'data-testid': 'kernels' });
  const legend1 = el('div', { class: 'legends' });
  const layer2Box = el('div', { class: 'layer2', hidden: true });
  const toggle = el('input', { type: 'checkbox', id: 'show-layer2', 'data-testid': 'show-layer2' });
  toggle.addEventListener('change', () => {
    layer2Box.hidden = !toggle.checked;
    client.send({ type: 'layer2', on: toggle.checked });
  });
  const slider = el('input', { type: 'range', min: '0', max: '0', value: '0', 'data-testid': 'filmstrip-slider', 'aria-label': 'snapshot' });
  const filmLabel = el('span', { class: 'film-label', 'data-testid': 'filmstrip-label' }, '');
  const film = el('canvas', { class: 'pixels film', 'data-testid': 'filmstrip' });
  const filmLegend = el('div', { class: 'legends' });
  const element = el('div', { class: 'panel-body' },
    el('p', { class: 'intro' }, 'The first layer\'s kernels as training changes them: each filter\'s weights, and beside it the gradient of the loss with respect to those weights on the last batch (the direction SGD moves them, with a minus sign). They start as faint noise and become edge and stroke detectors.'),
    el('h3', {}, 'First layer: weights and their gradient'), legend1, layer1,
    el('label', { class: 'check' }, toggle, ' show the second layer (one row per filter, one kernel per input channel)'), layer2Box,
    el('h3', {}, 'Filmstrip: how the kernels were learned'),
    el('div', { class: 'film-controls' }, slider, filmLabel), filmLegend, film,
  );

  let canvases: Array<{ w: HTMLCanvasElement; g: HTMLCanvasElement }> = [];
  let shapeKey = '';
  const draw1 = (k: KernelData) => {
    const [F, C, KH, KW] = k.shape;
    // A layer that reads a colour picture: each kernel as one colour picture (its R, G, B weights as
    // the red, green and blue of each square), as `miniconv inspect` draws a colour model's first layer.
    const color = C === 3;
    const cols = color ? KW : KW * C;
    const key = k.shape.join('x');
    if (key !== shapeKey) {
      shapeKey = key;
      canvases = [];
      layer1.dataset.colour = String(color);
      layer1.replaceChildren(...Array.from({ length: F }, (_, f) => {
        const w = el('canvas', { width: cols, height: KH, class: 'pixels', 'data-filter': f, title: `filter ${f}: weights` });
        const g = el('canvas', { width: cols, height: KH, class: 'pixels grad', title: `filter ${f}: gradient` });
        for (const c of [w, g]) { c.style.width = `${cols * CELL}px`; c.style.height = `${KH * CELL}px`; }
        canvases.push({ w, g });
        return el('figure', { class: 'kernel' }, w, g, el('figcaption', {}, `${f}: w | dw`));
      }));
    }
    const sw = maxAbs(k.weight), sg = maxAbs(k.grad);
    const per = C * KH * KW;
    if (color) {
      for (let f = 0; f < F; f++) {
        paintColorKernels(canvases[f].w.getContext('2d')!, k.weight.subarray(f * per, (f + 1) * per), [1, 3, KH, KW], sw);
        paintColorKernels(canvases[f].g.getContext('2d')!, k.grad.subarray(f * per, (f + 1) * per), [1, 3, KH, KW], sg);
      }
      legend1.replaceChildren(colorNote(sw, 'weights'), colorNote(sg, 'gradient (last batch)'));
      return;
    }
    for (let f = 0; f < F; f++) {
      for (let c = 0; c < C; c++) {
        paintBlock(canvases[f].w.getContext('2d')!, k.weight, f * per + c * KH * KW, KH, KW, sw, 'diverging', c * KW, 0);
        paintBlock(canvases[f].g.getContext('2d')!, k.grad, f * per + c * KH * KW, KH, KW, sg, 'diverging', c * KW, 0);
      }
    }
    legend1.replaceChildren(divergingLegend(sw, 'weights'), divergingLegend(sg, 'gradient (last batch)'));
  };

  const draw2 = (k: KernelData) => {
    const [F, C, KH, KW] = k.shape;
    const gap = 1;
    const make = (data: Float32Array, what: string) => {
      const c = el('canvas', { width: C * (KW + gap), height: F * (KH + gap), class: 'pixels layer2-grid', title: `${k.layer} ${what}: row = filter, column = input channel` });
      c.style.width = `${C * (KW + gap) * 4}px`;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, c.width, c.height);
      const s = maxAbs(data);
      for (let f = 0; f < F; f++) for (let ch = 0; ch < C; ch++) paintBlock(ctx, data, (f * C + ch) * KH * KW, KH, KW, s, 'diverging', ch * (KW + gap), f * (KH + gap));
      return el('figure', {}, divergingLegend(s, what), c);
    };
    layer2Box.replaceChildren(el('p', {}, `${k.layer}: ${F} filters x ${C} input channels of ${KH}x${KW}`), el('div', { class: 'pair' }, make(k.weight, 'weights'), make(k.grad, 'gradient')));
  };

  let latest: KernelData[] = [];
  const redraw = lazyDraw(element, () => {
    if (latest[0]) draw1(latest[0]);
    if (latest[1] && toggle.checked) draw2(latest[1]);
  });
  client.on('progress', (m: Progress) => { latest = m.kernels; redraw(); });

  // The filmstrip keeps every snapshot the worker sends; the slider picks one (the latest by default).
  let snaps: Array<{ label: string; step: number; weight: Float32Array; shape: number[] }> = [];
  const drawFilm = () => {
    const s = snaps[Number(slider.value)];
    if (!s) return;
    const [F, C, KH, KW] = s.shape;
    const gap = 1;
    const scale = Math.max(...snaps.map((t) => maxAbs(t.weight)));
    if (C === 3) { // colour kernels, one picture per filter
      film.width = F * (KW + gap);
      film.height = KH;
      film.style.width = `${film.width * 8}px`;
      const ctx = film.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, film.width, film.height);
      paintColorKernels(ctx, s.weight, s.shape, scale, gap);
      filmLabel.textContent = `${s.label.startsWith('step') ? s.label : `${s.label} (step ${s.step})`}, snapshot ${Number(slider.value) + 1} of ${snaps.length}`;
      filmLegend.replaceChildren(colorNote(scale, 'weights, one scale for all snapshots'));
      return;
    }
    film.width = F * (KW * C + gap);
    film.height = KH;
    film.style.width = `${film.width * 8}px`;
    const ctx = film.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, film.width, film.height);
    // One scale for every snapshot (the largest weight of all): later kernels are visibly stronger.
    for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) paintBlock(ctx, s.weight, (f * C + c) * KH * KW, KH, KW, scale, 'diverging', f * (KW * C + gap) + c * KW, 0);
    filmLabel.textContent = `${s.label.startsWith('step') ? s.label : `${s.label} (step ${s.step})`}, snapshot ${Number(slider.value) + 1} of ${snaps.length}`;
    filmLegend.replaceChildren(divergingLegend(scale, `weights, one scale for all snapshots (max |w| ${fmt(scale, 3)})`));
  };
  const redrawFilm = lazyDraw(element, drawFilm);
  slider.addEventListener('input', drawFilm);
  client.on('ready', () => { snaps = []; slider.max = '0'; });
  client.on('snapshot', (m) => {
    const atEnd = Number(slider.value) >= snaps.length - 1;
    snaps.push({ label: m.label, step: m.step, weight: m.weight, shape: m.shape });
    slider.max = String(snaps.length - 1);
    if (atEnd) slider.value = slider.max;
    redrawFilm();
  });
  return element;
}

/** The scale of colour kernels: each of R, G, B from none (-scale) through half (0, grey) to full (+scale). */
function colorNote(scale: number, what: string): HTMLElement {
  return el('span', { class: 'legend', 'data-testid': 'colour-legend', title: `${what}: each channel -${fmt(scale, 3)} (none of that colour) … 0 (grey) … +${fmt(scale, 3)} (all of it)` },
    el('span', { class: 'legend-what' }, `${what} in colour: the red, green and blue weights of each square, grey = 0, scale ±${fmt(scale, 3)}`));
}
