// Convolution explorer: input size, kernel size, stride and padding; the kernel sliding over the
// (padded) input with each dot product written out; editable input and kernel; a backward mode
// with dW and dX for a chosen dY, the same numbers as `miniconv explain`. (Dilation and groups
// join the controls once Conv2D has them.)

import { type Explored, type Matrix, SEED_CASE, countingDy, dwTerms, dxTerms, explore, num, parseMatrix } from '../explorer-math.ts';
import { el, showMessage } from './dom.ts';

const STEP_MS = 900;

/** A factor of a written-out product: negative numbers in parentheses, 1·(-1) rather than 1·-1. */
const factor = (v: number) => (v < 0 ? `(${num(v)})` : num(v));

export function createExplorerPanel(): HTMLElement {
  const numberInput = (id: string, value: number, min: number, max: number, label: string) => {
    const input = el('input', { type: 'number', id, 'data-testid': id, value, min, max, step: 1 });
    return { input, field: el('label', { class: 'field' }, el('span', {}, label), input) };
  };
  const size = numberInput('explorer-size', 3, 1, 9, 'input size');
  const ksize = numberInput('explorer-kernel-size', 2, 1, 5, 'kernel size');
  const stride = numberInput('explorer-stride', 1, 1, 4, 'stride');
  const padding = numberInput('explorer-padding', 0, 0, 3, 'padding');
  const xText = el('textarea', { rows: 5, cols: 18, 'data-testid': 'explorer-input', 'aria-label': 'input values, one row per line', spellcheck: 'false' });
  const wText = el('textarea', { rows: 4, cols: 12, 'data-testid': 'explorer-kernel', 'aria-label': 'kernel values, one row per line', spellcheck: 'false' });
  const dyText = el('textarea', { rows: 4, cols: 12, 'data-testid': 'explorer-dy', 'aria-label': 'upstream gradient dy, one row per line', spellcheck: 'false' });
  const backward = el('input', { type: 'checkbox', 'data-testid': 'explorer-backward', id: 'explorer-backward' });
  const play = el('button', { 'data-testid': 'explorer-play' }, '▶ Play');
  const next = el('button', { 'data-testid': 'explorer-next' }, 'Next position');
  const seed = el('button', { 'data-testid': 'explorer-seed', title: 'the seed article\'s 3x3 input and 2x2 kernel' }, 'Seed example');
  const stage = el('div', { class: 'explorer-stage' });
  const sum = el('p', { class: 'dot', 'data-testid': 'explorer-sum', 'aria-live': 'polite' });
  const back = el('div', { class: 'explorer-back', hidden: true });
  const element = el('div', { class: 'panel-body' },
    el('p', { class: 'intro' }, 'One convolution (a cross-correlation, as in every deep-learning library) with every number written out: y[i][j] = sum over u, v of x[i*stride + u - pad][j*stride + v - pad] * w[u][v]. Edit the numbers, press Play to slide the kernel, or click an output. The backward mode gives dW and dX for an upstream gradient dy, the numbers of miniconv explain.'),
    el('div', { class: 'controls' }, size.field, ksize.field, stride.field, padding.field, seed),
    el('div', { class: 'explorer-edit' },
      el('label', { class: 'field' }, el('span', {}, 'input x'), xText),
      el('label', { class: 'field' }, el('span', {}, 'kernel w'), wText)),
    el('div', { class: 'buttons' }, play, next, el('label', { class: 'check inline' }, backward, ' backward mode (dW and dX)')),
    stage, sum, back);

  let r: Explored | null = null;
  let x: Matrix = SEED_CASE.x, w: Matrix = SEED_CASE.w;
  let at = 0; // the output position shown, i * OW + j
  let timer = 0;
  const text = (m: Matrix) => m.map((row) => row.map(num).join(' ')).join('\n');

  const recompute = () => {
    try {
      x = parseMatrix(xText.value, 'input x');
      w = parseMatrix(wText.value, 'kernel w');
      const s = Number(stride.input.value), p = Number(padding.input.value);
      let dy: Matrix | undefined;
      if (backward.checked) {
        dy = parseMatrix(dyText.value, 'dy');
      }
      r = explore({ x, w, stride: s, padding: p, dy });
      showMessage('');
    } catch (e) {
      // A dy of the old output size after a change of shape: back to the default dy of the new size.
      if (backward.checked && /dy must have/.test((e as Error).message)) {
        try {
          const s = Number(stride.input.value), p = Number(padding.input.value);
          r = explore({ x, w, stride: s, padding: p });
          dyText.value = text(r.dy);
          return recompute();
        } catch { /* report the original error */ }
      }
      r = null;
      showMessage(`explorer: ${(e as Error).message}`, 'error');
      stage.replaceChildren();
      sum.textContent = '';
      return;
    }
    at = Math.min(at, r.OH * r.OW - 1);
    render();
  };

  const grid = (m: Matrix, opts: { testid?: string; cls?: (i: number, j: number) => string; click?: (i: number, j: number) => void; caption: string }) => {
    const t = el('table', { class: 'grid', ...(opts.testid ? { 'data-testid': opts.testid } : {}), 'data-matrix': JSON.stringify(m) },
      el('caption', {}, opts.caption),
      el('tbody', {}, ...m.map((row, i) => el('tr', {}, ...row.map((v, j) => {
        const td = el('td', { class: opts.cls?.(i, j) ?? '' }, num(v));
        if (opts.click) {
          td.tabIndex = 0;
          td.addEventListener('click', () => opts.click!(i, j));
          td.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') opts.click!(i, j); });
        }
        return td;
      })))));
    return t;
  };

  const render = () => {
    if (!r) return;
    const s = Number(stride.input.value), p = Number(padding.input.value);
    const H = x.length, W = x[0].length;
    const i = Math.floor(at / r.OW), j = at % r.OW;
    const padded = Array.from({ length: H + 2 * p }, (_, a) => Array.from({ length: W + 2 * p }, (_, b) => {
      const ih = a - p, iw = b - p;
      return ih >= 0 && ih < H && iw >= 0 && iw < W ? x[ih][iw] : 0;
    }));
    const inWindow = (a: number, b: number) => a >= i * s && a < i * s + w.length && b >= j * s && b < j * s + w[0].length;
    const isPad = (a: number, b: number) => a < p || a >= H + p || b < p || b >= W + p;
    stage.replaceChildren(
      grid(padded, { caption: p > 0 ? `input x with ${p} ring${p > 1 ? 's' : ''} of zero padding` : 'input x', cls: (a, b) => `${isPad(a, b) ? 'pad' : ''} ${inWindow(a, b) ? 'win' : ''}` }),
      el('span', { class: 'op' }, '∗'),
      grid(w, { caption: 'kernel w', cls: () => 'win' }),
      el('span', { class: 'op' }, '='),
      grid(r.y, { caption: `output y (${r.OH}x${r.OW})`, testid: 'explorer-output', cls: (a, b) => (a === i && b === j ? 'cur' : ''), click: (a, b) => { stop(); at = a * r!.OW + b; render(); } }),
    );
    const terms = r.terms[i][j].map((t) => `${t.padded ? '0' : factor(t.x)}·${factor(t.w)}`);
    sum.textContent = `y[${i}][${j}] = ${terms.join(' + ')} = ${num(r.y[i][j])}`;
    back.hidden = !backward.checked;
    if (backward.checked) renderBackward(r, s, p, i, j);
  };

  const renderBackward = (e: Explored, s: number, p: number, i: number, j: number) => {
    const H = x.length, W = x[0].length, KH = w.length, KW = w[0].length;
    const c = { x, w, stride: s, padding: p };
    const written = (t: Array<{ dy: number; factor: number }>) => (t.length ? t.map((k) => `${factor(k.dy)}·${factor(k.factor)}`).join(' + ') : '0');
    const dwLines = [];
    for (let u = 0; u < KH; u++) for (let v = 0; v < KW; v++) dwLines.push(el('li', {}, `dW[${u}][${v}] = ${written(dwTerms(c, e, u, v))} = ${num(e.dw[u][v])}`));
    const dxLines = [];
    for (let ih = 0; ih < H; ih++) for (let iw = 0; iw < W; iw++) dxLines.push(el('li', {}, `dX[${ih}][${iw}] = ${written(dxTerms(c, e, ih, iw))} = ${num(e.dx[ih][iw])}`));
    back.replaceChildren(
      el('div', { class: 'explorer-edit' }, el('label', { class: 'field' }, el('span', {}, `upstream gradient dy (${e.OH}x${e.OW})`), dyText)),
      el('div', { class: 'explorer-stage' },
        grid(e.dw, { caption: 'dW = x correlated with dy', testid: 'explorer-dw' }),
        grid(e.dx, { caption: 'dX = dy fully convolved with w (w rotated 180°)', testid: 'explorer-dx' })),
      el('p', { class: 'hint' }, `Every product x·w in y[i][j] hands dy[i][j] back to both factors: w[u][v] collects dy[i][j]·x[..] (dW is the correlation of the input with dy), x[..] collects dy[i][j]·w[u][v] (dX is a transposed convolution: dy, spread by the stride, slid over by the kernel turned 180°). Now at y[${i}][${j}]: it adds ${num(e.dy[i][j])}·x under the window to dW.`),
      el('div', { class: 'formulas' }, el('ul', {}, ...dwLines), el('ul', {}, ...dxLines)));
  };

  const stop = () => { clearInterval(timer); timer = 0; play.textContent = '▶ Play'; };
  play.addEventListener('click', () => {
    if (timer) return stop();
    play.textContent = '❚❚ Pause';
    timer = window.setInterval(() => { if (r) { at = (at + 1) % (r.OH * r.OW); render(); } }, STEP_MS);
  });
  next.addEventListener('click', () => { if (r) { at = (at + 1) % (r.OH * r.OW); render(); } });
  const resize = () => {
    const n = Number(size.input.value), k = Number(ksize.input.value);
    if (!(Number.isInteger(n) && n >= 1 && n <= 9)) { showMessage(`explorer: input size must be an integer from 1 to 9, got ${size.input.value}`, 'error'); return; }
    if (!(Number.isInteger(k) && k >= 1 && k <= 5)) { showMessage(`explorer: kernel size must be an integer from 1 to 5, got ${ksize.input.value}`, 'error'); return; }
    xText.value = text(Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => a * n + b + 1)));
    // The seed kernel at 2x2; otherwise -1 at the top-left corner and +1 at the bottom-right, as the seed.
    wText.value = text(Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (k === 1 ? 1 : a === 0 && b === 0 ? -1 : a === k - 1 && b === k - 1 ? 1 : 0))));
    dyText.value = '';
    at = 0;
    recompute();
  };
  for (const f of [size.input, ksize.input]) f.addEventListener('change', resize);
  for (const f of [stride.input, padding.input]) f.addEventListener('change', () => { at = 0; recompute(); });
  for (const t of [xText, wText, dyText]) t.addEventListener('input', recompute);
  backward.addEventListener('change', () => {
    if (backward.checked && r && dyText.value.trim() === '') dyText.value = text(countingDy(r.OH, r.OW));
    recompute();
  });
  seed.addEventListener('click', () => {
    size.input.value = '3'; ksize.input.value = '2'; stride.input.value = '1'; padding.input.value = '0';
    xText.value = text(SEED_CASE.x); wText.value = text(SEED_CASE.w); dyText.value = backward.checked ? text(countingDy(2, 2)) : '';
    at = 0;
    recompute();
  });
  xText.value = text(SEED_CASE.x);
  wText.value = text(SEED_CASE.w);
  recompute();
  return element;
}
