// Entry point of a training worker thread. Workers start as plain Node, whatever ran the main
// thread (tsx, vitest, the bin script), so the TypeScript loader is registered here first.
// If loading fails, the reason goes to the shared error block so the main thread can report it.
import { workerData } from 'node:worker_threads';

try {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
} catch (e) {
  const { index, ctrl, errors } = workerData;
  const block = new Uint8Array(errors, (index - 1) * 1024, 1024);
  block.set(new TextEncoder().encode(String(e && e.stack ? e.stack : e)).subarray(0, 1020));
  const c = new Int32Array(ctrl);
  Atomics.store(c, (index - 1) * 8 + 7, 2); // C_STATUS = FAILED
  Atomics.notify(c, (index - 1) * 8 + 7);
}
