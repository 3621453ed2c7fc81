// `miniconv read MODEL PICTURE`: every digit of a handwritten number in a picture, left to right,
// with each digit's probability (the reading is readNumber in src/io/read-number.ts; how it works:
// docs/read-numbers.md). --json for programs, --save-boxes and --heatmap for people.

import { Command } from 'commander';
import { PNG } from 'pngjs';
import { loadModel, writeFileAtomic } from '../io/model-file.ts';
import { applyPreprocess, modelPreprocess } from '../io/onnx/mean-std.ts';
import { softmax } from '../kernels/softmax-xent.ts';
import { Tensor } from '../tensor.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import type { CliContext } from './context.ts';
import { configureCommand, maxBytesOf, maxFileMbOption, pathArg } from './parse.ts';

interface ReadOptions { json?: boolean; saveBoxes?: string; heatmap?: string; backend?: string; maxFileMb?: number }

function png(rgba: Uint8Array, width: number, height: number): Buffer {
  const p = new PNG({ width, height });
  p.data.set(rgba);
  return PNG.sync.write(p);
}

export function readCommand(ctx: CliContext): Command {
  return configureCommand(new Command('read'), ctx.io)
    .description('read a handwritten number: every digit in the picture, left to right, with its probability')
    .argument('<MODEL>', 'a model file saved by train (a 28x28 digit classifier)')
    .argument('<PICTURE>', 'a PNG or JPEG of a number: a scan, a photo, a drawing; digits about 12 to 400 pixels high')
    .option('--json', 'print { "text": "90210", "digits": [{ "digit": 9, "p": 0.99, "box": [x, y, w, h] }, ...] } instead')
    .option('--save-boxes <OUT.png>', 'write the picture with a box and the digit read drawn around each digit', pathArg('--save-boxes', 'a file name'))
    .option('--heatmap <OUT.png>', "write the fully convolutional network's scores over the picture (colour = class, strength = probability)", pathArg('--heatmap', 'a file name'))
    .option('--backend <NAME>', BACKEND_HELP)
    .addOption(maxFileMbOption())
    .addHelpText('after', '\nAt most 40 digits a picture. Warnings (unsure digits, split marks) go to stderr as "PICTURE: warning: ...".\n' +
      'No digit found: a one-line error and exit code 1.')
    .action(async (file: string, picture: string, o: ReadOptions) => {
      const { io } = ctx;
      const { readPicture } = await import('../io/digit-image.ts');
      const { readNumber } = await import('../io/read-number.ts');
      if (o.backend !== undefined) applyBackendOption(o.backend);
      const maxBytes = maxBytesOf(o.maxFileMb);
      const { model, inputShape, metadata } = loadModel(file, { maxBytes });
      assertDigitInput(inputShape, file);
      const preprocess = modelPreprocess(metadata, inputShape, file);
      const prepare = (x: Tensor) => (preprocess ? applyPreprocess(x, preprocess) : x);
      const { rgba, width, height } = readPicture(picture, { maxBytes });
      const classify = (x: Float32Array, n: number) => softmax(model.forward(prepare(new Tensor([n, ...inputShape], x)))).data as Float32Array;
      const result = readNumber(rgba, width, height, classify, { source: picture });
      for (const w of result.warnings) io.err(`${picture}: warning: ${w}`);
      if (o.saveBoxes !== undefined) {
        const { drawBoxes } = await import('../io/read-number-draw.ts');
        writeFileAtomic(o.saveBoxes, png(drawBoxes(rgba, width, height, result), width, height));
      }
      if (o.heatmap !== undefined) {
        const { drawHeatmap } = await import('../io/read-number-draw.ts');
        const { toFullyConvolutional } = await import('../layers/fully-convolutional.ts');
        const fcn = toFullyConvolutional(model, inputShape).eval();
        writeFileAtomic(o.heatmap, png(drawHeatmap(rgba, width, height, result, fcn, prepare), width, height));
      }
      if (o.json) {
        io.out(JSON.stringify({ text: result.text, digits: result.digits.map((d) => ({ digit: d.digit, p: Number(d.p.toFixed(4)), box: d.box })) }));
        return;
      }
      io.out(`Read: ${result.text}`);
      for (const d of result.digits) io.out(`  ${d.digit}  ${(100 * d.p).toFixed(1).padStart(5)}%  box x ${d.box[0]}, y ${d.box[1]}, ${d.box[2]}x${d.box[3]}`);
    });
}
