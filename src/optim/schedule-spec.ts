// Learning-rate schedules from a short text (the `--schedule` option and the zoo's training defaults).

import { type Schedule, cosineAnnealingLR, exponentialLR, stepLR, warmupCosineLR } from './schedules.ts';

/** The forms scheduleFromSpec reads, for help texts and errors. */
export const SCHEDULE_FORMS = 'constant, step:S:G (times G every S epochs), exp:G (times G every epoch), cosine (to 0 at the last epoch), warmup-cosine:W (linear warm-up over W epochs, then cosine)';

/**
 * A schedule from a short text (the `--schedule` option), for a run of `epochs` epochs from `baseLr`:
 *   constant          baseLr every epoch
 *   step:S:G          stepLR: times G every S epochs (e.g. step:5:0.5)
 *   exp:G             exponentialLR: times G every epoch (e.g. exp:0.85)
 *   cosine            cosineAnnealingLR from baseLr down to 0 over the run (tMax = epochs)
 *   warmup-cosine:W   warmupCosineLR: a linear warm-up over W epochs, then cosine to 0 at the end
 * Throws a RangeError naming the spec and these forms for anything else.
 */
export function scheduleFromSpec(spec: string, baseLr: number, epochs: number): Schedule {
  const bad = (why: string) => new RangeError(`schedule '${spec}': ${why}; expected one of ${SCHEDULE_FORMS}`);
  const [kind, ...args] = spec.split(':');
  const num = (s: string | undefined, what: string, ok: (v: number) => boolean): number => {
    const v = s === undefined || s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(v) || !ok(v)) throw bad(`${what} must be ${what === 'G' ? 'a number in (0, 1]' : 'an integer >= 1'}, got '${s ?? ''}'`);
    return v;
  };
  const arity = (n: number) => { if (args.length !== n) throw bad(`'${kind}' takes ${n} value${n === 1 ? '' : 's'} after it, got ${args.length}`); };
  const gamma = (s: string | undefined) => num(s, 'G', (v) => v > 0 && v <= 1);
  const count = (s: string | undefined, what: string) => num(s, what, (v) => Number.isInteger(v) && v >= 1);
  switch (kind) {
    case 'constant': arity(0); return () => baseLr;
    case 'step': { arity(2); const S = count(args[0], 'S'); return stepLR(baseLr, { stepSize: S, gamma: gamma(args[1]) }); }
    case 'exp': arity(1); return exponentialLR(baseLr, { gamma: gamma(args[0]) });
    case 'cosine': arity(0); return cosineAnnealingLR(baseLr, { tMax: epochs });
    case 'warmup-cosine': {
      arity(1);
      const W = count(args[0], 'W');
      if (W >= epochs) throw bad(`the warm-up (${W} epochs) must be shorter than the run (${epochs} epochs)`);
      return warmupCosineLR(baseLr, { warmupEpochs: W, totalEpochs: epochs });
    }
    default: throw bad(`unknown kind '${kind}'`);
  }
}

/**
 * A model's DEFAULT schedule (a zoo model's, not one the user gave) fitted to a run of `epochs`:
 * the zoo's defaults were chosen for their full runs, and `--epochs 1` must still train. Only a
 * warm-up that does not fit changes: 'warmup-cosine:W' with W >= epochs gets a warm-up of
 * floor(epochs / 2) epochs (at most half the run), or none ('cosine') when that is 0. Any other spec,
 * and a warm-up that fits, is returned as it is. `note` says what changed, for the command's output.
 */
export function fitDefaultSchedule(spec: string, epochs: number): { spec: string; note?: string } {
  const m = /^warmup-cosine:(\d+)$/.exec(spec);
  if (!m || Number(m[1]) < epochs) return { spec };
  const W = Math.floor(epochs / 2);
  const fitted = W >= 1 ? `warmup-cosine:${W}` : 'cosine';
  const run = `${epochs} epoch${epochs === 1 ? '' : 's'}`;
  const what = W >= 1 ? `the warm-up shortened to ${W} epoch${W === 1 ? '' : 's'}` : 'the warm-up dropped';
  return { spec: fitted, note: `The model's schedule ${spec} does not fit ${run}: ${what} (${fitted}).` };
}
