// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), in PyTorch's formulation
// (torch.optim.Adam / AdamW, amsgrad off). At step t = 1, 2, ...:
//   g = grad + weightDecay * w                       Adam: weight decay as an L2 penalty in the gradient
//   w = w - lr * weightDecay * w                      AdamW instead: decay the weight itself, apart from g
//   m = beta1 * m + (1 - beta1) * g                   running mean of the gradient (m starts at 0)
//   v = beta2 * v + (1 - beta2) * g^2                 running mean of its square   (v starts at 0)
//   w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The last line is w -= lr * mhat / (sqrt(vhat) + eps) with the bias corrections mhat = m / (1 - beta1^t)
// and vhat = v / (1 - beta2^t), which undo the pull of m and v towards their zero start; it is written
// the way PyTorch computes it (eps added to sqrt(vhat), not to sqrt(v)).

import type { Param } from '../layers/layer.ts';
import { ElementwiseOptimizer } from './optimizer.ts';

/** Options of `new Adam(params, ...)` and `new AdamW(params, ...)` (PyTorch's names and defaults). */
export interface AdamOptions {
  /** Learning rate, >= 0; default 1e-3. */
  lr?: number;
  /** [beta1, beta2]: decay rates of the running means of the gradient and of its square, each in [0, 1); default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to sqrt(vhat) in the denominator, >= 0; default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay of the weights (default 0.01). */
  weightDecay?: number;
}

/** What Adam and AdamW share: everything but where the weight decay goes. */
abstract class AdamBase extends ElementwiseOptimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m: Float64Array[]; // one per param
  private readonly v: Float64Array[]; // one per param
  /** true for AdamW: weight decay applied to the weights, not added to the gradient. */
  private readonly decoupled: boolean;

  protected constructor(who: 'Adam' | 'AdamW', params: Param[], opts: AdamOptions, defaultWeightDecay: number) {
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected options { lr?, betas?, eps?, weightDecay? }`);
    super(who, params, opts.lr ?? 1e-3);
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${who}: betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
    this.betas = [this.option('betas[0]', betas[0], 0, 1), this.option('betas[1]', betas[1], 0, 1)];
    this.eps = this.option('eps', opts.eps ?? 1e-8, 0);
    this.weightDecay = this.option('weightDecay', opts.weightDecay ?? defaultWeightDecay, 0);
    this.decoupled = who === 'AdamW';
    this.m = params.map((p) => new Float64Array(p.value.size));
    this.v = params.map((p) => new Float64Array(p.value.size));
  }

  protected updateParam(k: number, from: number, to: number): void {
    const { lr, eps, weightDecay: wd, decoupled } = this;
    const [beta1, beta2] = this.betas;
    const t = this.steps; // counted by step() (t in the header)
    const stepSize = lr / (1 - beta1 ** t);
    const correction2Sqrt = Math.sqrt(1 - beta2 ** t);
    const w = this.params[k].value.data, grad = this.params[k].grad.data, m = this.m[k], v = this.v[k];
    for (let i = from; i < to; i++) {
      let g = grad[i];
      if (decoupled) w[i] *= 1 - lr * wd;
      else g += wd * w[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      w[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / correction2Sqrt + eps);
    }
  }

  protected stateLists(): Float64Array[][] {
    return [this.m, this.v];
  }

  config(): Record<string, unknown> {
    return { type: this.who, lr: this.lr, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay };
  }
}

/** Adam: weight decay (default 0) added to the gradient as an L2 penalty. */
export class Adam extends AdamBase {
  constructor(params: Param[], opts: AdamOptions = {}) {
    super('Adam', params, opts, 0);
  }
}

/** AdamW: decoupled weight decay, w = w * (1 - lr * weightDecay) before the Adam step (default weightDecay 0.01, as PyTorch). */
export class AdamW extends AdamBase {
  constructor(params: Param[], opts: AdamOptions = {}) {
    super('AdamW', params, opts, 0.01);
  }
}
