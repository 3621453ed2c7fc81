// `miniconv explain [conv|relu|pool|dense|softmax|chain|why-conv|dense-as-conv|winograd]`: each step of a convolutional
// network, number by number (the narration is src/explain/). `conv` is the default, so that
// `miniconv explain` alone still narrates the seed article's 3x3 * 2x2 convolution.

import { Command } from 'commander';
import type { ExplainOptions } from '../explain/index.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, intArg, jsonMatrixArg } from './parse.ts';

/** Parser of a JSON option whose contents the explain functions check (`what` names the expected shape). */
function jsonArg(flag: string, what: string, example: string): (value: string) => unknown {
  return (value) => {
    try {
      return JSON.parse(value) as unknown;
    } catch (e) {
      throw new UsageError(`${flag} is not valid JSON (${(e as Error).message}); expected ${what} such as '${example}'`);
    }
  };
}

/**
 * The largest problem explain narrates: every number of it is written out, so a 64x64 input already
 * makes megabytes of text. Bigger sizes are a usage error (exit 2) naming the limit.
 */
const EXPLAIN_LIMITS = { side: 64, padding: 16, stride: 16 };

/** Usage error unless the sizes are within EXPLAIN_LIMITS (the matrices' contents are checked by the explain functions). */
function checkExplainSizes(o: { input?: unknown; kernel?: unknown; dy?: unknown; stride?: number; padding?: number }): void {
  const { side, padding, stride } = EXPLAIN_LIMITS;
  if ((o.padding ?? 0) > padding) throw new UsageError(`--padding must be at most ${padding} (explain writes out every number), got ${o.padding}`);
  if ((o.stride ?? 1) > stride) throw new UsageError(`--stride must be at most ${stride}, got ${o.stride}`);
  for (const [flag, m] of [['--input', o.input], ['--kernel', o.kernel], ['--dy', o.dy]] as const) {
    if (!Array.isArray(m)) continue;
    let rows = m.length, cols = 0;
    for (const r of m.slice(0, side + 1)) {
      if (!Array.isArray(r)) continue;
      cols = Math.max(cols, r.length);
      for (const q of r.slice(0, side + 1)) if (Array.isArray(q)) { rows = Math.max(rows, r.length); cols = Math.max(cols, q.length); } // 3-D: (C, H, W)
    }
    if (rows > side || cols > side) throw new UsageError(`${flag} must be at most ${side}x${side} (explain writes out every number), got ${rows}x${cols}`);
  }
}

type Explainers = typeof import('../explain/index.ts');

/**
 * Runs an explain function; a TypeError or RangeError from it is a bad argument (exit code 2). The
 * narration code is loaded here, when it is used: loaded with the command line, it and the other
 * commands' code made `miniconv train` (npm start) peak about 10 MB higher.
 */
async function run(ctx: CliContext, explain: (x: Explainers) => { text: string }): Promise<void> {
  const x = await import('../explain/index.ts');
  let text: string;
  try {
    text = explain(x).text;
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new UsageError(e.message.replace(/^explain\w+: /, ''));
    throw e;
  }
  ctx.io.out(text);
}

const useColor = (ctx: CliContext, o: { color: boolean }) => o.color && ctx.io.isTTY && !process.env.NO_COLOR;
const NO_COLOR = ['--no-color', 'plain text even on a terminal (also NO_COLOR=1)'] as const;

interface ConvOptions {
  input?: unknown; kernel?: unknown; bias?: unknown; channels?: number; filters?: number;
  stride: number; padding: number; dilation: number; groups: number; dy?: unknown; color: boolean;
}

