// The command line's exit codes and its one usage-error class.
//
//   0  success (also --help and --version)
//   1  a file or run-time problem: one line on stderr, no stack trace
//   2  bad arguments: the message, then the command's usage, on stderr

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad arguments (an unknown option, a value out of range, a missing file name): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
