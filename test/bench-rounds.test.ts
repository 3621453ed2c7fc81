// The bench's bookkeeping: how `--rounds N` is summed up into one table, the inference warm-up, the
// GEMM ceiling sampled over a run, and the two-process figures joined round by round.
import { describe, expect, it } from 'vitest';
import { type RoundResult, combineRounds, median } from '../bench/rounds.ts';
import { INFER_WARMUP_PASSES, parseArgs, warmUp } from '../bench/peers/common.ts';
import { ceilingOf, gemmCeiling, sampleCeiling } from '../bench/gemm.ts';
import { type TwoCores, joinTwoCores } from '../bench/two-cores.ts';

type Run = RoundResult & { initialLoss?: number };

describe('combineRounds', () => {
  const run = (id: string, train: number, infer: number, fused: number | null, rss: number): Run =>
    ({ id, trainImagesPerSecMedian: train, inferImagesPerSec: infer, inferImagesPerSecFused: fused, peakRssMB: rss, initialLoss: 2.3 });

  it('takes each library\'s median over the rounds, and its largest peak memory', () => {
    const combined = combineRounds([
      [run('a', 100, 1000, null, 200), run('b', 10, 90, 120, 300)],
      [run('a', 300, 3000, null, 210), run('b', 30, 70, 100, 310)],
      [run('a', 200, 2000, null, 190), run('b', 20, 80, 140, 305)],
    ]);
    expect(combined).toEqual([
      run('a', 200, 2000, null, 210),
      run('b', 20, 80, 120, 310),
    ]);
  });

  it('keeps a failed round\'s error, and refuses rounds that list the libraries differently', () => {
    const failed: Run = { id: 'a', error: 'exit 1: no JSON report' };
    expect(combineRounds([[run('a', 1, 1, null, 1)], [failed]])).toEqual([failed]);
    expect(() => combineRounds([[run('a', 1, 1, null, 1)], [run('b', 1, 1, null, 1)]])).toThrow(/library 0 is not a in every round/);
  });

  it('median of an odd and an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('the inference warm-up (bench/peers/common.ts)', () => {
  it('runs up to the given number of passes, none for 0', () => {
    let calls = 0;
    expect(warmUp(() => calls++, 5)).toBe(5);
    expect(calls).toBe(5);
    expect(warmUp(() => calls++, 0)).toBe(0);
    expect(calls).toBe(5);
  });

  it('stops once its time budget is spent, after at least one pass', () => {
    let calls = 0;
    const slow = () => { calls++; const t = performance.now(); while (performance.now() - t < 30) { /* a 30 ms pass */ } };
    expect(warmUp(slow, 20, 20)).toBe(1); // 30 ms spent after the first pass: over the 20 ms budget
    expect(warmUp(slow, 20, 0)).toBe(1);
    expect(calls).toBe(2);
    expect(warmUp(() => calls++, 5, 60_000)).toBe(5); // under the budget: the count decides
  });

  it('is --infer-warmup on every peer script, 20 passes by default', () => {
    expect(parseArgs(['--fixture', 'f.json']).inferWarmup).toBe(INFER_WARMUP_PASSES);
    expect(INFER_WARMUP_PASSES).toBe(20);
    expect(parseArgs(['--fixture', 'f.json', '--infer-warmup', '0']).inferWarmup).toBe(0);
    expect(() => parseArgs(['--fixture', 'f.json', '--infer-warmup', '-1'])).toThrow(/--infer-warmup must be an integer >= 0/);
  });
});

describe('the GEMM ceiling of a run (bench/gemm.ts)', () => {
  const result = (best: number) => ({
    wasm: 'wasm', layers: [],
    gemm: [{ label: 'square 256', M: 256, N: 256, K: 256, transA: false, transB: false, ts: { median: 5, best: 6 }, wasm: { median: best - 1, best }, wasmWithCopy: null }],
  });

  it('is the fastest of the GEMM bench\'s sample and the samples taken after each round', () => {
    expect(ceilingOf(result(28.4), [40.9, 37.2]).gflops).toBe(40.9);
    expect(ceilingOf(result(41.5), [40.9, 37.2]).gflops).toBe(41.5);
    expect(ceilingOf(result(41.5), [40.9, 37.2]).what).toMatch(/of 3 measurements/);
    expect(ceilingOf(result(28.4), [])).toEqual(gemmCeiling(result(28.4)));
  });

  it('samples the 256 x 256 x 256 product in GFLOP/s', async () => {
    const g = await sampleCeiling(1, 5);
    expect(g).toBeGreaterThan(0.1);
    expect(g).toBeLessThan(10_000);
  });
});

describe('two cores, measured round by round (bench/two-cores.ts)', () => {
  it('joins the rounds in order, the ratio their median', () => {
    const one = (alone: number, pair: [number, number]): TwoCores => ({ model: 'reference', work: 'infer', alone: [alone], pair: [pair], ratios: [(pair[0] + pair[1]) / alone], ratio: (pair[0] + pair[1]) / alone });
    const t = joinTwoCores([one(100, [90, 80]), one(100, [60, 60]), one(100, [95, 95])]);
    expect(t.ratios).toEqual([1.7, 1.2, 1.9]);
    expect(t.ratio).toBe(1.7);
    expect(t.alone).toEqual([100, 100, 100]);
    expect(t.work).toBe('infer');
    expect(() => joinTwoCores([])).toThrow(/no measurements/);
  });
});
