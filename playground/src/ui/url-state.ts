// The run's settings and the open panel live in the URL (?model=small&lr=0.01&...&panel=kernels),
// so that a teacher can share a link that reproduces the run.

import { AUGMENT_NAMES, type AugmentName, DEFAULT_CONFIG, MODEL_NAMES, type ModelName, type RunConfig, checkConfig } from '../models.ts';

export const PANELS = ['train', 'kernels', 'draw', 'backprop', 'explorer', 'models', 'classes'] as const;
export type PanelName = (typeof PANELS)[number];

/** threads: the URL's ?threads=1 or 2 (absent: as many as the page can use, see worker.ts). */
export interface PageState { config: RunConfig; panel: PanelName; threads?: number }

/** Reads the state from a query string; a bad value is an error naming the parameter and what it accepts. */
export function readState(search: string): PageState {
  const q = new URLSearchParams(search);
  const num = (key: string, fallback: number) => {
    const s = q.get(key);
    if (s === null) return fallback;
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v)) throw new RangeError(`URL parameter ${key}=${s} is not a number`);
    return v;
  };
  const oneOf = <T extends string>(key: string, names: readonly T[], fallback: T): T => {
    const s = q.get(key);
    if (s === null) return fallback;
    if (!names.includes(s as T)) throw new RangeError(`URL parameter ${key}=${s}: expected one of ${names.join(', ')}`);
    return s as T;
  };
  const config = checkConfig({
    model: oneOf<ModelName>('model', MODEL_NAMES, DEFAULT_CONFIG.model),
    lr: num('lr', DEFAULT_CONFIG.lr),
    momentum: num('momentum', DEFAULT_CONFIG.momentum),
    batchSize: num('batch', DEFAULT_CONFIG.batchSize),
    augment: oneOf<AugmentName>('augment', AUGMENT_NAMES, DEFAULT_CONFIG.augment),
    seed: num('seed', DEFAULT_CONFIG.seed),
  }, 'URL');
  const t = q.get('threads');
  if (t !== null && t !== '1' && t !== '2') throw new RangeError(`URL parameter threads=${t}: expected 1 or 2`);
  return { config, panel: oneOf<PanelName>('panel', PANELS, 'train'), ...(t === null ? {} : { threads: Number(t) }) };
}

export function writeState(s: PageState): string {
  const c = s.config;
  const q = new URLSearchParams({
    model: c.model, lr: String(c.lr), momentum: String(c.momentum), batch: String(c.batchSize), augment: c.augment, seed: String(c.seed), panel: s.panel,
  });
  if (s.threads !== undefined) q.set('threads', String(s.threads));
  return `?${q.toString()}`;
}
