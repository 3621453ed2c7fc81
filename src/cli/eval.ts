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
import { UsageError } from './errors.ts';
import { modelPictureRecord } from '../io/picture-input.ts';

export function evalCommand(ctx: CliContext): Command {
  return configureCommand(new Command('eval'), ctx.io)
    .description('test accuracy and confusion matrix of a saved model (on digits, or with --images on a folder of pictures)')
    .argument('<MODEL>', 'a model file saved by train')
    .option('--data <DIR>', 'evaluate on the MNIST IDX test files in DIR (t10k-images, t10k-labels) instead of the bundled test digits',
      pathArg('--data', 'a folder'))
    .option('--images <DIR>', "for a model trained on pictures: score every picture in DIR, one subfolder per class named as the model's classes",
      pathArg('--images', 'a folder'))
    .option('--skip-bad', 'with --images: skip files that are not readable pictures (each is listed) instead of stopping')
    .option('--backend <NAME>', BACKEND_HELP)
    .addOption(maxFileMbOption())
    .action(async (file: string, o: { data?: string; images?: string; skipBad?: boolean; backend?: string; maxFileMb?: number }) => {
      if (o.backend !== undefined) applyBackendOption(o.backend);
      const maxBytes = maxBytesOf(o.maxFileMb);
      const { model, inputShape, metadata } = loadModel(file, { maxBytes });
      const own = modelPictureRecord(metadata, inputShape, file);
      if (o.images !== undefined && o.data !== undefined) throw new UsageError('give either --data or --images, not both');
      if (o.skipBad && o.images === undefined) throw new UsageError('--skip-bad goes with --images DIR');
      if (own) {
        if (o.images === undefined) throw new UsageError(`${file} was trained on pictures (${own.classes.join(', ')}); give --images DIR with one subfolder per class`);
        if (!ctx.data.imagesAll) throw new Error('this build of the command line has no picture loader');
        const { picture, classes } = own;
        // The pictures are read as the training read them: the model's size, channels and aspect policy.
        const { set, skipped } = await ctx.data.imagesAll(o.images, { size: picture.size, channels: picture.channels, fit: picture.fit, seed: 0, skipBad: o.skipBad === true, classes, maxBytes });
        for (const s of skipped) ctx.io.err(`skipped ${s.file}: ${s.reason}`);
        const r = evaluate(model, set, { classes: classes.length });
        ctx.io.out(`Test set: ${set.count} pictures in ${o.images}`);
        ctx.io.out(`Accuracy ${(100 * r.accuracy).toFixed(2)}% (${Math.round(r.accuracy * r.count)}/${r.count}), loss ${r.loss.toFixed(4)}`);
        ctx.io.out(formatConfusion(r.confusion, classes));
        return;
      }
      if (o.images !== undefined) throw new Error(`${file} is a digit model (input [${inputShape.join(', ')}], no class names); --images needs a model trained with train --images`);
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
