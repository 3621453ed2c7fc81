// startWebThreads (src/train/web-threads.ts), the page's threads, driven in Node through Web-Worker-like
// wrappers over worker_threads (test/fixtures/web-thread-shim.mjs runs serveWebThread in each): the
// trainer on them trains the bits of ParallelTrainer on as many threads, one run after another on
// the same workers; and each misuse is refused with a message that says what to do.
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng } from '../src/index.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { type WebThreads, type WebWorkerLike, startWebThreads } from '../src/train/web-threads.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { getWasmKernels } from '../src/kernels/wasm/loader.ts';
import { readFileSync } from 'node:fs';

const { train } = loadDigits();
const build = (seed: number) => {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
    new Flatten(), new Dense({ inFeatures: 4 * 14 * 14, outFeatures: 10, rng }),
  ]);
};
const x = new Tensor([13, 1, 28, 28], train.images.slice(0, 13 * 784));
const y = train.labels.subarray(0, 13);

/** A worker_threads Worker behind the members of a Web Worker that startWebThreads uses. */
function webWorker(): WebWorkerLike {
  const w = new Worker(new URL('./fixtures/web-thread-shim.mjs', import.meta.url));
  w.unref();
  const like: WebWorkerLike = {
    postMessage: (m) => w.postMessage(m),
    terminate: () => void w.terminate(),
    onmessage: null,
    onerror: null,
  };
  w.on('message', (data) => like.onmessage?.({ data }));
  w.on('error', (e) => like.onerror?.({ message: e.message }));
  return like;
}

/** The bytes of the wasm build this process runs, for the workers (as the page passes its own). */
function wasmBytes(): Uint8Array {
  const k = getWasmKernels();
  if (!k) throw new Error('the wasm kernels are not loaded in this process');
  return new Uint8Array(readFileSync(new URL(`../build/${k.relaxedSimd ? 'kernels-relaxed.wasm' : 'kernels.wasm'}`, import.meta.url)));
}

/** Weights after 3 shared steps of SGD with momentum, on a trainer from `make`. */
function threeSteps(make: (model: Sequential, optimizer: SGD) => { trainStep(x: Tensor, y: ArrayLike<number>): unknown; close(): void }): number[][] {
  const model = build(4), optimizer = new SGD(model.params(), { lr: 0.05, momentum: 0.9 });
  const t = make(model, optimizer);
  try {
    for (let i = 0; i < 3; i++) t.trainStep(x, y);
  } finally {
    t.close();
  }
  return model.params().map((p) => Array.from(p.value.data));
}

describe('startWebThreads', () => {
  let threads: WebThreads;
  afterAll(() => threads?.close());

  it('its trainer trains the bits of ParallelTrainer on 2 threads, run after run on the same workers', async () => {
    threads = await startWebThreads({ threads: 2, createWorker: webWorker, wasm: wasmBytes() });
    expect(threads.threads).toBe(2);
    const node = threeSteps((m, o) => new ParallelTrainer(m, [1, 28, 28], { threads: 2, optimizer: o }));
    const opts = (o: SGD) => ({ threads: 2, maxBatch: 256, optimizer: o });
    expect(threeSteps((m, o) => threads.parallelTrainer(m, [1, 28, 28], opts(o)))).toEqual(node);
    expect(threeSteps((m, o) => threads.parallelTrainer(m, [1, 28, 28], opts(o)))).toEqual(node); // the workers serve the next run
    const one = build(4), oneOpt = new SGD(one.params(), { lr: 0.05, momentum: 0.9 });
    const single = new ParallelTrainer(one, [1, 28, 28], { threads: 1, optimizer: oneOpt });
    for (let i = 0; i < 3; i++) single.trainStep(x, y);
    expect(one.params().map((p) => Array.from(p.value.data))).not.toEqual(node); // the comparison can fail
  }, 120_000);

  it('refuses a second trainer while one is open, and more threads than were started', async () => {
    const model = build(4), optimizer = new SGD(model.params(), { lr: 0.05 });
    const t = threads.parallelTrainer(model, [1, 28, 28], { threads: 2, maxBatch: 64, optimizer });
    const other = build(5);
    expect(() => threads.parallelTrainer(other, [1, 28, 28], { threads: 2, maxBatch: 64 }))
      .toThrow('WebThreads: the last trainer on these threads is still open; close it (end or return its run) first');
    t.close();
    expect(() => threads.parallelTrainer(other, [1, 28, 28], { threads: 3, maxBatch: 64 }))
      .toThrow('WebThreads: a trainer of 3 threads asked for, but 2 were started (startWebThreads({ threads }))');
  }, 60_000);

  it('a worker that cannot load its kernels, or its script, is reported by startWebThreads', async () => {
    await expect(startWebThreads({ threads: 2, createWorker: webWorker, wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) }))
      .rejects.toThrow(/^startWebThreads: worker 1: could not load the wasm kernels: /);
    const broken = (): WebWorkerLike => {
      const like: WebWorkerLike = { postMessage: () => setTimeout(() => like.onerror?.({ message: 'SyntaxError: Unexpected token' })), terminate: () => {}, onmessage: null, onerror: null };
      return like;
    };
    await expect(startWebThreads({ threads: 2, createWorker: broken, wasm: null }))
      .rejects.toThrow('startWebThreads: worker 1 failed to load its script: SyntaxError: Unexpected token');
  }, 60_000);

  it('refuses 2 threads on a page that is not cross-origin isolated, and bad options', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      await expect(startWebThreads({ threads: 2, createWorker: webWorker, wasm: null }))
        .rejects.toThrow('startWebThreads: 2 threads share the weights in SharedArrayBuffers, which a page has only when it is cross-origin isolated');
      expect((await startWebThreads({ threads: 1, createWorker: webWorker, wasm: null })).threads).toBe(1); // one thread needs no worker
    } finally {
      delete g.crossOriginIsolated;
    }
    await expect(startWebThreads({ threads: 0, createWorker: webWorker, wasm: null })).rejects.toThrow('startWebThreads: threads must be an integer >= 1, got 0');
    await expect(startWebThreads({ threads: 2, createWorker: 'thread.js' as never, wasm: null })).rejects.toThrow(/^startWebThreads: createWorker must be a function/);
  });
});
