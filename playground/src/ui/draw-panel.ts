// Draw panel: a drawing pad (mouse, touch and pen, through Pointer Events), the live prediction
// with its ten probabilities, "what the net sees" (the 28x28 input after the preprocessing of
// `miniconv predict`, src/io/clean-picture.ts), and the feature maps of every layer; selecting a
// feature map shows the kernel that made it.

import { DIGIT_SIZE, rgbaToGrey, toMnistDigit } from 'miniconv/digits';
import type { Activations, LayerActivation, Plain } from '../inspect-net.ts';
import type { WorkerClient } from './client.ts';
import { el, fmt, pixelCanvas, showMessage } from './dom.ts';
import { divergingLegend, greyLegend, maxAbs, paintBlock } from './paint.ts';
import { createNetworkOverview } from './network-overview.ts';
import type { ExploreCase } from './explorer-panel.ts';
import { MAX_SIDE } from '../explorer-math.ts';
import { createNumberPad } from './number-pad.ts';
import { drawStrokes } from './strokes.ts';
import type { TaskInfo } from '../protocol.ts';
import { paintPicture } from './paint.ts';
import { canvasRgba, fileBitmap, toInput } from './pictures.ts';

const PAD = 280; // drawing pad size in canvas pixels
const PREDICT_EVERY_MS = 120;
/** The widest square map the explorer is sent whole (wider ones: a 9x9 patch): the explorer's input size limit. */
const MAX_EXPLORE = MAX_SIDE;

export interface DrawPanel { element: HTMLElement; /** The last drawn digit as the net sees it (784 values), or null. */ digit(): Float32Array | null }

