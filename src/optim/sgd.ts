// Stochastic gradient descent with momentum and weight decay, in PyTorch's formulation:
//   g = grad + weightDecay * w
//   v = momentum * v + g          (v starts at 0; the first step sets v = g)
//   w = w - lr * v                (plain SGD when momentum = 0: w = w - lr * g)

import type { Param } from '../layers/layer.ts';

export interface SGDOptions {
  lr: number;
  momentum?: number; // default 0
  weightDecay?: number; // default 0 (L2 penalty weightDecay/2 * |w|^2)
}

export class SGD {
  readonly params: readonly Param[];
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly velocity: Float64Array[]; // one per param, same length as its value

  constructor(params: Param[], opts: SGDOptions) {
    if (!Array.isArray(params) || params.length === 0) throw new TypeError('SGD: expected a non-empty array of params, e.g. model.params()');
    if (!opts || typeof opts !== 'object') throw new TypeError('SGD: expected options { lr, momentum?, weightDecay? }');
    const check = (name: string, v: number, lo: number, hi = Infinity) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v >= hi) {
        throw new RangeError(`SGD: ${name} must be a number in [${lo}, ${hi === Infinity ? 'inf' : hi}), got ${String(v)}`);
      }
      return v;
    };
    this.params = [...params];
    this.lr = check('lr', opts.lr, 0);
    this.momentum = check('momentum', opts.momentum ?? 0, 0, 1);
    this.weightDecay = check('weightDecay', opts.weightDecay ?? 0, 0);
    this.velocity = params.map((p) => new Float64Array(p.value.size));
  }

  /** Clears every parameter's accumulated gradient. Call before each backward pass. */
  zeroGrad(): void {
    for (const p of this.params) p.grad.data.fill(0);
  }

  /** Applies one update to every parameter from its accumulated gradient. */
  step(): void {
    const { lr, momentum: mu, weightDecay: wd } = this;
    this.params.forEach((p, k) => {
      const w = p.value.data, g = p.grad.data, v = this.velocity[k];
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] + wd * w[i];
        if (mu !== 0) {
          v[i] = mu * v[i] + gi;
          w[i] -= lr * v[i];
        } else {
          w[i] -= lr * gi;
        }
      }
    });
  }

  /** The optimiser's settings, for model files. */
  config() {
    return { type: 'SGD', lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay };
  }
}
