// `npm run bench -- --rounds N`: how the rounds are summed up into one table.
import { describe, expect, it } from 'vitest';
import { type RoundResult, combineRounds, median } from '../bench/rounds.ts';

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
