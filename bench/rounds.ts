// Several rounds of the whole benchmark, summed up as one table (`npm run bench -- --rounds N`).
//
// This machine's speed wanders from one minute, even one second, to the next (it shares its cores).
// One pass over the libraries can catch one of them in a slow spell and another in a fast one.
// With --rounds N, every library runs N times, in turns (A B C, A B C, ...), so that a slow spell
// is shared out, and each figure in the table is the median over the rounds. Peak memory is the
// largest over the rounds. Test accuracy and initial loss do not depend on speed and come from
// round 1.

/** What one library's run reports (the fields this file touches). */
export interface RoundResult {
  id: string;
  error?: string;
  trainImagesPerSecMedian?: number;
  inferImagesPerSec?: number;
  inferImagesPerSecFused?: number | null;
  peakRssMB?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One result per library from `rounds` (rounds[r][k] is library k in round r, in the same order
 * every round). A library that failed in any round keeps that round's error.
 */
export function combineRounds<T extends RoundResult>(rounds: T[][]): T[] {
  if (rounds.length === 0) throw new Error('combineRounds: no rounds');
  return rounds[0].map((first, k) => {
    const runs = rounds.map((round) => round[k]);
    if (runs.some((r) => r.id !== first.id)) throw new Error(`combineRounds: library ${k} is not ${first.id} in every round`);
    const failed = runs.find((r) => r.error);
    if (failed) return failed;
    const med = (f: (r: T) => number | null | undefined) => {
      const v = runs.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      return v.length ? median(v) : undefined;
    };
    return {
      ...first,
      trainImagesPerSecMedian: med((r) => r.trainImagesPerSecMedian),
      inferImagesPerSec: med((r) => r.inferImagesPerSec),
      inferImagesPerSecFused: first.inferImagesPerSecFused == null ? first.inferImagesPerSecFused : med((r) => r.inferImagesPerSecFused),
      peakRssMB: Math.max(...runs.map((r) => r.peakRssMB ?? 0)),
    };
  });
}
