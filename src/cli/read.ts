// `miniconv read MODEL PICTURE`: every digit of a handwritten number in a picture, left to right,
// with each digit's probability (the reading is readNumber in src/io/read-number.ts; how it works:
// docs/read-numbers.md). --json for programs, --save-boxes and --heatmap for people.

import { Command } from 'commander';
import { type DestinationOptions, checkDestination, writeDestination } from '../io/destination.ts';
import { loadModel } from '../io/model-file.ts';
import { applyPreprocess, modelPreprocess } from '../io/onnx/mean-std.ts';
import { softmax } from '../kernels/softmax-xent.ts';
import { Tensor } from '../tensor.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, maxBytesOf, maxFileMbOption, pathArg } from './parse.ts';

interface ReadOptions { json?: boolean; saveBoxes?: string; heatmap?: string; force?: boolean; backend?: string; maxFileMb?: number }

/** Encodes RGBA as PNG; pngjs is loaded only when a picture is written (test/start.test.ts). */
async function png(rgba: Uint8Array, width: number, height: number): Promise<Buffer> {
  const { PNG } = await import('pngjs');
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
    .option('--force', 'let --save-boxes and --heatmap replace an existing regular file that is not a PNG (never a folder, a device, MODEL or PICTURE)')
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
      // --save-boxes, --heatmap: both destinations checked before any work (destination.ts), never an input, never each other.
      const dest = (who: string): DestinationOptions => ({ kind: 'png', who, force: o.force, inputs: [[file, 'the model file'], [picture, 'the picture']] });
      if (o.saveBoxes !== undefined && o.heatmap !== undefined && o.saveBoxes === o.heatmap) {
        throw new UsageError(`--save-boxes and --heatmap name the same file ${o.saveBoxes}; give each its own`);
      }
      if (o.saveBoxes !== undefined) checkDestination(o.saveBoxes, dest('--save-boxes'));
      if (o.heatmap !== undefined) checkDestination(o.heatmap, dest('--heatmap'));
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
        writeDestination(o.saveBoxes, await png(drawBoxes(rgba, width, height, result), width, height), dest('--save-boxes'));
      }
      if (o.heatmap !== undefined) {
        const { drawHeatmap } = await import('../io/read-number-draw.ts');
        const { toFullyConvolutional } = await import('../layers/fully-convolutional.ts');
        const fcn = toFullyConvolutional(model, inputShape).eval();
        writeDestination(o.heatmap, await png(drawHeatmap(rgba, width, height, result, fcn, prepare), width, height), dest('--heatmap'));
      }
      if (o.json) {
        io.out(JSON.stringify({ text: result.text, digits: result.digits.map((d) => ({ digit: d.digit, p: Number(d.p.toFixed(4)), box: d.box })) }));
        return;
      }
      io.out(`Read: ${result.text}`);
      for (const d of result.digits) io.out(`  ${d.digit}  ${(100 * d.p).toFixed(1).padStart(5)}%  box x ${d.box[0]}, y ${d.box[1]}, ${d.box[2]}x${d.box[3]}`);
    });
}
