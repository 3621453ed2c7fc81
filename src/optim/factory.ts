// The optimisers by name, as the command line and the zoo's training defaults name them.

import type { Param } from '../layers/layer.ts';
import type { Optimizer } from './optimizer.ts';
import { SGD } from './sgd.ts';
import { Adam, AdamW } from './adam.ts';

/** The name of a built-in optimiser, as `miniconv train --optimizer` and the zoo's defaults give it. */
export type OptimizerName = 'sgd' | 'adam' | 'adamw';
/** Every OptimizerName: 'sgd' (SGD), 'adam' (Adam), 'adamw' (AdamW); what createOptimizer accepts. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'adam', 'adamw'];

/** The optimiser called `name` ('sgd' | 'adam' | 'adamw') over `params`. */
export function createOptimizer(name: OptimizerName, params: Param[], o: { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }): Optimizer {
  switch (name) {
    case 'sgd': return new SGD(params, { lr: o.lr, momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false, weightDecay: o.weightDecay ?? 0 });
    case 'adam': return new Adam(params, { lr: o.lr, weightDecay: o.weightDecay ?? 0 });
    case 'adamw': return new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay ?? 0.01 });
    default: throw new RangeError(`unknown optimizer '${String(name)}', expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
}
