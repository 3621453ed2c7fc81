// The depthwise convolution's throughput beside the dense convolution's, on the same shapes.
//
//   npx tsx bench/depthwise.ts            (about half a minute)
//   npx tsx bench/depthwise.ts --quick    fewer, shorter samples
//
// `npm run bench -- --model mobilenet-mini` (bench/zoo.ts) runs it too (runDepthwiseBench) and prints
// its tables below the zoo model's.
//
// Shapes: a batch of 32 images of 32 channels, 14x14, 3x3 kernels, padding 1 (a MobileNet-style block
// on MNIST's 14x14 maps), and the reference network's second layer size class. For each, per batch:
//   - dense conv     32 -> 32 channels, groups 1: im2col + GEMM ('ts'), and the wasm SIMD conv ('wasm')
//   - depthwise      32 -> 32 channels, groups 32: the direct kernel, src/kernels/depthwise.ts ('ts')
//                    and src/kernels/wasm/assembly/depthwise.ts ('wasm')
//   - per-channel    the same depthwise conv as a loop of one-channel im2col + GEMM calls (what the
//     im2col      direct kernel replaces), forward only
//   - pointwise      32 -> 64, 1x1: the other half of a depthwise separable block
// Times are the median of several samples (each sample repeats the call for ~150 ms and takes the
// mean); GFLOP/s counts 2 flops per multiply-add. Wall-clock time: on a shared machine, run it twice.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { type Conv2dParams, conv2dDims } from '../src/kernels/conv2d.ts';
import { conv2dKernels, im2col } from '../src/kernels/conv2d-fast.ts';
import { gemm } from '../src/kernels/gemm.ts';
import { type Backend, resolveKernels } from '../src/kernels/backend.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';

function timeMs(fn: () => void, samples: number, sampleMs: number): number {
  for (let i = 0; i < 3; i++) fn(); // warm up: let V8 optimise (and wasm tier up)
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    do { fn(); reps++; t = performance.now(); } while (t - t0 < sampleMs);
    out.push((t - t0) / reps);
  }
  return out.sort((a, b) => a - b)[Math.floor(out.length / 2)];
}

function randomTensor(shape: number[], seed: number): Tensor {
  const rng = createRng(seed);
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** The depthwise forward as one-channel im2col + GEMM per (image, channel): the thing not to do. */
function perChannelIm2colForward(x: Tensor, w: Tensor, p: Conv2dParams, y: Float32Array, col: Float32Array): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = conv2dDims(x, w, null, p);
  const M = F / C, K = KH * KW, Q = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      im2col(x.data, (n * C + c) * H * W, 1, H, W, KH, KW, S, P, OH, OW, col);
      gemm(false, false, M, Q, K, 1, w.data, c * M * K, K, col, 0, Q, 0, y, (n * F + c * M) * Q, Q);
    }
  }
}

export interface DepthwiseRow { label: string; macs: number; forwardMs: number; backwardMs: number | null }
export interface DepthwiseShape { N: number; C: number; H: number; W: number; rows: DepthwiseRow[] }
export interface DepthwiseBenchResult { wasm: string; samples: number; sampleMs: number; shapes: DepthwiseShape[] }

