// `miniconv inspect MODEL`: the kernels, feature maps and report.html of a trained model
// (the work is src/inspect/inspect-model.ts).

import { basename, join } from 'node:path';
import { Command } from 'commander';
import { loadModel } from '../io/model-file.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { leavesOf } from '../inspect/layer-tree.ts';
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, intArg, pathArg } from './parse.ts';

const WRITES = `
Writes into DIR (created if missing; its files replace only earlier inspect files, unless --force):
  kernels-<layer>.png       the kernels of every Conv2D layer (the first layer of a 3-channel model in colour)
  featuremaps-<layer>.png   every layer's output for one digit (featuremaps.png: all layers in one picture);
                            for a model trained on pictures, for the --image picture at the model's input size
  kernels-snapshots.png     the first layer's kernels at initialisation and after each epoch (train
                            keeps them by default; not for a model trained with --no-snapshots or imported)
  report.html               one self-contained page: the model, training curves, kernels, feature maps,
                            confusion matrix and the most confidently wrong test digits`;

export function inspectCommand(ctx: CliContext): Command {
  return configureCommand(new Command('inspect'), ctx.io)
    .description('kernels and feature maps as PNGs, and report.html')
    .argument('<MODEL>', 'a model file with at least one Conv2D layer: of 28x28 digits, or trained on pictures (train --images; give --image)')
    .option('--index <N>', 'the digit for the feature maps: number N of the bundled test set (default 0)', intArg('--index', 0, 3))
    .option('--image <FILE>', 'the digit for the feature maps: a PNG picture of a digit instead (for a model trained on pictures: a PNG or JPEG, read as that model was trained)', pathArg('--image', 'a PNG file'))
    .option('--images <DIR>', 'for a model trained on pictures: a folder with one subfolder per class for the report (its held-out pictures if the model was trained on it, else all)',
      pathArg('--images', 'a folder'))
    .option('--out <DIR>', 'where to write (default: a folder beside the model named after it, e.g. models/digits-inspect for models/digits.json)',
      pathArg('--out', 'a folder name'))
    .option('--force', 'let the files replace existing regular files in DIR of another kind (never a folder, a device, MODEL or the --image)')
    .option('--backend <NAME>', BACKEND_HELP)
    .option('--terminal', "draw every Conv2D layer's kernels in the terminal instead of writing files (24-bit colour when COLORTERM announces it, else shaded blocks)")
    .addHelpText('after', WRITES)
    .action(async (file: string, o: { index?: number; image?: string; images?: string; out?: string; force?: boolean; backend?: string; terminal?: boolean }) => {
      const { io } = ctx;
      // Loaded when used, as explain's and predict's work: with the command line, they made `train` peak ~10 MB higher.
      const [{ checkDigitIndex, inspectModelFile, loadInspectPictures }, { detectColorMode, weightsToAnsi }, { isColorLayer }] = await Promise.all([
        import('../inspect/inspect-model.ts'), import('../inspect/terminal.ts'), import('../inspect/report.ts'),
      ]);
      if (o.terminal) {
        const other = (['index', 'image', 'images', 'out'] as const).filter((k) => o[k] !== undefined);
        if (other.length) throw new UsageError(`--terminal writes no files and draws no digit; give it without --${other.join(' or --')}`);
        const { model } = loadModel(file);
        // Every convolution, those inside a Residual too (named by their path), as the report draws them.
        const convs = leavesOf(model, Conv2D);
        if (convs.length === 0) throw new Error(`${file} has no Conv2D layer (layers: ${model.layers.map((l) => l.type).join(', ')}); there are no kernels to draw`);
        // Colour only on a terminal that announces 24-bit colour (and without NO_COLOR); a pipe gets plain blocks.
        const color = io.isTTY ? detectColorMode() : 'blocks';
        // The first layer of a colour model: its R, G, B weights as one colour picture per kernel (as the report's PNG).
        convs.forEach(({ layer: conv, path }, k) => {
          io.out(weightsToAnsi(conv.weight.value, { heading: path, color, width: process.stdout.columns || 100, rgb: k === 0 && isColorLayer(conv) }));
        });
        return;
      }
      if (o.index !== undefined && o.image !== undefined) throw new UsageError('give either --index or --image, not both');
      if (o.backend !== undefined) applyBackendOption(o.backend);
      // The bundled test set in the fixed order of seed 0, so that --index N is always the same digit.
      const testSet = ctx.data.digits({ seed: 0 }).test;
      if (o.index !== undefined) {
        try { checkDigitIndex(o.index, testSet.count); } catch (e) { throw new UsageError((e as Error).message); }
      }
      const pictures = o.images === undefined ? undefined : await loadInspectPictures(file, o.images, ctx.data);
      const result = inspectModelFile(file, { testSet, index: o.index, image: o.image, pictures, outDir: o.out, force: o.force, log: io.out });
      const { report, outDir, written } = result;
      if (report.prediction) {
        const { predicted, probs } = report.prediction;
        const p = probs[predicted];
        io.out(`Prediction for ${result.digit.source}: ${result.classes?.[predicted] ?? predicted} (${p > 0.999 && p < 1 ? '> 99.9' : (100 * p).toFixed(1)}%)`);
      }
      if (report.test) io.out(`Test accuracy ${(100 * report.test.accuracy).toFixed(2)}% on ${report.test.count.toLocaleString('en-US')} ${result.classes ? 'pictures' : 'bundled test digits'}`);
      io.out(`Wrote ${written.length} files to ${outDir}:`);
      for (const f of written) io.out(`  ${basename(f)}`);
      io.out(`Open ${join(outDir, 'report.html')} in a browser.`);
    });
}
