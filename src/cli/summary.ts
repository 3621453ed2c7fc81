// `miniconv summary MODEL`: the layer table.

import { Command } from 'commander';
import { loadModel } from '../io/model-file.ts';
import type { CliContext } from './context.ts';
import { configureCommand, maxBytesOf, maxFileMbOption } from './parse.ts';

export function summaryCommand(ctx: CliContext): Command {
  return configureCommand(new Command('summary'), ctx.io)
    .description('the layer table of a saved model')
    .argument('<MODEL>', 'a model file')
    .addOption(maxFileMbOption())
    .action((file: string, o: { maxFileMb?: number }) => {
      const { model, inputShape } = loadModel(file, { maxBytes: maxBytesOf(o.maxFileMb) });
      ctx.io.out(model.summary(inputShape, false));
    });
}
