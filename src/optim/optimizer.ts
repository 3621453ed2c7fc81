// What every optimiser is: it holds the parameters it updates and a learning rate; zeroGrad() clears
// their accumulated gradients, step() applies one update from them. fit() and trainStep() take any
// Optimizer; the schedules in schedules.ts set its lr. Ordered by complexity, as in tinygrad:
// sgd.ts (momentum, Nesterov), adam.ts (Adam, AdamW).
//
// Both are elementwise (ElementwiseOptimizer below): the new value of weight i depends only on weight
// i, its gradient and its own state (velocity, moments). So the update can be cut anywhere and shared
// out: ParallelTrainer (train/parallel.ts) has every thread update its own stripe of the parameters,
// with bits identical to one thread updating them all.

import type { Param } from '../layers/layer.ts';

/** The base of every optimiser (SGD, Adam, AdamW): holds the parameters it updates and a learning rate; zeroGrad() clears their gradients, step() applies one update from them. */
export abstract class Optimizer {
  /** The parameters it updates (a copy of the list given, e.g. model.params()), each once. */
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

/**
 * An optimiser whose update is elementwise (SGD, Adam, AdamW): step() is updateStripe() over every
 * parameter, and any cut of that range into stripes gives the same bits. A subclass writes the update
 * of a run of one parameter (updateParam) and lists its per-weight state (stateLists); the threaded
 * trainer moves that state into shared memory (moveState) and gives a replica built from config() the
 * same arrays (adoptState), so that every thread can update its stripe of the weights.
 */
export abstract class ElementwiseOptimizer extends Optimizer {
  /** Updates taken so far (t in Adam's formulas; PyTorch keeps it as the state's `step`). */
  steps = 0;
  /** The number of weights, every parameter laid end to end: the range updateStripe cuts. */
  readonly size: number;

  constructor(who: string, params: Param[], lr: number) {
    super(who, params, lr);
    this.size = this.params.reduce((sum, p) => sum + p.value.size, 0);
  }

  step(): void {
    this.steps++;
    this.updateStripe(0, this.size);
  }

  /**
   * The update of weights [lo, hi) of all the parameters laid end to end, at the current `steps` and
   * `lr` (a thread's share of step(), which has already counted the step).
   */
  updateStripe(lo: number, hi: number): void {
    let offset = 0; // where param k starts end to end
    for (let k = 0; k < this.params.length; k++) {
      const n = this.params[k].value.size;
      const from = Math.max(lo - offset, 0), to = Math.min(hi - offset, n);
      if (from < to) this.updateParam(k, from, to);
      offset += n;
    }
  }

  /** Updates elements [from, to) of param k from its gradient and state. */
  protected abstract updateParam(k: number, from: number, to: number): void;

  /**
   * The per-weight state, one list per kind (SGD: [velocity]; Adam: [m, v]), each list one array per
   * param. The lists themselves, not copies: moveState and adoptState replace their entries.
   */
  protected abstract stateLists(): Float64Array[][];

  /** Moves the state into arrays from `alloc` (e.g. views on shared memory), keeping its values. */
  moveState(alloc: (length: number) => Float64Array): void {
    for (const list of this.stateLists()) {
      list.forEach((a, k) => {
        const moved = alloc(a.length);
        moved.set(a);
        list[k] = moved;
      });
    }
  }

  /**
   * Uses `arrays` as this optimiser's state: kind by kind, param by param, the order in which
   * moveState allocates them (a replica on another thread adopts the arrays the original moved).
   */
  adoptState(arrays: readonly Float64Array[]): void {
    const lists = this.stateLists();
    const expected = lists.flat();
    if (arrays.length !== expected.length || arrays.some((a, i) => a.length !== expected[i].length)) {
      throw new Error(`${this.who}: adoptState expects ${expected.length} state arrays of lengths ${expected.map((a) => a.length).join(', ')}`);
    }
    let i = 0;
    for (const list of lists) for (let k = 0; k < list.length; k++) list[k] = arrays[i++];
  }
}
