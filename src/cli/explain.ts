// `miniconv explain`: one convolution's forward and backward pass, number by number
// (the narration is src/explain/).

import { Command } from 'commander';
import { type ExplainOptions, SEED_INPUT, SEED_KERNEL, explainConv } from '../explain/index.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, intArg, jsonMatrixArg } from './parse.ts';

interface Options { input?: unknown; kernel?: unknown; stride: number; padding: number; dy?: unknown; color: boolean }

export function explainCommand(ctx: CliContext): Command {
  return configureCommand(new Command('explain'), ctx.io)
    .description("forward and backward pass of one small convolution, step by step (default: the seed article's 3x3 input and 2x2 kernel)")
    .option('--input <JSON>', "the input x, a 2-D array (default: the seed article's '[[1,2,3],[4,5,6],[7,8,9]]')", jsonMatrixArg('--input'))
    .option('--kernel <JSON>', "the kernel w (default: the seed article's '[[-1,0],[0,1]]')", jsonMatrixArg('--kernel'))
    .option('--stride <N>', 'stride', intArg('--stride', 1, 2), 1)
    .option('--padding <N>', 'rings of zeros around the input', intArg('--padding', 0, 1), 0)
    .option('--dy <JSON>', "the upstream gradient dL/dy, the output's size (default: all ones)", jsonMatrixArg('--dy'))
    .option('--no-color', 'plain text even on a terminal (also NO_COLOR=1)')
    .action((o: Options) => {
      const opts: ExplainOptions = {
        input: (o.input ?? SEED_INPUT) as number[][],
        kernel: (o.kernel ?? SEED_KERNEL) as number[][],
        dy: o.dy as number[][] | undefined,
        stride: o.stride, padding: o.padding,
        color: o.color && ctx.io.isTTY && !process.env.NO_COLOR,
      };
      let text: string;
      try {
        text = explainConv(opts).text;
      } catch (e) {
        // explainConv rejects a bad matrix or size with a TypeError or RangeError: a bad argument.
        if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message.replace(/^explainConv: /, ''));
        throw e;
      }
      ctx.io.out(text);
    });
}
