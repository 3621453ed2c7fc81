// `miniconv export MODEL --onnx OUT.onnx`: a model file as ONNX, for ONNX Runtime, PyTorch (onnx2torch),
// Netron or a phone app (the work is src/io/onnx/).

import { Command } from 'commander';
import { ONNX_OPSET } from '../io/onnx/opset.ts';
import { shapeStr } from '../tensor.ts';
import type { CliContext } from './context.ts';
import { configureCommand, pathArg } from './parse.ts';

const WRITES = `
The .onnx file: opset ${ONNX_OPSET}, input 'input' (N, C, H, W) with any batch size N, outputs 'logits'
(N, classes) and 'probs' (their softmax). BatchNorm2D is written in inference form (running
statistics) and Dropout is left out, as model.eval() computes. A preprocess record in the model
file's metadata goes into the ONNX metadata; the graph itself takes preprocessed input.

Example:
  miniconv export models/digits.json --onnx digits.onnx`;

export function exportCommand(ctx: CliContext): Command {
  return configureCommand(new Command('export'), ctx.io)
    .description('write a saved model as an ONNX file')
    .argument('<MODEL>', 'a model file saved by train or import')
    .requiredOption('--onnx <FILE>', 'the .onnx file to write; an existing file is replaced only if it is an ONNX file, never MODEL itself', pathArg('--onnx', 'a file name'))
    .option('--force', 'let --onnx replace an existing regular file that is not an ONNX file (never a folder, a device or MODEL)')
    .addHelpText('after', WRITES)
    .action(async (file: string, o: { onnx: string; force?: boolean }) => {
      // Loaded when used: the ONNX code (protobuf messages) would add ~5 MB to every command, `train` too.
      const { exportOnnxFile } = await import('../io/onnx/file.ts');
      const { bytes, inputShape } = exportOnnxFile(file, o.onnx, { force: o.force, who: '--onnx' });
      ctx.io.out(`Wrote ${o.onnx} (${bytes.toLocaleString('en-US')} bytes): ONNX opset ${ONNX_OPSET}, input ${shapeStr(['N', ...inputShape])}, outputs logits and probs`);
    });
}
