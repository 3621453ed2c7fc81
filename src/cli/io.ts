// Where the command line writes: every command prints through a CliIO, so that tests capture the
// output and the real process gets one place that handles a closed stdout.

import { EXIT_FAILURE, EXIT_OK } from './errors.ts';

export interface CliIO {
  /** One line (or block) of output; a newline is added. */
  out(text: string): void;
  /** One line (or block) of diagnostics; a newline is added. */
  err(text: string): void;
  /** Whether stdout is a terminal: progress bars and colour instead of plain lines. */
  isTTY: boolean;
}

/**
 * The process's stdout and stderr. A reader that goes away early (`miniconv explain | head -1`)
 * makes writes fail with EPIPE; the command then ends quietly with exit code 0, as a Unix filter
 * does, instead of dying with a stack trace. Any other write error is one line on stderr, exit 1.
 */
export function processIO(): CliIO {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    process.stderr.write(`miniconv: cannot write the output: ${e.message}\n`);
    process.exit(EXIT_FAILURE);
  });
  return {
    out: (text) => { process.stdout.write(`${text}\n`); },
    err: (text) => { process.stderr.write(`${text}\n`); },
    isTTY: Boolean(process.stdout.isTTY),
  };
}