/** Times the kernels of the header on both shapes; `quick`: fewer, shorter samples. */
export async function runDepthwiseBench(opts: { quick?: boolean } = {}): Promise<DepthwiseBenchResult> {
  const SAMPLES = opts.quick ? 3 : 7, SAMPLE_MS = opts.quick ? 60 : 150;
  let buildError = '';
  try { await ensureWasmBuilt(); } catch (e) { buildError = ` (wasm build failed: ${e instanceof Error ? e.message : e})`; }
  const wasmOk = getWasmKernels() !== null;
  const shapes: DepthwiseShape[] = [];
  for (const [N, C, H] of [[32, 32, 14], [32, 64, 7]]) {
    const W = H, KH = 3, OH = H, Q = OH * OH;
    const x = randomTensor([N, C, H, W], 1);
    const p: Conv2dParams = { stride: 1, padding: 1 };
    const rows: DepthwiseRow[] = [];
    const run = (label: string, w: Tensor, params: Conv2dParams, backend: Backend) => {
      const k = resolveKernels(conv2dKernels, backend), ws = k.ws;
      const f = k.forward(x, w, null, params, { ws });
      const dy = randomTensor([...f.out.shape], 3);
      const F = w.shape[0], CG = w.shape[1];
      rows.push({
        label,
        macs: N * F * Q * CG * w.shape[2] * w.shape[3],
        forwardMs: timeMs(() => k.forward(x, w, null, params, { ws }), SAMPLES, SAMPLE_MS),
        backwardMs: timeMs(() => k.backward(dy, f.cache, { ws }), SAMPLES, SAMPLE_MS),
      });
    };
    const wDense = randomTensor([C, C, KH, KH], 2);
    const wDepth = randomTensor([C, 1, KH, KH], 2);
    run(`dense conv ${C}->${C} 3x3, TypeScript`, wDense, p, 'ts');
    if (wasmOk) run(`dense conv ${C}->${C} 3x3, wasm SIMD`, wDense, p, 'wasm');
    run(`depthwise ${C} 3x3, direct, TypeScript`, wDepth, { ...p, groups: C }, 'ts');
    if (wasmOk) run(`depthwise ${C} 3x3, direct, wasm SIMD`, wDepth, { ...p, groups: C }, 'wasm');
    {
      const y = new Float32Array(N * C * Q), col = new Float32Array(KH * KH * Q);
      rows.push({ label: `depthwise ${C} 3x3, per-channel im2col+GEMM`, macs: N * C * Q * 9, forwardMs: timeMs(() => perChannelIm2colForward(x, wDepth, { ...p, groups: C }, y, col), SAMPLES, SAMPLE_MS), backwardMs: null });
    }
    run(`pointwise ${C}->${2 * C} 1x1, TypeScript`, randomTensor([2 * C, C, 1, 1], 4), { stride: 1, padding: 0 }, 'ts');
    if (wasmOk) run(`pointwise ${C}->${2 * C} 1x1, wasm SIMD`, randomTensor([2 * C, C, 1, 1], 4), { stride: 1, padding: 0 }, 'wasm');

    shapes.push({ N, C, H, W, rows });
  }
  return { wasm: `${wasmStatus()}${buildError}`, samples: SAMPLES, sampleMs: SAMPLE_MS, shapes };
}

/** The tables, one per shape (ms per batch, GFLOP/s = 2 * mult-adds / time; backward counts 2 passes' worth). */
export function depthwiseTables(r: DepthwiseBenchResult): string {
  const lines = [`wasm kernels: ${r.wasm}; ${r.samples} samples of ~${r.sampleMs} ms each, median`];
  for (const { N, C, H, W, rows } of r.shapes) {
    lines.push(`\nbatch ${N} x ${C} channels ${H}x${W}, padding 1 (ms per batch, median; GFLOP/s = 2 * mult-adds / time)`);
    lines.push(`${'kernel'.padEnd(46)} ${'Mult-adds'.padStart(12)} ${'forward ms'.padStart(11)} ${'GFLOP/s'.padStart(8)} ${'backward ms'.padStart(12)} ${'GFLOP/s'.padStart(8)}`);
    for (const r of rows) {
      const gf = (ms: number, passes: number) => ((passes * 2 * r.macs) / ms / 1e6).toFixed(2);
      lines.push(`${r.label.padEnd(46)} ${r.macs.toLocaleString('en-US').padStart(12)} ${r.forwardMs.toFixed(3).padStart(11)} ${gf(r.forwardMs, 1).padStart(8)} ${(r.backwardMs === null ? '-' : r.backwardMs.toFixed(3)).padStart(12)} ${(r.backwardMs === null ? '-' : gf(r.backwardMs, 2)).padStart(8)}`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
  console.log(depthwiseTables(await runDepthwiseBench({ quick: values.quick })));
}
