// "Your classes": make 2 to 10 classes, give them names, add examples to each by drawing, by
// uploading pictures (file picker or drag and drop, several at once) or from the camera, and train
// a CNN on them in the worker, as `miniconv train --images` would (own-classes.ts, trainer.ts). The
// trained net becomes the page's current model: the other panels show its kernels, its feature
// maps and its predictions with the class names. The model downloads in the file format `miniconv
// predict` and `eval` read; the examples download as one file (classes-format.ts) the panel loads again.

import { CLASSES_FORMAT, EXAMPLE_BYTES, EXAMPLE_SIZE, MAX_CLASSES, MAX_EXAMPLES, MAX_FILE_BYTES, MIN_CLASSES, type OwnClass, checkClasses, decodeClasses, encodeClasses } from '../classes-format.ts';
import { DEFAULT_EPOCHS, MAX_EPOCHS, MIN_EXAMPLES } from '../own-classes.ts';
import type { WorkerClient } from './client.ts';
import { el, pixelCanvas, showMessage } from './dom.ts';
import { paintPicture } from './paint.ts';
import { type Rgba, canvasRgba, drawableRgba, fileRgba, toExample } from './pictures.ts';
import { createRunView } from './run-view.ts';
import { drawStrokes } from './strokes.ts';

const PAD = 200; // the drawing pad, canvas pixels
const STROKE = 12;

