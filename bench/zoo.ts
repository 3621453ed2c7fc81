// `npm run bench -- --model NAME`: one zoo model (src/train/zoo.ts) trained and inferred by miniconv
// (1 thread and all cores) and by TensorFlow.js 4.22 on its wasm backend (1 thread and all cores),
// side by side in one run, on the same architecture: bench/peers/tfjs-zoo-model.ts writes the model
// with tf ops from miniconv's layer configs, with the same seeded initial weights, the same batches in
// the same order and the same optimiser (bench/zoo-fixture.ts). bench/run.ts calls runZooBench when
// it is given --model; --rounds, --quick, --train-images, --only, --json and --no-gemm work as there.
//
// Before timing anything, one TF.js script (--probe-kernels) runs a training step and an inference
// pass on the cpu backend under tf.profile and lists the kernels the wasm backend does not register.
// tfjs-backend-wasm 4.22 has no depthwise gradient kernels: for mobilenet-mini this bench registers
// its own (bench/peers/wasm-depthwise-backprop.ts, built from wasm's kernels), the TF.js-wasm rows
// say so, and a TF.js cpu row (pure JS, a few hundred images) gives TF.js-as-shipped's training
// figure. A kernel still missing after that makes the TF.js-wasm rows inference only, naming it.
//
// Checks, not only speed: every library's loss on the first batch at the initial weights must agree
// with miniconv's to 1e-4, or the architectures differ and the run fails (exit 1).
//
// Figures as bench/run.ts: train img/s the median over chunks of ~1,000 images (5 chunks on a short
// run), infer img/s the median of 5 passes over 1,000 test images in batches of 100 (eval mode); GFLOP/s
// from the model's own multiply-adds (model.macs(), what `miniconv summary` shows: conv and dense only;
// batch norm, pooling and activations are not counted), a training image counted as 3x a forward
// pass; "% ceiling" is GFLOP/s per thread over the GEMM ceiling measured in the same run.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LayerConfig } from '../src/layers/layer.ts';
import { ZOO_NAMES } from '../src/train/zoo.ts';
import { ceilingOf, runGemmBench, sampleCeiling } from './gemm.ts';
import { combineRounds } from './rounds.ts';
import { depthwiseTables, runDepthwiseBench, type DepthwiseBenchResult } from './depthwise.ts';
import { loadData } from './peers/common.ts';
import { makeZooFixture, writeZooFixture } from './zoo-fixture.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** How far a library's first-batch loss may be from miniconv's (1 thread) before the run fails. */
export const INITIAL_LOSS_TOLERANCE = 1e-4;

export interface ZooBenchOptions {
  model: string;
  quick: boolean;
  /** Training images per library (default 2,000; 128 with quick). */
  trainImages: number | null;
  rounds: number;
  /** Library ids (prefixes) to run, or null for all. */
  only: string[] | null;
  json?: string;
  noGemm: boolean;
}

interface Entry { id: string; label: string; script: string; args: string[]; trainImages: number; threads: number; inferOnly?: string }
export interface ZooResult {
  id: string; label: string; error?: string; inferOnly?: string;
  threads?: number; trainImages?: number; trainImagesPerSecMedian?: number; inferImagesPerSec?: number; inferImagesPerSecFused?: number | null;
  testAccuracy?: number | null; peakRssMB?: number; initialLoss?: number; finalChunkLoss?: number; notes?: string;
}
interface Probe {
  trainKernels: string[]; inferKernels: string[];
  /** What tfjs-backend-wasm 4.22 as shipped lacks for a training step of the model. */
  missingOnStockWasmForTraining: string[];
  /** What this bench registers for it (wasm-conv2d-backprop-filter.ts, wasm-depthwise-backprop.ts). */
  patchedKernels: string[];
  /** Still missing after those. */
  missingOnWasmForTraining: string[]; missingOnWasmForInference: string[]; error?: string;
}

/** The last stdout line of a script as JSON, or an error naming the exit status. */
function spawnJson<T>(script: string, args: string[], what: string): T & { error?: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, timeout: 60 * 60_000 });
  const last = child.stdout?.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T & { error?: string };
  } catch {
    return { error: `${what}: exit ${child.status ?? child.signal}, no JSON report (${last.slice(0, 200)})` } as T & { error?: string };
  }
}

