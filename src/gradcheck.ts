// Gradient checking: compares the analytic gradients of backward() with central finite
// differences, in double precision, the way CS231n's gradient_check.py does.
//
//   numeric dL/dv[i] = (L(v[i] + h) - L(v[i] - h)) / (2h)
//   relError(a, n)   = max_i |a_i - n_i| / max(1e-8, |a_i| + |n_i|)
//
// For a single layer the scalar is L = sum(out * dy) with a fixed random dy, so dL/dout = dy.
// For a model with softmaxCrossEntropy, L is the mean cross-entropy of the labels.

import type { Layer, Param } from './layers/layer.ts';
import { softmaxCrossEntropy } from './kernels/softmax-xent.ts';
import { createRng } from './rng.ts';
import { Tensor } from './tensor.ts';

export interface GradCheckOptions {
  /** Labels: check model + softmax cross-entropy instead of a single layer with a random dy. */
  labels?: ArrayLike<number>;
  /** Finite-difference step (default 1e-5, as in CS231n). */
  h?: number;
  /** Largest relative error that passes (default 1e-6). */
  tolerance?: number;
  /** Check at most this many entries of each tensor, picked at random (default: all). */
  maxPerTensor?: number;
  /** Seed of dy and of the sampled entries (default 0). */
  seed?: number;
}

export interface GradCheckResult {
  passed: boolean;
  tolerance: number;
  /** The largest relative error over everything checked. */
  maxRelError: number;
  /** Relative error of dx under 'x', and of each parameter's gradient under its name. */
  errors: Record<string, number>;
}

/** CS231n's rel_error: the largest elementwise relative difference. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`relError: lengths differ (${a.length} vs ${b.length})`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1e-8, Math.abs(a[i]) + Math.abs(b[i]));
    if (e > max) max = e;
  }
  return max;
}

/**
 * Checks dL/dx and dL/dparam of `layer` (any Layer, a whole Sequential included) at input x.
 * The layer's parameters are switched to Float64 for the check and restored afterwards.
 */
export function gradCheck(layer: Layer, x: Tensor, opts: GradCheckOptions = {}): GradCheckResult {
  const h = opts.h ?? 1e-5;
  const tolerance = opts.tolerance ?? 1e-6;
  const rng = createRng(`gradcheck-${opts.seed ?? 0}`);
  const params = layer.params();
  const saved = params.map((p) => ({ value: p.value, grad: p.grad }));
  try {
    for (const p of params) {
      p.value = p.value.to('float64');
      p.grad = Tensor.zeros(p.value.shape, 'float64');
    }
    const x64 = x.to('float64');
    const outShape = layer.outputShape(x.shape);
    let dy: Tensor | null = null;
    if (!opts.labels) {
      dy = Tensor.zeros(outShape, 'float64');
      for (let i = 0; i < dy.size; i++) dy.data[i] = rng.normal();
    }
    const lossAt = (): number => {
      const out = layer.forward(x64);
      if (opts.labels) return softmaxCrossEntropy(out, opts.labels).loss;
      let s = 0;
      for (let i = 0; i < out.size; i++) s += out.data[i] * (dy as Tensor).data[i];
      return s;
    };

    // Analytic gradients.
    const out = layer.forward(x64);
    const upstream = opts.labels ? softmaxCrossEntropy(out, opts.labels).grad : (dy as Tensor);
    const dx = layer.backward(upstream);
    const analytic: Array<[string, Float64Array, Float64Array]> = [['x', x64.data as Float64Array, Float64Array.from(dx.data)]];
    for (const p of params) analytic.push([p.name, p.value.data as Float64Array, Float64Array.from(p.grad.data)]);

    // Numeric gradients, entry by entry.
    const errors: Record<string, number> = {};
    for (const [name, v, grad] of analytic) {
      const idx = pickEntries(v.length, opts.maxPerTensor, rng);
      const n = numericGradient(lossAt, v, h, idx);
      const a = Float64Array.from(idx, (i) => grad[i]);
      errors[name] = relError(a, n);
    }
    const maxRelError = Math.max(...Object.values(errors));
    return { passed: maxRelError < tolerance, tolerance, maxRelError, errors };
  } finally {
    params.forEach((p: Param, k) => { p.value = saved[k].value; p.grad = saved[k].grad; });
  }
}

function pickEntries(n: number, max: number | undefined, rng: ReturnType<typeof createRng>): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (max === undefined || max >= n) return all;
  return rng.shuffle(all).slice(0, max).sort((a, b) => a - b);
}

/**
 * Central finite differences, one entry at a time, in the precision of `v`:
 *
 *   numeric[k] = (f() with v[i] + h  -  f() with v[i] - h) / (2h),   i = indices[k] (default: every i)
 *
 * `f` reads `v`, which is changed in place while it runs and restored entry by entry. gradCheck and
 * `miniconv explain` both take their numeric gradients from here.
 */
export function numericGradient(f: () => number, v: { length: number; [i: number]: number }, h = 1e-5, indices?: ArrayLike<number>): Float64Array {
  const idx = indices ?? Array.from({ length: v.length }, (_, i) => i);
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const old = v[i];
    v[i] = old + h; const lp = f();
    v[i] = old - h; const lm = f();
    v[i] = old;
    out[k] = (lp - lm) / (2 * h);
  }
  return out;
}
