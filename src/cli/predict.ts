// `miniconv predict MODEL IMAGE.png`: the predicted digit and the ten probabilities.

import { Command } from 'commander';
import { readDigitPng } from '../io/digit-image.ts';
import { loadModel } from '../io/model-file.ts';
import { applyPreprocess, modelPreprocess } from '../io/onnx/preprocess.ts';
import { softmax } from '../kernels/softmax-xent.ts';
import { Tensor } from '../tensor.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { argmaxRow } from '../train/metrics.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import type { CliContext } from './context.ts';
import { configureCommand } from './parse.ts';

export function predictCommand(ctx: CliContext): Command {
  return configureCommand(new Command('predict'), ctx.io)
    .description('the predicted digit and the ten probabilities for a picture of a digit')
    .argument('<MODEL>', 'a model file saved by train')
    .argument('<IMAGE>', 'a PNG picture of one digit, any size, dark on light or light on dark')
    .option('--backend <NAME>', BACKEND_HELP)
    .action((file: string, image: string, o: { backend?: string }) => {
      if (o.backend !== undefined) applyBackendOption(o.backend);
      const { model, inputShape, metadata } = loadModel(file);
      assertDigitInput(inputShape, file);
      const preprocess = modelPreprocess(metadata, inputShape, file); // e.g. an imported model's (x - 0.5) / 0.5
      const pixels = readDigitPng(image);
      const x = new Tensor([1, ...inputShape], pixels);
      const probs = softmax(model.forward(preprocess ? applyPreprocess(x, preprocess) : x)).data; // (1, classes)
      const best = argmaxRow(probs, 0, probs.length);
      ctx.io.out(`Predicted digit: ${best} (probability ${(100 * probs[best]).toFixed(1)}%)`);
      for (let k = 0; k < probs.length; k++) ctx.io.out(`  ${k}: ${(100 * probs[k]).toFixed(2).padStart(6)}%  ${'#'.repeat(Math.round(probs[k] * 40))}`);
    });
}
