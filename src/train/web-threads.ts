// The threaded trainer (threaded-trainer.ts) in a browser: its other threads are Web Workers that
// run the loop Node's workers run (worker-loop.ts), so a page's run on T threads has the bits of
// Node's run on T threads (same seed, same data, same kernels; test/browser/page-threads.test.ts).
//
// Two things differ from Node, and this file handles both:
//   - A worker starts only once the thread that created it returns to its event loop, while the
//     trainer's constructor waits synchronously for its workers to load their replicas. So the
//     workers are started ahead, asynchronously (startWebThreads), and wait for a setup message;
//     a trainer built later hands each its setup, and the worker, already running, loads it at once.
//     On CMD_EXIT (the trainer's close()) a worker leaves the loop and waits for the next setup:
//     the page's next run reuses it, with no second start-up.
//   - SharedArrayBuffer exists only on a page that is cross-origin isolated (COOP same-origin and
//     COEP require-corp), so startWebThreads refuses more than one thread without it, saying so.
// The worker's script is the page's own (a bundler must see `new Worker(new URL(...))` in the page's
// code to bundle it): a module whose body is `serveWebThread()`.
//
// Messages, page thread -> worker: { init, wasm } once, then { serve, setup } per trainer;
// worker -> page thread: { alive } after init, or { failed, message }.

import { initWasmKernels } from '../kernels/wasm/loader.ts';
import type { Sequential } from '../layers/sequential.ts';
import { FAILED, setStatus, writeError } from './parallel-protocol.mjs';
import type { BatchTrainer, ParallelTrainerFactory } from './parallel-factory.ts';
import { ThreadedTrainer } from './threaded-trainer.ts';
import { serveTrainingThread } from './worker-loop.ts';
import type { WorkerSetup } from './worker-step.ts';

/**
 * The members of a Web Worker used here (what `new Worker(url, { type: 'module' })` returns). The
 * handlers take `any` because src/ is type-checked without the DOM library, whose MessageEvent and
 * ErrorEvent a real Worker's handlers are declared with: this file reads `data` and `message` only.
 */
