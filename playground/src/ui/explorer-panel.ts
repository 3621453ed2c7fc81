// Convolution explorer: input size, kernel size, stride, padding, dilation, channels, filters and
// groups; the kernel sliding over the (padded) input with each dot product written out, the taps
// of a dilated kernel and the input channels each filter reads marked; editable input and kernel;
// a backward mode with dw and dx for a chosen dy, the same numbers as `miniconv explain`.
//
// Letters (docs/names.md): x (C, H, W), w (F, C/G, KH, KW), y and dy (F, OH, OW); f filter, c input
// channel, cg channel within the filter's group, i, j output, u, v kernel, ih, iw input.

import {
  type Explored, type Matrix, MAX_SIDE, SEED_CASE, blocksText, countingDy, defaultInput, defaultKernel, dwTerms, dxTerms, explore, groupOf, num, parseBlocks,
} from '../explorer-math.ts';
import { el, showMessage } from './dom.ts';

const STEP_MS = 900;

/** A factor of a written-out product: negative numbers in parentheses, 1·(-1) rather than 1·-1. */
const factor = (v: number) => (v < 0 ? `(${num(v)})` : num(v));

/** The common divisors of a and b: the groups that C and F allow. */
const commonDivisors = (a: number, b: number) => Array.from({ length: Math.min(a, b) }, (_, k) => k + 1).filter((g) => a % g === 0 && b % g === 0);

