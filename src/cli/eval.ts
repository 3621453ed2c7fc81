// `miniconv eval MODEL`: test accuracy and the confusion matrix.

import { Command } from 'commander';
import { loadModel } from '../io/model-file.ts';
import { modelPreprocess, preprocessDataset } from '../io/onnx/mean-std.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { DIGIT_DEFAULTS } from '../train/digit-model.ts';
import { evaluate, formatConfusion } from '../train/metrics.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import type { CliContext } from './context.ts';
import { configureCommand, maxBytesOf, maxFileMbOption, pathArg } from './parse.ts';

export function evalCommand(ctx: CliContext): Command {
  return configureCommand(new Command('eval'), ctx.io)
    .description('test accuracy and confusion matrix of a saved model')
    .argument('<MODEL>', 'a model file saved by train')
    .option('--data <DIR>', 'evaluate on the MNIST IDX test files in DIR (t10k-images, t10k-labels) instead of the bundled test digits',
      pathArg('--data', 'a folder'))
    .option('--backend <NAME>', BACKEND_HELP)
    .addOption(maxFileMbOption())
    .action((file: string, o: { data?: string; backend?: string; maxFileMb?: number }) => {
      if (o.backend !== undefined) applyBackendOption(o.backend);
      const maxBytes = maxBytesOf(o.maxFileMb);
      const { model, inputShape, metadata } = loadModel(file, { maxBytes });
      assertDigitInput(inputShape, file); // the test sets are 28x28 digits: say so before a layer trips over them
      const preprocess = modelPreprocess(metadata, inputShape, file); // e.g. an imported model's (x - 0.5) / 0.5
      // --data: only the test files are read (a folder of t10k-* files is enough); the bundled digits otherwise.
      const { test, name } = o.data !== undefined
        ? { test: ctx.data.idxTest(o.data, { maxBytes }), name: `MNIST IDX test files in ${o.data}` }
        : { test: ctx.data.digits({ seed: typeof metadata.seed === 'number' ? metadata.seed : DIGIT_DEFAULTS.seed }).test, name: 'bundled digits of the mnist package (2,000 test)' };
      if (test.count === 0) throw new Error(`the test set (${name}) is empty: there is nothing to evaluate`);
      const r = evaluate(model, preprocess ? preprocessDataset(test, preprocess) : test);
      ctx.io.out(`Test set: ${name}`);
      ctx.io.out(`Accuracy ${(100 * r.accuracy).toFixed(2)}% (${Math.round(r.accuracy * r.count)}/${r.count}), loss ${r.loss.toFixed(4)}`);
      ctx.io.out(formatConfusion(r.confusion));
    });
}
