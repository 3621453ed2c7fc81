// The command line: `miniconv <command> [options]`. One commander program holds every command
// (one file each: train, eval, predict, read, summary, inspect, explain, export, import, help); main()
// parses, runs, and turns every outcome into an exit code (errors.ts): 0 done, 1 a file or run-time
// problem (one line, no stack trace), 2 bad arguments (the message and the command's usage), 130
// interrupted (train's Ctrl-C).
//
// The entry point (bin/main.ts) passes in the dataset loaders, which live outside src/.

import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.ts';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, InterruptedError, UsageError } from './errors.ts';
import { evalCommand } from './eval.ts';
import { explainCommand } from './explain.ts';
import { exportCommand } from './export.ts';
import { helpCommand } from './help.ts';
import { importCommand } from './import.ts';
import { inspectCommand } from './inspect.ts';
import { configureCommand, helpText } from './parse.ts';
import { predictCommand } from './predict.ts';
import { readCommand } from './read.ts';
import { summaryCommand } from './summary.ts';
import { trainCommand } from './train.ts';
import { packageVersion } from './version.ts';
import '../kernels/winograd.ts'; // models trained with --winograd run it in every command

export type { CliContext, DataLoaders } from './context.ts';
export type { CliIO } from './io.ts';

/** The whole command line as one commander program. */
export function buildProgram(ctx: CliContext): Command {
  const program = configureCommand(new Command('miniconv'), ctx.io)
    .description('Train, inspect and explain a small convolutional network for handwritten digits.')
    .usage('<command> [options]')
    .version(packageVersion(), '-V, --version', "print miniconv's version")
    .helpCommand(false)
    .addHelpText('after', "\nRun 'miniconv <command> --help' for a command's options, e.g. miniconv train --help.");
  for (const make of [trainCommand, evalCommand, predictCommand, readCommand, summaryCommand, inspectCommand, explainCommand, exportCommand, importCommand]) {
    program.addCommand(make(ctx));
  }
  program.addCommand(helpCommand(ctx, program));
  return program;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const program = buildProgram(ctx);
  // The command whose usage a bad argument shows: the one named first, if there is one, or its
  // subcommand named second (`miniconv explain pool`).
  const top = program.commands.find((c) => c.name() === argv[0]) ?? null;
  const command = top?.commands.find((c) => c.name() === argv[1]) ?? top;
  const who = command ? `miniconv ${top === command ? '' : `${top?.name()} `}${command.name()}` : 'miniconv';
  const usage = () => helpText(command ?? program);
  try {
    if (argv.length === 0) throw new UsageError('no command given');
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return EXIT_OK; // --help, --version
      io.err(`${who}: ${e.message.replace(/^error: /, '')}\n\n${usage()}`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`${who}: ${e.message}\n\n${usage()}`);
      return EXIT_USAGE;
    }
    io.err(`${who}: ${(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}`);
    return e instanceof InterruptedError ? EXIT_INTERRUPTED : EXIT_FAILURE;
  }
}
