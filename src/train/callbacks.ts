// Ready-made fit() callbacks, as Keras and TF.js offer them: earlyStopping() ends a run whose
// held-out figure has stopped improving, restoreBest() puts back the weights of the best epoch.
// Both watch one figure of EpochInfo, named by `monitor` (Keras's names are taken too).

import type { Layer } from '../layers/layer.ts';
import type { EpochInfo, FitCallbacks, TrainingControl } from './fit.ts';

/** The figures a callback can watch: a loss is better lower, an accuracy higher. */
export type Monitor = 'testLoss' | 'testAccuracy' | 'trainLoss' | 'trainAccuracy';
const MONITORS: readonly Monitor[] = ['testLoss', 'testAccuracy', 'trainLoss', 'trainAccuracy'];
/** Keras's names for the same figures. */
const KERAS_NAMES: Record<string, Monitor> = { val_loss: 'testLoss', val_accuracy: 'testAccuracy', val_acc: 'testAccuracy', loss: 'trainLoss', accuracy: 'trainAccuracy', acc: 'trainAccuracy' };

function checkMonitor(who: string, monitor: unknown): Monitor {
  const m = typeof monitor === 'string' ? (KERAS_NAMES[monitor] ?? monitor) : monitor;
  if (!(MONITORS as readonly unknown[]).includes(m)) {
    throw new RangeError(`${who}: monitor must be one of ${MONITORS.join(', ')} (or Keras's val_loss, val_accuracy, loss, accuracy), got ${JSON.stringify(monitor)}`);
  }
  return m as Monitor;
}

/** Whether the run can give the figure: the held-out ones need fit's testSet. */
function checkRun(who: string, monitor: Monitor, run: TrainingControl): void {
  if (monitor.startsWith('test') && !run.hasTestSet) {
    throw new Error(`${who}: monitor '${monitor}' is measured on a held-out set, and this run has none: pass fit's testSet, or monitor '${monitor.replace('test', 'train')}'`);
  }
}

/** A watcher of one figure: is this epoch's value the best so far (by more than minDelta)? */
function tracker(monitor: Monitor, minDelta: number) {
  const lower = monitor.endsWith('Loss');
  let best = lower ? Infinity : -Infinity;
  let bestEpoch = 0;
  return {
    get best() { return best; },
    get bestEpoch() { return bestEpoch; },
    reset() { best = lower ? Infinity : -Infinity; bestEpoch = 0; },
    /** Takes an epoch; true if it improved on the best. */
    take(info: EpochInfo): boolean {
      const v = info[monitor] as number;
      if (!(lower ? v < best - minDelta : v > best + minDelta)) return false;
      best = v;
      bestEpoch = info.epoch;
      return true;
    },
  };
}

/** Options of earlyStopping(): what to watch, how long to wait, and whether to put the best weights back (Keras's EarlyStopping). */
export interface EarlyStoppingOptions {
  /** The figure watched (default 'testLoss', which needs fit's testSet). */
  monitor?: Monitor | 'val_loss' | 'val_accuracy' | 'loss' | 'accuracy';
  /** Epochs without improvement before the run stops (default 3; 0 stops at the first epoch that does not improve). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0), in the figure's unit. */
  minDelta?: number;
  /** Also put back the best epoch's weights when the run ends (as restoreBest() does; default false). */
  restoreBest?: boolean;
}

/** A fit() callback that is notified when the run is stopped, for the record. */
export interface EarlyStopping extends FitCallbacks {
  /** The epoch after which it stopped the run (0: it did not). */
  readonly stoppedEpoch: number;
  /** The best epoch seen, and its value of the monitored figure. */
  readonly bestEpoch: number;
  /** The best value of the monitored figure so far (Infinity for a loss, -Infinity for an accuracy, before any epoch). */
  readonly best: number;
}

/**
 * Stops fit() when the monitored figure has not improved for `patience` epochs (Keras's
 * EarlyStopping): fit(model, train, { ..., testSet, callbacks: [earlyStopping({ patience: 3 })] }).
 * History.stopped says after which epoch and why.
 */
export function earlyStopping(opts: EarlyStoppingOptions = {}): EarlyStopping {
  const who = 'earlyStopping';
  if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected options { monitor, patience, minDelta, restoreBest }, got ${String(opts)}`);
  const monitor = checkMonitor(who, opts.monitor ?? 'testLoss');
  const patience = opts.patience ?? 3, minDelta = opts.minDelta ?? 0;
  if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`${who}: patience must be an integer >= 0 (epochs), got ${String(patience)}`);
  if (!(Number.isFinite(minDelta) && minDelta >= 0)) throw new RangeError(`${who}: minDelta must be a number >= 0, got ${String(minDelta)}`);
  const t = tracker(monitor, minDelta);
  const keep = opts.restoreBest ? restoreBest({ monitor }) : null;
  let wait = 0, stoppedEpoch = 0;
  return {
    get stoppedEpoch() { return stoppedEpoch; },
    get bestEpoch() { return t.bestEpoch; },
    get best() { return t.best; },
    onTrainBegin(run) {
      checkRun(who, monitor, run);
      t.reset(); wait = 0; stoppedEpoch = 0;
      keep?.onTrainBegin?.(run);
    },
    onEpochEnd(info, run) {
      keep?.onEpochEnd?.(info, run);
      if (t.take(info)) { wait = 0; return; }
      if (++wait > patience) {
        stoppedEpoch = info.epoch;
        run.stopTraining(`earlyStopping: ${monitor} has not improved on ${t.best} (epoch ${t.bestEpoch}) for ${wait} epoch${wait === 1 ? '' : 's'}`);
      }
    },
    onTrainEnd(history, run) {
      keep?.onTrainEnd?.(history, run);
    },
  };
}

/** The fit() callback restoreBest() returns: it puts back the weights of the best epoch when the run ends. */
export interface RestoreBest extends FitCallbacks {
  /** The epoch whose weights the model holds after the run (0 before any epoch ended). */
  readonly bestEpoch: number;
  /** That epoch's value of the monitored figure (Infinity for a loss, -Infinity for an accuracy, before any epoch). */
  readonly best: number;
}

/**
 * Keeps a copy of the weights (and buffers, such as BatchNorm's running statistics) of the best
 * epoch by the monitored figure (default 'testLoss': the best held-out epoch), and puts them back
 * into the model when the run ends, whether it ran out of epochs or was stopped.
 */
export function restoreBest(opts: { monitor?: EarlyStoppingOptions['monitor'] } = {}): RestoreBest {
  const who = 'restoreBest';
  if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected options { monitor }, got ${String(opts)}`);
  const monitor = checkMonitor(who, opts.monitor ?? 'testLoss');
  const t = tracker(monitor, 0);
  let saved: Array<Float32Array | Float64Array> | null = null;
  return {
    get bestEpoch() { return t.bestEpoch; },
    get best() { return t.best; },
    onTrainBegin(run) {
      checkRun(who, monitor, run);
      t.reset();
      saved = null;
    },
    onEpochEnd(info, run) {
      if (!t.take(info)) return;
      const now = state(run.model);
      if (!saved) saved = now.map((v) => v.slice());
      else now.forEach((v, i) => saved![i].set(v));
    },
    onTrainEnd(_history, run) {
      if (saved) state(run.model).forEach((v, i) => v.set(saved![i]));
    },
  };
}

/** Everything of a model that training changes: its params' values and its buffers, in place. */
function state(model: Layer): Array<Float32Array | Float64Array> {
  return [...model.params().map((p) => p.value.data), ...model.buffers().map((b) => b.value.data)] as Array<Float32Array | Float64Array>;
}
