// Entry point of a training worker thread. Workers start as plain Node, whatever ran the main
// thread (tsx, vitest, the bin script). Where this file sits beside a compiled worker.js, that is
// imported as it is, with no TypeScript loader: in the package (dist/src/train/) and in `npm start`'s
// build (build/start/src/train/, scripts/build-start.mjs), where registering tsx cost each worker
// about 25 MB. In the source tree there is only worker.ts, so tsx (a dev dependency) is registered
// first: tests and `npm run miniconv` run the sources being edited.
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
