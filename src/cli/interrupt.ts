// Ctrl-C (SIGINT) and SIGTERM during a long command (train). The first signal aborts an
// AbortSignal that the command passes to fit (its `signal` option): the batch under way finishes,
// then the run stops and the command saves what it had finished. A second signal ends the process
// at once, exit 130, writing nothing (a save already under way is atomic: a temporary file renamed
// into place, so nothing is torn).
//
// Signals reach a Node process only when its event loop turns: the command must train with
// fitAsync, which yields to it after every batch.

import { EXIT_INTERRUPTED } from './errors.ts';
import type { CliIO } from './io.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface SignalWatch {
  /** Aborted by the first signal, with the signal's name as reason. */
  readonly signal: AbortSignal;
  /** The first signal received, or null. */
  readonly received: NodeJS.Signals | null;
  /** Removes the handlers: signals act as usual again. */
  dispose(): void;
}

/** Installs the SIGINT and SIGTERM handlers for a command named `who` ("miniconv train"). */
export function watchSignals(io: CliIO, who: string): SignalWatch {
  const controller = new AbortController();
  let first: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (first === null) {
      first = signal;
      io.err(`${who}: ${signal}: stopping after this batch to save the last finished epoch (send it again to quit at once without saving)`);
      controller.abort(signal);
      return;
    }
    io.err(`${who}: second signal: stopped at once, nothing written`);
    process.exit(EXIT_INTERRUPTED);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    get received() { return first; },
    dispose() { for (const s of SIGNALS) process.off(s, handler); },
  };
}
