// The playground page: tabs over the panels, the URL state, and the worker that trains.
// The main thread only draws; every computation on the network runs in the worker (./worker.ts).

import './style.css';
import type { RunConfig } from './models.ts';
import { WorkerClient } from './ui/client.ts';
import { el, showMessage } from './ui/dom.ts';
import { createBackpropPanel } from './ui/backprop-panel.ts';
import { createClassesPanel } from './ui/classes-panel.ts';
import { createDrawPanel } from './ui/draw-panel.ts';
import { createExplorerPanel } from './ui/explorer-panel.ts';
import { createKernelsPanel } from './ui/kernels-panel.ts';
import { createModelsPanel } from './ui/models-panel.ts';
import { createTrainPanel } from './ui/train-panel.ts';
import { PANELS, type PageState, type PanelName, readState, writeState } from './ui/url-state.ts';

const TITLES: Record<PanelName, string> = {
  train: 'Train', classes: 'Your classes', kernels: 'Kernels', draw: 'Draw', backprop: 'Backprop', explorer: 'Convolution explorer', models: 'Models',
};

/**
 * Why the page is not cross-origin isolated (and so has no SharedArrayBuffer for a second training
 * thread), or null when it is. The server's headers (vite.config.ts, the build's _headers) or, where a
 * host sends none, coi-serviceworker (index.html) make it so.
 */
function isolationProblem(): string | null {
  if (window.crossOriginIsolated) return null;
  const noHeaders = 'the server sends no Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers';
  if (location.protocol === 'file:') return 'the page was opened from a file; serve the folder over http (docs/playground.md)';
  if (!window.isSecureContext) return `${noHeaders}, and the service worker that adds them needs https or localhost`;
  if (!('serviceWorker' in navigator)) return `${noHeaders}, and this browser offers no service worker to add them`;
  return `${noHeaders}, and the service worker that adds them has not taken over the page (it reloads it once; reload if it did not)`;
}

function main(): void {
  let state: PageState;
  let urlError = '';
  try {
    state = readState(location.search);
  } catch (e) {
    urlError = `${(e as Error).message}; using the defaults instead.`;
    state = readState('');
  }
  const client = new WorkerClient(state.threads ?? null, isolationProblem());
  client.on('error', (m) => showMessage(m.message, 'error'));
  const status = document.getElementById('backend')!;
  client.on('ready', (m) => { status.textContent = `${m.backend} · ${m.threads} · model ${m.model}`; document.body.dataset.ready = 'true'; });

  const saveUrl = () => history.replaceState(null, '', writeState(state));
  const setConfig = (c: RunConfig) => {
    state = { ...state, config: c };
    saveUrl();
    trainPanel.setConfig(c);
    client.send({ type: 'reset', config: c });
  };
  const trainPanel = createTrainPanel(client, state.config, setConfig);
  let digit: Float32Array | null = null;
  const drawPanel = createDrawPanel(client, (d) => { digit = d; });
  const bodies: Partial<Record<PanelName, HTMLElement>> = {
    train: trainPanel.element,
    classes: createClassesPanel(client),
    kernels: createKernelsPanel(client),
    draw: drawPanel.element,
    backprop: createBackpropPanel(client, () => digit),
    explorer: createExplorerPanel(),
    models: createModelsPanel(client),
  };

  const tabs = el('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'panels' });
  const main = document.getElementById('panels')!;
  const tabButtons = new Map<PanelName, HTMLButtonElement>();
  const sections = new Map<PanelName, HTMLElement>();
  for (const name of PANELS) {
    const body = bodies[name];
    if (!body) continue;
    const button = el('button', { role: 'tab', id: `tab-${name}`, 'aria-controls': `panel-${name}-body`, 'data-testid': `panel-${name}` }, TITLES[name]);
    button.addEventListener('click', () => open(name));
    button.addEventListener('keydown', (ev) => {
      // Arrow keys move between tabs, as in the WAI-ARIA tabs pattern.
      const names = [...tabButtons.keys()];
      const i = names.indexOf(name);
      const next = ev.key === 'ArrowRight' ? names[(i + 1) % names.length] : ev.key === 'ArrowLeft' ? names[(i - 1 + names.length) % names.length] : null;
      if (next) { ev.preventDefault(); open(next); tabButtons.get(next)!.focus(); }
    });
    tabButtons.set(name, button);
    tabs.append(button);
    const section = el('section', { id: `panel-${name}-body`, role: 'tabpanel', 'aria-labelledby': `tab-${name}`, class: 'panel' }, el('h2', {}, TITLES[name]), body);
    sections.set(name, section);
    main.append(section);
  }
  main.before(tabs);
  const open = (name: PanelName) => {
    for (const [n, s] of sections) s.hidden = n !== name;
    for (const [n, b] of tabButtons) { b.setAttribute('aria-selected', String(n === name)); b.tabIndex = n === name ? 0 : -1; }
    state = { ...state, panel: name };
    saveUrl();
    window.dispatchEvent(new CustomEvent('panel-open', { detail: name }));
  };
  open(sections.has(state.panel) ? state.panel : 'train');
  // A feature map sent to the explorer (draw-panel.ts): the explorer fills itself in, the page shows it.
  window.addEventListener('explore-case', () => open('explorer'));
  client.send({ type: 'reset', config: state.config });
  if (urlError) showMessage(urlError, 'error');
}

main();
