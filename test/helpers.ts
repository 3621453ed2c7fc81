// Shared test inputs: seeded, and kept away from ReLU kinks and max-pool ties.
import { Tensor, createRng } from '../src/index.ts';

/** Gaussian values in float64. */
export function randn(shape: number[], seed: number | string): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** Values |v| in [0.1, 1.1) with a random sign: nothing within 0.1 of ReLU's kink at 0. */
export function awayFromZero(shape: number[], seed: number | string): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = (0.1 + rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1);
  return t;
}

/** A shuffled arithmetic progression: all values distinct, at least 0.01 apart, so no max-pool ties. */
export function distinct(shape: number[], seed: number | string): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = (i - t.size / 2) * 0.01;
  rng.shuffle(t.data);
  return t;
}

export const shapeName = (s: readonly number[]) => `[${s.join(',')}]`;
