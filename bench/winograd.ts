// `npm run bench:winograd`: Winograd F(2x2,3x3) (Conv2D's winograd option, src/kernels/winograd.ts)
// against miniconv's default conv path, one thread, in ONE process, interleaved: on a loaded machine
// two runs minutes apart compare the load more than the code, so every round times both variants
// back to back and the figure reported is the median over rounds of the per-round ratio. Times are
// the process's CPU time (process.cpuUsage, user + system), not the wall clock: on a machine shared
// by more threads than cores the wall clock also counts the time spent waiting for a core, which
// swung the ratios by +-30% between runs here, the CPU time by a few percent.
//
//   npx tsx bench/winograd.ts [--rounds 15] [--quick] [--json FILE]
//
// 1. Models: vgg-mini and resnet-mini (src/train/zoo.ts), the same seeded weights twice, one copy with
//    winograd: true on every conv (convs Winograd does not apply to, or where its cost model says it
//    does not pay, run the default path: winogradPays in src/kernels/winograd.ts). A round: 4 training
//    steps (batch 32, SGD as the zoo's defaults, seeded random digits-shaped inputs) and 2 inference
//    passes (batch 100, evaluation mode) of each variant. img/s per variant, and the ratios.
// 2. Layers: one 3x3 stride-1 conv (padding 1, batch 32) at the zoo's shapes and wider ones, forward and
//    backward (dx, dw and db) timed the same way, to show where Winograd pays: the Winograd kernels are
//    called directly (winogradForwardWasm, winogradBackwardWasm), whatever the cost model says, and the
//    table says what it says (the column 'runs').
// The wasm kernels are used (float32); the machine's load is printed beside the figures.

import { loadavg, cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Tensor } from '../src/tensor.ts';
import { createRng } from '../src/rng.ts';
import { Conv2D } from '../src/layers/conv2d.ts';
import type { Layer } from '../src/layers/layer.ts';
import { leavesOf } from '../src/inspect/layer-tree.ts';
import { createVggMini, createResnetMini } from '../src/train/zoo.ts';
import { createOptimizer } from '../src/optim/factory.ts';
import { trainStep } from '../src/train/step.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { conv2dBackwardFast, conv2dForwardFast } from '../src/kernels/conv2d-fast.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { winogradBackwardWasm, winogradForwardWasm, winogradPays } from '../src/kernels/winograd.ts'; // (loading it plugs Winograd into the conv family)

