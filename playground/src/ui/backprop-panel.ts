// Backprop on your digit: the learner states the true label and takes one SGD step on the drawn
// digit, shown stage by stage as the gradient flows down (pictures, and the numbers on hover): the
// softmax gradient, each Dense layer's dW (an outer product), ReLU's mask, max-pool routing the
// gradient to each window's argmax, each conv layer's dW (the correlation of its input with the
// incoming gradient) and dX (a transposed convolution); then the first layer's kernels before and
// after, and how the probability of the true label changed, on the digit and on a few held-out
// ones. One stage at a time (a stepper). A confident prediction is said to be one, with what to try
// instead. The numbers come from the worker (inspect-net.ts: the layers' own passes, float64 copy).

import type { BackpropReport, BackpropStage, Plain } from '../inspect-net.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, pixelCanvas, showMessage } from './dom.ts';
import { divergingLegend, maxAbs, paintBlock, paintPicture } from './paint.ts';
import type { TaskInfo } from '../protocol.ts';

type Describe = (i: number, j: number) => string;

/** A matrix as a picture; hovering a cell shows its formula and numbers in `readout`. */
function heatmap(data: ArrayLike<number>, offset: number, h: number, w: number, mode: 'diverging' | 'grey', caption: string, describe: Describe, readout: HTMLElement, cssCell?: number | [number, number]): HTMLElement {
  const auto = Math.max(2, Math.min(12, Math.floor(240 / Math.max(h, w))));
  const [cw, ch] = Array.isArray(cssCell) ? cssCell : [cssCell ?? auto, cssCell ?? auto];
  const canvas = el('canvas', { width: w, height: h, class: 'pixels heat', tabindex: '0', 'aria-label': caption });
  canvas.style.width = `${w * cw}px`;
  canvas.style.aspectRatio = `${w * cw} / ${h * ch}`; // so that max-width: 100% keeps the shape on a phone
  const scale = mode === 'grey' ? Math.max(1e-12, rangeMax(data, offset, h * w)) : maxAbs(data, offset, offset + h * w);
  paintBlock(canvas.getContext('2d')!, data, offset, h, w, scale, mode);
  const show = (ev: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    const j = Math.min(w - 1, Math.floor(((ev.clientX - r.left) / r.width) * w));
    const i = Math.min(h - 1, Math.floor(((ev.clientY - r.top) / r.height) * h));
    readout.textContent = describe(i, j);
  };
  canvas.addEventListener('mousemove', show);
  // From the keyboard: focus the picture (Tab), then move over its cells with the arrow keys.
  let ki = 0, kj = 0;
  canvas.addEventListener('focus', () => { readout.textContent = describe(ki, kj); });
  canvas.addEventListener('keydown', (ev) => {
    const move: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const d = move[ev.key];
    if (!d) return;
    ev.preventDefault();
    ki = Math.max(0, Math.min(h - 1, ki + d[0]));
    kj = Math.max(0, Math.min(w - 1, kj + d[1]));
    readout.textContent = describe(ki, kj);
  });
  return el('figure', { class: 'heat-fig' }, canvas, el('figcaption', {}, caption, el('br'), el('span', { class: 'scale' }, mode === 'grey' ? `0 … ${fmt(scale, 3)}` : `±${fmt(scale, 3)}`)));
}

function rangeMax(d: ArrayLike<number>, o: number, n: number): number {
  let m = 0;
  for (let k = 0; k < n; k++) m = Math.max(m, d[o + k]);
  return m;
}