export function createExplorerPanel(): HTMLElement {
  const numberInput = (id: string, value: number, min: number, max: number, label: string, title?: string) => {
    const input = el('input', { type: 'number', id, 'data-testid': id, value, min, max, step: 1 });
    return { input, min, max, label, field: el('label', { class: 'field', title }, el('span', {}, label), input) };
  };
  const size = numberInput('explorer-size', 3, 1, MAX_SIDE, 'input size');
  const ksize = numberInput('explorer-kernel-size', 2, 1, 5, 'kernel size');
  const stride = numberInput('explorer-stride', 1, 1, 4, 'stride');
  const padding = numberInput('explorer-padding', 0, 0, 3, 'padding');
  const dilation = numberInput('explorer-dilation', 1, 1, 3, 'dilation', 'the spacing of the kernel\'s taps: 1 is an ordinary kernel');
  const channels = numberInput('explorer-channels', 1, 1, 4, 'channels C', 'input channels');
  const filters = numberInput('explorer-filters', 1, 1, 4, 'filters F', 'output channels');
  const groups = el('select', { id: 'explorer-groups', 'data-testid': 'explorer-groups' });
  const groupsField = el('label', { class: 'field', title: 'groups G must divide C and F; G = C is a depthwise convolution' }, el('span', {}, 'groups G'), groups);
  const xText = el('textarea', { rows: 5, cols: 18, 'data-testid': 'explorer-input', 'aria-label': 'input values: one row per line, channels separated by a blank line', spellcheck: 'false' });
  const wText = el('textarea', { rows: 4, cols: 12, 'data-testid': 'explorer-kernel', 'aria-label': 'kernel values: one row per line, kernel planes separated by a blank line', spellcheck: 'false' });
  const dyText = el('textarea', { rows: 4, cols: 12, 'data-testid': 'explorer-dy', 'aria-label': 'upstream gradient dy: one row per line, filters separated by a blank line', spellcheck: 'false' });
  const xLabel = el('span', {}), wLabel = el('span', {}), dyLabel = el('span', {});
  const backward = el('input', { type: 'checkbox', 'data-testid': 'explorer-backward', id: 'explorer-backward' });
  const play = el('button', { 'data-testid': 'explorer-play' }, '▶ Play');
  const next = el('button', { 'data-testid': 'explorer-next' }, 'Next position');
  const seed = el('button', { 'data-testid': 'explorer-seed', title: 'the seed article\'s 3x3 input and 2x2 kernel' }, 'Seed example');
  const stage = el('div', { class: 'explorer-stage' });
  const sum = el('p', { class: 'dot', 'data-testid': 'explorer-sum', 'aria-live': 'polite' });
  const back = el('div', { class: 'explorer-back', hidden: true });
  const origin = el('p', { class: 'hint', 'data-testid': 'explorer-origin', hidden: true });
  // A case from the Draw panel with several input channels: which one the explorer shows.
  const channel = el('select', { 'data-testid': 'explorer-channel', 'aria-label': 'the input channel shown' });
  const channelField = el('label', { class: 'field', hidden: true }, el('span', {}, 'input channel shown'), channel);
  const element = el('div', { class: 'panel-body' },
    el('p', { class: 'intro' }, 'One convolution (a cross-correlation, as in every deep-learning library) with every number written out: y[f][i][j] = sum over cg, u, v of x[c][i*stride + u*dilation - pad][j*stride + v*dilation - pad] * w[f][cg][u][v], where filter f reads only the C/G input channels c = g*C/G + cg of its group g. Edit the numbers, press Play to slide the kernel, or click an output. Dilation spreads the kernel\'s taps apart; groups = C is a depthwise convolution. The backward mode gives dw and dx for an upstream gradient dy, the numbers of miniconv explain.'),
    origin, channelField,
    el('div', { class: 'controls' }, size.field, ksize.field, stride.field, padding.field, dilation.field, channels.field, filters.field, groupsField, seed),
    el('div', { class: 'explorer-edit' },
      el('label', { class: 'field' }, xLabel, xText),
      el('label', { class: 'field' }, wLabel, wText)),
    el('div', { class: 'buttons' }, play, next, el('label', { class: 'check inline' }, backward, ' backward mode (dw and dx)')),
    stage, sum, back);

  let r: Explored | null = null;
  let x: Matrix[] = SEED_CASE.x, w: Matrix[][] = SEED_CASE.w;
  let at = 0; // the output position shown, (f * OH + i) * OW + j
  let choices: ExploreCase['choices'] = []; // a case from the Draw panel: its input channels
  let whole: ExploreCase['whole'] = undefined; // and the real feature map, when the explorer shows all of it
  let timer = 0;
  const count = () => ({ C: Number(channels.input.value), F: Number(filters.input.value), G: Number(groups.value) });

  const settings = () => {
    for (const n of [stride, padding, dilation]) {
      const v = Number(n.input.value);
      if (!(Number.isInteger(v) && v >= n.min && v <= n.max)) throw new RangeError(`${n.label} must be an integer from ${n.min} to ${n.max}, got ${n.input.value}`);
    }
    return { stride: Number(stride.input.value), padding: Number(padding.input.value), dilation: Number(dilation.input.value), groups: count().G };
  };

  /** The names of the text boxes' blocks, and the labels above the boxes, for the current C, F and G. */
  const labels = () => {
    const { C, F, G } = count(), CG = C / G;
    xLabel.textContent = C === 1 ? 'input x' : `input x: ${C} channels x[0] .. x[${C - 1}], a blank line between`;
    wLabel.textContent = F * CG === 1 ? 'kernel w' : `kernel w: ${F * CG} planes w[0][0], w[0][1], .. w[${F - 1}][${CG - 1}] (filter, channel of its group), a blank line between`;
    dyLabel.textContent = `upstream gradient dy${F > 1 ? `: ${F} planes dy[0] .. dy[${F - 1}], a blank line between` : ''}`;
  };

  /** Text boxes as tall as their numbers (a few channels or planes, a blank line between). */
  const fit = () => { for (const t of [xText, wText, dyText]) t.rows = Math.min(Math.max(t.value.split('\n').length, 3), 20); };

  const recompute = () => {
    fit();
    const { C, F, G } = count(), CG = C / G;
    try {
      const opts = settings();
      x = parseBlocks(xText.value, 'input x', C, (c) => `x[${c}]`);
      w = parseBlocks(wText.value, 'kernel w', F * CG, (k) => `w[${Math.floor(k / CG)}][${k % CG}]`).reduce<Matrix[][]>((a, m, k) => {
        if (k % CG === 0) a.push([]);
        a[a.length - 1].push(m);
        return a;
      }, []);
      let dy: Matrix[] | undefined;
      if (backward.checked) dy = parseBlocks(dyText.value, 'dy', F, (f) => `dy[${f}]`);
      r = explore({ x, w, ...opts, dy });
      showMessage('');
    } catch (e) {
      let error = e as Error;
      // A dy of the old output size after a change of shape: back to the default dy of the new size.
      if (backward.checked && /dy must have|^dy has/.test(error.message)) {
        try {
          r = explore({ x, w, ...settings() });
          dyText.value = blocksText(r.dy);
          return recompute();
        } catch (shapeError) {
          // No dy fits because the shapes themselves are wrong (a kernel larger than the input): say that.
          error = shapeError as Error;
        }
      }
      r = null;
      showMessage(`explorer: ${error.message}`, 'error');
      stage.replaceChildren();
      sum.textContent = '';
      back.replaceChildren();
      return;
    }
    at = Math.min(at, r.F * r.OH * r.OW - 1);
    render();
  };

  const grid = (m: Matrix, opts: { cls?: (i: number, j: number) => string; title?: (i: number, j: number) => string | undefined; click?: (i: number, j: number) => void; caption: string; tableClass?: string }) =>
    el('table', { class: `grid ${opts.tableClass ?? ''}` },
      el('caption', {}, opts.caption),
      el('tbody', {}, ...m.map((row, i) => el('tr', {}, ...row.map((v, j) => {
        const td = el('td', { class: opts.cls?.(i, j) ?? '', title: opts.title?.(i, j) }, num(v));
        if (opts.click) {
          td.tabIndex = 0;
          td.addEventListener('click', () => opts.click!(i, j));
          td.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') opts.click!(i, j); });
        }
        return td;
      })))));

  /** A group of grids under one test id, holding the whole stack of numbers in data-matrix. */
  const stack = (testid: string, data: unknown, title: string, ...grids: HTMLElement[]) =>
    el('div', { class: 'grid-stack', 'data-testid': testid, 'data-matrix': JSON.stringify(data) }, el('div', { class: 'stack-title' }, title), el('div', { class: 'stack-grids' }, ...grids));

  const position = (e: Explored) => {
    const f = Math.floor(at / (e.OH * e.OW)), i = Math.floor(at / e.OW) % e.OH, j = at % e.OW;
    return { f, i, j };
  };

  const render = () => {
    if (!r) return;
    const e = r, { C, F, CG, H, W, KH, KW, OH, OW, pad: p } = e;
    const { f, i, j } = position(e);
    const { channels: read } = groupOf(e, f);
    const terms = e.terms[f][i][j];
    // Names as `miniconv explain` writes them: the channel and filter indices left out when there is one.
    const xName = (c: number, ih: number, iw: number) => (C === 1 ? `x[${ih}][${iw}]` : `x[${c}][${ih}][${iw}]`);
    const wName = (ff: number, cg: number, u: number, v: number) => (F === 1 && CG === 1 ? `w[${u}][${v}]` : `w[${ff}][${cg}][${u}][${v}]`);
    const yName = (ff: number, a: number, b: number) => (F === 1 ? `y[${a}][${b}]` : `y[${ff}][${a}][${b}]`);
    const inputGrids = x.map((m, c) => {
      const padded = Array.from({ length: H + 2 * p }, (_, a) => Array.from({ length: W + 2 * p }, (_, b) => {
        const ih = a - p, iw = b - p;
        return ih >= 0 && ih < H && iw >= 0 && iw < W ? m[ih][iw] : 0;
      }));
      const reads = read.includes(c);
      const tap = (a: number, b: number) => (reads ? terms.find((t) => t.c === c && t.ih === a - p && t.iw === b - p) : undefined);
      const top = i * e.stride, left = j * e.stride; // the window's corner, in padded coordinates
      const inSpan = (a: number, b: number) => a >= top && a < top + e.dil * (KH - 1) + 1 && b >= left && b < left + e.dil * (KW - 1) + 1;
      const isPad = (a: number, b: number) => a < p || a >= H + p || b < p || b >= W + p;
      const caption = `${C > 1 ? `x[${c}]` : ''}${p > 0 ? `${C > 1 ? ', ' : ''}${p} ring${p > 1 ? 's' : ''} of zero padding` : ''}${reads ? '' : `: not read by filter ${f}`}`;
      return grid(padded, {
        caption, tableClass: reads ? '' : 'unread',
        cls: (a, b) => `${isPad(a, b) ? 'pad' : ''} ${tap(a, b) ? 'win' : reads && e.dil > 1 && inSpan(a, b) ? 'gap' : ''}`,
        title: (a, b) => { const t = tap(a, b); return t ? `${wName(f, t.cg, t.u, t.v)} meets ${t.padded ? 'the zero padding' : xName(c, t.ih, t.iw)}` : undefined; },
      });
    });
    const kernelGrids = w[f].map((m, cg) => grid(m, { caption: `${F === 1 && CG === 1 ? '' : `w[${f}][${cg}]`}${C > 1 ? `: reads x[${read[cg]}]` : ''}`, cls: () => 'win' }));
    const outputGrids = e.y.map((m, ff) => grid(m, {
      caption: F === 1 ? '' : `y[${ff}]`,
      cls: (a, b) => (ff === f && a === i && b === j ? 'cur' : ''),
      click: (a, b) => { stop(); at = (ff * OH + a) * OW + b; render(); },
    }));
    stage.replaceChildren(
      stack('explorer-x', x, C > 1 ? `input x (${C}x${H}x${W})` : `input x (${H}x${W})`, ...inputGrids),
      el('span', { class: 'op' }, '∗'),
      stack('explorer-w', w[f], F === 1 && CG === 1 ? `kernel w (${KH}x${KW})${e.dil > 1 ? `, dilation ${e.dil}` : ''}` : `filter ${f}: w[${f}] (${CG}x${KH}x${KW})${e.dil > 1 ? `, dilation ${e.dil}` : ''}`, ...kernelGrids),
      el('span', { class: 'op' }, '='),
      stack('explorer-output', e.y, F > 1 ? `output y (${F}x${OH}x${OW})` : `output y (${OH}x${OW})`, ...outputGrids),
    );
    const symbols = terms.map((t) => `${t.padded ? '0' : xName(t.c, t.ih, t.iw)}·${wName(f, t.cg, t.u, t.v)}`);
    const values = terms.map((t) => `${t.padded ? '0' : factor(t.x)}·${factor(t.w)}`);
    const lead = `${yName(f, i, j)} = `;
    const notes = [
      e.dil > 1 ? `dilation ${e.dil}: ${F === 1 && CG === 1 ? 'w[u][v]' : 'w[f][cg][u][v]'} meets row i*${e.stride} + u*${e.dil} - ${p}, column j*${e.stride} + v*${e.dil} - ${p}; the window spans ${e.dil * (KH - 1) + 1}x${e.dil * (KW - 1) + 1}, its taps solid, the cells it skips hatched` : '',
      e.G > 1 ? `groups ${e.G}: filter ${f} is in group ${groupOf(e, f).g} and reads channel${read.length > 1 ? 's' : ''} ${read.join(', ')}${e.G === C ? ' (depthwise)' : ''}` : '',
      terms.some((t) => t.padded) ? '0 = the zero padding' : '',
    ].filter((s) => s !== '');
    sum.textContent = `${lead}${symbols.join(' + ')}\n${' '.repeat(lead.length - 2)}= ${values.join(' + ')}\n${' '.repeat(lead.length - 2)}= ${num(e.y[f][i][j])}${notes.length ? `\n(${notes.join('; ')})` : ''}`;
    // A deeper layer's map from the Draw panel: the real value there, the bias plus every channel's part.
    const real = whole && whole.y.length === OH && whole.y[0].length === OW ? whole.y[i][j] : undefined;
    sum.dataset.real = real === undefined ? '' : String(real);
    if (real !== undefined) sum.textContent += `\n(${whole!.name} here: b + the sum of this over all ${choices.length} channels = ${num(real)})`;
    back.hidden = !backward.checked;
    if (backward.checked) renderBackward(e, f, i, j, { xName, wName });
  };

  const renderBackward = (e: Explored, f: number, i: number, j: number, names: { xName: (c: number, ih: number, iw: number) => string; wName: (f: number, cg: number, u: number, v: number) => string }) => {
    const { C, F, CG, H, W, KH, KW, OH, OW } = e;
    const c = { x, w, stride: e.stride, padding: e.pad, dilation: e.dil, groups: e.G, dy: e.dy };
    const dyName = (ff: number, a: number, b: number) => (F === 1 ? `dy[${a}][${b}]` : `dy[${ff}][${a}][${b}]`);
    const written = (t: Array<{ dy: number; factor: number }>) => (t.length ? t.map((k) => `${factor(k.dy)}·${factor(k.factor)}`).join(' + ') : '0');
    const dwLines = [], dxLines = [];
    for (let ff = 0; ff < F; ff++) for (let cg = 0; cg < CG; cg++) for (let u = 0; u < KH; u++) for (let v = 0; v < KW; v++) {
      dwLines.push(el('li', {}, `d${names.wName(ff, cg, u, v)} = ${written(dwTerms(c, e, ff, cg, u, v))} = ${num(e.dw[ff][cg][u][v])}`));
    }
    for (let ch = 0; ch < C; ch++) for (let ih = 0; ih < H; ih++) for (let iw = 0; iw < W; iw++) {
      dxLines.push(el('li', {}, `d${names.xName(ch, ih, iw)} = ${written(dxTerms(c, e, ch, ih, iw))} = ${num(e.dx[ch][ih][iw])}`));
    }
    const dwGrids = e.dw.flatMap((wf, ff) => wf.map((m, cg) => grid(m, { caption: F === 1 && CG === 1 ? '' : `dw[${ff}][${cg}]` })));
    const dxGrids = e.dx.map((m, ch) => grid(m, { caption: C === 1 ? '' : `dx[${ch}]` }));
    const { channels: read } = groupOf(e, f);
    back.replaceChildren(
      el('div', { class: 'explorer-edit' }, el('label', { class: 'field' }, dyLabel, dyText)),
      el('div', { class: 'explorer-stage' },
        stack('explorer-dw', e.dw, `dw = x correlated with dy${e.dil > 1 ? ' (at the dilated taps)' : ''}`, ...dwGrids),
        stack('explorer-dx', e.dx, `dx = dy fully convolved with w (w rotated 180°${e.dil > 1 ? ', its taps spread' : ''})`, ...dxGrids)),
      el('p', { class: 'hint' }, `Every product x·w in y[f][i][j] hands dy[f][i][j] back to both factors: w collects dy·x (dw is the correlation of the input with dy), x collects dy·w (dx is a transposed convolution: dy, spread by the stride, slid over by the kernel turned 180°). ${e.G > 1 ? `With groups, dx of a channel gathers only from the filters of its group. ` : ''}Now at ${F === 1 ? `y[${i}][${j}]` : `y[${f}][${i}][${j}]`}: it adds ${num(e.dy[f][i][j])}·x under the taps to dw[${f}] and ${num(e.dy[f][i][j])}·w[${f}] to dx of channel${read.length > 1 ? 's' : ''} ${read.join(', ')}. (${dyName(f, i, j)} = ${num(e.dy[f][i][j])}; dy is ${F > 1 ? `${F}x` : ''}${OH}x${OW}.)`),
      el('div', { class: 'formulas' }, el('ul', {}, ...dwLines), el('ul', {}, ...dxLines)));
  };

  const stop = () => { clearInterval(timer); timer = 0; play.textContent = '▶ Play'; };
  const step = () => { if (r) { at = (at + 1) % (r.F * r.OH * r.OW); render(); } };
  play.addEventListener('click', () => {
    if (timer) return stop();
    play.textContent = '❚❚ Pause';
    timer = window.setInterval(step, STEP_MS);
  });
  next.addEventListener('click', step);

  /** The groups C and F allow; keeps the chosen one if it still divides both, else the largest below it that does. */
  const fillGroups = () => {
    const C = Number(channels.input.value), F = Number(filters.input.value), old = Number(groups.value || 1);
    const options = commonDivisors(C, F);
    const keep = options.filter((g) => g <= old).at(-1) ?? 1;
    groups.replaceChildren(...options.map((g) => el('option', { value: g, selected: g === keep }, g === C && C > 1 ? `${g} (depthwise)` : String(g))));
    groups.value = String(keep);
  };

  /**
   * New default numbers for a new shape: the kernel, dy (in backward mode) and, when the input's
   * shape changed (`keepInput` false), the input; a change of kernel size, filters or groups keeps an edited input.
   */
  const reshape = (keepInput: boolean) => {
    for (const n of [size, ksize, channels, filters]) {
      const v = Number(n.input.value);
      if (!(Number.isInteger(v) && v >= n.min && v <= n.max)) { showMessage(`explorer: ${n.label} must be an integer from ${n.min} to ${n.max}, got ${n.input.value}`, 'error'); return; }
    }
    fillGroups();
    const { C, F, G } = count();
    if (!keepInput) xText.value = blocksText(defaultInput(C, Number(size.input.value)));
    wText.value = blocksText(defaultKernel(F, C / G, Number(ksize.input.value)).flat());
    dyText.value = '';
    at = 0;
    labels();
    recompute();
  };
  for (const f of [size.input, channels.input]) f.addEventListener('change', () => reshape(false));
  for (const f of [ksize.input, filters.input, groups]) f.addEventListener('change', () => reshape(true));
  for (const f of [stride.input, padding.input, dilation.input]) f.addEventListener('change', () => { at = 0; recompute(); });
  for (const t of [xText, wText, dyText]) t.addEventListener('input', recompute);
  backward.addEventListener('change', () => {
    if (backward.checked && r && dyText.value.trim() === '') dyText.value = blocksText(countingDy(r.F, r.OH, r.OW));
    recompute();
  });
  seed.addEventListener('click', () => {
    origin.hidden = true;
    channelField.hidden = true;
    choices = [];
    whole = undefined;
    size.input.value = '3'; ksize.input.value = '2'; stride.input.value = '1'; padding.input.value = '0';
    dilation.input.value = '1'; channels.input.value = '1'; filters.input.value = '1';
    fillGroups();
    xText.value = blocksText(SEED_CASE.x); wText.value = blocksText(SEED_CASE.w.flat()); dyText.value = backward.checked ? blocksText(countingDy(1, 2, 2)) : '';
    at = 0;
    labels();
    recompute();
  });
  fillGroups();
  labels();
  xText.value = blocksText(SEED_CASE.x);
  wText.value = blocksText(SEED_CASE.w.flat());
  recompute();

  // A feature map clicked in the Draw panel: its kernel over the patch of the student's own picture,
  // or of the maps of the layer before, under it (the bias left out), ready to Play. With several
  // input channels the explorer shows one at a time, its own kernel over its own map: a deeper
  // layer's map is the bias plus the sum of these over the channels (the note says so).
  const show = (k: number, keepAt: boolean) => {
    const c = choices[k];
    size.input.value = String(c.x.length); ksize.input.value = String(c.w.length);
    channels.input.value = '1'; filters.input.value = '1';
    fillGroups();
    xText.value = blocksText([c.x]); wText.value = blocksText([c.w]); dyText.value = '';
    if (!keepAt) at = 0;
    labels();
    recompute();
  };
  channel.addEventListener('change', () => { stop(); show(Number(channel.value), true); });
  window.addEventListener('explore-case', (ev) => {
    const c = (ev as CustomEvent<ExploreCase>).detail;
    stop();
    choices = c.choices;
    whole = c.whole;
    stride.input.value = String(c.stride); padding.input.value = String(c.padding); dilation.input.value = String(c.dilation);
    backward.checked = false;
    origin.hidden = false;
    origin.textContent = c.note;
    channel.replaceChildren(...choices.map((ch, k) => el('option', { value: k, selected: k === c.pick }, ch.label)));
    channel.value = String(c.pick);
    channelField.hidden = choices.length < 2;
    show(c.pick, false);
  });
  return element;
}

/**
 * What the Draw panel sends the explorer: where the numbers come from, the convolution's options,
 * and per input channel its patch (or whole map) and its kernel; `pick` is the channel shown first.
 */
export interface ExploreCase {
  note: string; stride: number; padding: number; dilation: number; choices: Array<{ label: string; x: Matrix; w: Matrix }>; pick: number;
  /** A deeper layer sent whole: the real feature map (bias included, OH x OW) and its name. */
  whole?: { name: string; y: Matrix };
}