function convCommand(ctx: CliContext): Command {
  return configureCommand(new Command('conv'), ctx.io)
    .description("one convolution, forward and backward, every product written out (default: the seed article's 3x3 input and 2x2 kernel)")
    .option('--input <JSON>', "the input x: (H, W), or (C, H, W) for several channels (default: the seed article's '[[1,2,3],[4,5,6],[7,8,9]]')", jsonArg('--input', 'a 2-D or 3-D array', '[[1,2],[3,4]]'))
    .option('--kernel <JSON>', "the kernel w: (KH, KW), or (F, C/groups, KH, KW) (default: the seed article's '[[-1,0],[0,1]]', and kernels like it)", jsonArg('--kernel', 'a 2-D or 4-D array', '[[1,0],[0,1]]'))
    .option('--bias <JSON>', 'the bias b, one number per filter (default: zeros)', jsonArg('--bias', 'an array of numbers', '[0.5]'))
    .option('--channels <N>', 'input channels C, when no --input is given (the seed input and variations of it)', intArg('--channels', 1, 2))
    .option('--filters <N>', 'filters F, when no --kernel is given', intArg('--filters', 1, 2))
    .option('--stride <N>', 'stride', intArg('--stride', 1, 2), 1)
    .option('--padding <N>', 'rings of zeros around the input', intArg('--padding', 0, 1), 0)
    .option('--dilation <N>', "spacing of the kernel's taps", intArg('--dilation', 1, 2), 1)
    .option('--groups <N>', 'channel groups (groups = channels: a depthwise convolution)', intArg('--groups', 1, 2), 1)
    .option('--dy <JSON>', "the upstream gradient dL/dy, the output's size (default: 1, 2, 3, ... in reading order)", jsonMatrixArg('--dy'))
    .option(...NO_COLOR)
    .action((o: ConvOptions) => {
      checkExplainSizes(o);
      const opts: ExplainOptions = {
        // Left out, they default to the seed article's input and kernel (and variations of them for more channels or filters).
        input: o.input as ExplainOptions['input'], kernel: o.kernel as ExplainOptions['kernel'],
        bias: o.bias as number[] | undefined, channels: o.channels, filters: o.filters,
        dy: o.dy as ExplainOptions['dy'], stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups, color: useColor(ctx, o),
      };
      return run(ctx, (x) => x.explainConv(opts));
    });
}

const EXAMPLES = `
Examples:
  miniconv explain                                   the seed article's example: y = 4 4 / 4 4
  miniconv explain conv --stride 2 --padding 1 --input '[[1,2,3,4],[5,6,7,8],[9,10,11,12],[13,14,15,16]]'
  miniconv explain conv --channels 2 --filters 2     several channels and filters
  miniconv explain conv --channels 2 --groups 2      a depthwise convolution
  miniconv explain chain                             a whole network, backward down to the kernel`;

