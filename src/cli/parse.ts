// The one argument parser: commander (a maintained library) builds every command, its options, its
// --help and the top-level --version from one definition, so that the usage texts cannot disagree
// with what is parsed. The helpers here turn option values into numbers and arrays, throwing a
// UsageError (exit code 2) that names the option, what was expected, and an example to type.

import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
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

/** An integer as people type it: decimal digits only (`0x10`, `1e9`, `1_000` and `Infinity` are refused). */
const DECIMAL_INTEGER = /^[+-]?\d+$/;
/** A number as people type it: decimal, with an optional exponent (`5e-4`); not hex, octal, binary or `Infinity`. */
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether `text` is a number written in decimal (DECIMAL_NUMBER), for the parsers of lists. */
export function isDecimalNumber(text: string): boolean {
  return DECIMAL_NUMBER.test(text);
}

/** The largest `--batch-size`: a batch of 8,192 digits already takes ~1 GB of activations in the larger zoo models. */
export const MAX_BATCH_SIZE = 8192;
/** The largest `--epochs`. */
export const MAX_EPOCHS = 10_000;
/** The largest `--max-file-mb`: a model file is read as one string, and a JavaScript string stops near 512 MB. */
export const MAX_FILE_MB = 512;

/**
 * Parser of an integer option, `--name N`, at least `min` (and at most `max` when given), written in
 * decimal digits. A negative number after a space (`--padding -1`) is read as the value, so that
 * the message says what to type instead.
 */
export function intArg(flag: string, min: number, example: number, max?: number): (value: string) => number {
  const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const v = Number(value);
    if (!DECIMAL_INTEGER.test(value) || !Number.isSafeInteger(v) || v < min || (max !== undefined && v > max)) {
      throw new UsageError(`${flag} must be an integer ${range}, in decimal digits (for example ${flag} ${example}), got '${value}'`);
    }
    return v;
  };
}

/** Parser of a number option, `--name X`, in [min, max] (or below `max` when `maxExclusive`), written in decimal. */
export function floatArg(flag: string, range: { min: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }, example: number): (value: string) => number {
  const { min, max, minExclusive, maxExclusive } = range;
  const interval = max === undefined ? `${minExclusive ? '>' : '>='} ${min}` : `in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  return (value) => {
    const v = Number(value);
    const ok = DECIMAL_NUMBER.test(value) && Number.isFinite(v) && (minExclusive ? v > min : v >= min) &&
      (max === undefined || (maxExclusive ? v < max : v <= max));
    if (!ok) throw new UsageError(`${flag} must be a decimal number ${interval} (for example ${flag} ${example}), got '${value}'`);
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

/** `--max-file-mb N`: the size cap of every file a command reads (model, pictures, IDX data), in MB. */
export function maxFileMbOption(): Option {
  return new Option('--max-file-mb <N>', `refuse files larger than N MB, at most ${MAX_FILE_MB} (default: 256 for models and IDX files, 64 for pictures)`)
    .argParser(intArg('--max-file-mb', 1, 512, MAX_FILE_MB));
}

/** The byte cap of `--max-file-mb`, or undefined for each reader's own default. */
export function maxBytesOf(mb: number | undefined): number | undefined {
  return mb === undefined ? undefined : mb * 1024 * 1024;
}

/**
 * The most threads `--threads` accepts: 4 per core. Each thread holds a replica of the model and its
 * buffers, and beyond the cores they only take turns: 64 threads on 2 cores took 2.2 GB and ran 12
 * times slower than 2.
 */
export const THREADS_PER_CORE = 4;
export function maxThreads(): number {
  return THREADS_PER_CORE * availableParallelism();
}

/** Parser of `--threads N`: an integer in [1, maxThreads()]. */
export function threadsArg(): (value: string) => number {
  const atLeastOne = intArg('--threads', 1, 2);
  return (value) => {
    const v = atLeastOne(value);
    const max = maxThreads();
    if (v > max) {
      throw new UsageError(`--threads must be at most ${max} (${THREADS_PER_CORE} per core, ${availableParallelism()} cores here): more threads than cores only take turns and each holds a copy of the model; got ${v}`);
    }
    return v;
  };
}
