// The command line's exit codes and its one usage-error class.
//
//   0  success (also --help and --version)
//   1  a file or run-time problem: one line on stderr, no stack trace
//   2  bad arguments: the message, then the command's usage, on stderr
// 130  interrupted (Ctrl-C, SIGTERM): what was saved, on stderr (128 + SIGINT's number, as shells report it)

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Bad arguments (an unknown option, a value out of range, a missing file name): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command stopped by a signal (train's Ctrl-C): the message says what was saved; exit code 130. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}
