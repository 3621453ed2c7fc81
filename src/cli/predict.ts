// `miniconv predict MODEL IMAGE...`: the predicted digit for each picture (PNG or JPEG); for a
// single picture also the ten probabilities. The picture part (reading, preprocessing, warnings,
// --save-input) is readDigit in src/io/digit-image.ts and clean-picture.ts.

import { extname } from 'node:path';
import { Command } from 'commander';
import { type DestinationOptions, checkDestination, writeDestination } from '../io/destination.ts';
import { loadModel } from '../io/model-file.ts';
import { applyPreprocess, modelPreprocess } from '../io/onnx/mean-std.ts';
import { softmax } from '../kernels/softmax-xent.ts';
import { Tensor } from '../tensor.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { argmaxRow } from '../train/metrics.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import type { CliContext } from './context.ts';
import { configureCommand, maxBytesOf, maxFileMbOption, pathArg } from './parse.ts';

interface PredictOptions { backend?: string; saveInput?: string; force?: boolean; maxFileMb?: number }

/** Where --save-input FILE.png puts picture number `k` (1-based) of `count`: FILE.png itself for one picture, else FILE-k.png. */
function saveInputPath(file: string, k: number, count: number): string {
  if (count === 1) return file;
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}-${k}${ext}`;
}

/** `97.3`, or `> 99.9` when it would round to 100 without being certain. */
function percent(p: number): string {
  return p > 0.999 && p < 1 ? '> 99.9' : (100 * p).toFixed(1);
}

export function predictCommand(ctx: CliContext): Command {
  return configureCommand(new Command('predict'), ctx.io)
    .description('the predicted digit for each picture of a digit (with one picture, also the ten probabilities)')
    .argument('<MODEL>', 'a model file saved by train')
    .argument('<IMAGE...>', 'PNG or JPEG pictures of one digit each, any size, dark on light or light on dark, on paper or a screen')
    .option('--save-input <FILE.png>', 'write the 28x28 input the network saw as a PNG (several pictures: FILE-1.png, FILE-2.png, ...)',
      pathArg('--save-input', 'a file name'))
    .option('--force', 'let --save-input replace an existing regular file that is not a PNG (never a folder, a device, MODEL or a picture read)')
    .option('--backend <NAME>', BACKEND_HELP)
    .addOption(maxFileMbOption())
    .addHelpText('after', '\nWarnings (the preprocessing was unsure) go to stderr as "FILE: warning: ...". A picture that cannot be\n' +
      'read gets one line on stderr and the others are still predicted; the exit code is then 1.')
    .action(async (file: string, images: string[], o: PredictOptions) => {
      const { io } = ctx;
      // Loaded when used (the image decoders), as explain's and inspect's work: with the command line, they made `train` peak ~10 MB higher.
      const { digitToPng, readDigit } = await import('../io/digit-image.ts');
      if (o.backend !== undefined) applyBackendOption(o.backend);
      const maxBytes = maxBytesOf(o.maxFileMb);
      // --save-input: every destination checked before any work (destination.ts), never one of the inputs.
      const dest: DestinationOptions = {
        kind: 'png', who: '--save-input', force: o.force,
        inputs: [[file, 'the model file'], ...images.map((im) => [im, 'a picture'] as const)],
      };
      const saveAs = (k: number) => saveInputPath(o.saveInput!, k + 1, images.length);
      if (o.saveInput !== undefined) images.forEach((_, k) => checkDestination(saveAs(k), dest));
      const { model, inputShape, metadata } = loadModel(file, { maxBytes });
      assertDigitInput(inputShape, file);
      const preprocess = modelPreprocess(metadata, inputShape, file); // e.g. an imported model's (x - 0.5) / 0.5
      const single = images.length === 1;
      let failed = 0;
      images.forEach((image, index) => {
        let pixels: Float32Array;
        try {
          const digit = readDigit(image, { maxBytes });
          for (const w of digit.warnings) io.err(`${image}: warning: ${w}`);
          pixels = digit.pixels;
          if (o.saveInput !== undefined) writeDestination(saveAs(index), digitToPng(pixels), dest);
        } catch (e) {
          if (single) throw e; // one picture: the command's own one-line error, exit 1
          failed++;
          io.err(`miniconv predict: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`);
          return;
        }
        const x = new Tensor([1, ...inputShape], pixels);
        const probs = softmax(model.forward(preprocess ? applyPreprocess(x, preprocess) : x)).data; // (1, classes)
        const best = argmaxRow(probs, 0, probs.length);
        if (!single) {
          io.out(`${image}: ${best} (${percent(probs[best])}%)`);
          return;
        }
        io.out(`Predicted digit: ${best} (probability ${(100 * probs[best]).toFixed(1)}%)`);
        for (let k = 0; k < probs.length; k++) io.out(`  ${k}: ${(100 * probs[k]).toFixed(2).padStart(6)}%  ${'#'.repeat(Math.round(probs[k] * 40))}`);
      });
      if (failed > 0) throw new Error(`${failed} of ${images.length} pictures could not be read (see above)`);
    });
}
