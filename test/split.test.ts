// stratifiedSplit (src/train/split.ts): the held-out split shared by loadImageFolder and the page's
// Your classes panel.
import { describe, expect, test } from 'vitest';
import { createRng, stratifiedSplit } from '../src/index.ts';

describe('stratifiedSplit', () => {
  const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 0, 2, 2, 2, 1, 0]; // 7 zeros, 5 ones, 6 twos

  test('each class gives round(split * n) pictures to the held-out part, every index exactly once', () => {
    const { train, test: held } = stratifiedSplit(labels, 3, 0.2, createRng(1));
    expect([...train, ...held].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    const heldOf = (k: number) => held.filter((i) => labels[i] === k).length;
    expect([heldOf(0), heldOf(1), heldOf(2)]).toEqual([1, 1, 1]); // round(1.4), round(1.0), round(1.2)
    const half = stratifiedSplit(labels, 3, 0.5, createRng(1)).test;
    expect([0, 1, 2].map((k) => half.filter((i) => labels[i] === k).length)).toEqual([4, 3, 3]); // round(3.5) = 4, round(2.5) = 3, 3
  });

  test('at least one picture of each class stays for training; the same seed gives the same split', () => {
    const r = stratifiedSplit([0, 1, 1], 2, 0.9, createRng(3));
    expect(r.train.map((i) => [0, 1, 1][i]).sort()).toEqual([0, 1]);
    expect(stratifiedSplit(labels, 3, 0.2, createRng(5))).toEqual(stratifiedSplit(labels, 3, 0.2, createRng(5)));
    expect(stratifiedSplit(labels, 3, 0.2, createRng(5))).not.toEqual(stratifiedSplit(labels, 3, 0.2, createRng(6)));
  });

  test('a bad split or class count is refused, saying what it must be', () => {
    expect(() => stratifiedSplit(labels, 3, 1, createRng(1))).toThrow('stratifiedSplit: split must be a fraction between 0 and 1 (the share of each class held out), got 1');
    expect(() => stratifiedSplit(labels, 0, 0.2, createRng(1))).toThrow('stratifiedSplit: classCount must be a positive integer, got 0');
  });
});