export function createDrawPanel(client: WorkerClient, onDigit: (pixels: Float32Array | null) => void): DrawPanel {
  const pad = el('canvas', { width: PAD, height: PAD, class: 'draw-pad', 'data-testid': 'draw-pad', 'aria-label': 'drawing pad: draw a digit with the mouse, a finger or a pen' });
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clearPad = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, PAD, PAD); };
  clearPad();
  const clear = el('button', { 'data-testid': 'draw-clear' }, 'Clear');
  // A picture of your own onto the pad (fitted inside it, on white): the pad is then read as a drawing is.
  const upload = el('input', { type: 'file', accept: 'image/*', id: 'draw-upload', 'data-testid': 'draw-upload' });
  const uploadLabel = el('label', { for: 'draw-upload', class: 'link upload-link' }, 'or upload a picture', upload);
  let task: TaskInfo = { kind: 'digits', classes: Array.from({ length: 10 }, (_, k) => String(k)), inputShape: [1, 28, 28], epochs: null };
  const inputCanvas = (shape: readonly number[]) => pixelCanvas(shape[2], shape[1], 140, 140, { 'data-testid': 'net-input', 'aria-label': `the ${shape.join(' x ')} input the network sees` });
  let netInput = inputCanvas(task.inputShape);
  const prediction = el('div', { class: 'prediction', 'data-testid': 'prediction', 'aria-live': 'polite' }, '–');
  const probabilities = el('div', { class: 'probs', 'data-testid': 'probabilities' });
  const maps = el('div', { class: 'maps', 'data-testid': 'feature-maps' });
  const kernelView = el('div', { class: 'kernel-view', 'data-testid': 'map-kernel' }, el('p', { class: 'hint' }, 'Select a feature map to see the kernel that made it.'));
  // A map selected in the overview: a button that opens the kernel that made it in the explorer.
  const overview = createNetworkOverview((layer, k) => {
    const l = current?.layers.find((m) => m.layer === layer);
    return current && l?.madeBy ? exploreButton(current, l.madeBy, k, 'network-explore') : [];
  });
  const DIGIT_INTRO = 'Draw a digit. The network in training (its weights right now) reads it after the same preprocessing as miniconv predict: the strokes are scaled into a 20x20 box and centred by their centre of mass in 28x28, white on black, as the MNIST digits were made.';
  const intro = el('p', { class: 'intro', 'data-testid': 'draw-intro' }, DIGIT_INTRO);
  const seen = el('div', { class: 'seen' }, el('h3', {}, 'What the net sees'), netInput);
  const numberPad = createNumberPad(client);
  const numberPadOff = el('p', { class: 'hint', 'data-testid': 'number-pad-off', hidden: true }, 'Write a number: the number pad reads digits, so it rests while the page\'s model is one of your classes. Train on the digits (Train panel) to use it again.');
  const element = el('div', { class: 'panel-body' },
    intro,
    el('div', { class: 'draw-row' },
      el('div', { class: 'pad-box' }, pad, el('div', { class: 'buttons' }, clear, uploadLabel)),
      seen,
      el('div', { class: 'answer' }, el('h3', {}, 'Prediction'), prediction, probabilities)),
    numberPad, numberPadOff,
    el('h3', {}, 'The whole network at a glance'), overview.element,
    el('h3', {}, 'Feature maps of every layer for your digit'), maps, kernelView);

  let digit: Float32Array | null = null;
  let last = 0, timer = 0, busy = false, again = false;
  let selected: { layer: string; channel: number } | null = null;

  const readPad = (): Float32Array | null => {
    const rgba = ctx.getImageData(0, 0, PAD, PAD).data;
    if (task.kind === 'classes') {
      // A picture of your classes: the pad as `miniconv predict` reads a PNG for that model (pictureToInput).
      if (!rgba.some((v, i) => i % 4 !== 3 && v < 250)) return null; // a blank pad: nothing to read yet
      return toInput(canvasRgba(pad), task.inputShape);
    }
    try {
      return toMnistDigit(rgbaToGrey(rgba, PAD, PAD), PAD, PAD, 'drawing pad');
    } catch {
      return null; // nothing drawn yet
    }
  };
  const predict = async () => {
    if (busy) { again = true; return; }
    last = performance.now();
    digit = readPad();
    onDigit(digit);
    const shape = task.inputShape;
    paintPicture(netInput.getContext('2d')!, digit ?? new Float32Array(shape[0] * shape[1] * shape[2]), 0, shape);
    if (!digit) {
      prediction.textContent = '–';
      probabilities.replaceChildren();
      maps.replaceChildren();
      overview.clear();
      mapsKey = '';
      element.dataset.predicted = 'none';
      return;
    }
    busy = true;
    let r: Awaited<ReturnType<WorkerClient['predict']>>;
    try {
      r = await client.predict(digit);
    } catch {
      return; // the worker's error is on the page's status line already
    } finally {
      busy = false;
    }
    showPrediction(r.probs);
    // The feature maps (a hundred small pictures) are redrawn when the stroke ends, not during it.
    if (!strokes.drawing()) {
      showMaps(r.activations);
      if (digit) overview.update(r.activations, digit, r.probs, task.inputShape, task.classes);
    }
    element.dataset.predicted = String(argmax(r.probs));
    if (again) { again = false; void predict(); }
  };
  const schedule = () => {
    const wait = PREDICT_EVERY_MS - (performance.now() - last);
    clearTimeout(timer);
    if (wait <= 0) void predict();
    else timer = window.setTimeout(() => void predict(), wait);
  };

  // Pointer Events (strokes.ts): one code path for mouse, touch and pen; a pen's pressure widens the stroke.
  const strokes = drawStrokes(pad, ctx, {
    width: PAD, height: PAD,
    lineWidth: (pressure) => 18 * (pressure > 0 && pressure !== 0.5 ? 0.6 + 0.8 * pressure : 1),
    onMove: schedule,
    onEnd: () => { clearTimeout(timer); void predict(); },
  });
  clear.addEventListener('click', () => { clearPad(); void predict(); });
  // The prediction follows the training: re-read the digit about once a second while the run goes on.
  let lastRefresh = 0;
  client.on('progress', () => {
    if (digit && !element.closest('[hidden]') && performance.now() - lastRefresh > 1000) { lastRefresh = performance.now(); void predict(); }
  });
  client.on('ready', (m) => {
    const changed = m.task.kind !== task.kind || m.task.inputShape.join() !== task.inputShape.join() || m.task.classes.join('\n') !== task.classes.join('\n');
    task = m.task;
    if (changed) {
      const own = task.kind === 'classes';
      intro.textContent = own
        ? `Draw or upload a picture for the network of your classes (${task.classes.join(', ')}). It reads the pad as miniconv predict reads a picture for that model: the square pad made ${task.inputShape[1]}x${task.inputShape[2]} (area averaging), ${task.inputShape[0] === 3 ? 'in colour' : 'in grey'}; then its first layer standardises it.`
        : DIGIT_INTRO;
      numberPad.hidden = own;
      numberPadOff.hidden = !own;
      const next = inputCanvas(task.inputShape);
      netInput.replaceWith(next);
      netInput = next;
      mapsKey = '';
      overview.clear();
    }
    if (digit || changed) void predict();
  });
  upload.addEventListener('change', async () => {
    const f = upload.files?.[0];
    upload.value = '';
    if (!f) return;
    try {
      const bitmap = await fileBitmap(f);
      const k = Math.min(PAD / bitmap.width, PAD / bitmap.height), w = bitmap.width * k, h = bitmap.height * k;
      clearPad();
      ctx.drawImage(bitmap, (PAD - w) / 2, (PAD - h) / 2, w, h);
      bitmap.close();
      showMessage('');
      void predict();
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  });

  function showPrediction(probs: Float32Array): void {
    const best = argmax(probs);
    const name = (k: number) => task.classes[k] ?? String(k);
    probabilities.classList.toggle('named', task.kind === 'classes');
    prediction.replaceChildren(el('span', { class: task.kind === 'classes' ? 'digit class-name' : 'digit' }, name(best)), el('span', { class: 'conf' }, ` ${(probs[best] * 100).toFixed(1)}% sure`));
    probabilities.replaceChildren(...Array.from(probs, (p, k) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      return el('div', { class: `prob${k === best ? ' best' : ''}`, title: `P(${name(k)}) = ${p}` },
        el('span', { class: 'k' }, name(k)), el('span', { class: 'track' }, bar), el('span', { class: 'p' }, `${(p * 100).toFixed(1)}%`));
    }));
  }

  // The rows of feature maps are built once per architecture, then only repainted.
  let mapsKey = '';
  let painters: Array<(a: Activations) => void> = [];
  let current: Activations | null = null;
  let lastLayer: LayerActivation | undefined;
  function showMaps(a: Activations): void {
    current = a;
    const layers = a.layers.filter((l) => l.type !== 'Flatten');
    lastLayer = layers[layers.length - 1];
    const key = layers.map((l) => `${l.layer}:${l.y.shape.join('x')}`).join(',');
    if (key !== mapsKey) {
      mapsKey = key;
      const rows = layers.map((l, k) => layerRow(l, (p) => { painters[k] = p; }));
      maps.replaceChildren(...rows);
    }
    layers.forEach((l, k) => painters[k](a));
    if (selected) showKernel(a, selected.layer, selected.channel);
  }

  /** A row of canvases for one layer's output; `setPainter` receives the function that repaints it. */
  function layerRow(l: LayerActivation, setPainter: (paint: (a: Activations) => void) => void): HTMLElement {
    const s = l.y.shape;
    const title = el('div', { class: 'map-title' }, `${l.layer} (${l.type}) ${s.slice(1).join(' x ')}`);
    const own = (a: Activations) => a.layers.find((m) => m.layer === l.layer)!.y.data;
    const legend = el('span', { class: 'map-legend', 'data-testid': `map-legend-${l.layer}` });
    if (s.length !== 4) { // a vector: one strip, diverging (dense outputs have a sign)
      const last = l === lastLayer;
      const cell = last ? 28 : 6;
      const c = pixelCanvas(s[1], 1, Math.min(600, s[1] * cell), 14, { title: `${l.layer}: ${s[1]} values` });
      // The class scores get their class labels under them.
      const labels = last ? el('div', { class: 'class-labels', 'data-testid': 'class-labels' }, ...Array.from({ length: s[1] }, (_, k) => el('span', { style: `width:${cell}px`, title: task.classes[k] ?? String(k) }, (task.classes[k] ?? String(k)).slice(0, 3)))) : null;
      setPainter((a) => {
        const y = own(a), scale = maxAbs(y);
        paintBlock(c.getContext('2d')!, y, 0, 1, s[1], scale, 'diverging');
        legend.replaceChildren(divergingLegend(scale, last ? 'class scores (logits)' : 'values'));
      });
      return el('div', { class: 'map-row' }, title, legend, c, ...(labels ? [labels] : []));
    }
    const [, C, H, W] = s;
    const signed = l.type === 'Conv2D';
    const size = Math.max(28, Math.min(56, 1100 / C - 6));
    const canvases: HTMLCanvasElement[] = [];
    const cells = Array.from({ length: C }, (_, c) => {
      const canvas = pixelCanvas(W, H, size, size);
      canvases.push(canvas);
      const b = el('button', { class: 'map', title: `${l.layer} channel ${c}${l.madeBy ? `, made by ${l.madeBy} filter ${c}` : ''}`, 'aria-label': `${l.layer} feature map ${c}` }, canvas);
      b.addEventListener('click', () => {
        selected = { layer: l.layer, channel: c };
        maps.querySelectorAll('.map.selected').forEach((m) => m.classList.remove('selected'));
        b.classList.add('selected');
        if (current) showKernel(current, l.layer, c);
      });
      return b;
    });
    setPainter((a) => {
      const y = own(a);
      const scale = maxAbs(y); // one scale per layer, so that the maps of a layer compare
      canvases.forEach((canvas, c) => paintBlock(canvas.getContext('2d')!, y, c * H * W, H, W, scale, signed ? 'diverging' : 'grey'));
      legend.replaceChildren(signed ? divergingLegend(scale, 'values') : greyLegend(scale, 'values (black 0, white the largest)'));
    });
    return el('div', { class: 'map-row' }, title, legend, el('div', { class: 'map-cells' }, ...cells));
  }

  function showKernel(a: Activations, layer: string, channel: number): void {
    const l = a.layers.find((m) => m.layer === layer);
    if (!l?.madeBy) { kernelView.replaceChildren(el('p', { class: 'hint' }, `${layer} is not made by a convolution.`)); return; }
    const w = a.convWeights[l.madeBy] as Plain;
    const [, C, KH, KW] = w.shape;
    const per = C * KH * KW;
    const scale = maxAbs(w.data, channel * per, (channel + 1) * per);
    const cells = Array.from({ length: C }, (_, c) => {
      const canvas = pixelCanvas(KW, KH, KW * 14, KH * 14, { title: `${l.madeBy}.weight[${channel}, ${c}]` });
      paintBlock(canvas.getContext('2d')!, w.data, channel * per + c * KH * KW, KH, KW, scale, 'diverging');
      return el('figure', { class: 'kernel' }, canvas, el('figcaption', {}, `input channel ${c}`));
    });
    const how = l.madeBy === layer ? '' : ` and then went through the layers after it, up to ${layer}`;
    kernelView.replaceChildren(
      ...exploreButton(a, l.madeBy, channel),
      el('p', {}, `${layer} channel ${channel} was made by filter ${channel} of ${l.madeBy}${how}: y[${channel}, i, j] = b[${channel}] + sum over c, u, v of x[c, i + u - pad, j + v - pad] * w[${channel}, c, u, v]. Its ${C} kernel${C > 1 ? 's' : ''} (${KH}x${KW}), one per input channel:`),
      divergingLegend(scale, `weights of filter ${channel}`), el('div', { class: 'kernel-grid' }, ...cells));
  }

  /**
   * For a map made by a convolution: a button that opens the explorer with that filter's kernel
   * over what the convolution reads. The first layer reads the digit (one channel, stride 1, no
   * dilation): a 9x9 patch of it around where the filter responds most. A deeper layer reads the
   * maps of the layer before it, one kernel per input channel: the explorer shows one input channel
   * at a time (a chooser picks which; the map is the bias plus the sum over channels), on the whole
   * map when it is square and at most MAX_EXPLORE wide (with the layer's stride, padding and
   * dilation), else on a 9x9 patch (stride 1, no dilation only). Kernels of at most 5x5.
   */
  function exploreButton(a: Activations, conv: string, f: number, testid = 'map-explore'): HTMLElement[] {
    const w = a.convWeights[conv] as Plain, o = a.convOptions[conv];
    const [F, CG, KH, KW] = w.shape;
    const index = a.layers.findIndex((m) => m.layer === conv);
    const out = a.layers[index].y;
    if (KH !== KW || KH > 5 || o.stride > 4 || o.dilation > 3) return [];
    const [, , OH, OW] = out.shape;
    let best = 0;
    for (let k = 1; k < OH * OW; k++) if (out.data[f * OH * OW + k] > out.data[f * OH * OW + best]) best = k;
    const bi = Math.floor(best / OW), bj = best % OW;
    const b = o.bias ? o.bias[f] : 0;
    const kernelOf = (cg: number) => Array.from({ length: KH }, (_, u) => Array.from({ length: KW }, (_, v) => w.data[((f * CG + cg) * KH + u) * KW + v]));
    /** A P x P patch from row r0, column c0 of a plane of `data` (H x W) at `offset`. */
    const patchOf = (data: ArrayLike<number>, offset: number, W: number, r0: number, c0: number, P: number) =>
      Array.from({ length: P }, (_, i) => Array.from({ length: P }, (_, j) => data[offset + (r0 + i) * W + c0 + j]));
    /** The corner of a P x P patch of an H x W plane around the best output, with the kernel inside it. */
    const corner = (H: number, W: number, P: number) => {
      const margin = Math.floor((P - KH) / 2);
      return [Math.max(0, Math.min(H - P, bi - o.padding - margin)), Math.max(0, Math.min(W - P, bj - o.padding - margin))];
    };
    let detail: ExploreCase;
    if (index === 0) {
      if (!digit || CG !== 1 || o.stride !== 1 || o.dilation !== 1) return [];
      const P = 9, [r0, c0] = corner(DIGIT_SIZE, DIGIT_SIZE, P);
      const note = `From the Draw panel: rows ${r0}-${r0 + P - 1} and columns ${c0}-${c0 + P - 1} of your 28x28 digit, under filter ${f} of ${conv} ` +
        `(where that filter responds most, at output (${bi}, ${bj})). The explorer leaves out the bias b[${f}] = ${fmt(b, 3)}: add it to each output to get the feature map's values (numbers rounded to 4 digits).`;
      detail = { note, stride: 1, padding: 0, dilation: 1, choices: [{ label: 'your digit', x: patchOf(digit, 0, DIGIT_SIZE, r0, c0, P), w: kernelOf(0) }], pick: 0 };
    } else {
      const before = a.layers[index - 1];
      if (before.y.shape.length !== 4) return [];
      const [, C, H, W] = before.y.shape;
      const whole = H === W && H <= MAX_EXPLORE && o.padding <= 3;
      if (!whole && (o.stride !== 1 || o.dilation !== 1 || Math.min(H, W) < 9)) return [];
      const P = whole ? H : 9, [r0, c0] = whole ? [0, 0] : corner(H, W, P);
      const g = Math.floor(f / (F / o.groups));
      const choices = Array.from({ length: CG }, (_, cg) => {
        const c = g * CG + cg;
        return { label: `input channel ${c}: ${before.layer} map ${c}, under w[${f}][${cg}]`, x: patchOf(before.y.data, c * H * W, W, r0, c0, P), w: kernelOf(cg) };
      });
      // The channel whose kernel adds the most to the map where it responds most: a telling first view.
      const at = (c: number, i: number, j: number) => (i >= 0 && i < H && j >= 0 && j < W ? before.y.data[(c * H + i) * W + j] : 0);
      const part = (cg: number) => {
        let s = 0;
        for (let u = 0; u < KH; u++) for (let v = 0; v < KW; v++) s += at(g * CG + cg, bi * o.stride + u * o.dilation - o.padding, bj * o.stride + v * o.dilation - o.padding) * w.data[((f * CG + cg) * KH + u) * KW + v];
        return Math.abs(s);
      };
      let pick = 0;
      for (let cg = 1; cg < CG; cg++) if (part(cg) > part(pick)) pick = cg;
      const where = whole ? `the whole ${H}x${W} maps of ${before.layer}` : `rows ${r0}-${r0 + P - 1} and columns ${c0}-${c0 + P - 1} of the ${H}x${W} maps of ${before.layer}`;
      const note = `From the Draw panel: filter ${f} of ${conv} reads ${CG} map${CG > 1 ? 's' : ''} of ${before.layer} for your digit, with one ${KH}x${KW} kernel per map. ` +
        `Here ${where}, one input channel at a time (choose which below): ${conv} map ${f} = b[${f}] + the sum over the ${CG} channels of the explorer's output, with b[${f}] = ${fmt(b, 3)} ` +
        `(the filter responds most at output (${bi}, ${bj}); numbers rounded to 4 digits).`;
      const real = whole ? { name: `${conv} map ${f}`, y: Array.from({ length: OH }, (_, i) => Array.from({ length: OW }, (_, j) => out.data[(f * OH + i) * OW + j])) } : undefined;
      detail = { note, stride: whole ? o.stride : 1, padding: whole ? o.padding : 0, dilation: whole ? o.dilation : 1, choices, pick, whole: real };
    }
    const button = el('button', { 'data-testid': testid }, index === 0 ? 'Slide this kernel over your digit in the convolution explorer' : 'Slide this filter\'s kernels over the maps it reads in the convolution explorer');
    button.addEventListener('click', () => window.dispatchEvent(new CustomEvent('explore-case', { detail })));
    return [button];
  }

  return { element, digit: () => digit };
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best;
}

