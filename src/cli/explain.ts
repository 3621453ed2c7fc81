// `miniconv explain`: one convolution's forward and backward pass, number by number
// (the narration is src/explain/).

import { Command } from 'commander';
import { type ExplainOptions, SEED_INPUT, SEED_KERNEL, explainConv } from '../explain/index.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, intArg, jsonMatrixArg } from './parse.ts';

/**
 * The largest problem explain narrates: every number of it is written out, so a 64x64 input already
 * makes megabytes of text. Bigger sizes are a usage error (exit 2) naming the limit.
 */
export const EXPLAIN_LIMITS = { side: 64, padding: 16, stride: 16 };

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
      checkExplainSizes(o);
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
        // explainConv rejects a bad matrix or size with a TypeError or RangeError naming itself: a bad
        // argument. Anything else (a stack overflow is a RangeError too) is a failure, not a usage error.
        if ((e instanceof TypeError || e instanceof RangeError) && e.message.startsWith('explainConv: ')) throw new UsageError(e.message.replace(/^explainConv: /, ''));
        throw e;
      }
      ctx.io.out(text);
    });
}

/** Usage error unless the sizes are within EXPLAIN_LIMITS (the matrices' contents are checked by explainConv). */
function checkExplainSizes(o: Options): void {
  const { side, padding, stride } = EXPLAIN_LIMITS;
  if (o.padding > padding) throw new UsageError(`--padding must be at most ${padding} (explain writes out every number), got ${o.padding}`);
  if (o.stride > stride) throw new UsageError(`--stride must be at most ${stride}, got ${o.stride}`);
  for (const [flag, m] of [['--input', o.input], ['--kernel', o.kernel], ['--dy', o.dy]] as const) {
    if (!Array.isArray(m)) continue;
    const rows = m.length, cols = Math.max(0, ...m.slice(0, side + 1).map((r) => (Array.isArray(r) ? r.length : 0)));
    if (rows > side || cols > side) throw new UsageError(`${flag} must be at most ${side}x${side} (explain writes out every number), got ${rows}x${cols}`);
  }
}
