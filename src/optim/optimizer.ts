// What every optimiser is: it holds the parameters it updates and a learning rate; zeroGrad() clears
// their accumulated gradients, step() applies one update from them. fit() and trainStep() take any
// Optimizer; the schedules in schedules.ts set its lr. Ordered by complexity, as in tinygrad:
// sgd.ts (momentum, Nesterov), adam.ts (Adam, AdamW).

import type { Param } from '../layers/layer.ts';

export abstract class Optimizer {
  readonly params: readonly Param[];
  /** `SGD`, `Adam`: how errors name the optimiser. */
  protected readonly who: string;
  private rate = 0;

  /** Checks the parameter list (non-empty, no parameter twice) and the learning rate. */
  constructor(who: string, params: Param[], lr: number) {
    this.who = who;
    if (!Array.isArray(params) || params.length === 0) throw new TypeError(`${who}: expected a non-empty array of params, e.g. model.params()`);
    params.forEach((p, i) => {
      if (!p || typeof p !== 'object' || !p.value || !p.grad || p.value.size !== p.grad.size) {
        throw new TypeError(`${who}: item ${i} is not a param { name, value, grad } with value and grad of one size`);
      }
    });
    if (new Set(params).size !== params.length) throw new Error(`${who}: a param appears twice in the list; it would be updated twice per step`);
    this.params = [...params];
    this.lr = lr;
  }

  /** The learning rate; a schedule (schedules.ts) may change it between steps. Must be a finite number >= 0. */
  get lr(): number {
    return this.rate;
  }

  set lr(value: number) {
    this.rate = this.option('lr', value, 0);
  }

  /**
   * Throws unless every parameter this optimiser updates belongs to `modelParams` (a subset is fine:
   * frozen layers). An optimiser built on another model's parameters would otherwise step those and
   * leave the trained model unchanged. `who` names the caller (fit, trainStep).
   */
  checkParamsOf(modelParams: readonly Param[], who: string): void {
    const own = new Set(modelParams);
    const i = this.params.findIndex((p) => !own.has(p));
    if (i >= 0) {
      throw new Error(`${who}: the ${this.who} optimiser's param ${i} (${this.params[i].name || 'unnamed'}) is not a parameter of the model being trained; ` +
        'build the optimiser on this model: new SGD(model.params(), { lr })');
    }
  }

  /** Clears every parameter's accumulated gradient. Call before each backward pass. */
  zeroGrad(): void {
    for (const p of this.params) p.grad.data.fill(0);
  }

  /** Applies one update to every parameter from its accumulated gradient. */
  abstract step(): void;

  /** The optimiser's type and settings, for model files. */
  abstract config(): Record<string, unknown>;

  /** A number option in [lo, hi) (hi omitted: no upper bound), else a RangeError naming the optimiser and the option. */
  protected option(name: string, value: unknown, lo: number, hi = Infinity): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value >= hi) {
      throw new RangeError(`${this.who}: ${name} must be a number in [${lo}, ${hi === Infinity ? 'inf' : hi}), got ${String(value)}`);
    }
    return value;
  }
}
