// `miniconv help [COMMAND]`: the overview, or one command's usage (the same text as --help).

import { Command } from 'commander';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, helpText } from './parse.ts';

export function helpCommand(ctx: CliContext, program: Command): Command {
  return configureCommand(new Command('help'), ctx.io)
    .description('this overview, or the usage of one command')
    .argument('[COMMAND]', 'a command')
    .action((name?: string) => {
      if (name === undefined) { ctx.io.out(helpText(program)); return; }
      const cmd = program.commands.find((c) => c.name() === name);
      if (!cmd) throw new UsageError(`unknown command '${name}'; the commands are ${program.commands.map((c) => c.name()).join(', ')}`);
      ctx.io.out(helpText(cmd));
    });
}
