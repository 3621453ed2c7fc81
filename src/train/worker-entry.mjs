// Entry point of a training worker thread. Workers start as plain Node, whatever ran the main
// thread (tsx, vitest, the bin script). In the package (dist/src/train/) the compiled worker.js sits
// beside this file and is imported as it is; in the source tree there is only worker.ts, so the
// TypeScript loader (tsx, a dev dependency) is registered first.
// If loading fails, the reason goes to the shared error block (parallel-protocol.mjs) so that the
// main thread can report it.
import { existsSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { FAILED, setStatus, writeError } from './parallel-protocol.mjs';

try {
  const compiled = new URL('./worker.js', import.meta.url);
  if (existsSync(compiled)) {
    await import(compiled.href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('./worker.ts');
  }
} catch (e) {
  const { index, ctrl, errors } = workerData;
  writeError(errors, index, String(e && e.stack ? e.stack : e));
  setStatus(ctrl, index, FAILED);
}
