// The in-page benchmark of the page's second thread: the page's own run (Trainer: the default model,
// its settings and augmentation, the relaxed-SIMD kernels where the engine runs them, as worker.ts
// loads them) on `threads` threads, in a fresh Web Worker per round. Images per second = images /
// time of the timed steps; the first WARMUP steps (buffer allocation, the threads' first job) are
// not timed. The weights' checksum after the run lets the driver see that every round of a thread
// count trained the same bits.

import { type WebThreads, initWasmKernels, startWebThreads, wasmStatus } from 'miniconv';
import { decodeDigits } from '../digits-format.ts';
import { DEFAULT_CONFIG } from '../models.ts';
import { Trainer } from '../trainer.ts';

export interface ThreadsBenchRequest { threads: number; steps: number; base: string }
export interface ThreadsBenchResult { threads: number; images: number; seconds: number; imagesPerSec: number; checksum: number; backend: string; isolated: boolean }

const WARMUP = 3;

async function fetchBytes(base: string, file: string): Promise<Uint8Array> {
  const r = await fetch(new URL(file, base));
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function run(req: ThreadsBenchRequest): Promise<ThreadsBenchResult> {
  const [digits, relaxed, plain] = await Promise.all([fetchBytes(req.base, 'digits.bin'), fetchBytes(req.base, 'kernels-relaxed.wasm'), fetchBytes(req.base, 'kernels.wasm')]);
  let wasm = relaxed, backend = 'WebAssembly relaxed SIMD';
  try {
    initWasmKernels(relaxed);
  } catch {
    initWasmKernels(plain);
    wasm = plain;
    backend = 'WebAssembly SIMD';
  }
  if (wasmStatus() !== 'wasm') throw new Error(`the wasm kernels did not load: ${wasmStatus()}`);
  const { train } = decodeDigits(digits);
  let threads: WebThreads | null = null;
  if (req.threads > 1) {
    threads = await startWebThreads({
      threads: req.threads, wasm,
      createWorker: () => new Worker(new URL('../thread-worker.ts', import.meta.url), { type: 'module' }),
    });
  }
  const trainer = new Trainer(DEFAULT_CONFIG, train, undefined, threads ? { count: threads.threads, factory: threads.parallelTrainer } : undefined);
  let ms = 0, images = 0;
  for (let s = 0; s < WARMUP + req.steps; s++) {
    const t0 = performance.now();
    const r = trainer.trainBatch();
    if (s >= WARMUP) { ms += performance.now() - t0; images += r!.images; }
  }
  let checksum = 0;
  for (const p of trainer.model.params()) for (let i = 0; i < p.value.size; i += 97) checksum += p.value.data[i];
  trainer.close();
  threads?.close();
  return { threads: req.threads, images, seconds: ms / 1000, imagesPerSec: (images * 1000) / ms, checksum, backend, isolated: self.crossOriginIsolated };
}

self.onmessage = async (ev: MessageEvent<ThreadsBenchRequest>) => {
  try {
    (self as unknown as Worker).postMessage(await run(ev.data));
  } catch (e) {
    (self as unknown as Worker).postMessage({ error: (e as Error).message });
  }
};
