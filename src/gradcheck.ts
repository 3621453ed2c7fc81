// Gradient checking: compares the analytic gradients of backward() with central finite
// differences, in double precision, the way CS231n's gradient_check.py does.
//
//   numeric dL/dv[i] = (L(v[i] + h) - L(v[i] - h)) / (2h)
//   relError(a, n)   = max_i |a_i - n_i| / max(1e-8, |a_i| + |n_i|)
//
// The policy, per entry (as numpy's allclose and torch.autograd.gradcheck judge, with both bounds):
// an entry passes when its relative error is below `tolerance` (1e-6) OR its absolute error
// |a - n| is below `absTolerance` (1e-8). The absolute floor is for tiny entries: a central
// difference in float64 with h = 1e-5 on a loss of order 1 carries rounding noise of about
// 1e-16 / 1e-5 = 1e-11 and truncation of order h^2 = 1e-10, so where the true gradient is 1e-6 or 0
// (a Dense weight over dark pixels, a conv bias before BatchNorm2D in training mode, whose true
// gradient is 0) the relative error measures only that noise. `errors` and `maxRelError` count the
// entries above the floor; `worst` lists the entries nearest to failing (or failing), with both values.
//
// Two more checks a hand-written layer needs:
//   - Randomness held: Dropout in training mode would draw a new mask on every forward and make the
//     finite differences meaningless; gradCheck holds every layer's random draws fixed for the check
//     (Layer.holdRandomness), so the check runs in the layer's own mode with one mask.
//   - Accumulation: backward must ADD into param.grad (layer.ts, rule 1). gradCheck runs backward a
//     second time without zeroing: a gradient that is not twice the first one means the layer
//     overwrites param.grad (then training with gradient accumulation, or a shared parameter, breaks).
// The model's buffers (BatchNorm2D's running statistics, which every training-mode forward moves) and
// its parameters are restored afterwards.
//
// For a single layer the scalar is L = sum(y * dy) with a fixed random dy, so dL/dy = dy.
// For a model with softmaxCrossEntropy, L is the mean cross-entropy of the labels.
//
// Kinks. ReLU is not differentiable at 0 and max-pool not at a tie; real digits are full of exact
// zeros and equal pixels, so a step of +-h often crosses such a point, and there the central
// difference averages two different slopes: a correct backward pass looks wrong. So, as CS231n's
// notes suggest, gradCheck watches the choices the layers make (which ReLUs are on, which pixel wins
// each pool window: Layer.kinkState()). An entry whose step of +h or -h changes a choice straddles a
// kink: it is counted and not judged by the central difference. If one side's step changed nothing,
// the analytic gradient must equal that side's one-sided slope, (L(v+h) - L(v))/h or (L(v) - L(v-h))/h
// (the piece the backward pass differentiated), within the slope's own O(h) error; if both sides
// changed a choice (v sits exactly on a kink), the entry is reported as unjudged. For a layer that
// reports no choices, one-sided slopes that disagree by more than KINK_SPLIT (relative) mark a kink.

import type { Layer, Param } from './layers/layer.ts';
import { softmaxCrossEntropy } from './kernels/softmax-xent.ts';
import { createRng } from './rng.ts';
import { Tensor } from './tensor.ts';

/** Options of gradCheck(layer, x, options): the step, the tolerances, what to check and report. */
export interface GradCheckOptions {
  /** Labels: check model + softmax cross-entropy instead of a single layer with a random dy. */
  labels?: ArrayLike<number>;
  /** Finite-difference step (default 1e-5, as in CS231n). */
  h?: number;
  /** Largest relative error that passes (default 1e-6). */
  tolerance?: number;
  /** Largest absolute error that passes whatever the relative error (default 1e-8; see the header). */
  absTolerance?: number;
  /** How many of the worst entries `worst` lists (default 5). */
  worst?: number;
  /** Check at most this many entries of each tensor, picked at random (default: all). */
  maxPerTensor?: number;
  /** Seed of dy and of the sampled entries (default 0). */
  seed?: number;
}

