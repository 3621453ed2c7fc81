// `--backend naive|ts|wasm` (train, eval, predict, inspect): which kernels the process runs.

import { BACKENDS, type Backend, setDefaultBackend } from '../kernels/backend.ts';
import { UsageError } from './errors.ts';

export const BACKEND_HELP = `the kernels to run: ${BACKENDS.join(', ')} (default: the fastest available)`;

/** Validates a --backend value and makes it the process's default (kernels/backend.ts). */
export function applyBackendOption(name: string): Backend {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${name}'`);
  }
  setDefaultBackend(name as Backend);
  return name as Backend;
}
