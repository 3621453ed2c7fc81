// The whole network at a glance (issue 23 §2, after CNN Explainer): the digit, then every layer's
// feature maps left to right (one column per layer, at most MAX_MAPS maps each), then the class
// scores with their labels. Selecting a map draws its connections to the maps of the column before
// that it reads: every input channel of its group for a convolution, its own channel for ReLU and
// pooling, every value for a dense layer.

import type { Activations, LayerActivation } from '../inspect-net.ts';
import { el, pixelCanvas } from './dom.ts';
import { maxAbs, paintBlock, paintPicture } from './paint.ts';

const MAX_MAPS = 16;
const MAP = 26; // css pixels per map
const SVG = 'http://www.w3.org/2000/svg';

/** `update`: the input (of shape `inputShape`, default a 28x28 digit) and the class names (default 0..9). */
export interface NetworkOverview { element: HTMLElement; update(a: Activations, digit: Float32Array, probs: Float32Array, inputShape?: readonly number[], names?: readonly string[]): void; clear(): void }

/**
 * `explore(layer, k)`: the controls that open map k of a layer in the convolution explorer (none
 * when the explorer cannot show it), shown under the overview when the map is selected.
 */
export function createNetworkOverview(explore: (layer: string, k: number) => HTMLElement[] = () => []): NetworkOverview {
  const columns = el('div', { class: 'net-columns' });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'net-lines');
  const note = el('p', { class: 'hint', 'data-testid': 'network-selection' }, 'Select a map to see which maps of the layer before it reads.');
  const actions = el('div', { class: 'buttons' });
  const element = el('div', { class: 'network-overview', 'data-testid': 'network-overview' }, el('div', { class: 'net-stage' }, svg, columns), note, actions);
  let key = '';
  let cells: HTMLButtonElement[][] = []; // per column (0: the digit), the map buttons
  let selected: { col: number; k: number } | null = null;
  let layers: LayerActivation[] = [];
  let groupsOf: (col: number) => number = () => 1;

  /** The maps of column col - 1 that map k of column col reads. */
  const sources = (col: number, k: number): number[] => {
    const prev = cells[col - 1]?.length ?? 0;
    const l = layers[col - 1];
    if (!l) return [];
    if (l.type === 'Conv2D') {
      const G = groupsOf(col), C = prev, F = l.y.shape[1];
      const per = Math.max(1, Math.floor(C / G)), g = Math.floor(k / Math.max(1, F / G));
      return Array.from({ length: Math.min(per, C) }, (_, i) => g * per + i).filter((i) => i < prev);
    }
    if (l.y.shape.length === 4 && prev > 0) return k < prev ? [k] : []; // ReLU, pooling: channel by channel
    return Array.from({ length: prev }, (_, i) => i); // dense: everything
  };

  const drawLines = () => {
    svg.replaceChildren();
    if (!selected) { element.dataset.connections = '0'; return; }
    const box = columns.getBoundingClientRect();
    svg.setAttribute('width', String(columns.scrollWidth));
    svg.setAttribute('height', String(columns.scrollHeight));
    const to = cells[selected.col][selected.k].getBoundingClientRect();
    const from = sources(selected.col, selected.k);
    for (const i of from) {
      const r = cells[selected.col - 1][i].getBoundingClientRect();
      const line = document.createElementNS(SVG, 'line');
      line.setAttribute('x1', String(r.right - box.left)); line.setAttribute('y1', String(r.top + r.height / 2 - box.top));
      line.setAttribute('x2', String(to.left - box.left)); line.setAttribute('y2', String(to.top + to.height / 2 - box.top));
      svg.append(line);
    }
    element.dataset.connections = String(from.length);
    const l = layers[selected.col - 1];
    note.textContent = `${l.layer} (${l.type}) map ${selected.k} reads ${from.length} map${from.length === 1 ? '' : 's'} of the column before` +
      (l.type === 'Conv2D' ? ': one kernel per input channel of its group, summed.' : l.y.shape.length === 4 ? ': its own channel only.' : '.');
  };

  const select = (col: number, k: number) => {
    cells.flat().forEach((b) => b.classList.remove('selected'));
    cells[col][k].classList.add('selected');
    selected = { col, k };
    drawLines();
    actions.replaceChildren(...explore(layers[col - 1].layer, k));
  };

  return {
    element,
    clear() { key = ''; columns.replaceChildren(); svg.replaceChildren(); actions.replaceChildren(); selected = null; },
    update(a, digit, probs, inputShape = [1, 28, 28], names = []) {
      layers = a.layers.filter((l) => l.type !== 'Flatten' && l !== a.layers[a.layers.length - 1]);
      const conv = a.convOptions;
      groupsOf = (col) => conv[layers[col - 1].layer]?.groups ?? 1;
      const k = `${inputShape.join('x')}|${layers.map((l) => `${l.layer}:${l.y.shape.join('x')}`).join(',')}`;
      if (k !== key) {
        key = k;
        selected = null;
        actions.replaceChildren();
        cells = [];
        const column = (title: string, items: HTMLElement[]) => el('div', { class: 'net-col' }, el('div', { class: 'net-title' }, title), ...items);
        const digitCanvas = pixelCanvas(inputShape[2], inputShape[1], MAP * 1.6, MAP * 1.6);
        const what = inputShape.join() === '1,28,28' ? 'digit' : 'picture';
        const digitButton = el('button', { class: 'map', 'aria-label': `your ${what}` }, digitCanvas) as HTMLButtonElement;
        cells.push([digitButton]);
        const cols = [column(what, [digitButton])];
        layers.forEach((l, li) => {
          const s = l.y.shape;
          const n = s.length === 4 ? Math.min(MAX_MAPS, s[1]) : 1;
          const buttons = Array.from({ length: n }, (_, c) => {
            const canvas = s.length === 4 ? pixelCanvas(s[3], s[2], MAP, MAP) : pixelCanvas(1, s[1], 8, Math.min(200, s[1] * 2));
            const b = el('button', { class: 'map', 'aria-label': `${l.layer} map ${c} (overview)`, title: `${l.layer} map ${c}` }, canvas) as HTMLButtonElement;
            b.addEventListener('click', () => select(li + 1, c));
            return b;
          });
          cells.push(buttons);
          const more = s.length === 4 && s[1] > MAX_MAPS ? [el('div', { class: 'net-more' }, `+${s[1] - MAX_MAPS} more`)] : [];
          cols.push(column(`${l.layer} ${s.slice(1).join('×')}`, [...buttons, ...more]));
        });
        const scores = el('div', { class: 'net-scores', 'data-testid': 'network-scores' });
        cols.push(column('class scores', [scores]));
        columns.replaceChildren(...cols);
      }
      // Paint (every update: the weights change as the net trains).
      paintPicture((cells[0][0].firstChild as HTMLCanvasElement).getContext('2d')!, digit, 0, inputShape);
      layers.forEach((l, li) => {
        const s = l.y.shape, y = l.y.data;
        const scale = maxAbs(y);
        cells[li + 1].forEach((b, c) => {
          const ctx = (b.firstChild as HTMLCanvasElement).getContext('2d')!;
          if (s.length === 4) paintBlock(ctx, y, c * s[2] * s[3], s[2], s[3], scale, l.type === 'Conv2D' ? 'diverging' : 'grey');
          else paintBlock(ctx, y, 0, s[1], 1, scale, 'diverging');
        });
      });
      const best = probs.indexOf(Math.max(...probs));
      const scores = columns.querySelector('[data-testid=network-scores]')!;
      scores.replaceChildren(...Array.from(probs, (p, c) => {
        const bar = el('span', { class: 'bar' });
        bar.style.width = `${(p * 100).toFixed(1)}%`;
        return el('div', { class: `prob${c === best ? ' best' : ''}` }, el('span', { class: 'k' }, names[c] ?? String(c)), el('span', { class: 'track' }, bar), el('span', { class: 'p' }, `${(p * 100).toFixed(0)}%`));
      }));
      if (selected) { drawLines(); actions.replaceChildren(...explore(layers[selected.col - 1].layer, selected.k)); }
    },
  };
}
