// `npm run bench`: miniconv against TensorFlow.js (cpu and wasm backends) and ConvNetJS, side by
// side in one run, on the reference network of ConvNetJS's MNIST demo (see bench/peers/README.md).
//
// Every library gets the same fixture: the same initial weights, the same order of the same
// training images, the same batch size and SGD settings. Each runs in its own child process, one
// after the other (never two at once: they would share the 2 cores), so its peak memory is its own.
// Training throughput is the median over chunks of ~1,000 images; inference is the median of seven
// passes over the test images in batches of 100, after up to 20 untimed warm-up passes (at most 3 s;
// peers/common.ts's warmUp says why: the threaded figure climbs for the first ~20 passes).
//
//   npm run bench [-- --quick] [-- --json FILE] [-- --train-images N] [-- --only miniconv,convnetjs] [-- --rounds N]
//
//   npm run bench -- --model NAME [--quick] [--rounds N] [--train-images N] [--only ...] [--json FILE]
//
// ONNX Runtime (onnxruntime-node, native, and onnxruntime-web, wasm, each one thread) runs inference only, on
// miniconv's exportOnnx of the model miniconv's 1-thread entry trained in the same run (peers/onnxruntime.ts).
// --model NAME benchmarks a zoo model (digits, lenet5, vgg-mini, resnet-mini, mobilenet-mini) instead:
// miniconv against TF.js-wasm on the same architecture (bench/zoo.ts says how).
// --quick trains a few hundred images per library (a smoke test; one test runs it).
// --rounds N runs every library N times in turns and reports medians (see rounds.ts): use it when the
// machine is noisy and the ratios matter.
//
// Every run also measures the machine's GEMM ceiling (miniconv's wasm GEMM at 256 x 256 x 256, one
// core, the fastest timed sample, sampled again after every round: bench/gemm.ts's sampleCeiling and
// ceilingOf) and prints each library's GFLOP/s per thread as a percentage of it: the distance to this
// machine's limit in one ratio. --no-gemm skips the GEMM tables, not the ceiling. With two threads it
// also measures what two cores give the reference network's training and inference
// (bench/two-cores.ts), after every round, and prints miniconv's ratios beside them.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ceilingOf, runGemmBench, sampleCeiling } from './gemm.ts';
import { type TwoCores, describeTwoCores, joinTwoCores, measureTwoCores } from './two-cores.ts';
import { combineRounds, median } from './rounds.ts';
import { INFER_WARMUP_PASSES } from './peers/common.ts';
import { runZooBench } from './zoo.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** FLOPs of the reference network per image: forward, and a training step (forward + backward = 3x). */
const FORWARD_FLOP = 2 * (8 * 25 * 28 * 28 + 16 * 200 * 14 * 14 + 256 * 10); // 1,573,120
const TRAIN_FLOP = 3 * FORWARD_FLOP;

interface Entry { id: string; label: string; script: string; args: string[]; trainImages?: number; inferenceOnly?: boolean }
interface Result {
  id: string; label: string; error?: string;
  threads?: number; trainImages?: number; trainImagesPerSec?: number; trainImagesPerSecMedian?: number;
  inferImagesPerSec?: number; inferImagesPerSecFused?: number | null; testAccuracy?: number; peakRssMB?: number;
  initialLoss?: number; notes?: string; inferenceOnly?: boolean;
}

/** The ONNX Runtime builds installed (onnxruntime-web is a devDependency that may be missing from an older install). */
function ortRuntimes(): Array<'node' | 'web'> {
  return (['node', 'web'] as const).filter((r) => existsSync(join(here, '..', 'node_modules', `onnxruntime-${r}`, 'package.json')));
}