/** What gradCheck found: whether it passed, the errors per tensor, the worst entries, kinks and accumulation failures. */
export interface GradCheckResult {
  /** Every smooth entry within tolerance or absTolerance, every kink entry on one of its one-sided slopes, and every gradient accumulated. */
  passed: boolean;
  /** The relative tolerance used (the option, default 1e-6). */
  tolerance: number;
  /** The absolute tolerance used (the option, default 1e-8). */
  absTolerance: number;
  /** The largest relative error over the smooth entries checked whose absolute error is above absTolerance. */
  maxRelError: number;
  /** Relative error of dx under 'x', and of each parameter's gradient under its name (smooth entries above the absolute floor). */
  errors: Record<string, number>;
  /** The smooth entries nearest to failing, worst first (failing ones have passed: false). */
  worst: GradEntry[];
  /** The parameters whose backward overwrote param.grad instead of adding to it (empty when all accumulate). */
  accumulationFailures: AccumulationFailure[];
  /** How many entries of each tensor straddle a kink or a tie (not judged by the central difference). */
  kinks: Record<string, number>;
  /** Of those, how many sit exactly on a kink (a choice flips on both sides): reported, not judged. */
  unjudged: Record<string, number>;
  /** The kink entries whose analytic gradient differs from the slope of the side with no kink: real errors. */
  kinkFailures: KinkEntry[];
}

/** One checked entry: where it is, both gradients, and its errors. */
export interface GradEntry {
  /** 'x' (the input) or a parameter name ('weight', 'conv2d_1.bias'). */
  tensor: string;
  /** Flat (row-major) index into that tensor. */
  index: number;
  /** The gradient backward computed. */
  analytic: number;
  /** The central finite difference (L(v+h) - L(v-h)) / 2h. */
  numeric: number;
  /** |analytic - numeric|. */
  absError: number;
  /** |analytic - numeric| / max(1e-8, |analytic| + |numeric|) (CS231n's rel_error). */
  relError: number;
  /** Whether relError < tolerance or absError < absTolerance. */
  passed: boolean;
}

/** A parameter whose gradient did not double when backward ran twice. */
export interface AccumulationFailure {
  /** The parameter's name ('weight', 'conv2d_1.bias'). */
  param: string;
  /** Flat index of the entry compared. */
  index: number;
  /** param.grad after one backward, and after a second one without zeroGrad (should be twice the first). */
  once: number;
  /** param.grad after the second backward (twice `once` when the layer accumulates). */
  twice: number;
  /** What went wrong, in words, for a test failure. */
  message: string;
}

/** One entry whose finite difference straddles a kink. */
export interface KinkEntry {
  /** 'x' (the input) or a parameter name. */
  tensor: string;
  /** Flat (row-major) index into that tensor. */
  index: number;
  /** The gradient backward computed. */
  analytic: number;
  /** The right slope (L(v+h) - L(v)) / h. */
  right: number;
  /** The left slope (L(v) - L(v-h)) / h. */
  left: number;
}

