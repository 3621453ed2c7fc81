// GEMM and convolution micro-benchmarks for the fast kernels.
//
//   npx tsx bench/gemm.ts            full run (about a minute)
//   npx tsx bench/gemm.ts --quick    fewer samples
//   npx tsx bench/gemm.ts --cpu      time by process CPU time rather than wall time (a busy, shared machine)
//
// 1. GFLOP/s of the TypeScript GEMM and of the WebAssembly GEMM at the GEMM shapes the reference
//    network's layers produce, and at 256 x 256 x 256 (median of several timed samples, and the best one).
//    The wasm figure is the kernel alone on data already in wasm memory (as the conv kernels use it);
//    "wasm+copy" is gemmWasm, which also copies the operands in and the result out.
// 2. Time per batch of 32 of conv forward / backward for the reference network's two conv layers:
//    naive, fast on the TypeScript path, fast on the wasm path; and the max-pool and dense layers.
// Reference network: 28x28x1 -> Conv 5x5x8 pad 2 -> ReLU -> MaxPool 2/2 -> Conv 5x5x16 pad 2 (14x14x8)
//    -> ReLU -> MaxPool 3/3 -> Dense 256 -> 10.
//
// bench/run.ts (the main benchmark) can import runGemmBench and print or store its result.

import { pathToFileURL } from 'node:url';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { gemm, gemmWasm } from '../src/kernels/gemm.ts';
import { conv2dBackwardNaive, conv2dForwardNaive } from '../src/kernels/conv2d.ts';
import { conv2dKernels } from '../src/kernels/conv2d-fast.ts';
import { maxPool2dBackwardNaive, maxPool2dForwardNaive } from '../src/kernels/max-pool2d.ts';
import { maxPool2dKernels } from '../src/kernels/max-pool2d-fast.ts';
import { denseKernels } from '../src/kernels/dense-fast.ts';
import { denseBackwardNaive, denseForwardNaive } from '../src/kernels/dense.ts';
import { reluBackwardNaive, reluForwardNaive } from '../src/kernels/relu.ts';
import { reluKernels } from '../src/kernels/relu-fast.ts';
import { type Backend, resolveKernels } from '../src/kernels/backend.ts';
import { alignUp, getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';

export interface GemmBenchOptions {
  /** Fewer, shorter samples (for a smoke run). */
  quick?: boolean;
  /** 'wall' (default) or 'cpu': time by this process's CPU time (for a machine shared with other work). */
  clock?: 'wall' | 'cpu';
  /** Where progress lines go; default console.log. Pass () => {} for silence. */
  log?: (line: string) => void;
}

export interface GemmRow {
  label: string; M: number; N: number; K: number; transA: boolean; transB: boolean;
  /** GFLOP/s, median and best of the samples; null when that implementation was not run. */
  ts: { median: number; best: number };
  wasm: { median: number; best: number } | null;
  wasmWithCopy: { median: number; best: number } | null;
}

export interface LayerRow {
  layer: string; pass: 'forward' | 'forward+relu' | 'backward';
  /** Milliseconds per batch of 32 (median of the samples). */
  naiveMs: number; tsMs: number; wasmMs: number | null;
  /** Floating-point operations of the pass, per batch. */
  flop: number;
}

export interface GemmBenchResult {
  wasm: string; // 'wasm' or why it is unavailable
  gemm: GemmRow[];
  layers: LayerRow[];
  /** Sum of the fastest kernels' times per image over the reference network (microseconds). */
  perImageUs?: { inference: number; training: number };
}

const BATCH = 32;

/**
 * Runs `fn` repeatedly for about `ms` milliseconds per sample; returns the per-call times (ms) of
 * `samples` samples. clock 'cpu' counts this process's CPU time instead of wall time: on a machine
 * shared with other busy processes it leaves out the time the OS gave them.
 */
function timeIt(fn: () => void, samples: number, ms: number): number[] {
  for (let i = 0; i < 3; i++) fn(); // warm up: let V8 optimise (and wasm tier up)
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    let reps = 0;
    const t0 = performance.now(), c0 = process.cpuUsage();
    let t = t0;
    do { fn(); reps++; t = performance.now(); } while (t - t0 < ms);
    const cpu = process.cpuUsage(c0);
    out.push((clock === 'cpu' ? (cpu.user + cpu.system) / 1000 : t - t0) / reps);
  }
  return out;
}
let clock: 'wall' | 'cpu' = 'wall';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function gflops(flop: number, timesMs: number[]): { median: number; best: number } {
  return { median: flop / median(timesMs) / 1e6, best: flop / Math.min(...timesMs) / 1e6 };
}