function entries(quick: boolean, trainImages: number | null, onnx: string): Entry[] {
  const cores = availableParallelism();
  const full = trainImages ?? (quick ? 320 : 8000);
  const cpuImages = Math.min(full, quick ? 32 : 320); // TF.js's cpu backend trains at ~9 images/s
  const all: Entry[] = [
    { id: 'miniconv-1', label: 'miniconv, 1 thread', script: 'miniconv.ts', args: ['--threads', '1', '--save-onnx', onnx] },
    { id: `miniconv-${cores}`, label: `miniconv, ${cores} threads`, script: 'miniconv.ts', args: ['--threads', String(cores)] },
    { id: 'tfjs-wasm-1', label: 'TF.js 4.22 wasm SIMD, 1 thread', script: 'peers/tfjs.ts', args: ['--backend', 'wasm', '--threads', '1'] },
    { id: `tfjs-wasm-${cores}`, label: `TF.js 4.22 wasm SIMD, ${cores} threads*`, script: 'peers/tfjs.ts', args: ['--backend', 'wasm', '--threads', String(cores)] },
    { id: 'tfjs-cpu', label: 'TF.js 4.22 cpu (pure JS)', script: 'peers/tfjs.ts', args: ['--backend', 'cpu'], trainImages: cpuImages },
    { id: 'convnetjs', label: 'ConvNetJS 0.3.0 (float64)', script: 'peers/convnetjs.ts', args: [] },
    // Inference only, on the model miniconv's 1-thread entry trained and exported (--save-onnx), so they run after it.
    ...ortRuntimes().map((r) => ({
      id: `onnxruntime-${r}-1`, label: r === 'node' ? 'ONNX Runtime 1.30 native, 1 thread' : 'ONNX Runtime web 1.30 wasm, 1 thread',
      script: 'peers/onnxruntime.ts', args: ['--runtime', r, '--onnx', onnx], inferenceOnly: true,
    })),
  ];
  return all.filter((e, i) => all.findIndex((o) => o.id === e.id) === i) // one core: the 1-thread entries only
    .map((e) => ({ ...e, trainImages: e.trainImages ?? full }));
}

function runEntry(e: Entry, fixture: string, quick: boolean): Result {
  const args = ['--import', 'tsx', join(here, e.script), '--fixture', fixture, ...e.args, '--train-images', String(e.trainImages)];
  if (quick) args.push('--infer-images', '300', '--infer-runs', '1', '--infer-warmup', '0');
  process.stderr.write(`\n== ${e.label}: ${e.inferenceOnly ? 'inference only' : `training ${e.trainImages} images`} ==\n`);
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, timeout: 60 * 60_000 });
  const last = child.stdout?.trim().split('\n').pop() ?? '';
  try {
    const r = JSON.parse(last) as Result;
    return { ...r, id: e.id, label: e.label, inferenceOnly: e.inferenceOnly };
  } catch {
    return { id: e.id, label: e.label, error: `exit ${child.status ?? child.signal}: no JSON report (${last.slice(0, 200)})` };
  }
}

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));


