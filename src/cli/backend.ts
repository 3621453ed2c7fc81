// `--backend naive|ts|wasm` (train, eval, predict, inspect): which kernels the process runs.

import { setWasmEnabled } from '../kernels/index.ts';
import { UsageError } from './errors.ts';

export const BACKENDS = ['naive', 'ts', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const BACKEND_HELP = `the kernels to run: ${BACKENDS.join(', ')} (default: the fastest available)`;

/** Validates a --backend value and makes it the process's choice. */
export function applyBackendOption(name: string): BackendName {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${name}'`);
  }
  setWasmEnabled(name === 'wasm'); // lead: switch to setDefaultBackend at merge
  return name as BackendName;
}