/** Offers `text` as a file download. */
export function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function createClassesPanel(client: WorkerClient): HTMLElement {
  let classes: OwnClass[] = [{ name: 'class 1', examples: [] }, { name: 'class 2', examples: [] }];
  let selected = 0;

  const list = el('div', { class: 'own-classes', 'data-testid': 'classes-list' });
  const add = el('button', { 'data-testid': 'classes-add' }, '+ Add a class');
  const target = el('strong', { 'data-testid': 'classes-target' });

  // Drawing: strokes on a white pad, added as one example with a button (the pad clears for the next).
  const pad = el('canvas', { width: PAD, height: PAD, class: 'draw-pad classes-pad', 'data-testid': 'classes-draw', 'aria-label': 'drawing pad: draw an example of the selected class' });
  const padCtx = pad.getContext('2d', { willReadFrequently: true })!;
  const clearPad = () => { padCtx.fillStyle = '#fff'; padCtx.fillRect(0, 0, PAD, PAD); drawn = false; };
  let drawn = false;
  clearPad();
  drawStrokes(pad, padCtx, { width: PAD, height: PAD, lineWidth: () => STROKE, onEnd: () => { drawn = true; } });
  const addDrawing = el('button', { class: 'primary', 'data-testid': 'classes-draw-add' }, 'Add the drawing');
  const clearDrawing = el('button', { 'data-testid': 'classes-draw-clear' }, 'Clear');

  // Uploads: the file picker or a drop, several pictures at once.
  const upload = el('input', { type: 'file', accept: 'image/*', multiple: true, id: 'classes-upload', 'data-testid': 'classes-upload' });
  const drop = el('div', { class: 'drop classes-drop', 'data-testid': 'classes-drop', tabindex: '0', role: 'button', 'aria-label': 'drop pictures here, or press Enter to choose them' },
    'Drop pictures here (PNG, JPEG, several at once), or ', el('label', { for: 'classes-upload', class: 'link' }, 'choose them'), upload);

  // The camera, where the browser has one: a live view and a button that takes the frame.
  const camera = el('button', { 'data-testid': 'classes-camera' }, 'Start the camera');
  const capture = el('button', { class: 'primary', 'data-testid': 'classes-capture', disabled: true }, 'Take a picture');
  const video = el('video', { class: 'classes-video', 'data-testid': 'classes-video', autoplay: true, muted: true, playsinline: true, hidden: true });
  // navigator.mediaDevices is missing on a page that is not a secure context (http other than localhost).
  const hasCamera = typeof navigator.mediaDevices?.getUserMedia === 'function';
  const cameraNote = el('p', { class: 'hint', 'data-testid': 'classes-camera-note' },
    hasCamera ? 'The centre square of the frame is kept.' : 'This browser offers no camera here (it needs https or localhost).');
  if (!hasCamera) camera.disabled = true;

  const channels = el('select', { 'data-testid': 'classes-channels', 'aria-label': 'colour or grey' },
    el('option', { value: '3' }, 'colour (3 channels)'), el('option', { value: '1' }, 'grey (1 channel)'));
  const epochs = el('input', { type: 'number', min: '1', max: String(MAX_EPOCHS), step: '1', value: String(DEFAULT_EPOCHS), 'data-testid': 'classes-epochs', 'aria-label': 'epochs' });
  const seed = el('input', { type: 'number', min: '0', step: '1', value: '1', 'data-testid': 'classes-seed', 'aria-label': 'seed' });
  const train = el('button', { class: 'primary', 'data-testid': 'classes-train' }, 'Train on my classes');
  const pause = el('button', { 'data-testid': 'classes-pause', disabled: true }, '❚❚ Pause');
  const resume = el('button', { 'data-testid': 'classes-resume', disabled: true }, '▶ Continue');
  const status = el('p', { class: 'hint', 'data-testid': 'classes-status', 'aria-live': 'polite' });

  const downloadModel = el('button', { 'data-testid': 'classes-download-model', disabled: true }, 'Download the model');
  const downloadData = el('button', { 'data-testid': 'classes-download-data' }, 'Download the data set');
  const loadData = el('input', { type: 'file', accept: '.json,application/json', id: 'classes-load', 'data-testid': 'classes-load-data' });

  const element = el('div', { class: 'panel-body' });
  const view = createRunView(client, element, 'classes-');
  const field = (label: string, input: HTMLElement) => el('label', { class: 'field' }, el('span', {}, label), input);
  element.append(
    el('p', { class: 'intro' }, `Teach the network your own classes: make ${MIN_CLASSES} to ${MAX_CLASSES}, name them, and give each a few examples (${MIN_EXAMPLES} at least; 10 to 30 of each, varied in place and size, work well) by drawing, uploading pictures or with the camera. It trains as miniconv train --images does: every picture cut to its centre square and made 32x32, each one standardised (so colours and light or dark backgrounds matter less), random crops, rotations and colour changes while it trains, 20% of each class held out to measure it, and at the end the weights of the best held-out epoch. Then every other panel looks at this network: its kernels, what it sees in a picture you draw or upload, backprop on it.`),
    el('h3', {}, 'Classes'), list, el('div', { class: 'buttons' }, add),
    el('h3', {}, 'Add examples to ', target),
    el('div', { class: 'classes-add-row' },
      el('div', { class: 'pad-box' }, pad, el('div', { class: 'buttons' }, addDrawing, clearDrawing)),
      el('div', { class: 'classes-sources' }, drop, el('div', { class: 'classes-camera' }, el('div', { class: 'buttons' }, camera, capture), video, cameraNote))),
    el('h3', {}, 'Train'),
    el('div', { class: 'controls' }, field('pictures', channels), field('epochs', epochs), field('seed', seed)),
    el('div', { class: 'buttons' }, train, pause, resume), status,
    view.stats, view.charts,
    el('h3', {}, 'Confusion matrix (held-out pictures)'), view.confusion,
    el('h3', {}, 'Save and load'),
    el('div', { class: 'buttons' }, downloadModel, downloadData),
    el('p', { class: 'hint' }, 'The model is the file miniconv predict and eval read (npm run miniconv -- predict my-classes.json photo.png); it keeps the class names and how a picture is read. The data set holds the class names and every example: load it here again to add examples and train on.'),
    el('div', { class: 'drop classes-load' }, 'Load a data set saved here: ', el('label', { for: 'classes-load', class: 'link' }, 'choose the file'), loadData),
  );

  const render = () => {
    list.replaceChildren(...classes.map((c, k) => {
      const pick = el('input', { type: 'radio', name: 'own-class-pick', 'data-testid': 'class-pick', 'aria-label': `add examples to ${c.name}`, checked: k === selected });
      pick.addEventListener('change', () => { selected = k; render(); });
      const name = el('input', { type: 'text', value: c.name, maxlength: '40', 'data-testid': 'class-name', 'aria-label': `name of class ${k + 1}` });
      name.addEventListener('change', () => {
        const before = c.name;
        c.name = name.value;
        try {
          checkClasses(classes.map((o) => o.name));
          showMessage('');
        } catch (e) {
          c.name = before;
          name.value = before;
          showMessage((e as Error).message, 'error');
        }
        target.textContent = classes[selected].name;
      });
      name.addEventListener('focus', () => { if (selected !== k) { selected = k; markSelected(); } });
      const remove = el('button', { class: 'small', 'data-testid': 'class-remove', disabled: classes.length <= MIN_CLASSES, title: `remove the class and its ${c.examples.length} examples` }, 'Remove class');
      remove.addEventListener('click', () => {
        classes.splice(k, 1);
        selected = Math.min(selected, classes.length - 1);
        render();
      });
      const thumbs = c.examples.map((bytes, i) => {
        const canvas = pixelCanvas(EXAMPLE_SIZE[1], EXAMPLE_SIZE[0], 44, 44, { 'aria-label': `${c.name}, example ${i + 1}` });
        paintPicture(canvas.getContext('2d')!, Float32Array.from(bytes, (b) => b / 255), 0, [3, ...EXAMPLE_SIZE]);
        const x = el('button', { class: 'thumb-remove', 'data-testid': 'thumb-remove', title: 'remove this example', 'aria-label': `remove example ${i + 1} of ${c.name}` }, '×');
        x.addEventListener('click', () => { c.examples.splice(i, 1); render(); });
        return el('figure', { class: 'thumb', 'data-testid': 'class-thumb' }, canvas, x);
      });
      return el('div', { class: `own-class${k === selected ? ' selected' : ''}`, 'data-testid': 'own-class', 'data-count': c.examples.length },
        el('div', { class: 'own-class-head' }, pick, name, el('span', { class: 'count' }, `${c.examples.length} example${c.examples.length === 1 ? '' : 's'}`), remove),
        el('div', { class: 'thumbs', 'data-testid': 'class-thumbs' }, ...thumbs,
          ...(thumbs.length === 0 ? [el('span', { class: 'hint' }, 'No examples yet: select the class and draw, upload or take pictures.')] : [])));
    }));
    target.textContent = classes[selected].name;
    add.disabled = classes.length >= MAX_CLASSES;
  };
  const markSelected = () => {
    list.querySelectorAll<HTMLElement>('.own-class').forEach((row, k) => {
      row.classList.toggle('selected', k === selected);
      (row.querySelector('input[type=radio]') as HTMLInputElement).checked = k === selected;
    });
    target.textContent = classes[selected].name;
  };
  render();

  add.addEventListener('click', () => {
    if (classes.length >= MAX_CLASSES) return;
    let n = classes.length + 1;
    while (classes.some((c) => c.name === `class ${n}`)) n++;
    classes.push({ name: `class ${n}`, examples: [] });
    selected = classes.length - 1;
    render();
    (list.querySelectorAll<HTMLInputElement>('[data-testid=class-name]')[selected]).focus();
  });

  /** Adds examples (RGBA pictures of any size) to the selected class. */
  const addExamples = (pictures: Rgba[]) => {
    const c = classes[selected];
    if (c.examples.length + pictures.length > MAX_EXAMPLES) throw new Error(`${c.name} would have ${c.examples.length + pictures.length} examples; a class holds at most ${MAX_EXAMPLES}`);
    for (const p of pictures) c.examples.push(toExample(p));
    render();
  };
  addDrawing.addEventListener('click', () => {
    if (!drawn) { showMessage('Nothing drawn yet: draw an example on the pad first', 'error'); return; }
    try {
      addExamples([canvasRgba(pad)]);
      showMessage('');
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
    clearPad();
  });
  clearDrawing.addEventListener('click', clearPad);

  const addFiles = async (files: FileList | File[]) => {
    const list = [...files];
    if (list.length === 0) return;
    const pictures: Rgba[] = [], bad: string[] = [];
    for (const f of list) {
      try {
        pictures.push(await fileRgba(f));
      } catch (e) {
        bad.push((e as Error).message);
      }
    }
    try {
      addExamples(pictures);
      showMessage(bad.length ? `Added ${pictures.length} of ${list.length} pictures; left out: ${bad.join('; ')}` : `Added ${pictures.length} picture${pictures.length === 1 ? '' : 's'} to ${classes[selected].name}`, bad.length ? 'error' : 'info');
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  };
  upload.addEventListener('change', () => { if (upload.files) void addFiles(upload.files).then(() => { upload.value = ''; }); });
  drop.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); upload.click(); } });
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    if (ev.dataTransfer?.files) void addFiles(ev.dataTransfer.files);
  });

  let stream: MediaStream | null = null;
  camera.addEventListener('click', async () => {
    if (stream) { // a second press stops it
      for (const t of stream.getTracks()) t.stop();
      stream = null;
      video.hidden = true;
      capture.disabled = true;
      camera.textContent = 'Start the camera';
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (e) {
      showMessage(`The camera could not start: ${(e as Error).message}. Draw or upload pictures instead.`, 'error');
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => undefined);
    capture.disabled = false;
    camera.textContent = 'Stop the camera';
  });
  capture.addEventListener('click', () => {
    try {
      if (!video.videoWidth) throw new Error('the camera has not sent a frame yet; try again in a moment');
      addExamples([drawableRgba(video, video.videoWidth, video.videoHeight, 'camera')]);
      showMessage('');
    } catch (e) {
      showMessage(`camera: ${(e as Error).message}`, 'error');
    }
  });

  train.addEventListener('click', () => {
    try {
      const names = checkClasses(classes.map((c) => c.name));
      const few = classes.filter((c) => c.examples.length < MIN_EXAMPLES);
      if (few.length) throw new Error(`${few.map((c) => `${c.name} has ${c.examples.length} example${c.examples.length === 1 ? '' : 's'}`).join(', ')}; each class needs at least ${MIN_EXAMPLES} (some are held out to measure the accuracy)`);
      const e = Number(epochs.value), s = Number(seed.value);
      if (!(Number.isInteger(e) && e >= 1 && e <= MAX_EPOCHS)) throw new Error(`epochs must be an integer from 1 to ${MAX_EPOCHS}, got ${epochs.value}`);
      if (!(Number.isInteger(s) && s >= 0 && s <= 2 ** 31)) throw new Error(`seed must be an integer from 0 to 2^31, got ${seed.value}`);
      const count = classes.reduce((n, c) => n + c.examples.length, 0);
      const codes = new Uint8Array(count * EXAMPLE_BYTES), labels = new Uint8Array(count);
      let i = 0;
      classes.forEach((c, k) => { for (const ex of c.examples) { codes.set(ex, i * EXAMPLE_BYTES); labels[i++] = k; } });
      showMessage('');
      client.send({ type: 'classesTrain', request: { classes: names, codes, labels, channels: Number(channels.value) as 1 | 3, seed: s, epochs: e } }, [codes.buffer]);
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  });
  pause.addEventListener('click', () => client.send({ type: 'pause' }));
  resume.addEventListener('click', () => client.send({ type: 'start' }));

  let own = false, finished = false;
  client.on('ready', (m) => {
    own = m.task.kind === 'classes';
    finished = false;
    element.dataset.state = own ? 'training' : 'none';
    downloadModel.disabled = !own;
    status.textContent = own
      ? `Training on ${m.task.classes.length} classes (${m.task.classes.join(', ')}): ${m.trainCount} pictures, ${m.testCount} held out, ${m.task.epochs} epochs, ${m.params.toLocaleString('en-US')} weights.`
      : 'The page trains on the digits now; train on your classes to make their model the current one.';
  });
  client.on('progress', (m) => {
    if (!own) { pause.disabled = resume.disabled = true; return; }
    pause.disabled = !m.running;
    resume.disabled = m.running || finished;
  });
  client.on('classesDone', (m) => {
    finished = true;
    resume.disabled = true;
    element.dataset.state = 'trained';
    status.textContent = `Trained: ${m.epochs} epochs; the model keeps the weights of epoch ${m.bestEpoch}, the best on the held-out pictures (${(m.test.accuracy * 100).toFixed(1)}% right). Draw or upload a picture in the Draw panel to see what it makes of it.`;
  });

  downloadModel.addEventListener('click', async () => download(await client.save(), 'my-classes.json'));
  downloadData.addEventListener('click', () => {
    try {
      download(encodeClasses(classes), 'classes.json');
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  });
  loadData.addEventListener('change', async () => {
    const f = loadData.files?.[0];
    loadData.value = '';
    if (!f) return;
    try {
      if (f.size > MAX_FILE_BYTES) throw new Error(`${f.name} is ${(f.size / 1e6).toFixed(0)} MB; a data set file (${CLASSES_FORMAT}) is at most ${MAX_FILE_BYTES / 1024 / 1024} MB`);
      const loaded = decodeClasses(await f.text(), f.name);
      const before = classes.reduce((n, c) => n + c.examples.length, 0);
      // The file takes the place of the panel's classes: examples made since the last download would be lost, so ask.
      if (before > 0 && !window.confirm(`Replace the ${before} examples in the panel with those of ${f.name}? Download the data set first to keep them.`)) {
        showMessage(`${f.name} not loaded: the panel keeps its ${before} examples`);
        return;
      }
      classes = loaded;
      selected = 0;
      render();
      const count = classes.reduce((n, c) => n + c.examples.length, 0);
      showMessage(`Loaded ${f.name}: ${classes.length} classes, ${count} examples${before ? ` (in place of the ${before} the panel held)` : ''}. Add examples and train again.`);
      element.dataset.loaded = String(count);
    } catch (e) {
      showMessage((e as Error).message, 'error');
    }
  });
  return element;
}