function table(results: Result[], ceiling: number): string {
  const best = (id: string) => results.find((r) => r.id === id && !r.error);
  const mc1 = best('miniconv-1');
  const mcN = results.filter((r) => r.id.startsWith('miniconv') && !r.error).sort((a, b) => (b.trainImagesPerSecMedian ?? 0) - (a.trainImagesPerSecMedian ?? 0))[0];
  const rows = [['library', 'train img/s', 'infer img/s', 'train GFLOP/s', 'infer GFLOP/s', 'per thread % ceiling (train / infer)', 'peak RSS MB', 'test acc', 'miniconv train x', 'miniconv infer x']];
  for (const r of results) {
    if (r.error) { rows.push([r.label, `error: ${r.error.slice(0, 60)}`, '', '', '', '', '', '', '', '']); continue; }
    // Compare like with like: miniconv on as many threads as the peer, where that peer has a thread count.
    const mine = r.threads && r.threads > 1 ? mcN : mc1;
    const infer = Math.max(r.inferImagesPerSec ?? 0, r.inferImagesPerSecFused ?? 0);
    const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}` : '-');
    const trainGflops = ((r.trainImagesPerSecMedian ?? NaN) * TRAIN_FLOP) / 1e9, inferGflops = (infer * FORWARD_FLOP) / 1e9;
    const ofCeiling = (gflops: number) => (Number.isFinite(gflops) ? `${fmt((100 * gflops) / (r.threads ?? 1) / ceiling)}%` : '-');
    rows.push([
      r.label, fmt(r.trainImagesPerSecMedian), `${fmt(r.inferImagesPerSec)}${r.inferImagesPerSecFused ? ` (fused ${fmt(r.inferImagesPerSecFused)})` : ''}`,
      fmt(trainGflops, 2), fmt(inferGflops, 2), `${ofCeiling(trainGflops)} / ${ofCeiling(inferGflops)}`, fmt(r.peakRssMB),
      r.testAccuracy !== undefined ? `${(100 * r.testAccuracy).toFixed(2)}% (${r.inferenceOnly ? "miniconv's model" : `${fmt(r.trainImages)} img`})` : '-',
      r.id.startsWith('miniconv') ? '' : ratio(mine?.trainImagesPerSecMedian, r.trainImagesPerSecMedian),
      r.id.startsWith('miniconv') ? '' : ratio(Math.max(mine?.inferImagesPerSec ?? 0), infer),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, json: { type: 'string' }, 'train-images': { type: 'string' }, only: { type: 'string' }, 'no-gemm': { type: 'boolean' },
      rounds: { type: 'string' }, model: { type: 'string' },
    },
    strict: true,
  });
  const quick = Boolean(values.quick);
  const trainImages = values['train-images'] ? Number(values['train-images']) : null;
  if (trainImages !== null && !(Number.isInteger(trainImages) && trainImages >= 32)) throw new Error(`bench: --train-images must be an integer >= 32, got ${values['train-images']}`);
  const rounds = values.rounds ? Number(values.rounds) : 1;
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error(`bench: --rounds must be an integer from 1 to 20, got ${values.rounds}`);
  const only = values.only ? values.only.split(',') : null;
  if (values.model !== undefined) {
    return runZooBench({ model: values.model, quick, trainImages, rounds, only, json: values.json, noGemm: Boolean(values['no-gemm']) });
  }
  // One fixture for every library: seeded He-normal weights and a seeded permutation of the training set.
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-bench-'));
  const fixture = join(dir, 'fixture.json');
  const list = entries(quick, trainImages, join(dir, 'miniconv-trained.onnx')).filter((e) => !only || only.some((o) => e.id.startsWith(o)));
  if (list.some((e) => e.inferenceOnly) && !list.some((e) => e.id === 'miniconv-1')) {
    throw new Error("bench: --only picks ONNX Runtime without 'miniconv-1', whose trained model it runs; add miniconv-1 to --only");
  }
  const made = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'peers', 'make-fixture.ts'), '--out', fixture], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (made.status !== 0) throw new Error('bench: could not write the fixture');

  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const ceilingSamples: number[] = [];
  const perRound: Result[][] = [];
  // What two cores give the reference network's training and inference in each round (bench/two-cores.ts), when miniconv runs threaded.
  const threaded = list.some((e) => e.id === 'miniconv-2');
  const twoTrain: TwoCores[] = [], twoInfer: TwoCores[] = [];
  for (let r = 1; r <= rounds; r++) {
    if (rounds > 1) process.stderr.write(`\n==== round ${r} of ${rounds} ====\n`);
    perRound.push(list.map((e) => runEntry(e, fixture, quick)));
    // A sample of the GEMM ceiling after every round: the run's ceiling is the fastest of them all (gemm.ts's sampleCeiling).
    ceilingSamples.push(await sampleCeiling(quick ? 2 : 5, quick ? 30 : 100));
    if (threaded) {
      process.stderr.write('\n== two cores: one process alone, then two at once, training and inference (bench/two-cores.ts) ==\n');
      for (const [work, into] of [['train', twoTrain], ['infer', twoInfer]] as const) {
        into.push(await measureTwoCores({ model: 'reference', work, rounds: 1, ms: quick ? 300 : 2500 }));
      }
    }
  }
  const results = combineRounds(perRound);

  process.stderr.write('\n== GEMM micro-benchmark ==\n');
  const gemm = await runGemmBench({ quick: quick || Boolean(values['no-gemm']), log: values['no-gemm'] ? () => {} : (s) => process.stderr.write(`${s}\n`) });
  const ceiling = ceilingOf(gemm, ceilingSamples);
  const twoCores = threaded ? { train: joinTwoCores(twoTrain), infer: joinTwoCores(twoInfer) } : null;

  const date = new Date().toISOString();
  console.log(`\nminiconv benchmark, ${date.slice(0, 10)}, ${machine}`);
  console.log(`Reference network (ConvNetJS MNIST demo), batch 32, SGD lr 0.01 momentum 0.9; ${TRAIN_FLOP / 1e6} MFLOP per training image, ${FORWARD_FLOP / 1e6} per inference.`);
  console.log(`Train img/s: median over chunks of ~1,000 images; infer img/s: median of passes over the test images, batch 100${quick ? '' : `, after up to ${INFER_WARMUP_PASSES} untimed warm-up passes`}.`);
  if (rounds > 1) console.log(`Every library ran ${rounds} times, in turns; each figure is the median over the rounds, peak RSS the largest.`);
  console.log('');
  console.log(`GEMM ceiling measured in this run: ${ceiling.gflops.toFixed(1)} GFLOP/s per core (${ceiling.what}); "% ceiling" is a library's GFLOP/s per thread over it.`);
  console.log(table(results, ceiling.gflops));
  if (twoCores) {
    console.log(`\n${describeTwoCores(twoCores.train)}.\n${describeTwoCores(twoCores.infer)}.`);
    // miniconv's own ratios, round by round, each against the two-process figure measured right after that round's runs.
    const k1 = list.findIndex((e) => e.id === 'miniconv-1'), k2 = list.findIndex((e) => e.id === 'miniconv-2');
    const ratios = (field: 'trainImagesPerSecMedian' | 'inferImagesPerSec') => perRound.map((round) => (round[k2]?.[field] ?? NaN) / (round[k1]?.[field] ?? NaN));
    if (k1 >= 0 && k2 >= 0) {
      const line = (what: string, mine: number[], bound: TwoCores) =>
        `${what} ${mine.map((v) => fmt(v, 2)).join(', ')} (median ${fmt(median(mine), 2)}x; of the two processes' figure of the same round: ${mine.map((v, i) => `${fmt((100 * v) / bound.ratios[i])}%`).join(', ')})`;
      console.log(`miniconv, 2 threads over 1, per round: ${line('training', ratios('trainImagesPerSecMedian'), twoCores.train)}; ${line('inference', ratios('inferImagesPerSec'), twoCores.infer)}.`);
    }
  }
  if (rounds > 1) {
    console.log('\nEach round (train img/s / infer img/s, fused where the library has it):');
    for (const [k, e] of list.entries()) {
      const cells = perRound.map((round) => {
        const r = round[k];
        if (r.error) return 'error';
        return `${fmt(r.trainImagesPerSecMedian)} / ${fmt(Math.max(r.inferImagesPerSec ?? 0, r.inferImagesPerSecFused ?? 0))}`;
      });
      console.log(`  ${e.label.padEnd(38)} ${cells.join('   ')}`);
    }
  }
  console.log('\n* TF.js-wasm on Node runs one thread unless forced (bench/peers/README.md); every TF.js-wasm run registers a');
  console.log("  Conv2DBackpropFilter kernel built from wasm's own Transpose and Conv2D, which 4.22 lacks for training.");
  console.log('  "miniconv x": miniconv 1 thread against 1-thread peers (TF.js-wasm 1 thread, TF.js cpu, ConvNetJS); miniconv at its');
  console.log('  faster thread count against the multi-threaded TF.js-wasm run.');
  if (results.some((r) => r.inferenceOnly)) {
    console.log("  ONNX Runtime: inference only, one thread, on miniconv's exportOnnx of the model miniconv trained in this run");
    console.log('  (the same test images, batch 100, the same warm-up); "miniconv infer x" below 1 means ONNX Runtime is faster.');
  }
  if (!values['no-gemm']) {
    console.log(`\nGEMM ceiling (miniconv's kernels, GFLOP/s median, one core; wasm: ${gemm.wasm}):`);
    for (const g of gemm.gemm) console.log(`  ${g.label.padEnd(40)} TypeScript ${g.ts.median.toFixed(1).padStart(5)}   wasm ${g.wasm ? g.wasm.median.toFixed(1).padStart(5) : '    -'}`);
  }
  const failed = results.filter((r) => r.error);
  if (values.json) {
    writeFileSync(values.json, JSON.stringify({ date, machine, quick, rounds, trainFlopPerImage: TRAIN_FLOP, forwardFlopPerImage: FORWARD_FLOP, results, perRound, gemm, ceilingGflops: ceiling.gflops, twoCores }, null, 2));
    console.log(`\nFigures written to ${values.json}`);
  }
  return failed.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
