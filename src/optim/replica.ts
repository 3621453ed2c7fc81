// An optimiser's replica on another thread (train/parallel.ts): the same class with the same settings,
// over the same weights (views on shared memory), so that each thread can apply its stripe of every
// step. Only the built-in elementwise optimisers can be rebuilt from their config(); a subclass may
// compute something else under the same config, so it is not replicated (the main thread then
// updates every weight itself).

import type { Param } from '../layers/layer.ts';
import { Adam, AdamW } from './adam.ts';
import type { ElementwiseOptimizer, Optimizer } from './optimizer.ts';
import { SGD } from './sgd.ts';

/** Whether `optimizer` can be rebuilt on another thread by optimizerReplica (SGD, Adam, AdamW themselves, not subclasses). */
export function canReplicate(optimizer: Optimizer): optimizer is ElementwiseOptimizer {
  return optimizer.constructor === SGD || optimizer.constructor === Adam || optimizer.constructor === AdamW;
}

/** An optimiser of `config`'s type and settings (an SGD, Adam or AdamW's config()) over `params`. */
export function optimizerReplica(config: Record<string, unknown>, params: Param[]): ElementwiseOptimizer {
  const c = config as { type?: unknown; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number; betas?: [number, number]; eps?: number };
  switch (c.type) {
    case 'SGD': return new SGD(params, { lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay });
    case 'Adam': return new Adam(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay });
    case 'AdamW': return new AdamW(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay });
    default: throw new Error(`optimizerReplica: cannot rebuild an optimiser of type ${JSON.stringify(c.type)}; expected SGD, Adam or AdamW`);
  }
}

/**
 * The setting besides lr that a run may change between steps and the replicas must follow: SGD's
 * momentum (setMomentum; the playground's live control), 0 for the others. The main thread sends it
 * with every shared update (threaded-trainer.ts), and each replica takes it (setLiveSettings).
 */
export function liveSettings(optimizer: ElementwiseOptimizer): number {
  return optimizer instanceof SGD ? optimizer.momentum : 0;
}

/** A replica takes the main thread's liveSettings before it updates its stripe. */
export function setLiveSettings(optimizer: ElementwiseOptimizer, momentum: number): void {
  if (optimizer instanceof SGD) optimizer.momentum = momentum;
}
