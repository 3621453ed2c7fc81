// Entry point of a training worker thread. Workers start as plain Node, whatever ran the main
// thread (tsx, vitest, the bin script), so the TypeScript loader is registered here first.
// If loading fails, the reason goes to the shared error block (parallel-protocol.mjs) so that the
// main thread can report it.
import { workerData } from 'node:worker_threads';
import { FAILED, setStatus, writeError } from './parallel-protocol.mjs';

try {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
} catch (e) {
  const { index, ctrl, errors } = workerData;
  writeError(errors, index, String(e && e.stack ? e.stack : e));
  setStatus(ctrl, index, FAILED);
}