const { values } = parseArgs({ options: { rounds: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'string' } } });
const quick = values.quick === true;
const rounds = Number(values.rounds ?? (quick ? 2 : 15));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be an integer >= 1, got ${values.rounds}`);
if (!getWasmKernels()) throw new Error(`bench:winograd needs the wasm kernels: ${wasmStatus()}`);

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rand = (shape: number[], seed: string) => { const r = createRng(seed); const t = new Tensor(shape); for (let i = 0; i < t.size; i++) t.data[i] = r.normal(); return t; };
const time = (f: () => void) => { const t0 = process.cpuUsage(); f(); const t = process.cpuUsage(t0); return (t.user + t.system) / 1000; }; // CPU ms

interface Pair { base: number[]; wino: number[] }
const ratioOf = (p: Pair) => median(p.wino.map((w, i) => p.base[i] / w)); // time ratio = speed-up

// ---- 1. models ----
function modelBench(name: string, build: (seed: number) => Layer) {
  const variants = [false, true].map((winograd) => {
    const model = build(1);
    if (winograd) for (const { layer } of leavesOf(model, Conv2D)) layer.winograd = true;
    const opt = createOptimizer('sgd', model.params(), { lr: 0.02, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    return { model, opt };
  });
  const x = rand([32, 1, 28, 28], `${name}-x`), labels = Uint8Array.from({ length: 32 }, (_, i) => i % 10);
  const xi = rand([100, 1, 28, 28], `${name}-xi`);
  const steps = quick ? 1 : 4, passes = quick ? 1 : 2;
  const train: Pair = { base: [], wino: [] }, infer: Pair = { base: [], wino: [] };
  for (const v of variants) { trainStep(v.model, v.opt, x, labels); v.model.eval(); v.model.forward(xi); } // warm-up: buffers, JIT
  for (let r = 0; r < rounds; r++) {
    variants.forEach((v, k) => {
      const ms = time(() => { for (let s = 0; s < steps; s++) trainStep(v.model, v.opt, x, labels); });
      (k ? train.wino : train.base).push(ms);
    });
    variants.forEach((v, k) => {
      v.model.eval();
      const ms = time(() => { for (let s = 0; s < passes; s++) v.model.forward(xi); });
      (k ? infer.wino : infer.base).push(ms);
    });
  }
  const ips = (ms: number[], imgs: number) => imgs / (median(ms) / 1000);
  return {
    model: name, convs: leavesOf(variants[1].model, Conv2D).length,
    trainImgPerSec: { base: ips(train.base, 32 * steps), winograd: ips(train.wino, 32 * steps) }, trainSpeedup: ratioOf(train),
    inferImgPerSec: { base: ips(infer.base, 100 * passes), winograd: ips(infer.wino, 100 * passes) }, inferSpeedup: ratioOf(infer),
  };
}

// ---- 2. layers ----
function layerBench(N: number, C: number, H: number, F: number) {
  const x = rand([N, C, H, H], 'lx'), w = rand([F, C, 3, 3], 'lw'), b = rand([F], 'lb'), dy = rand([N, F, H, H], 'ldy');
  const p = { stride: 1, padding: 1 };
  const ws = createWorkspace();
  const dw = Tensor.zeros(w.shape), db = Tensor.zeros([F]), y = Tensor.zeros([N, F, H, H]), dx = Tensor.zeros(x.shape);
  const d = { N, CI: C, H, W: H, CO: F, P: 1 };
  const wasm = getWasmKernels()!;
  const fwd: Pair = { base: [], wino: [] }, bwd: Pair = { base: [], wino: [] };
  const reps = quick ? 1 : Math.max(3, Math.round(2e7 / (N * C * F * H * H * 9))); // ~20M multiply-adds a timing at least
  for (let r = 0; r <= rounds; r++) { // round 0 warms up
    let cache = conv2dForwardFast(x, w, b, p, { ws }).cache;
    let tf = time(() => { for (let i = 0; i < reps; i++) cache = conv2dForwardFast(x, w, b, p, { ws }).cache; });
    let tb = time(() => { for (let i = 0; i < reps; i++) conv2dBackwardFast(dy, cache, { ws, dwInto: dw, dbInto: db }); });
    if (r > 0) { fwd.base.push(tf / reps); bwd.base.push(tb / reps); }
    tf = time(() => { for (let i = 0; i < reps; i++) winogradForwardWasm(wasm, d, x.data, w.data, b.data, y.data); });
    tb = time(() => { for (let i = 0; i < reps; i++) winogradBackwardWasm(wasm, d, x.data, w.data, dy.data, null, dx.data, dw.data, db.data); });
    if (r > 0) { fwd.wino.push(tf / reps); bwd.wino.push(tb / reps); }
  }
  const macs = N * F * H * H * C * 9;
  return {
    shape: `${C}->${F} 3x3, ${H}x${H}, batch ${N}`, macs, runs: winogradPays({ C, F, OH: H, OW: H }),
    forwardMs: { base: median(fwd.base), winograd: median(fwd.wino) }, forwardSpeedup: ratioOf(fwd),
    backwardMs: { base: median(bwd.base), winograd: median(bwd.wino) }, backwardSpeedup: ratioOf(bwd),
  };
}

const started = new Date().toISOString();
const load0 = loadavg()[0];
const models = [modelBench('vgg-mini', createVggMini), modelBench('resnet-mini', createResnetMini)];
const shapes: Array<[number, number, number, number]> = quick
  ? [[8, 8, 14, 8]]
  : [[32, 1, 28, 8], [32, 1, 28, 16], [32, 8, 28, 8], [32, 8, 14, 16], [32, 16, 14, 16], [32, 16, 7, 32], [32, 32, 7, 32], [32, 32, 14, 32], [32, 64, 14, 64], [16, 128, 14, 128]];
const layers = shapes.map(([N, C, H, F]) => layerBench(N, C, H, F));
const load1 = loadavg()[0];

const f0 = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
console.log(`\nWinograd F(2x2,3x3) against the default conv path: ${started.slice(0, 16)} UTC, ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, kernels ${wasmStatus()}, one thread.`);
console.log(`Load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end (2 cores): ratios within a round mean more than img/s. ${rounds} rounds, CPU time.`);
console.log('\n| model | train img/s default / Winograd | train speed-up | infer img/s default / Winograd | infer speed-up |');
console.log('| --- | --- | --- | --- | --- |');
for (const m of models) {
  console.log(`| ${m.model} | ${f0(m.trainImgPerSec.base)} / ${f0(m.trainImgPerSec.winograd)} | ${m.trainSpeedup.toFixed(2)}x | ${f0(m.inferImgPerSec.base)} / ${f0(m.inferImgPerSec.winograd)} | ${m.inferSpeedup.toFixed(2)}x |`);
}
console.log('\n| layer | forward ms default / Winograd | forward speed-up | backward (dx, dw, db) ms default / Winograd | backward speed-up | runs (cost model) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const l of layers) {
  console.log(`| ${l.shape} | ${l.forwardMs.base.toFixed(3)} / ${l.forwardMs.winograd.toFixed(3)} | ${l.forwardSpeedup.toFixed(2)}x | ${l.backwardMs.base.toFixed(3)} / ${l.backwardMs.winograd.toFixed(3)} | ${l.backwardSpeedup.toFixed(2)}x | ${l.runs ? 'yes' : 'no'} |`);
}
console.log('\nSpeed-up: the median over rounds of (default time / Winograd time) measured back to back; the target for the models is 1.3x.');
if (values.json) writeFileSync(values.json, JSON.stringify({ started, rounds, loadavg: [load0, load1], models, layers }, null, 2));
