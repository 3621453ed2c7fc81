// Shared test helpers: seeded inputs (kept away from ReLU kinks and max-pool ties where asked), the
// error measure of the fast-vs-naive tests, and the check that a layer gives the same numbers on every backend.
import { expect } from 'vitest';
import { type DType, type Layer, type Rng, Tensor, createRng } from '../src/index.ts';
import { type Backend, BACKENDS, type KernelFamily, type KernelFn, type KernelPair, withFallback } from '../src/kernels/backend.ts';

export { awayFromZero, distinct, randn } from '../src/gradcheck.ts';

export const shapeName = (s: readonly number[]) => `[${s.join(',')}]`;

/** Gaussian values in float32, seeded. */
export function rand(shape: number[], seed: string): Tensor {
  const rng = createRng(seed);
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** Gaussian values from `rng` in `dtype`. */
export function randomTensor(rng: Rng, shape: number[], dtype: DType): Tensor {
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** max |a - b| / max |b| (max |a - b| when b is all zeros): how far a fast kernel's result is from the naive one. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? err : err / scale;
}

/**
 * Builds the layer on every backend, runs forward and backward on the same seeded x and dy (`passes`
 * times: a second pass checks that reused buffers hold no stale values and that gradients add), and
 * expects y, dx and every parameter gradient of 'ts' and 'wasm' within 1e-5 (relative) of 'naive'.
 */
export function expectSameOnEveryBackend(make: (backend: Backend) => Layer, shape: number[], passes = 1): void {
  const x = rand(shape, 'x');
  const runs = BACKENDS.map((backend) => {
    const layer = make(backend);
    const y = layer.forward(x);
    const dy = rand([...y.shape], 'dy');
    const dx = layer.backward(dy);
    for (let p = 1; p < passes; p++) { layer.forward(x); layer.backward(dy); }
    return { backend, y, dx, grads: layer.params().map((p) => p.grad) };
  });
  const close = (a: Tensor, b: Tensor, what: string) => {
    expect(a.shape, what).toEqual(b.shape);
    let scale = 1e-6, err = 0;
    for (let i = 0; i < a.size; i++) { scale = Math.max(scale, Math.abs(b.data[i])); err = Math.max(err, Math.abs(a.data[i] - b.data[i])); }
    expect(err / scale, what).toBeLessThan(1e-5);
  };
  const [naive, ...fast] = runs;
  for (const r of fast) {
    close(r.y, naive.y, `${r.backend} y`);
    close(r.dx, naive.dx, `${r.backend} dx`);
    r.grads.forEach((g, i) => close(g, naive.grads[i], `${r.backend} grad ${i}`));
  }
}

/** Which implementation of a kernel family a test calls: one by name, or 'fast' (wasm behind the fallback rule, as the 'wasm' backend runs it). */
export type Impl = 'naive' | 'ts' | 'wasm' | 'fast';

/** `family`'s implementation `which` (a family without a wasm pair: 'wasm' is its TypeScript pair). */
export function impl<F extends KernelFn, B extends KernelFn>(family: KernelFamily<F, B>, which: Impl): KernelPair<F, B> {
  if (which === 'fast') return withFallback(family);
  if (which === 'wasm') return family.wasm ?? family.ts;
  return family[which];
}
