// Ctrl-C (SIGINT) and SIGTERM during a long command (train). The first signal only raises a flag:
// the command notices it between two batches (check() throws SignalStop), abandons the batch and
// saves what it had finished. A second signal ends the process at once, exit 130, writing nothing
// (a save already under way is atomic: a temporary file renamed into place, so nothing is torn).
//
// Signals reach a Node process only when its event loop turns: the command must train with
// fitAsync, which yields to it after every batch.

import { EXIT_INTERRUPTED } from './errors.ts';
import type { CliIO } from './io.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Thrown by check() after the first signal: the loop stops between two batches. */
export class SignalStop extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
    this.name = 'SignalStop';
  }
}

export interface SignalWatch {
  /** Throws SignalStop once a first signal has come. */
  check(): void;
  /** The first signal, or null. */
  readonly signal: NodeJS.Signals | null;
  /** Removes the handlers: signals act as usual again. */
  dispose(): void;
}

/** Installs the SIGINT and SIGTERM handlers for a command named `who` ("miniconv train"). */
export function watchSignals(io: CliIO, who: string): SignalWatch {
  let first: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (first === null) {
      first = signal;
      io.err(`${who}: ${signal}: stopping after this batch to save the last finished epoch (send it again to quit at once without saving)`);
      return;
    }
    io.err(`${who}: second signal: stopped at once, nothing written`);
    process.exit(EXIT_INTERRUPTED);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    check() { if (first !== null) throw new SignalStop(first); },
    get signal() { return first; },
    dispose() { for (const s of SIGNALS) process.off(s, handler); },
  };
}