function entries(o: ZooBenchOptions, probe: Probe, probeConfig: LayerConfig): Entry[] {
  const cores = availableParallelism();
  const full = o.trainImages ?? (o.quick ? 128 : 2000);
  const lacks = probe.missingOnWasmForTraining;
  const inferOnly = lacks.length ? `tfjs-backend-wasm 4.22 registers no ${lacks.join(', ')} (the gradient kernels of this model's layers)` : undefined;
  // Beyond the Conv2DBackpropFilter every TF.js-wasm run of this bench registers: the rows say so.
  const extra = probe.patchedKernels.filter((k) => k !== 'Conv2DBackpropFilter');
  const wasmNote = lacks.length ? ' (inference only)' : extra.length ? ' + patched depthwise grads**' : '';
  const list: Entry[] = [
    { id: 'miniconv-1', label: 'miniconv, 1 thread', script: 'zoo-miniconv.ts', args: ['--threads', '1'], trainImages: full, threads: 1 },
    ...(hasWinogradConv(probeConfig) ? [{ id: 'miniconv-1-winograd', label: 'miniconv, 1 thread, Winograd F(2x2,3x3)', script: 'zoo-miniconv.ts', args: ['--threads', '1', '--winograd'], trainImages: full, threads: 1 }] : []),
    { id: `miniconv-${cores}`, label: `miniconv, ${cores} threads`, script: 'zoo-miniconv.ts', args: ['--threads', String(cores)], trainImages: full, threads: cores },
    { id: 'tfjs-wasm-1', label: `TF.js 4.22 wasm SIMD, 1 thread${wasmNote}`, script: 'peers/tfjs-zoo.ts', args: ['--backend', 'wasm', '--threads', '1'], trainImages: full, threads: 1, inferOnly },
    { id: `tfjs-wasm-${cores}`, label: `TF.js 4.22 wasm SIMD, ${cores} threads*${wasmNote}`, script: 'peers/tfjs-zoo.ts', args: ['--backend', 'wasm', '--threads', String(cores)], trainImages: full, threads: cores, inferOnly },
  ];
  // TF.js's pure-JS cpu backend has every gradient kernel, at a few images a second: the training
  // figure of TF.js as shipped for a model whose gradients wasm lacks.
  const stockLacks = probe.missingOnStockWasmForTraining.filter((k) => k !== 'Conv2DBackpropFilter');
  if (stockLacks.length) list.push({ id: 'tfjs-cpu', label: 'TF.js 4.22 cpu (pure JS)', script: 'peers/tfjs-zoo.ts', args: ['--backend', 'cpu'], trainImages: Math.min(full, o.quick ? 32 : 320), threads: 1 });
  return list.filter((e, i, all) => all.findIndex((x) => x.id === e.id) === i) // one core: the 1-thread entries only
    .filter((e) => !o.only || o.only.some((p) => e.id.startsWith(p)));
}

