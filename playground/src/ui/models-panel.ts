// Models panel: load a model file written by `miniconv train` (file picker or drag and drop), and
// download the page's model in the same format (src/io/model-format.ts), which `miniconv eval`,
// `predict` and `inspect` read.

import type { WorkerClient } from './client.ts';
import { el, showMessage } from './dom.ts';

/** Model files are JSON of a few MB; refuse anything far larger before reading it. */
const MAX_BYTES = 64 * 1024 * 1024;

export function createModelsPanel(client: WorkerClient): HTMLElement {
  const input = el('input', { type: 'file', accept: '.json,application/json', id: 'model-file', 'data-testid': 'model-load' });
  const drop = el('div', { class: 'drop', 'data-testid': 'model-drop', tabindex: '0', role: 'button', 'aria-label': 'drop a model file here, or press Enter to choose one' },
    'Drop a model file here (models/digits.json from npm start), or ', el('label', { for: 'model-file', class: 'link' }, 'choose one'), input);
  const download = el('button', { class: 'primary', 'data-testid': 'model-download' }, 'Download the trained model');
  const current = el('p', { class: 'hint', 'data-testid': 'model-current' }, '');
  const element = el('div', { class: 'panel-body' },
    el('p', { class: 'intro' }, 'Models move between the page and the command line in one file format. Load a model that miniconv train wrote to look at its kernels, draw digits for it or train it further; download the model trained here and run npm run miniconv -- eval digits.json, predict or inspect on it.'),
    current,
    el('h3', {}, 'Load'), drop,
    el('h3', {}, 'Download'), download,
    el('p', { class: 'hint' }, 'The file holds the architecture, the weights (float32), the settings, the epoch history and the first layer\'s snapshots (the filmstrip), so miniconv inspect draws how its kernels were learned.'));

  const load = async (file: File) => {
    if (file.size > MAX_BYTES) { showMessage(`${file.name} is ${(file.size / 1e6).toFixed(0)} MB; a model file is at most ${MAX_BYTES / 1e6} MB`, 'error'); return; }
    showMessage(`loading ${file.name}…`);
    client.send({ type: 'load', text: await file.text(), file: file.name });
  };
  input.addEventListener('change', () => { const f = input.files?.[0]; if (f) void load(f); input.value = ''; });
  drop.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); input.click(); } });
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const f = ev.dataTransfer?.files[0];
    if (f) void load(f);
  });
  let fileName = 'digits.json';
  client.on('ready', (m) => {
    fileName = m.task.kind === 'classes' ? 'my-classes.json' : 'digits.json';
    current.textContent = `In the page now: ${m.model}, ${m.params.toLocaleString('en-US')} weights.`;
    if (m.model.endsWith('(loaded)')) showMessage(`loaded ${m.model.replace(/ \(loaded\)$/, '')}: train, draw or look at its kernels`);
  });
  download.addEventListener('click', async () => {
    const text = await client.save();
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = el('a', { href: url, download: fileName });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  return element;
}
