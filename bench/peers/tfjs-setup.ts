// Backend set-up for the TF.js peer (tfjs.ts) and the check scripts.
//
// cpu:  @tensorflow/tfjs-backend-cpu, plain single-threaded JS; --threads is ignored.
// wasm: @tensorflow/tfjs-backend-wasm (XNNPACK). setWasmPaths() is given the package's dist/
//       directory as a file-system path (Emscripten on Node reads the .wasm with fs; a file:// URL
//       works too). On Node, tfjs's WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false
//       (tfjs issue #3830), so by default the single-threaded SIMD binary is used, and
//       setThreadsCount() has no effect (getThreadsCount() stays 1).
//       --threads N > 1 makes the threaded-SIMD binary work on Node with three work-arounds:
//         1. set WASM_HAS_MULTITHREAD_SUPPORT = true;
//         2. the backend starts its 8 pthread workers from Blob URLs, which Node's worker_threads
//            rejects (ERR_WORKER_PATH): worker_threads.Worker is wrapped so that a blob: URL is
//            replaced by wasm-pthread-worker.cjs, which runs the package's own worker source;
//         3. the backend caps the pool at emscripten_num_logical_cores()/2 (= os.cpus().length/2,
//            assuming hyper-threading), i.e. 1 thread on a 2-vCPU machine: os.cpus() is made to
//            report 2*N cpus while the wasm module is instantiated, then restored.
//       The actual pool size is read back with getThreadsCount() and must equal N.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wt from 'node:worker_threads';
import { registerWasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.ts';

export interface TfjsSetup {
  backend: 'cpu' | 'wasm';
  threads: number;
  simd: boolean;
  /** The wasm binary in use, or null on cpu. */
  wasmBinary: string | null;
  /** Kernels this set-up registered because the backend lacks them. */
  patchedKernels: string[];
  notes: string[];
}

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/**
 * Forward kernels of the reference network that lie on a path from the weights to the loss.
 * (softmaxCrossEntropy has its own custom gradient; Sum and RealDiv come from its mean reduction.)
 */
export const TRAINING_GRADIENTS = ['Conv2D', 'Add', 'Relu', 'MaxPool', 'Reshape', 'BatchMatMul', 'Sum', 'RealDiv'];

/**
 * tfjs-core's Node bundle (dist/tf-core.node.js, its package "main") registers no gradients: the
 * union package @tensorflow/tfjs does that, and tfjs-core alone documents
 * `import '@tensorflow/tfjs-core/dist/register_all_gradients'`, an ES-module tree that under Node
 * loads a second copy of ~450 tfjs-core modules (~45 MB RSS). We register tfjs-core's own gradient
 * configs for just the kernels the network needs (~46 modules, ~4 MB); they share the global
 * engine and gradient registry with the Node bundle.
 */
export function registerTrainingGradients(names: readonly string[] = TRAINING_GRADIENTS): void {
  for (const name of names) {
    if (tf.getGradient(name)) continue;
    const mod = require(`@tensorflow/tfjs-core/dist/gradients/${name}_grad`) as Record<string, unknown>;
    const config = Object.values(mod).find((v): v is tf.GradConfig =>
      typeof v === 'object' && v !== null && (v as tf.GradConfig).kernelName === name && typeof (v as tf.GradConfig).gradFunc === 'function');
    if (!config) throw new Error(`@tensorflow/tfjs-core/dist/gradients/${name}_grad exports no gradient config for ${name}`);
    tf.registerGradient(config);
  }
}

export function wasmDistDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/** Kernels a training step of the reference network needs on the wasm backend that tfjs-backend-wasm 4.22 lacks. */
export function registerMissingWasmKernels(): string[] {
  const patched: string[] = [];
  if (registerWasmConv2DBackpropFilter()) patched.push('Conv2DBackpropFilter');
  return patched;
}

function patchWorkerThreadsForBlobUrls(): void {
  const shim = join(here, 'wasm-pthread-worker.cjs');
  const Original = wt.Worker;
  if ((Original as unknown as { __miniconvPatched?: boolean }).__miniconvPatched) return;
  class BlobUrlWorker extends Original {
    constructor(file: string | URL, options?: wt.WorkerOptions) {
      super(String(file).startsWith('blob:') ? shim : file, options);
    }
  }
  (BlobUrlWorker as unknown as { __miniconvPatched: boolean }).__miniconvPatched = true;
  (wt as { Worker: typeof wt.Worker }).Worker = BlobUrlWorker;
}

export async function setupTfjs(backend: string, threads: number, options: { registerKernels?: boolean; gradients?: readonly string[] } = {}): Promise<TfjsSetup> {
  const notes: string[] = [];
  registerTrainingGradients(options.gradients);
  if (backend === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
    await tf.ready();
    if (threads !== 1) notes.push(`--threads ${threads} ignored: the cpu backend is single-threaded JS`);
    return { backend: 'cpu', threads: 1, simd: false, wasmBinary: null, patchedKernels: [], notes };
  }
  if (backend !== 'wasm') throw new Error(`--backend must be cpu or wasm, got '${backend}'`);

  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDistDir());
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  let restoreCpus: (() => void) | null = null;
  if (threads > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    patchWorkerThreadsForBlobUrls();
    const realCpus = os.cpus;
    const cpus = realCpus();
    (os as { cpus: typeof os.cpus }).cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
    restoreCpus = () => { (os as { cpus: typeof os.cpus }).cpus = realCpus; };
    notes.push(`threaded-SIMD wasm binary on Node via work-arounds (multithread flag forced on, Blob-URL pthread workers redirected to wasm-pthread-worker.cjs, os.cpus() reported as ${2 * threads} during init because tfjs halves the logical core count); ${os.cpus().length} logical cores on this machine`);
    if (threads > os.cpus().length) notes.push(`warning: ${threads} threads on ${os.cpus().length} logical cores`);
  }
  wasm.setThreadsCount(threads);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    restoreCpus?.();
  }
  if (!ok) throw new Error('tf.setBackend("wasm") failed (see stderr)');
  await tf.ready();
  const actual = wasm.getThreadsCount();
  const mt = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  const wasmBinary = mt && simd ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  if (actual !== threads) {
    throw new Error(`asked for ${threads} wasm threads, XNNPACK's pool has ${actual} (binary ${wasmBinary})`);
  }
  const patchedKernels = options.registerKernels === false ? [] : registerMissingWasmKernels();
  if (patchedKernels.length) notes.push(`registered missing wasm kernel(s) ${patchedKernels.join(', ')} built from wasm's Transpose/Conv2D (wasm-conv2d-backprop-filter.ts)`);
  return { backend: 'wasm', threads: actual, simd, wasmBinary, patchedKernels, notes };
}