function runEntry(e: Entry, fixture: string, quick: boolean): ZooResult {
  const args = ['--fixture', fixture, ...e.args, '--train-images', String(e.trainImages)];
  if (e.inferOnly) args.push('--infer-only', e.inferOnly);
  // 1,000 test images, 5 passes (3 on TF.js's slow cpu backend), keep a run of a model to a few minutes.
  if (quick) args.push('--infer-images', '300', '--infer-runs', '1', '--infer-warmup', '0');
  else args.push('--infer-images', e.id === 'tfjs-cpu' ? '500' : '1000', '--infer-runs', e.id === 'tfjs-cpu' ? '3' : '5');
  process.stderr.write(`\n== ${e.label}: ${e.inferOnly ? 'inference only' : `training ${e.trainImages} images`} ==\n`);
  const r = spawnJson<ZooResult & { trainImagesPerSecMedian?: number | null }>(e.script, args, e.label);
  return { ...r, id: e.id, label: e.label, threads: r.threads ?? e.threads, trainImagesPerSecMedian: r.trainImagesPerSecMedian ?? undefined };
}

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** The zoo table: one row per library, the ratios miniconv / peer on the same thread count. */
export function zooTable(results: ZooResult[], forwardFlop: number, ceiling: number): string {
  const trainFlop = 3 * forwardFlop;
  const ok = (id: string) => results.find((r) => r.id === id && !r.error);
  const ref = ok('miniconv-1');
  const rows = [['library', 'train img/s', 'infer img/s', 'train GFLOP/s', 'infer GFLOP/s', 'per thread % ceiling (train / infer)', 'peak RSS MB', 'test acc', 'initial loss', 'miniconv train x', 'miniconv infer x']];
  for (const r of results) {
    if (r.error) { rows.push([r.label, `error: ${r.error.slice(0, 80)}`, '', '', '', '', '', '', '', '', '']); continue; }
    const mine = results.find((m) => m.id.startsWith('miniconv') && !m.error && m.threads === (r.threads ?? 1)) ?? ref;
    const train = r.trainImagesPerSecMedian ?? null, infer = r.inferImagesPerSec ?? null;
    const trainGflops = train === null ? null : (train * trainFlop) / 1e9, inferGflops = infer === null ? null : (infer * forwardFlop) / 1e9;
    const ofCeiling = (g: number | null) => (g === null ? '-' : `${fmt((100 * g) / (r.threads ?? 1) / ceiling)}%`);
    const ratio = (a?: number | null, b?: number | null) => (a && b ? (a / b).toFixed(2) : '-');
    const delta = ref && r !== ref && r.initialLoss !== undefined && ref.initialLoss !== undefined ? ` (${(r.initialLoss - ref.initialLoss).toExponential(0)})` : '';
    rows.push([
      r.label, r.inferOnly ? 'no backward kernels' : fmt(train), fmt(infer), fmt(trainGflops, 2), fmt(inferGflops, 2), `${ofCeiling(trainGflops)} / ${ofCeiling(inferGflops)}`,
      fmt(r.peakRssMB), r.testAccuracy === null || r.testAccuracy === undefined ? '-' : `${(100 * r.testAccuracy).toFixed(2)}%`,
      r.initialLoss === undefined ? '-' : `${r.initialLoss.toFixed(6)}${delta}`,
      r.id.startsWith('miniconv') ? '' : ratio(mine?.trainImagesPerSecMedian, train),
      r.id.startsWith('miniconv') ? '' : ratio(mine?.inferImagesPerSec, infer),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** Libraries whose initial loss is missing or differs from miniconv's (1 thread) by more than the tolerance. */
export function initialLossDisagreements(results: ZooResult[]): string[] {
  const ref = results.find((r) => r.id === 'miniconv-1' && !r.error && r.initialLoss !== undefined);
  if (!ref) return [];
  return results.filter((r) => !r.error && (r.initialLoss === undefined || !(Math.abs(r.initialLoss - ref.initialLoss!) <= INITIAL_LOSS_TOLERANCE)))
    .map((r) => `${r.label}: initial loss ${r.initialLoss ?? 'missing'}, miniconv's ${ref.initialLoss}`);
}

/** Whether a layer config holds a conv Winograd runs: 3x3, stride 1, groups 1, dilation 1, padding <= 2 (src/kernels/winograd.ts). */
export function hasWinogradConv(c: LayerConfig): boolean {
  if (c.type === 'Conv2D') {
    return (c.kernelSize as number[]).join() === '3,3' && c.stride === 1 && c.groups === 1 && c.dilation === 1 && (c.padding as number) <= 2;
  }
  const children = [...((c.layers as LayerConfig[] | undefined) ?? []), c.block as LayerConfig | undefined, c.shortcut as LayerConfig | null | undefined];
  return children.some((child) => child && hasWinogradConv(child));
}

/** Whether a layer config holds a Conv2D with groups > 1 (mobilenet-mini's depthwise convs). */
export function hasGroupedConv(c: LayerConfig): boolean {
  if (c.type === 'Conv2D') return (c.groups as number) > 1;
  const children = [...((c.layers as LayerConfig[] | undefined) ?? []), c.block as LayerConfig | undefined, c.shortcut as LayerConfig | null | undefined];
  return children.some((child) => child && hasGroupedConv(child));
}

export async function runZooBench(o: ZooBenchOptions): Promise<number> {
  if (!ZOO_NAMES.includes(o.model)) throw new Error(`--model: unknown model '${o.model}', expected one of ${ZOO_NAMES.join(', ')}`);
  const data = loadData();
  const trainImages = o.trainImages ?? (o.quick ? 128 : 2000);
  const fx = makeZooFixture(o.model, 1, data.train.count, trainImages);
  const fixture = join(mkdtempSync(join(tmpdir(), 'miniconv-bench-zoo-')), 'fixture.json');
  writeZooFixture(fixture, fx);
  const forwardFlop = 2 * fx.macsPerImage;

  process.stderr.write(`\n== TF.js kernel probe (${o.model}: one training step and one inference pass on cpu, which kernels wasm lacks) ==\n`);
  const probe = spawnJson<Probe>('peers/tfjs-zoo.ts', ['--fixture', fixture, '--probe-kernels'], 'kernel probe');
  if (probe.error) throw new Error(`the TF.js kernel probe failed: ${probe.error}`);
  if (probe.missingOnWasmForInference.length) throw new Error(`TF.js-wasm lacks the forward kernels ${probe.missingOnWasmForInference.join(', ')} of ${o.model}: nothing to compare`);
  const list = entries(o, probe, fx.config);

  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const ceilingSamples: number[] = [];
  const perRound: ZooResult[][] = [];
  for (let r = 1; r <= o.rounds; r++) {
    if (o.rounds > 1) process.stderr.write(`\n==== round ${r} of ${o.rounds} ====\n`);
    perRound.push(list.map((e) => runEntry(e, fixture, o.quick)));
    // A sample of the GEMM ceiling after every round: the run's ceiling is the fastest of them all (gemm.ts's sampleCeiling).
    ceilingSamples.push(await sampleCeiling(o.quick ? 2 : 5, o.quick ? 30 : 100));
  }
  const results = combineRounds(perRound);

  process.stderr.write('\n== GEMM ceiling ==\n');
  const gemm = await runGemmBench({ quick: true, log: () => {} });
  const ceiling = ceilingOf(gemm, ceilingSamples);
  let depthwise: DepthwiseBenchResult | null = null;
  if (hasGroupedConv(fx.config) && !o.noGemm) {
    process.stderr.write('\n== depthwise and dense conv kernels (bench/depthwise.ts) ==\n');
    depthwise = await runDepthwiseBench({ quick: o.quick });
  }

  const date = new Date().toISOString();
  const disagree = initialLossDisagreements(results);
  const opt = fx.optimizer;
  console.log(`\nminiconv zoo benchmark: ${o.model}, ${date.slice(0, 10)}, ${machine}`);
  console.log(`${o.model} (seed ${fx.seed}): ${fx.paramCount.toLocaleString('en-US')} parameters, ${fx.macsPerImage.toLocaleString('en-US')} multiply-adds per image (model.macs()); ` +
    `${(3 * forwardFlop / 1e6).toFixed(2)} MFLOP per training image, ${(forwardFlop / 1e6).toFixed(2)} per inference.`);
  console.log(`Batch ${fx.batchSize}, ${opt.name} lr ${opt.lr}${opt.name === 'sgd' ? ` momentum ${opt.momentum}${opt.nesterov ? ' Nesterov' : ''}` : ''}, weight decay ${opt.weightDecay} (the zoo's default optimiser at its base rate, no schedule); the same ${trainImages.toLocaleString('en-US')} training images in the same order for every library.`);
  console.log('Train img/s: median over chunks of ~1,000 images (5 chunks on a short run); infer img/s: median of 5 passes over 1,000 test images (3 over 500 on TF.js cpu), batch 100, eval mode.');
  if (o.rounds > 1) console.log(`Every library ran ${o.rounds} times, in turns; each figure is the median over the rounds, peak RSS the largest.`);
  console.log(`\nGEMM ceiling measured in this run: ${ceiling.gflops.toFixed(1)} GFLOP/s per core (${ceiling.what}); "% ceiling" is a library's GFLOP/s per thread over it.`);
  console.log(zooTable(results, forwardFlop, ceiling.gflops));
  const im2col = results.find((r) => r.id === 'miniconv-1' && !r.error), wino = results.find((r) => r.id === 'miniconv-1-winograd' && !r.error);
  if (im2col && wino) {
    const x = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
    console.log(`\nWinograd F(2x2,3x3) over the default path, 1 thread, same run: training ${x(wino.trainImagesPerSecMedian, im2col.trainImagesPerSecMedian)}, ` +
      `inference ${x(wino.inferImagesPerSec, im2col.inferImagesPerSec)} (target 1.3x; test accuracy ${fmt(100 * (wino.testAccuracy ?? NaN), 2)}% vs ${fmt(100 * (im2col.testAccuracy ?? NaN), 2)}%).`);
  }
  if (o.rounds > 1) {
    console.log('\nEach round (train img/s / infer img/s):');
    for (const [k, e] of list.entries()) {
      const cells = perRound.map((round) => (round[k].error ? 'error' : `${fmt(round[k].trainImagesPerSecMedian)} / ${fmt(round[k].inferImagesPerSec)}`));
      console.log(`  ${e.label.padEnd(62)} ${cells.join('   ')}`);
    }
  }
  console.log(`\nInitial loss (first batch, initial weights, batch norm in training mode): ${disagree.length ? `DISAGREES beyond ${INITIAL_LOSS_TOLERANCE}:\n  ${disagree.join('\n  ')}` : `every library agrees with miniconv to ${INITIAL_LOSS_TOLERANCE} (the difference in brackets)`}.`);
  const stockLacks = probe.missingOnStockWasmForTraining.filter((k) => k !== 'Conv2DBackpropFilter');
  if (stockLacks.length) {
    console.log(`TF.js wasm as shipped cannot train ${o.model}: tfjs-backend-wasm 4.22 registers no ${stockLacks.join(', ')} (found by running one step on cpu under tf.profile).`);
    if (probe.missingOnWasmForTraining.length) console.log(`  Still missing after this bench's patches: ${probe.missingOnWasmForTraining.join(', ')}: the TF.js-wasm rows time inference only.`);
    else console.log(`  ** The TF.js-wasm rows train with ${stockLacks.join(' and ')} registered by this bench, built from wasm's own kernels\n     (bench/peers/wasm-depthwise-backprop.ts, checked against the cpu kernels by check-wasm-depthwise-grad.ts).`);
    console.log('  The TF.js cpu row is TF.js as shipped: pure JS, every kernel, trained on fewer images.');
  }
  console.log('* TF.js-wasm on Node runs one thread unless forced (bench/peers/README.md); every TF.js-wasm run registers a Conv2DBackpropFilter');
  console.log("  kernel built from wasm's own Transpose and Conv2D, which 4.22 lacks for training.");
  console.log('  "miniconv x": miniconv on as many threads as the peer (1 thread against TF.js cpu). miniconv on 2 threads splits each batch');
  console.log("  between the threads; batch norm then normalises each half by its own statistics (as PyTorch's DataParallel).");
  if (depthwise) console.log(`\nThe depthwise kernel beside the dense conv's (bench/depthwise.ts, miniconv's kernels alone, one thread):\n${depthwiseTables(depthwise)}`);
  const failed = results.filter((r) => r.error);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({
      date, machine, model: o.model, quick: o.quick, rounds: o.rounds, trainImages, paramCount: fx.paramCount, macsPerImage: fx.macsPerImage,
      trainFlopPerImage: 3 * forwardFlop, forwardFlopPerImage: forwardFlop, optimizer: opt, probe, results, perRound, ceilingGflops: ceiling.gflops,
      initialLossTolerance: INITIAL_LOSS_TOLERANCE, initialLossDisagreements: disagree, depthwise,
    }, null, 2));
    console.log(`\nFigures written to ${o.json}`);
  }
  return failed.length || disagree.length ? 1 : 0;
}