function randomArray(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function randomTensor(shape: number[], seed: number): Tensor {
  return new Tensor(shape, randomArray(shape.reduce((a, d) => a * d, 1), seed));
}

/** The GEMMs of the reference network (per image for the convs, per batch for dense), and a square one. */
const GEMM_SHAPES: Array<Omit<GemmRow, 'ts' | 'wasm' | 'wasmWithCopy'>> = [
  { label: 'conv1 forward   w.col', M: 8, N: 784, K: 25, transA: false, transB: false },
  { label: 'conv1 dw        dout.col^T', M: 8, N: 25, K: 784, transA: false, transB: true },
  { label: 'conv1 dw^T      col.dout^T (wasm form)', M: 25, N: 8, K: 784, transA: false, transB: true },
  { label: 'conv2 forward   w.col', M: 16, N: 196, K: 200, transA: false, transB: false },
  { label: 'conv2 dw        dout.col^T', M: 16, N: 200, K: 196, transA: false, transB: true },
  { label: 'conv2 dw^T      col.dout^T (wasm form)', M: 200, N: 16, K: 196, transA: false, transB: true },
  { label: 'conv2 dcol      w^T.dout', M: 200, N: 196, K: 16, transA: true, transB: false },
  { label: 'dense forward   x.w^T', M: 32, N: 10, K: 256, transA: false, transB: true },
  { label: 'square 256', M: 256, N: 256, K: 256, transA: false, transB: false },
];

/** Per-call times (ms) of the wasm GEMM kernel alone, its operands placed in wasm memory once (as the conv kernels use it). */
function timeWasmKernel(s: Omit<GemmRow, 'ts' | 'wasm' | 'wasmWithCopy'>, A: Float32Array, B: Float32Array, samples: number, ms: number): number[] {
  const wasm = getWasmKernels()!;
  const { M, N, K, transA: tA, transB: tB } = s;
  const lda = tA ? M : K, ldb = tB ? K : N;
  const aPtr = wasm.base, bPtr = alignUp(aPtr + 4 * A.length), cPtr = alignUp(bPtr + 4 * B.length);
  const scratch = alignUp(cPtr + 4 * M * N);
  wasm.reserve(scratch + wasm.gemmScratch);
  wasm.f32().set(A, aPtr >> 2);
  wasm.f32().set(B, bPtr >> 2);
  return timeIt(() => wasm.exports.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, 1, aPtr, lda, bPtr, ldb, 0, cPtr, N, scratch), samples, ms);
}

/**
 * One more sample of the ceiling's GEMM (256 x 256 x 256, wasm where it runs, else TypeScript): the
 * fastest of `samples` timed samples of about `ms` each, in GFLOP/s. bench/run.ts takes one after
 * every round and keeps the fastest of them all (ceilingOf), so that one slow minute on this shared
 * machine cannot set the ceiling: on 2026-11-30 a single quick measurement at the end of a run gave
 * 28.4 GFLOP/s, while the same run's one-thread training did 38.1.
 */
export async function sampleCeiling(samples = 5, ms = 100): Promise<number> {
  try { await ensureWasmBuilt(); } catch { /* the TypeScript GEMM then */ }
  const s = GEMM_SHAPES[GEMM_SHAPES.length - 1];
  const A = randomArray(s.M * s.K, 1), B = randomArray(s.K * s.N, 2);
  const times = getWasmKernels() ? timeWasmKernel(s, A, B, samples, ms) : timeIt(() => gemm(false, false, s.M, s.N, s.K, 1, A, 0, s.K, B, 0, s.N, 0, new Float32Array(s.M * s.N), 0, s.N), samples, ms);
  return gflops(2 * s.M * s.N * s.K, times).best;
}

/** The ceiling of a run from the GEMM bench's result and any further samples (sampleCeiling): the fastest of them. */
export function ceilingOf(result: GemmBenchResult, samples: number[]): { gflops: number; what: string } {
  const c = gemmCeiling(result);
  if (samples.length === 0) return c;
  return { gflops: Math.max(c.gflops, ...samples), what: `${c.what} of ${samples.length + 1} measurements spread over the run` };
}

