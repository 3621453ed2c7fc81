// `miniconv eval MODEL`: test accuracy and the confusion matrix.

import { Command } from 'commander';
import { loadModel } from '../io/model-file.ts';
import { modelPreprocess, preprocessDataset } from '../io/onnx/preprocess.ts';
import { DIGIT_DEFAULTS } from '../train/digit-model.ts';
import { evaluate, formatConfusion } from '../train/metrics.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import { type CliContext, loadData } from './context.ts';
import { configureCommand, pathArg } from './parse.ts';

export function evalCommand(ctx: CliContext): Command {
  return configureCommand(new Command('eval'), ctx.io)
    .description('test accuracy and confusion matrix of a saved model')
    .argument('<MODEL>', 'a model file saved by train')
    .option('--data <DIR>', 'evaluate on the full MNIST IDX files in DIR instead of the bundled test digits', pathArg('--data', 'a folder'))
    .option('--backend <NAME>', BACKEND_HELP)
    .action((file: string, o: { data?: string; backend?: string }) => {
      if (o.backend !== undefined) applyBackendOption(o.backend);
      const { model, metadata, inputShape } = loadModel(file);
      const preprocess = modelPreprocess(metadata, inputShape, file); // e.g. an imported model's (x - 0.5) / 0.5
      const { test, name } = loadData(ctx, o.data, typeof metadata.seed === 'number' ? metadata.seed : DIGIT_DEFAULTS.seed);
      const r = evaluate(model, preprocess ? preprocessDataset(test, preprocess) : test);
      ctx.io.out(`Test set: ${name}`);
      ctx.io.out(`Accuracy ${(100 * r.accuracy).toFixed(2)}% (${Math.round(r.accuracy * r.count)}/${r.count}), loss ${r.loss.toFixed(4)}`);
      ctx.io.out(formatConfusion(r.confusion));
    });
}