export function createBackpropPanel(client: WorkerClient, digit: () => Float32Array | null): HTMLElement {
  // The current model's classes (digits 0..9, or your own classes' names): 'ready' says which.
  let task: TaskInfo = { kind: 'digits', classes: Array.from({ length: 10 }, (_, k) => String(k)), inputShape: [1, 28, 28], epochs: null };
  const name = (k: number) => task.classes[k] ?? String(k);
  const label = el('select', { 'data-testid': 'backprop-label', 'aria-label': 'true label' }, ...task.classes.map((c, k) => el('option', { value: k }, c)));
  const lr = el('input', { type: 'number', step: 'any', min: '0.0001', max: '10', value: '0.1', 'data-testid': 'backprop-lr', 'aria-label': 'learning rate of the step' });
  const go = el('button', { class: 'primary', 'data-testid': 'backprop-step' }, 'Take one SGD step on my digit');
  const out = el('div', { class: 'backprop', 'data-testid': 'backprop-stages' });
  let thumb = pixelCanvas(28, 28, 84, 84, { 'data-testid': 'backprop-digit', 'aria-label': 'your digit, as the net sees it' });
  const noDigit = el('p', { class: 'hint' }, 'No digit yet: draw one in the Draw panel.');
  const showDigit = () => {
    const d = digit(), shape = task.inputShape;
    const ok = d !== null && d.length === shape[0] * shape[1] * shape[2];
    noDigit.hidden = ok;
    thumb.hidden = !ok;
    if (ok) paintPicture(thumb.getContext('2d')!, d, 0, shape);
  };
  client.on('ready', (m) => {
    const changed = m.task.classes.join('\n') !== task.classes.join('\n') || m.task.inputShape.join() !== task.inputShape.join();
    task = m.task;
    if (!changed) return;
    label.replaceChildren(...task.classes.map((c, k) => el('option', { value: k }, c)));
    const next = pixelCanvas(task.inputShape[2], task.inputShape[1], 84, 84, { 'data-testid': 'backprop-digit', 'aria-label': `your ${task.kind === 'classes' ? 'picture' : 'digit'}, as the net sees it` });
    go.textContent = task.kind === 'classes' ? 'Take one SGD step on my picture' : 'Take one SGD step on my digit';
    intro.textContent = task.kind === 'classes' ? INTRO.replace('Draw a digit in the Draw panel', 'Draw or upload a picture in the Draw panel') : INTRO;
    thumb.replaceWith(next);
    thumb = next;
    noDigit.textContent = task.kind === 'classes' ? 'No picture yet: draw or upload one in the Draw panel.' : 'No digit yet: draw one in the Draw panel.';
    out.replaceChildren();
    showDigit();
  });
  window.addEventListener('panel-open', showDigit);
  showDigit();
  const INTRO = 'Draw a digit in the Draw panel, say what it really is, and take one step of gradient descent on it alone. The gradient of the loss flows from the output back to the first layer; step through the stages below, each one layer\'s own backward pass (previous / next, or the arrow keys), computed on a double-precision copy of the weights with miniconv\'s naive kernels (the training run is not changed).';
  const intro = el('p', { class: 'intro' }, INTRO);
  const readout = el('div', { class: 'readout', 'aria-live': 'polite', 'data-testid': 'backprop-readout' }, 'Hover over a picture to read its numbers.');
  const element = el('div', { class: 'panel-body' },
    intro,
    el('div', { class: 'controls' }, el('figure', { class: 'heat-fig' }, thumb, noDigit), el('label', { class: 'field' }, el('span', {}, 'true label'), label), el('label', { class: 'field' }, el('span', {}, 'learning rate'), lr), go),
    readout, out);
  element.tabIndex = -1;

  /** One step on the drawn digit (on a fresh untrained net when `fresh`). */
  const run = async (fresh = false) => {
    const d = digit(), shape = task.inputShape;
    if (!d || d.length !== shape[0] * shape[1] * shape[2]) { showMessage(`backprop: ${task.kind === 'classes' ? 'draw or upload a picture' : 'draw a digit'} in the Draw panel first`, 'error'); return; }
    const rate = Number(lr.value);
    if (!(rate > 0 && rate <= 10)) { showMessage(`backprop: the learning rate must be a number in (0, 10], got ${lr.value}`, 'error'); return; }
    showMessage('');
    try {
      render((await client.backprop(d, Number(label.value), rate, fresh)).report, fresh);
    } catch {
      // the worker's error is on the page's status line already
    }
  };
  go.addEventListener('click', () => run());

  // The stepper: one stage of the backward pass at a time (buttons, or the arrow keys anywhere in
  // the panel but on a picture or a field, where they have their own use).
  let stages: HTMLElement[] = [];
  let current = 0;
  const prev = el('button', { 'data-testid': 'backprop-prev', 'aria-label': 'previous stage' }, '◀ previous stage');
  const next = el('button', { 'data-testid': 'backprop-next', 'aria-label': 'next stage' }, 'next stage ▶');
  const where = el('span', { class: 'stage-where', 'data-testid': 'backprop-stage', 'aria-live': 'polite' });
  const stepper = el('div', { class: 'stepper', hidden: true }, prev, where, next);
  const show = (k: number) => {
    current = Math.max(0, Math.min(stages.length - 1, k));
    stages.forEach((st, i) => { st.hidden = i !== current; });
    where.textContent = `stage ${current + 1} of ${stages.length}: ${stages[current]?.dataset.title ?? ''}`;
    prev.disabled = current === 0;
    next.disabled = current === stages.length - 1;
  };
  prev.addEventListener('click', () => show(current - 1));
  next.addEventListener('click', () => show(current + 1));
  // On the document: a stepper button that became disabled (at either end) drops the focus to the body.
  document.addEventListener('keydown', (ev) => {
    const t = ev.target as HTMLElement;
    if (stages.length === 0 || element.offsetParent === null || /^(CANVAS|INPUT|SELECT|TEXTAREA)$/.test(t.tagName) || t.getAttribute('role') === 'tab') return;
    if (ev.key === 'ArrowRight') { ev.preventDefault(); show(current + 1); }
    if (ev.key === 'ArrowLeft') { ev.preventDefault(); show(current - 1); }
  });

  function render(r: BackpropReport, fresh: boolean): void {
    const y = r.label;
    const parts: HTMLElement[] = [];
    const flow: HTMLElement[] = []; // the stages of the backward pass, one at a time in the stepper
    // The result first: what the step did.
    parts.push(el('section', { class: 'stage result', 'data-testid': 'backprop-result' },
      el('h3', {}, 'What one step did'),
      el('p', {}, `P(true label ${name(y)}) went from ${(r.probs[y] * 100).toFixed(2)}% to `, el('strong', { 'data-testid': 'backprop-p-after', 'data-p-before': r.probs[y], 'data-p-after': r.probsAfter[y] }, `${(r.probsAfter[y] * 100).toFixed(2)}%`),
        `; the loss -log P(${name(y)}) from ${r.loss.toFixed(4)} to ${r.lossAfter.toFixed(4)} (learning rate ${fmt(r.lr)}).`),
      el('p', { 'data-testid': 'backprop-sizes' }, sizesInWords(r, fresh)),
      probsTable(r)));
    if (r.confident) parts.push(confidentNote(r));
    if (r.others) parts.push(othersView(r));
    // Softmax cross-entropy.
    flow.push(el('section', { class: 'stage', 'data-title': 'softmax cross-entropy' }, el('h3', {}, '1. Softmax cross-entropy: dL/dlogits = probs - onehot(label)'),
      el('p', { class: 'hint' }, 'The loss is -log of the probability given to the true label. Its gradient on the logits is that simple: every wrong class is pushed down by its probability, the true class pulled up by 1 - its probability.'),
      vectorFigure(r.dlogits, 'dL/dlogits', (k) => `dL/dlogit[${k}] = p[${k}] - ${k === y ? 1 : 0} = ${fmt(r.probs[k])} - ${k === y ? 1 : 0} = ${fmt(r.dlogits[k])}`)));
    let n = 2;
    for (let s = r.stages.length - 1; s >= 0; s--) {
      const section = stageView(r.stages[s], n);
      if (section) { section.dataset.title = `${r.stages[s].layer} (${r.stages[s].type})`; flow.push(section); n++; }
    }
    if (r.kernelsBefore && r.kernelsAfter && r.kernelsLayer) {
      const k = kernelsBeforeAfter(r.kernelsBefore, r.kernelsAfter, r.kernelsLayer);
      k.dataset.title = `the ${r.kernelsLayer} kernels before and after`;
      flow.push(k);
    }
    stages = flow;
    stepper.hidden = false;
    out.replaceChildren(...parts, stepper, ...flow);
    show(0);
  }

  /** The loss and the gradients' size, in words: why a step does or does not show. */
  function sizesInWords(r: BackpropReport, fresh: boolean): string {
    const size = r.maxGrad < 1e-6 ? 'tiny' : r.maxGrad < 1e-3 ? 'small' : r.maxGrad < 0.1 ? 'moderate' : 'large';
    const move = r.lr * r.maxGrad;
    return `${fresh ? 'On a fresh, untrained net: the' : 'The'} loss is ${fmt(r.loss, 3)} and the largest weight gradient is ${fmt(r.maxGrad, 2)} (${size}), ` +
      `so no weight moves by more than lr × ${fmt(r.maxGrad, 2)} = ${fmt(move, 2)}${move < 1e-6 ? ': nothing you could see' : ''}.`;
  }

  /** A confident prediction teaches nothing by itself: say why, and offer what does. */
  function confidentNote(r: BackpropReport): HTMLElement {
    const y = r.label, u = r.runnerUp;
    const runnerUp = el('button', { 'data-testid': 'backprop-runner-up' }, `Step with label ${name(u)} instead (the runner-up, ${(r.probs[u] * 100).toPrecision(2)}%)`);
    const fresh = el('button', { 'data-testid': 'backprop-fresh' }, 'Step on a fresh, untrained net');
    const larger = el('button', { 'data-testid': 'backprop-larger-lr' }, `Step with a 10x larger learning rate (${fmt(Math.min(10, r.lr * 10))})`);
    runnerUp.addEventListener('click', () => { label.value = String(u); run(); });
    fresh.addEventListener('click', () => run(true));
    larger.addEventListener('click', () => { lr.value = String(Math.min(10, r.lr * 10)); run(); });
    return el('section', { class: 'stage note', 'data-testid': 'backprop-confident' },
      el('h3', {}, `The net is already ${(r.probs[y] * 100).toFixed(2)}% sure this is a ${name(y)}`),
      el('p', {}, `The gradient of the loss is p - onehot(label): with P(${y}) that close to 1 every entry is nearly 0, and so is every gradient below it. One step on this digit cannot change much. To see learning happen:`),
      el('div', { class: 'buttons' }, runnerUp, fresh, larger));
  }

  /** A few held-out digits through the same step: P(their label) before and after. */
  function othersView(r: BackpropReport): HTMLElement {
    const o = r.others!, K = r.probs.length;
    const shape = task.inputShape, per = shape[0] * shape[1] * shape[2];
    const cells = o.labels.map((t, i) => {
      const c = pixelCanvas(shape[2], shape[1], 56, 56, { 'aria-label': `held-out picture ${i}, a ${name(t)}` });
      paintPicture(c.getContext('2d')!, o.pixels, i * per, shape);
      const b = o.before[i * K + t], a = o.after[i * K + t];
      return el('figure', { class: 'heat-fig other' }, c, el('figcaption', {}, `a ${name(t)}: P ${(b * 100).toFixed(2)}% → ${(a * 100).toFixed(2)}% (${a >= b ? '+' : ''}${((a - b) * 100).toPrecision(2)})`));
    });
    return el('section', { class: 'stage', 'data-testid': 'backprop-heldout' },
      el('h3', {}, `The same step, seen on held-out ${task.kind === 'classes' ? 'pictures' : 'digits'}`),
      el('p', { class: 'hint' }, 'Every weight moved, so the net changed for every picture, not only yours: the probability each of these gives its own label, before and after the one step.'),
      el('div', { class: 'pics' }, ...cells));
  }

  function probsTable(r: BackpropReport): HTMLElement {
    return el('div', { class: 'scroll' }, el('table', { class: 'matrix' },
      el('thead', {}, el('tr', {}, el('th', {}, 'class'), ...Array.from({ length: r.probs.length }, (_, k) => el('th', {}, name(k))))),
      el('tbody', {},
        el('tr', {}, el('th', {}, 'P before'), ...Array.from(r.probs, (p) => el('td', {}, `${(p * 100).toFixed(1)}%`))),
        el('tr', {}, el('th', {}, 'P after'), ...Array.from(r.probsAfter, (p, k) => el('td', { class: k === r.label ? 'diag' : '' }, `${(p * 100).toFixed(1)}%`))))));
  }

  function vectorFigure(v: ArrayLike<number>, name: string, describe: (k: number) => string): HTMLElement {
    return heatmap(v, 0, 1, v.length, 'diverging', `${name} (${v.length})`, (_, k) => describe(k), readout, [Math.min(28, 560 / v.length), 18]);
  }

  /** A channel picker for (1, C, H, W) tensors. */
  function channelPicker(C: number, what: string, onPick: (c: number) => void): HTMLElement {
    const s = el('select', { 'aria-label': what }, ...Array.from({ length: C }, (_, c) => el('option', { value: c }, `${what} ${c}`)));
    s.addEventListener('change', () => onPick(Number(s.value)));
    return s;
  }

  function stageView(st: BackpropStage, n: number): HTMLElement | null {
    const title = (t: string) => el('h3', {}, `${n}. ${st.layer} (${st.type}): ${t}`);
    const box = el('section', { class: 'stage', 'data-stage': st.type });
    const pics = el('div', { class: 'pics' });
    if (st.type === 'Dense') {
      const [OUT, IN] = st.w!.shape;
      const x = st.x.data, dy = st.dy.data, dw = st.dw!.data;
      box.append(title('dW = dy ⊗ x, an outer product; dx = Wᵀ dy'),
        el('p', { class: 'hint' }, `dW[o][i] = dy[o] · x[i] (${OUT} x ${IN}); db = dy; dx[i] = sum over o of W[o][i] · dy[o].`), pics);
      pics.append(
        vectorFigure(dy, 'dy', (o) => `dy[${o}] = ${fmt(dy[o])}`),
        heatmap(dw, 0, OUT, IN, 'diverging', `dW (${OUT} x ${IN})`, (o, i) => `dW[${o}][${i}] = dy[${o}] · x[${i}] = ${fmt(dy[o])} · ${fmt(x[i])} = ${fmt(dw[o * IN + i])}`, readout, [Math.min(10, 560 / IN), Math.max(1, Math.min(14, 280 / OUT))]),
        vectorFigure(st.dx.data, 'dx', (i) => `dx[${i}] = sum over o of W[o][${i}] · dy[o] = ${fmt(st.dx.data[i])}`));
      return box;
    }
    if (st.type === 'Flatten') {
      box.append(title('a reshape'), el('p', { class: 'hint' }, `dy (${st.dy.shape.slice(1).join(' x ')}) is put back into the shape of x (${st.x.shape.slice(1).join(' x ')}): no arithmetic.`));
      return box;
    }
    if (st.type === 'ReLU') {
      const x = st.x.data, dy = st.dy.data, dx = st.dx.data;
      const mask = Float64Array.from(x, (v) => (v > 0 ? 1 : 0));
      box.append(title('the gradient passes where x > 0, and stops elsewhere'), el('p', { class: 'hint' }, 'dx = dy · [x > 0]: the mask is white where the input was positive.'), pics);
      const draw = (c: number) => {
        const [H, W] = st.x.shape.length === 4 ? st.x.shape.slice(2) : [1, st.x.shape[1]];
        const o = c * H * W, at = (i: number, j: number) => o + i * W + j;
        const cell: [number, number] | undefined = H === 1 ? [Math.min(28, 560 / W), 18] : undefined;
        pics.replaceChildren(
          ...(st.x.shape.length === 4 ? [channelPicker(st.x.shape[1], 'channel', draw)] : []),
          heatmap(mask, o, H, W, 'grey', 'mask [x > 0]', (i, j) => `x = ${fmt(x[at(i, j)])} → mask ${mask[at(i, j)]}`, readout, cell),
          heatmap(dy, o, H, W, 'diverging', 'dy', (i, j) => `dy = ${fmt(dy[at(i, j)])}`, readout, cell),
          heatmap(dx, o, H, W, 'diverging', 'dx = dy · mask', (i, j) => `dx = ${fmt(dy[at(i, j)])} · ${mask[at(i, j)]} = ${fmt(dx[at(i, j)])}`, readout, cell));
        if (st.x.shape.length === 4) (pics.firstChild as HTMLSelectElement).value = String(c);
      };
      draw(0);
      return box;
    }
    if (st.type === 'MaxPool2D') {
      const [, C, H, W] = st.x.shape, [, , OH, OW] = st.y.shape;
      const x = st.x.data, dy = st.dy.data, dx = st.dx.data, argmax = st.argmax!;
      box.append(title('each window\'s gradient goes to its maximum'),
        el('p', { class: 'hint' }, `Only the largest value of each ${st.options.kernelSize}x${st.options.kernelSize} window reached the output, so dy[i][j] goes back to that one position (the argmax) and every other position gets 0.`), pics);
      const draw = (c: number) => {
        const winner = new Map<number, number>(); // flat index into x -> output position (c, i, j)
        for (let k = c * OH * OW; k < (c + 1) * OH * OW; k++) winner.set(argmax[k], k);
        const ox = c * H * W, oy = c * OH * OW;
        pics.replaceChildren(channelPicker(C, 'channel', draw),
          heatmap(x, ox, H, W, 'grey', `x, channel ${c}`, (i, j) => `x[${c}][${i}][${j}] = ${fmt(x[ox + i * W + j])}${winner.has(ox + i * W + j) ? ' (the max of its window)' : ''}`, readout),
          heatmap(dy, oy, OH, OW, 'diverging', 'dy', (i, j) => `dy[${c}][${i}][${j}] = ${fmt(dy[oy + i * OW + j])}`, readout),
          heatmap(dx, ox, H, W, 'diverging', 'dx: dy routed to the argmax', (i, j) => {
            const k = winner.get(ox + i * W + j);
            if (k === undefined) return `dx[${c}][${i}][${j}] = 0: not the maximum of its window`;
            const wi = Math.floor((k - oy) / OW), wj = (k - oy) % OW;
            return `dx[${c}][${i}][${j}] = dy[${c}][${wi}][${wj}] = ${fmt(dx[ox + i * W + j])}: the maximum of window (${wi}, ${wj})`;
          }, readout));
        (pics.firstChild as HTMLSelectElement).value = String(c);
      };
      draw(0);
      return box;
    }
    if (st.type === 'Conv2D') {
      const [, C, H, W] = st.x.shape, [F, CG, KH, KW] = st.w!.shape, [, , OH, OW] = st.dy.shape;
      const { stride: s, padding: p } = st.options;
      const d = st.options.dilation ?? 1, groups = st.options.groups ?? 1, FG = F / groups; // CG = C / groups input channels per filter
      const x = st.x.data, dy = st.dy.data, dw = st.dw!.data, dx = st.dx.data, w = st.w!.data, db = st.db?.data;
      const at = (i: string | number, u: string | number) => (d === 1 ? `${i}·${s}+${u}-${p}` : `${i}·${s}+${u}·${d}-${p}`);
      box.append(title('dW = x correlated with dy; dX = dy convolved with W (a transposed convolution)'),
        el('p', { class: 'hint' }, `dW[f][c][u][v] = sum over i, j of dy[f][i][j] · x[c][${at('i', 'u')}][${at('j', 'v')}]: slide dy[f] over the input as the kernel slid in the forward pass. db[f] = sum of dy[f]. dX[c] = sum over f of dy[f] slid over by W[f][c] turned 180°.` +
          (groups > 1 ? ` With ${groups} groups, filter f sees only the ${CG} input channel${CG === 1 ? '' : 's'} of its group, so c runs over those.` : '')), pics);
      let f = 0, c = 0; // c: an input channel of filter f's group
      const draw = () => {
        const g = Math.floor(f / FG);
        if (Math.floor(c / CG) !== g) c = g * CG;
        const ox = c * H * W, oy = f * OH * OW, ow = (f * CG + (c - g * CG)) * KH * KW;
        const dwSum = (u: number, v: number) => {
          const t: string[] = [];
          for (let i = 0; i < OH && t.length < 4; i++) for (let j = 0; j < OW && t.length < 4; j++) {
            const ih = i * s + u * d - p, iw = j * s + v * d - p;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W && x[ox + ih * W + iw] !== 0 && dy[oy + i * OW + j] !== 0) t.push(`${fmt(dy[oy + i * OW + j], 3)}·${fmt(x[ox + ih * W + iw], 3)}`);
          }
          return t.length ? `${t.join(' + ')} + …` : '0';
        };
        const channels = Array.from({ length: CG }, (_, k) => g * CG + k);
        const channelSelect = el('select', { 'aria-label': 'input channel' }, ...channels.map((k) => el('option', { value: k }, `input channel ${k}`)));
        channelSelect.addEventListener('change', () => { c = Number(channelSelect.value); draw(); });
        pics.replaceChildren(
          channelPicker(F, 'filter', (v) => { f = v; draw(); }), ...(CG > 1 ? [channelSelect] : []),
          heatmap(x, ox, H, W, 'grey', `x, channel ${c}`, (i, j) => `x[${c}][${i}][${j}] = ${fmt(x[ox + i * W + j])}`, readout),
          heatmap(dy, oy, OH, OW, 'diverging', `dy[${f}]${db ? ` (db[${f}] = ${fmt(db[f], 3)})` : ''}`, (i, j) => `dy[${f}][${i}][${j}] = ${fmt(dy[oy + i * OW + j])}`, readout),
          heatmap(dw, ow, KH, KW, 'diverging', `dW[${f}][${c - g * CG}]`, (u, v) => `dW[${f}][${c - g * CG}][${u}][${v}] = sum over i, j of dy[${f}][i][j] · x[${c}][${at('i', u)}][${at('j', v)}] = ${dwSum(u, v)} = ${fmt(dw[ow + u * KW + v])}`, readout, 16),
          heatmap(w, ow, KH, KW, 'diverging', `W[${f}][${c - g * CG}] before the step`, (u, v) => `W[${f}][${c - g * CG}][${u}][${v}] = ${fmt(w[ow + u * KW + v])} → ${fmt(w[ow + u * KW + v])} - lr · ${fmt(dw[ow + u * KW + v])}`, readout, 16),
          heatmap(dx, ox, H, W, 'diverging', `dX[${c}]`, (ih, iw) => `dX[${c}][${ih}][${iw}] = sum over f, u, v of dy[f][i][j] · W[f][${c - g * CG}][u][v] where ${at('i', 'u')} = ${ih}, ${at('j', 'v')} = ${iw}: ${fmt(dx[ox + ih * W + iw])}`, readout));
        const pickers = pics.querySelectorAll('select');
        pickers[0].value = String(f);
        if (pickers[1]) pickers[1].value = String(c);
      };
      draw();
      return box;
    }
    return null;
  }

  function kernelsBeforeAfter(before: Plain<Float64Array>, after: Plain<Float64Array>, layer: string): HTMLElement {
    const [F, C, KH, KW] = before.shape;
    const scale = Math.max(maxAbs(before.data), maxAbs(after.data));
    const diff = Float64Array.from(after.data, (v, k) => v - before.data[k]);
    const dscale = maxAbs(diff);
    const row = (data: Float64Array, s: number, name: string) => {
      const canvas = el('canvas', { width: F * (KW * C + 1), height: KH, class: 'pixels film' });
      canvas.style.width = `${canvas.width * 7}px`;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) paintBlock(ctx, data, (f * C + c) * KH * KW, KH, KW, s, 'diverging', f * (KW * C + 1) + c * KW, 0);
      return el('figure', { class: 'heat-fig' }, canvas, el('figcaption', {}, name));
    };
    return el('section', { class: 'stage' }, el('h3', {}, `The ${layer} kernels before and after the step`),
      el('p', { class: 'hint' }, 'W ← W - lr · dW. One step on one digit moves them only a little: the change is drawn on its own scale below.'),
      divergingLegend(scale, 'weights'), row(before.data, scale, 'before'), row(after.data, scale, 'after'),
      divergingLegend(dscale, 'change'), row(diff, dscale, 'after - before'));
  }

  return element;
}