/**
 * The GEMM ceiling of a run: the fastest timed sample of the 256 x 256 x 256 product, wasm where it
 * runs, else TypeScript. The fastest, not the median: a ceiling is what the machine does when nothing
 * disturbs it, and on this shared machine the median of one quick run fell below what the networks'
 * own GEMMs reached in the same run (2026-11-30: 26.4 GFLOP/s against 38.7 for one-thread training).
 */
export function gemmCeiling(result: GemmBenchResult): { gflops: number; what: string } {
  const square = result.gemm.find((g) => g.M === 256 && g.N === 256 && g.K === 256) ?? result.gemm[result.gemm.length - 1];
  return square.wasm ? { gflops: square.wasm.best, what: 'wasm GEMM 256x256x256, fastest sample' } : { gflops: square.ts.best, what: 'TypeScript GEMM 256x256x256, fastest sample' };
}

export async function runGemmBench(opts: GemmBenchOptions = {}): Promise<GemmBenchResult> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const samples = opts.quick ? 3 : 7;
  clock = opts.clock ?? 'wall';
  const ms = opts.quick ? 60 : 150;
  try { await ensureWasmBuilt(); } catch (e) { log(`(wasm build failed: ${e instanceof Error ? e.message : e})`); }
  const wasm = getWasmKernels();
  const result: GemmBenchResult = { wasm: wasmStatus(), gemm: [], layers: [] };
  log(`wasm kernels: ${result.wasm}; clock: ${clock}${clock === 'cpu' ? ' (process CPU time)' : ''}`);

  log('\nGEMM GFLOP/s (median / best of samples)');
  log(`${'shape'.padEnd(42)} ${'M x N x K'.padEnd(15)} ${'TypeScript'.padStart(14)} ${'wasm'.padStart(14)} ${'wasm+copy'.padStart(14)}`);
  for (const [i, s] of GEMM_SHAPES.entries()) {
    const { M, N, K, transA: tA, transB: tB } = s;
    const A = randomArray(M * K, 10 + i), B = randomArray(K * N, 20 + i), C = new Float32Array(M * N);
    const lda = tA ? M : K, ldb = tB ? K : N;
    const flop = 2 * M * N * K;
    const ts = gflops(flop, timeIt(() => gemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N), samples, ms));
    let w: GemmRow['wasm'] = null, wc: GemmRow['wasmWithCopy'] = null;
    if (wasm) {
      w = gflops(flop, timeWasmKernel(s, A, B, samples, ms));
      wc = gflops(flop, timeIt(() => gemmWasm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N), samples, ms));
    }
    result.gemm.push({ ...s, ts, wasm: w, wasmWithCopy: wc });
    const f = (g: { median: number; best: number } | null) => (g ? `${g.median.toFixed(2)} / ${g.best.toFixed(2)}` : '-').padStart(14);
    log(`${s.label.padEnd(42)} ${`${M}x${N}x${K}`.padEnd(15)} ${f(ts)} ${f(w)} ${f(wc)}`);
  }

  log(`\nLayers, ms per batch of ${BATCH} (median), and effective GFLOP/s of the fastest path`);
  log('conv1 = 28x28x1 -> 8 filters 5x5 pad 2; conv2 = 14x14x8 -> 16 filters 5x5 pad 2; forward+relu = ReLU fused in');
  log(`${'layer'.padEnd(36)} ${'naive'.padStart(9)} ${'fast ts'.padStart(9)} ${'fast wasm'.padStart(10)} ${'GFLOP/s'.padStart(8)} ${'us/image'.padStart(9)}`);
  const naiveSamples = opts.quick ? 1 : 3;
  const convs = [
    { name: 'conv1 28x28x1 -> 8, 5x5 pad 2', x: [BATCH, 1, 28, 28], w: [8, 1, 5, 5], needDx: false },
    { name: 'conv2 14x14x8 -> 16, 5x5 pad 2', x: [BATCH, 8, 14, 14], w: [16, 8, 5, 5], needDx: true },
  ];
  for (const [i, c] of convs.entries()) {
    const x = randomTensor(c.x, 100 + i), w = randomTensor(c.w, 200 + i), b = randomTensor([c.w[0]], 300 + i);
    const p = { stride: 1, padding: 2 };
    const out = conv2dForwardNaive(x, w, b, p);
    const dout = randomTensor([...out.out.shape], 400 + i);
    const [N, F, OH, OW] = out.out.shape;
    const macs = N * F * OH * OW * c.w[1] * c.w[2] * c.w[3];
    const dwGrad = Tensor.zeros(c.w), dbGrad = Tensor.zeros([c.w[0]]);
    const fwd = (backend: Backend) => {
      const k = resolveKernels(conv2dKernels, backend), ws = k.ws;
      return () => { k.forward(x, w, b, p, { ws }); };
    };
    const bwd = (backend: Backend) => {
      const k = resolveKernels(conv2dKernels, backend), ws = k.ws;
      const { cache } = k.forward(x, w, b, p, { ws });
      // As a layer calls it: gradients added into param.grad, dx only when the layer below needs it.
      return () => { k.backward(dout, cache, { ws, computeDx: c.needDx, dwInto: dwGrad, dbInto: dbGrad }); };
    };
    const fwdRelu = (backend: Backend) => {
      const k = resolveKernels(conv2dKernels, backend), ws = k.ws;
      return () => { k.forward(x, w, b, p, { ws, relu: true }); };
    };
    const rows: Array<[LayerRow['pass'] | 'forward+relu', () => void, (be: Backend) => () => void, number]> = [
      ['forward', () => { conv2dForwardNaive(x, w, b, p); }, fwd, 2 * macs],
      ['forward+relu', () => { reluForwardNaive(conv2dForwardNaive(x, w, b, p).out); }, fwdRelu, 2 * macs],
      ['backward', () => { conv2dBackwardNaive(dout, out.cache); }, bwd, (c.needDx ? 4 : 2) * macs],
    ];
    for (const [pass, naive, fast, flop] of rows) {
      const naiveMs = median(timeIt(naive, naiveSamples, 1));
      const tsMs = median(timeIt(fast('ts'), samples, ms));
      const wasmMs = wasm ? median(timeIt(fast('wasm'), samples, ms)) : null;
      const label = `${c.name.split(' ')[0]} ${pass}${pass === 'backward' && !c.needDx ? ' (no dx)' : ''}`;
      result.layers.push({ layer: c.name, pass, naiveMs, tsMs, wasmMs, flop });
      logLayer(log, label, naiveMs, tsMs, wasmMs, flop);
    }
  }

  // The other layers of the network. Max-pool and ReLU have wasm kernels too (branch-free SIMD).
  const pools = [
    { name: 'maxpool 2/2 on 28x28x8', x: [BATCH, 8, 28, 28], p: { kernelSize: 2, stride: 2 } },
    { name: 'maxpool 3/3 on 14x14x16', x: [BATCH, 16, 14, 14], p: { kernelSize: 3, stride: 3 } },
  ];
  for (const [i, c] of pools.entries()) {
    const x = randomTensor(c.x, 500 + i);
    const ref = maxPool2dForwardNaive(x, c.p);
    const dout = randomTensor([...ref.out.shape], 600 + i);
    const time = (backend: Backend, pass: 'forward' | 'backward') => {
      const k = resolveKernels(maxPool2dKernels, backend), ws = k.ws;
      const { cache } = k.forward(x, c.p, { ws });
      const fn = pass === 'forward' ? () => { k.forward(x, c.p, { ws }); } : () => { k.backward(dout, cache, { ws }); };
      return median(timeIt(fn, samples, ms));
    };
    const nf = median(timeIt(() => { maxPool2dForwardNaive(x, c.p); }, naiveSamples, ms));
    const nb = median(timeIt(() => { maxPool2dBackwardNaive(dout, ref.cache); }, naiveSamples, ms));
    for (const [pass, naiveMs] of [['forward', nf], ['backward', nb]] as const) {
      const tsMs = time('ts', pass), wasmMs = wasm ? time('wasm', pass) : null;
      result.layers.push({ layer: c.name, pass, naiveMs, tsMs, wasmMs, flop: 0 });
      logLayer(log, `${c.name} ${pass}`, naiveMs, tsMs, wasmMs, 0);
    }
  }
  for (const [i, shape] of [[BATCH, 8, 28, 28], [BATCH, 16, 14, 14]].entries()) {
    const x = randomTensor(shape, 800 + i), dout = randomTensor(shape, 900 + i);
    const name = `relu on ${shape.slice(1).join('x')}`;
    const ref = reluForwardNaive(x);
    const time = (backend: Backend, pass: 'forward' | 'backward') => {
      const k = resolveKernels(reluKernels, backend), ws = k.ws;
      const { cache } = k.forward(x, { ws });
      const fn = pass === 'forward' ? () => { k.forward(x, { ws }); } : () => { k.backward(dout, cache, { ws }); };
      return median(timeIt(fn, samples, ms));
    };
    const nf = median(timeIt(() => { reluForwardNaive(x); }, naiveSamples, ms));
    const nb = median(timeIt(() => { reluBackwardNaive(dout, ref.cache); }, naiveSamples, ms));
    for (const [pass, naiveMs] of [['forward', nf], ['backward', nb]] as const) {
      const tsMs = time('ts', pass), wasmMs = wasm ? time('wasm', pass) : null;
      result.layers.push({ layer: name, pass, naiveMs, tsMs, wasmMs, flop: 0 });
      logLayer(log, `${name} ${pass}`, naiveMs, tsMs, wasmMs, 0);
    }
  }
  {
    const x = randomTensor([BATCH, 256], 700), w = randomTensor([10, 256], 701), b = randomTensor([10], 702);
    const dout = randomTensor([BATCH, 10], 703);
    const flop = 2 * BATCH * 256 * 10;
    const ref = denseForwardNaive(x, w, b);
    const time = (backend: Backend, pass: 'forward' | 'backward') => {
      const k = resolveKernels(denseKernels, backend), ws = k.ws;
      const { cache } = k.forward(x, w, b, { ws });
      const gw = Tensor.zeros([10, 256]), gb = Tensor.zeros([10]);
      const fn = pass === 'forward' ? () => { k.forward(x, w, b, { ws }); } : () => { k.backward(dout, cache, { ws, dwInto: gw, dbInto: gb }); };
      return median(timeIt(fn, samples, ms));
    };
    const nf = median(timeIt(() => { denseForwardNaive(x, w, b); }, naiveSamples, ms));
    const nb = median(timeIt(() => { denseBackwardNaive(dout, ref.cache); }, naiveSamples, ms));
    for (const [pass, naiveMs] of [['forward', nf], ['backward', nb]] as const) {
      const tsMs = time('ts', pass), wasmMs = wasm ? time('wasm', pass) : null;
      const f = pass === 'forward' ? flop : 2 * flop;
      result.layers.push({ layer: 'dense 256 -> 10', pass, naiveMs, tsMs, wasmMs, flop: f });
      logLayer(log, `dense 256 -> 10 ${pass}`, naiveMs, tsMs, wasmMs, f);
    }
  }
  // Kernel time per image for the whole reference network, on the fastest path of each row.
  const best = (layer: string, pass: LayerRow['pass']) => {
    const r = result.layers.find((l) => l.layer.startsWith(layer) && l.pass === pass);
    return r ? Math.min(r.tsMs, r.wasmMs ?? Infinity) / BATCH * 1000 : NaN;
  };
  const inferUs = best('conv1', 'forward+relu') + best('maxpool 2/2', 'forward') + best('conv2', 'forward+relu')
    + best('maxpool 3/3', 'forward') + best('dense', 'forward');
  const trainUs = inferUs + best('conv1', 'backward') + best('maxpool 2/2', 'backward') + best('conv2', 'backward')
    + best('maxpool 3/3', 'backward') + best('dense', 'backward');
  result.perImageUs = { inference: inferUs, training: trainUs };
  log(`\nKernel time per image, ReLUs fused into the convs: inference ${inferUs.toFixed(1)} us (${Math.round(1e6 / inferUs)} images/s on one core), `
    + `training step ${trainUs.toFixed(1)} us (${Math.round(1e6 / trainUs)} images/s on one core). Kernels only: no loss, optimiser or data handling.`);
  return result;
}

function logLayer(log: (s: string) => void, label: string, naiveMs: number, tsMs: number, wasmMs: number | null, flop: number): void {
  const best = Math.min(tsMs, wasmMs ?? Infinity);
  const g = flop ? (flop / best / 1e6).toFixed(2) : '-';
  const f = (v: number | null, w: number) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(3)).padStart(w);
  log(`${label.padEnd(36)} ${f(naiveMs, 9)} ${f(tsMs, 9)} ${f(wasmMs, 10)} ${g.padStart(8)} ${((best * 1000) / BATCH).toFixed(2).padStart(9)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runGemmBench({ quick: process.argv.includes('--quick'), clock: process.argv.includes('--cpu') ? 'cpu' : 'wall' }).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
