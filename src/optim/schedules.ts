// Learning-rate schedules: the learning rate as a function of the epoch (or the step, whichever the
// caller counts), in the closed forms of PyTorch's schedulers. `epoch` counts from 0, as PyTorch's
// last_epoch does: schedule(0) is the rate of the first epoch. baseLr is the optimiser's starting rate.
//
//   stepLR              baseLr * gamma^floor(epoch / stepSize)                                 StepLR
//   exponentialLR       baseLr * gamma^epoch                                                   ExponentialLR
//   cosineAnnealingLR   etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2          CosineAnnealingLR
//   linearLR            baseLr * (startFactor + (endFactor - startFactor) * min(epoch, totalIters) / totalIters)   LinearLR
//   sequentialLR        schedules[k] from milestones[k-1] on, counting its epochs from there   SequentialLR
//   warmupCosineLR      linear warm-up from baseLr * startFactor to baseLr, then cosine annealing to etaMin
//
// A schedule is a plain function; applySchedule (or `optimizer.lr = schedule(epoch)`) sets the rate:
//   const schedule = warmupCosineLR(0.01, { warmupEpochs: 2, totalEpochs: 20 });
//   for (let epoch = 0; epoch < 20; epoch++) { applySchedule(opt, schedule, epoch); ...train one epoch... }

import type { Optimizer } from './optimizer.ts';

/** The learning rate for an epoch (or step) counted from 0. */
export type Schedule = (epoch: number) => number;

function positive(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${who}: ${name} must be a finite number > 0, got ${String(v)}`);
  return v;
}

function nonNegative(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${who}: ${name} must be a finite number >= 0, got ${String(v)}`);
  return v;
}

function count(who: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${who}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/** Wraps a closed form with the check of its argument. */
function closedForm(who: string, lrAt: (epoch: number) => number): Schedule {
  return (epoch: number) => lrAt(count(who, 'epoch', epoch, 0));
}

/** baseLr * gamma^floor(epoch / stepSize): the rate is multiplied by gamma every stepSize epochs. */
export function stepLR(baseLr: number, opts: { stepSize: number; gamma?: number }): Schedule {
  const who = 'stepLR';
  nonNegative(who, 'baseLr', baseLr);
  const stepSize = count(who, 'stepSize', opts?.stepSize, 1);
  const gamma = positive(who, 'gamma', opts.gamma ?? 0.1);
  return closedForm(who, (epoch) => baseLr * gamma ** Math.floor(epoch / stepSize));
}

/** baseLr * gamma^epoch: multiplied by gamma every epoch. */
export function exponentialLR(baseLr: number, opts: { gamma: number }): Schedule {
  const who = 'exponentialLR';
  nonNegative(who, 'baseLr', baseLr);
  const gamma = positive(who, 'gamma', opts?.gamma);
  return closedForm(who, (epoch) => baseLr * gamma ** epoch);
}

/**
 * etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2: half a cosine from baseLr at epoch 0
 * down to etaMin at epoch tMax (beyond tMax it rises again, as PyTorch's closed form does).
 */
export function cosineAnnealingLR(baseLr: number, opts: { tMax: number; etaMin?: number }): Schedule {
  const who = 'cosineAnnealingLR';
  nonNegative(who, 'baseLr', baseLr);
  const tMax = count(who, 'tMax', opts?.tMax, 1);
  const etaMin = nonNegative(who, 'etaMin', opts.etaMin ?? 0);
  return closedForm(who, (epoch) => etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2);
}

/**
 * baseLr times a factor that moves linearly from startFactor (epoch 0) to endFactor (epoch totalIters)
 * and stays there: a linear warm-up with the defaults (1/3 to 1 over 5 epochs, PyTorch's).
 */
export function linearLR(baseLr: number, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}): Schedule {
  const who = 'linearLR';
  nonNegative(who, 'baseLr', baseLr);
  const startFactor = positive(who, 'startFactor', opts.startFactor ?? 1 / 3);
  const endFactor = nonNegative(who, 'endFactor', opts.endFactor ?? 1);
  if (startFactor > 1 || endFactor > 1) throw new RangeError(`${who}: startFactor and endFactor must be in (0, 1] and [0, 1], got ${startFactor} and ${endFactor}`);
  const totalIters = count(who, 'totalIters', opts.totalIters ?? 5, 1);
  return closedForm(who, (epoch) => baseLr * (startFactor + (endFactor - startFactor) * Math.min(epoch, totalIters) / totalIters));
}

/**
 * schedules[0] until milestones[0], then schedules[1] with its epochs counted from milestones[0], and
 * so on (PyTorch's SequentialLR): e.g. a warm-up, then a decay.
 */
export function sequentialLR(schedules: Schedule[], milestones: number[]): Schedule {
  const who = 'sequentialLR';
  if (!Array.isArray(schedules) || schedules.length < 1 || !schedules.every((s) => typeof s === 'function')) {
    throw new TypeError(`${who}: expected a non-empty array of schedules`);
  }
  if (!Array.isArray(milestones) || milestones.length !== schedules.length - 1) {
    throw new RangeError(`${who}: expected ${schedules.length - 1} milestones for ${schedules.length} schedules, got ${JSON.stringify(milestones)}`);
  }
  milestones.forEach((m, i) => {
    count(who, `milestones[${i}]`, m, 1);
    if (i > 0 && m <= milestones[i - 1]) throw new RangeError(`${who}: milestones must increase, got ${JSON.stringify(milestones)}`);
  });
  return closedForm(who, (epoch) => {
    let k = 0;
    while (k < milestones.length && epoch >= milestones[k]) k++;
    return schedules[k](k === 0 ? epoch : epoch - milestones[k - 1]);
  });
}

/**
 * A linear warm-up over warmupEpochs (from baseLr * startFactor up to baseLr), then cosine annealing
 * from baseLr to etaMin over the remaining totalEpochs - warmupEpochs: sequentialLR of linearLR and
 * cosineAnnealingLR, the usual pairing for Adam and for batch-norm networks.
 */
export function warmupCosineLR(baseLr: number, opts: { warmupEpochs: number; totalEpochs: number; startFactor?: number; etaMin?: number }): Schedule {
  const who = 'warmupCosineLR';
  const warmupEpochs = count(who, 'warmupEpochs', opts?.warmupEpochs, 1);
  const totalEpochs = count(who, 'totalEpochs', opts.totalEpochs, warmupEpochs + 1);
  return sequentialLR([
    linearLR(baseLr, { startFactor: opts.startFactor ?? 0.1, endFactor: 1, totalIters: warmupEpochs }),
    cosineAnnealingLR(baseLr, { tMax: totalEpochs - warmupEpochs, etaMin: opts.etaMin ?? 0 }),
  ], [warmupEpochs]);
}

/** Sets optimizer.lr to schedule(epoch) and returns it. */
export function applySchedule(optimizer: Optimizer, schedule: Schedule, epoch: number): number {
  optimizer.lr = schedule(epoch);
  return optimizer.lr;
}
