// The one argument parser: commander (a maintained library) builds every command, its options, its
// --help and the top-level --version from one definition, so that the usage texts cannot disagree
// with what is parsed. The helpers here turn option values into numbers and arrays, throwing a
// UsageError (exit code 2) that names the option, what was expected, and an example to type.

import { Command } from 'commander';
import type { CliIO } from './io.ts';
import { UsageError } from './errors.ts';

/** A new (sub)command whose help and errors go through `io`, and which never exits the process. */
export function configureCommand(cmd: Command, io: CliIO): Command {
  return cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: () => {}, // main() prints errors itself, with the command's usage
    })
    .configureHelp({ helpWidth: 100, sortOptions: false })
    .allowExcessArguments(false);
}

/**
 * Parser of an integer option, `--name N`, at least `min`. A negative number after a space
 * (`--padding -1`) is read as the value, so that the message says what to type instead.
 */
export function intArg(flag: string, min: number, example: number): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isInteger(v) || v < min) {
      throw new UsageError(`${flag} must be an integer >= ${min} (for example ${flag} ${example}), got '${value}'`);
    }
    return v;
  };
}

/** Parser of a number option, `--name X`, in [min, max] (or below `max` when `maxExclusive`). */
export function floatArg(flag: string, range: { min: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }, example: number): (value: string) => number {
  const { min, max, minExclusive, maxExclusive } = range;
  const interval = max === undefined ? `${minExclusive ? '>' : '>='} ${min}` : `in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  return (value) => {
    const v = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(v) && (minExclusive ? v > min : v >= min) &&
      (max === undefined || (maxExclusive ? v < max : v <= max));
    if (!ok) throw new UsageError(`${flag} must be a number ${interval} (for example ${flag} ${example}), got '${value}'`);
    return v;
  };
}

/** Parser of an option that takes one of a few names. */
export function choiceArg<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** Parser of a JSON 2-D array option such as `--input '[[1,2],[3,4]]'` (its contents are checked later). */
export function jsonMatrixArg(flag: string): (value: string) => unknown {
  return (value) => {
    try {
      return JSON.parse(value) as unknown;
    } catch (e) {
      throw new UsageError(`${flag} is not valid JSON (${(e as Error).message}); expected a 2-D array such as '[[1,2],[3,4]]'`);
    }
  };
}

/** Parser of a non-empty text option (a file or folder name). */
export function pathArg(flag: string, what: string): (value: string) => string {
  return (value) => {
    if (value.trim() === '') throw new UsageError(`${flag} needs ${what}, got an empty string`);
    return value;
  };
}

/** A command's whole --help text (helpInformation() leaves out what addHelpText added). */
export function helpText(cmd: Command): string {
  let text = '';
  const saved = cmd.configureOutput();
  cmd.configureOutput({ ...saved, writeOut: (s) => { text += s; } });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  return text.replace(/\n$/, '');
}