export function explainCommand(ctx: CliContext): Command {
  const cmd = configureCommand(new Command('explain'), ctx.io)
    .description("every step of a convolutional network, number by number; with no command, 'conv' (the seed article's example)")
    .addHelpText('after', `\nWith no command, 'explain' is 'explain conv': see 'miniconv explain conv --help'.\n${EXAMPLES}`);
  cmd.addCommand(convCommand(ctx), { isDefault: true });

  cmd.addCommand(configureCommand(new Command('relu'), ctx.io)
    .description('ReLU, forward and backward, every entry written out')
    .option('--input <JSON>', 'the input x, a 2-D array with no entry at 0 (default: [[1.5,-2,0.5],[-0.5,3,-1]])', jsonMatrixArg('--input'))
    .option('--dy <JSON>', "the upstream gradient, the input's size (default: 1, 2, 3, ...)", jsonMatrixArg('--dy'))
    .option(...NO_COLOR)
    .action((o: { input?: unknown; dy?: unknown; color: boolean }) => run(ctx, (x) => x.explainRelu({ input: o.input as number[][] | undefined, dy: o.dy as number[][] | undefined, color: useColor(ctx, o) }))));

  cmd.addCommand(configureCommand(new Command('pool'), ctx.io)
    .description('max-pooling, forward and backward: each window\'s gradient goes to its winner')
    .option('--input <JSON>', 'the input x, a 2-D array with no ties inside a window (default: a 4x4 example)', jsonMatrixArg('--input'))
    .option('--kernel-size <N>', 'the window is N x N', intArg('--kernel-size', 1, 2), 2)
    .option('--stride <N>', 'stride (default: the window size)', intArg('--stride', 1, 2))
    .option('--dy <JSON>', "the upstream gradient, the output's size (default: 1, 2, 3, ...)", jsonMatrixArg('--dy'))
    .option(...NO_COLOR)
    .action((o: { input?: unknown; kernelSize: number; stride?: number; dy?: unknown; color: boolean }) => run(ctx, (x) => x.explainPool({
      input: o.input as number[][] | undefined, kernelSize: o.kernelSize, stride: o.stride, dy: o.dy as number[][] | undefined, color: useColor(ctx, o),
    }))));

  cmd.addCommand(configureCommand(new Command('dense'), ctx.io)
    .description('a dense (fully connected) layer, forward and backward: dx, dw and db entry by entry')
    .option('--input <JSON>', 'the input x, an array of IN numbers (default: [1,2,3])', jsonArg('--input', 'an array of numbers', '[1,2,3]'))
    .option('--weight <JSON>', 'the weight w, OUT rows of IN numbers (default: [[1,0,-1],[0.5,-1,2]])', jsonMatrixArg('--weight'))
    .option('--bias <JSON>', 'the bias b, OUT numbers (default: [0,1], or zeros with your own weight)', jsonArg('--bias', 'an array of numbers', '[0,1]'))
    .option('--dy <JSON>', 'the upstream gradient, OUT numbers (default: 1, 2, ...)', jsonArg('--dy', 'an array of numbers', '[1,2]'))
    .option(...NO_COLOR)
    .action((o: { input?: unknown; weight?: unknown; bias?: unknown; dy?: unknown; color: boolean }) => run(ctx, (x) => x.explainDense({
      input: o.input as number[] | undefined, weight: o.weight as number[][] | undefined, bias: o.bias as number[] | undefined, dy: o.dy as number[] | undefined, color: useColor(ctx, o),
    }))));

  cmd.addCommand(configureCommand(new Command('softmax'), ctx.io)
    .description('softmax cross-entropy, forward and backward: dlogits = probs - onehot(label)')
    .option('--logits <JSON>', 'the logits, one number per class (default: [2,1,0.1])', jsonArg('--logits', 'an array of numbers', '[2,1,0.1]'))
    .option('--label <N>', 'the true class (default 0)', intArg('--label', 0, 1))
    .option(...NO_COLOR)
    .action((o: { logits?: unknown; label?: number; color: boolean }) => run(ctx, (x) => x.explainSoftmax({ logits: o.logits as number[] | undefined, label: o.label, color: useColor(ctx, o) }))));

  cmd.addCommand(configureCommand(new Command('chain'), ctx.io)
    .description('a whole tiny network (conv, ReLU, max-pool, dense, softmax cross-entropy), forward then backward down to the kernel')
    .option('--seed <N>', 'seed of the weights (default 2)', intArg('--seed', 0, 3))
    .option('--label <N>', 'the true class, 0, 1 or 2 (default 2)', intArg('--label', 0, 1))
    .option(...NO_COLOR)
    .action((o: { seed?: number; label?: number; color: boolean }) => run(ctx, (x) => x.explainChain({ seed: o.seed, label: o.label, color: useColor(ctx, o) }))));

  cmd.addCommand(configureCommand(new Command('why-conv'), ctx.io)
    .description('why convolution: parameters against a dense layer, a shifted input shifting the feature map, max-pool absorbing the shift')
    .option(...NO_COLOR)
    .action((o: { color: boolean }) => run(ctx, (x) => x.explainWhyConv({ color: useColor(ctx, o) }))));

  cmd.addCommand(configureCommand(new Command('dense-as-conv'), ctx.io)
    .description('a dense layer is a convolution: the same numbers at one position, the classifier at every position of a larger input')
    .option(...NO_COLOR)
    .action((o: { color: boolean }) => run(ctx, (x) => x.explainDenseAsConv({ color: useColor(ctx, o) }))));

  cmd.addCommand(configureCommand(new Command('winograd'), ctx.io)
    .description('Winograd F(2x2,3x3): 4 multiplications instead of 6 in 1-D, 16 instead of 36 in 2-D, where it loses, the measured speed-up')
    .option('--input <JSON>', 'the 4 inputs of the 1-D example (default [1,2,3,4])', jsonArg('--input', 'an array of 4 numbers', '[1,2,3,4]'))
    .option('--kernel <JSON>', 'the 3 taps of the 1-D example (default [1,2,1])', jsonArg('--kernel', 'an array of 3 numbers', '[1,2,1]'))
    .option(...NO_COLOR)
    .action((o: { input?: unknown; kernel?: unknown; color: boolean }) => run(ctx, (x) => x.explainWinograd({
      input: o.input as number[] | undefined, kernel: o.kernel as number[] | undefined, color: useColor(ctx, o),
    }))));
  return cmd;
}