/** One-sided slopes further apart than this (relative) mark a kink. */
const KINK_SPLIT = 1e-2;

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
  const absTolerance = opts.absTolerance ?? 1e-8;
  const rng = createRng(`gradcheck-${opts.seed ?? 0}`);
  const params = layer.params();
  const saved = params.map((p) => ({ value: p.value, grad: p.grad }));
  const buffers = layer.buffers().map((b) => ({ t: b.value, data: b.value.data.slice() }));
  layer.holdRandomness(true);
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
    let state: ArrayLike<number> | null = null; // the choices of the last forward (Layer.kinkState)
    const lossAt = (): number => {
      const out = layer.forward(x64);
      state = layer.kinkState();
      if (opts.labels) return softmaxCrossEntropy(out, opts.labels).loss;
      let s = 0;
      for (let i = 0; i < out.size; i++) s += out.data[i] * (dy as Tensor).data[i];
      return s;
    };
    const backwardOnce = (): Tensor => {
      const out = layer.forward(x64);
      return layer.backward(opts.labels ? softmaxCrossEntropy(out, opts.labels).grad : (dy as Tensor));
    };

    // Analytic gradients; then backward again without zeroing: each param.grad must double.
    const dx = backwardOnce();
    const analytic: Array<[string, Float64Array, Float64Array]> = [['x', x64.data as Float64Array, Float64Array.from(dx.data)]];
    for (const p of params) analytic.push([p.name, p.value.data as Float64Array, Float64Array.from(p.grad.data)]);
    backwardOnce();
    const accumulationFailures: AccumulationFailure[] = [];
    params.forEach((p, k) => {
      const once = analytic[k + 1][2], twice = p.grad.data;
      for (let i = 0; i < once.length; i++) {
        if (Math.abs(twice[i] - 2 * once[i]) <= 1e-9 * Math.abs(2 * once[i]) + 1e-300) continue;
        accumulationFailures.push({
          param: p.name, index: i, once: once[i], twice: twice[i],
          message: `${p.name}: after a second backward without zeroGrad, grad[${i}] is ${twice[i]} where twice the first, ${2 * once[i]}, was expected: ` +
            'backward must add into param.grad (+=), not overwrite it',
        });
        break;
      }
    });

    // Numeric gradients, entry by entry.
    const l0 = lossAt();
    const state0 = state as ArrayLike<number> | null;
    const errors: Record<string, number> = {}, kinks: Record<string, number> = {}, unjudged: Record<string, number> = {};
    const kinkFailures: KinkEntry[] = [];
    const entries: GradEntry[] = [];
    let failed = 0;
    for (const [name, v, grad] of analytic) {
      kinks[name] = unjudged[name] = 0;
      errors[name] = 0;
      for (const i of pickEntries(v.length, opts.maxPerTensor, rng)) {
        const old = v[i];
        v[i] = old + h; const lp = lossAt(); const rightKept = sameChoices(state, state0);
        v[i] = old - h; const lm = lossAt(); const leftKept = sameChoices(state, state0);
        v[i] = old;
        const right = (lp - l0) / h, left = (l0 - lm) / h;
        if (!rightKept || !leftKept || relError([right], [left]) > KINK_SPLIT) {
          kinks[name]++;
          const slopes = [...(rightKept ? [right] : []), ...(leftKept ? [left] : [])];
          if (slopes.length === 0) unjudged[name]++;
          else if (!slopes.some((s) => nearSlope(grad[i], s, h))) kinkFailures.push({ tensor: name, index: i, analytic: grad[i], right, left });
        } else {
          const numeric = (lp - lm) / (2 * h);
          const absError = Math.abs(grad[i] - numeric), rel = relError([grad[i]], [numeric]);
          const passed = rel < tolerance || absError < absTolerance;
          if (!passed) failed++;
          if (absError >= absTolerance) errors[name] = Math.max(errors[name], rel);
          entries.push({ tensor: name, index: i, analytic: grad[i], numeric, absError, relError: rel, passed });
        }
      }
    }
    // Worst first: by how far each entry is from passing (the nearer of its two bounds).
    const excess = (e: GradEntry) => Math.min(e.relError / tolerance, e.absError / absTolerance);
    const worst = entries.sort((a, b) => excess(b) - excess(a)).slice(0, opts.worst ?? 5);
    const maxRelError = Math.max(...Object.values(errors));
    return {
      passed: failed === 0 && kinkFailures.length === 0 && accumulationFailures.length === 0,
      tolerance, absTolerance, maxRelError, errors, worst, accumulationFailures, kinks, unjudged, kinkFailures,
    };
  } finally {
    params.forEach((p: Param, k) => { p.value = saved[k].value; p.grad = saved[k].grad; });
    for (const b of buffers) b.t.data.set(b.data);
    layer.holdRandomness(false);
  }
}

/** Whether the analytic `a` equals a one-sided slope `s`, within a one-sided difference's own O(h) error. */
function nearSlope(a: number, s: number, h: number): boolean {
  return Math.abs(a - s) <= 1e-3 * Math.max(Math.abs(a), Math.abs(s)) + 10 * h;
}

/** The layers made the same choices in two forward passes (both null: the layers report none). */
function sameChoices(a: ArrayLike<number> | null, b: ArrayLike<number> | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pickEntries(n: number, max: number | undefined, rng: ReturnType<typeof createRng>): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (max === undefined || max >= n) return all;
  return rng.shuffle(all).slice(0, max).sort((a, b) => a - b);
}

// Inputs for gradient checks that keep away from kinks, when you want every entry judged by the
// central difference (the tests use them; on real data gradCheck's kink handling does the work).

/** Gaussian values in float64, seeded. */
export function randn(shape: readonly number[], seed: number | string): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** Values |v| in [0.1, 1.1) with a random sign: nothing within 0.1 of ReLU's kink at 0. */
export function awayFromZero(shape: readonly number[], seed: number | string): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = (0.1 + rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1);
  return t;
}

/** A shuffled arithmetic progression: all values distinct, at least 0.01 apart, so no max-pool ties. */
export function distinct(shape: readonly number[], seed: number | string): Tensor {
  const rng = createRng(seed);
  const t = Tensor.zeros(shape, 'float64');
  for (let i = 0; i < t.size; i++) t.data[i] = (i - t.size / 2) * 0.01;
  rng.shuffle(t.data);
  return t;
}

/**
 * Central finite differences, one entry at a time, in the precision of `v`:
 *
 *   numeric[k] = (f() with v[i] + h  -  f() with v[i] - h) / (2h),   i = indices[k] (default: every i)
 *
 * `f` reads `v`, which is changed in place while it runs and restored entry by entry. `miniconv explain`
 * takes its numeric gradients from here; gradCheck runs the same two steps per entry, and also keeps the
 * one-sided slopes it needs at kinks.
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