export interface WebWorkerLike {
  /** Sends a message (structured clone; SharedArrayBuffers are shared, not copied). */
  postMessage(message: unknown): void;
  /** Stops the worker at once. */
  terminate(): void;
  /** Set here: the worker's messages (a MessageEvent: `data`). */
  onmessage: ((ev: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Set here: the worker's script failed to load or threw (an ErrorEvent: `message`). */
  onerror: ((ev: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Options of startWebThreads. */
export interface WebThreadsOptions {
  /** Threads in all, the calling one included (2: one worker besides it); an integer >= 1. */
  threads: number;
  /**
   * Starts one worker running the page's thread script, e.g.
   * `() => new Worker(new URL('./thread-worker.ts', import.meta.url), { type: 'module' })`, where
   * thread-worker.ts is `import { serveWebThread } from 'miniconv'; serveWebThread();`.
   */
  createWorker: () => WebWorkerLike;
  /**
   * The wasm kernels' bytes that the calling thread gave initWasmKernels (the same build, so that
   * every thread computes the same bits), or null when it runs the TypeScript kernels.
   */
  wasm: Uint8Array | null;
  /** How long a worker may take to start, in milliseconds (default 60,000). */
  timeoutMs?: number;
}

type ToThread = { type: 'init'; wasm: Uint8Array | null } | { type: 'serve'; setup: WorkerSetup };
type FromThread = { type: 'alive' } | { type: 'failed'; message: string };

/** A browser's training threads, started ahead: give `parallelTrainer` to fit or trainingSteps (with `threads`). */
export class WebThreads {
  /** Threads in all, the calling one included. */
  readonly threads: number;
  /**
   * The factory of fit's / trainingSteps' `parallelTrainer` option: a threaded trainer
   * (threaded-trainer.ts) on these workers, one at a time (close the last one first: fit and
   * trainingSteps close theirs when the run ends or is returned).
   */
  readonly parallelTrainer: ParallelTrainerFactory;
  private running = 0;
  private closed = false;

  /** Use startWebThreads, which waits for the workers to start. */
  constructor(private readonly workers: WebWorkerLike[]) {
    this.threads = workers.length + 1;
    const host = {
      start: (setup: WorkerSetup) => {
        const worker = this.workers[setup.index - 1];
        if (!worker) throw new Error(`thread ${setup.index} does not exist: these WebThreads have ${this.threads} threads`);
        worker.postMessage({ type: 'serve', setup } satisfies ToThread);
        this.running++;
        let stopped = false;
        return { stop: () => { if (!stopped) { stopped = true; this.running--; } } }; // it left the loop on CMD_EXIT and waits for the next setup
      },
    };
    this.parallelTrainer = (model: Sequential, inputShape: readonly number[], opts): BatchTrainer => {
      if (this.closed) throw new Error('WebThreads: used after close()');
      if (opts.threads > this.threads) throw new RangeError(`WebThreads: a trainer of ${opts.threads} threads asked for, but ${this.threads} were started (startWebThreads({ threads }))`);
      if (this.running > 0) throw new Error('WebThreads: the last trainer on these threads is still open; close it (end or return its run) first');
      return new ThreadedTrainer(model, inputShape, { ...opts, host });
    };
  }

  /** Stops the workers (a trainer still open on them is left unusable). */
  close(): void {
    this.closed = true;
    for (const w of this.workers) w.terminate();
  }
}

/**
 * Starts `threads - 1` Web Workers for a threaded trainer and waits until each has loaded the wasm
 * kernels. Needs a cross-origin isolated page (SharedArrayBuffer) for more than one thread.
 * Called from the thread that will train (a page's training worker, which may block in
 * Atomics.wait; a page's main thread may not).
 */
export async function startWebThreads(opts: WebThreadsOptions): Promise<WebThreads> {
  const { threads, createWorker, wasm } = opts;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`startWebThreads: threads must be an integer >= 1, got ${threads}`);
  if (typeof createWorker !== 'function') throw new TypeError('startWebThreads: createWorker must be a function that starts the thread script, e.g. () => new Worker(new URL(\'./thread-worker.ts\', import.meta.url), { type: \'module\' })');
  if (wasm !== null && !(wasm instanceof Uint8Array)) throw new TypeError('startWebThreads: wasm must be the kernels\' bytes (a Uint8Array) or null');
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (threads > 1 && (typeof SharedArrayBuffer === 'undefined' || isolated === false)) {
    throw new Error(`startWebThreads: ${threads} threads share the weights in SharedArrayBuffers, which a page has only when it is cross-origin isolated (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); this one is not: use threads: 1`);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const workers: WebWorkerLike[] = [];
  try {
    for (let w = 1; w < threads; w++) workers.push(createWorker());
    await Promise.all(workers.map((worker, k) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${k + 1} did not start within ${timeoutMs} ms`)), timeoutMs);
      const done = (error: Error | null) => { clearTimeout(timer); worker.onmessage = null; if (error) reject(error); else resolve(); };
      worker.onmessage = (ev: { data: unknown }) => {
        const m = ev.data as FromThread;
        if (m?.type === 'alive') done(null);
        else if (m?.type === 'failed') done(new Error(`worker ${k + 1}: ${m.message}`));
      };
      worker.onerror = (ev: { message?: string }) => done(new Error(`worker ${k + 1} failed to load its script: ${ev.message ?? 'no message (a missing or broken script?)'}`));
      worker.postMessage({ type: 'init', wasm } satisfies ToThread);
    })));
  } catch (e) {
    for (const w of workers) w.terminate();
    throw new Error(`startWebThreads: ${(e as Error).message}`);
  }
  return new WebThreads(workers);
}

/**
 * The body of the page's thread script (see WebThreadsOptions.createWorker): loads the kernels it
 * is sent, then serves one trainer's thread after another (worker-loop.ts, the loop Node's workers run).
 */
export function serveWebThread(): void {
  const scope = globalThis as unknown as { onmessage: ((ev: { data: ToThread }) => void) | null; postMessage(m: FromThread): void };
  scope.onmessage = (ev) => {
    const m = ev.data;
    if (m?.type === 'init') {
      try {
        if (m.wasm) initWasmKernels(m.wasm);
        scope.postMessage({ type: 'alive' });
      } catch (e) {
        scope.postMessage({ type: 'failed', message: `could not load the wasm kernels: ${(e as Error).message}` });
      }
    } else if (m?.type === 'serve') {
      try {
        serveTrainingThread(m.setup); // returns on CMD_EXIT
      } catch (e) {
        // The replica could not be built: the trainer's constructor, waiting on the status, reports it.
        writeError(m.setup.errors, m.setup.index, (e as Error)?.message ?? String(e));
        setStatus(m.setup.ctrl, m.setup.index, FAILED);
      }
    }
  };
}
