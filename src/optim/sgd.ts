// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, in PyTorch's
// formulation (torch.optim.SGD, dampening 0):
//   g = grad + weightDecay * w
//   v = momentum * v + g          (v starts at 0; the first step sets v = g)
//   d = g + momentum * v          with nesterov: true (look ahead along the velocity)
//   d = v                         otherwise (plain SGD when momentum = 0: d = g)
//   w = w - lr * d

import type { Param } from '../layers/layer.ts';
import { ElementwiseOptimizer } from './optimizer.ts';

/** The options of `new SGD(params, ...)`: PyTorch's SGD arguments. */
export interface SGDOptions {
  /** The learning rate: the step is lr times the (momentum-smoothed) gradient. A schedule may change it per epoch. */
  lr: number;
  /** The fraction of the last step's velocity kept in the next, 0 <= momentum < 1; default 0 (plain SGD). */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0); default false. */
  nesterov?: boolean;
  /** L2 penalty: weightDecay * w is added to each gradient (a loss of weightDecay/2 * |w|^2); default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with momentum, as PyTorch's: v = momentum * v + (g + weightDecay * w),
 * w -= lr * v (Nesterov: w -= lr * (g + weightDecay * w + momentum * v)). Call zeroGrad(), then the
 * backward pass, then step().
 */
export class SGD extends ElementwiseOptimizer {
  /** The momentum (0: none); it may be changed between steps with setMomentum, as lr may (the playground's live control). */
  momentum: number;
  /** Whether the step uses Nesterov momentum. */
  readonly nesterov: boolean;
  /** The L2 penalty added to each gradient (0: none). */
  readonly weightDecay: number;
  private readonly velocity: Float64Array[]; // one per param, same length as its value (entries replaced by moveState)

  constructor(params: Param[], opts: SGDOptions) {
    if (!opts || typeof opts !== 'object') throw new TypeError('SGD: expected options { lr, momentum?, nesterov?, weightDecay? }');
    super('SGD', params, opts.lr);
    this.momentum = this.option('momentum', opts.momentum ?? 0, 0, 1);
    this.weightDecay = this.option('weightDecay', opts.weightDecay ?? 0, 0);
    if (opts.nesterov !== undefined && typeof opts.nesterov !== 'boolean') throw new TypeError(`SGD: nesterov must be true or false, got ${String(opts.nesterov)}`);
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && this.momentum === 0) throw new RangeError('SGD: nesterov needs a momentum > 0 (as in PyTorch), got momentum 0');
    this.velocity = params.map((p) => new Float64Array(p.value.size));
  }

  /** Changes the momentum from the next step on (the velocity so far is kept); in [0, 1), and > 0 with nesterov. */
  setMomentum(momentum: number): void {
    const m = this.option('momentum', momentum, 0, 1);
    if (this.nesterov && m === 0) throw new RangeError('SGD: nesterov needs a momentum > 0 (as in PyTorch), got momentum 0');
    this.momentum = m;
  }

  protected updateParam(k: number, from: number, to: number): void {
    const { lr, momentum: mu, nesterov, weightDecay: wd } = this;
    const w = this.params[k].value.data, g = this.params[k].grad.data, v = this.velocity[k];
    // One loop per case, the choice made outside it: 215,000 multiply-adds per batch should not test a flag each.
    if (mu === 0) {
      for (let i = from; i < to; i++) w[i] -= lr * (g[i] + wd * w[i]);
    } else if (nesterov) {
      for (let i = from; i < to; i++) {
        const gi = g[i] + wd * w[i];
        const vi = mu * v[i] + gi;
        v[i] = vi;
        w[i] -= lr * (gi + mu * vi);
      }
    } else {
      for (let i = from; i < to; i++) {
        const vi = mu * v[i] + (g[i] + wd * w[i]);
        v[i] = vi;
        w[i] -= lr * vi;
      }
    }
  }

  protected stateLists(): Float64Array[][] {
    return [this.velocity];
  }

  config() {
    return { type: 'SGD', lr: this.lr, momentum: this.momentum, ...(this.nesterov ? { nesterov: true } : {}), weightDecay: this.weightDecay };
  }
}
