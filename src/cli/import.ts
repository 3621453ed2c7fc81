// `miniconv import MODEL.onnx --out MODEL.json [--mean X[,X...] --std X[,X...]]`: an ONNX model
// (from PyTorch, Keras/tf2onnx, or miniconv's own export) as a miniconv model file, which eval,
// predict, inspect and summary then use (the work is src/io/onnx/).

import { Command } from 'commander';
import type { importOnnxFile } from '../io/onnx/file.ts';
import { type Preprocess, PreprocessError } from '../io/onnx/mean-std.ts';
import { shapeStr } from '../tensor.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { configureCommand, isDecimalNumber, pathArg } from './parse.ts';

const READS = `
Reads graphs of Conv (pads, strides, dilations, group), Relu, Tanh, Sigmoid, MaxPool, AveragePool,
GlobalAveragePool, BatchNormalization, Flatten or Reshape, Gemm or MatMul + Add, Dropout, and Add
joining a residual block, as PyTorch's torch.onnx.export (opsets 9 to 20) and Keras through tf2onnx
write them. A final Softmax is left out: the model outputs the logits.

--mean and --std record the input normalisation the model was trained with, x' = (x - mean) / std,
in the model file; predict and eval apply it to the 0..1 pixels. One value for every channel, or
one per channel separated by commas. A file written by miniconv export carries its own.

Example (a PyTorch model trained on transforms.Normalize((0.5,), (0.5,))):
  miniconv import net.onnx --out models/net.json --mean 0.5 --std 0.5`;

/** Parser of `--mean 0.5` or `--std 0.229,0.224,0.225`: one number, or one per channel. */
function numberListArg(flag: string, positive: boolean): (value: string) => number | number[] {
  return (value) => {
    const parts = value.split(',').map((p) => p.trim());
    const nums = parts.map(Number);
    const bad = parts.findIndex((p, i) => !isDecimalNumber(p) || !Number.isFinite(nums[i]) || (positive && !(nums[i] > 0)));
    if (bad >= 0) {
      const example = positive ? '0.229,0.224,0.225' : '0.485,0.456,0.406';
      throw new UsageError(`${flag} must be ${positive ? 'a number > 0' : 'a number'} or a comma-separated list, one per channel (for example ${flag} 0.5 or ${flag} ${example}), got '${value}'`);
    }
    return nums.length === 1 ? nums[0] : nums;
  };
}

export function importCommand(ctx: CliContext): Command {
  return configureCommand(new Command('import'), ctx.io)
    .description('turn an ONNX file into a model file')
    .argument('<MODEL.onnx>', 'an ONNX model of a chain of layers and residual blocks')
    .requiredOption('--out <FILE>', 'the model file to write; an existing file is replaced only if it is a miniconv model, never MODEL.onnx itself', pathArg('--out', 'a file name'))
    .option('--force', 'let --out replace an existing regular file that is not a miniconv model (never a folder, a device or MODEL.onnx)')
    .option('--mean <X[,X...]>', 'the input normalisation: mean, one number or one per channel', numberListArg('--mean', false))
    .option('--std <X[,X...]>', 'the input normalisation: standard deviation, > 0, one number or one per channel', numberListArg('--std', true))
    .addHelpText('after', READS)
    .action(async (file: string, o: { out: string; force?: boolean; mean?: number | number[]; std?: number | number[] }) => {
      const { io } = ctx;
      if ((o.mean === undefined) !== (o.std === undefined)) throw new UsageError(`give --mean and --std together (for example --mean 0.5 --std 0.5), got only ${o.mean === undefined ? '--std' : '--mean'}`);
      const preprocess: Preprocess | undefined = o.mean !== undefined ? { mean: o.mean, std: o.std! } : undefined;
      let r: ReturnType<typeof importOnnxFile>;
      // Loaded when used: the ONNX code (protobuf messages) would add ~5 MB to every command, `train` too.
      const onnx = await import('../io/onnx/file.ts');
      try {
        r = onnx.importOnnxFile(file, o.out, { preprocess, force: o.force, who: '--out' });
      } catch (e) {
        // A per-channel list that does not match the model's input channels is a bad argument.
        if (e instanceof PreprocessError && preprocess) throw new UsageError(`--mean/--std: ${e.message.replace(/^importOnnx: preprocess: /, '')}`);
        throw e;
      }
      const { model, inputShape, info } = r;
      const types = model.layers.map((l) => l.type);
      io.out(`Wrote ${o.out}: ${types.length} layers (${types.join(', ')}), input ${shapeStr(['N', ...inputShape])}`);
      io.out(`  from ${info.producer}, ONNX opset ${info.opset}, IR version ${info.irVersion}; graph input '${info.input}' (${info.inputLayout}), output '${info.output}'`);
      if (r.preprocess) io.out(`  preprocess: (x - ${JSON.stringify(r.preprocess.mean)}) / ${JSON.stringify(r.preprocess.std)}, applied by predict and eval`);
      for (const d of info.dropped) io.out(`  left out: ${d}`);
      io.out(`See it with: miniconv summary ${o.out}`);
    });
}
