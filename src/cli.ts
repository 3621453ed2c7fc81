// The command line: `miniconv <command>` (or `npm run miniconv -- <command>` in a checkout).
// Arguments are parsed with node's built-in util.parseArgs: no dependency, strict about unknown flags.
// Exit codes: 0 success, 1 a file or run-time problem (one line, no stack trace), 2 bad arguments.

import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import cliProgress from 'cli-progress';
import { loadDigits } from '../datasets/mnist.ts';
import { loadIdxMnist } from '../datasets/idx.ts';
import type { Dataset } from '../datasets/dataset.ts';
import { readDigitPng } from './io/digit-image.ts';
import { type ModelMetadata, type Snapshot, loadModel, saveModel } from './io/model-file.ts';
import { runExplainCli } from './explain.ts';
import { runInspectCli } from './inspect/inspect-command.ts';
import { softmax } from './kernels/softmax-xent.ts';
import { SGD } from './optim/sgd.ts';
import { Tensor } from './tensor.ts';
import { DIGIT_DEFAULTS, DIGIT_INPUT_SHAPE, createDigitModel } from './train/digit-model.ts';
import { type BatchInfo, type EpochInfo, fit } from './train/fit.ts';
import { evaluate, formatConfusion } from './train/metrics.ts';
import { type Augment, randomAffine, randomElastic, randomShift } from './train/augment.ts';

export const USAGE = `Usage: miniconv <command> [options]

Commands:
  train [options]            train the default digit classifier and save it
      --epochs N             passes over the training set (default ${DIGIT_DEFAULTS.epochs})
      --batch-size N         images per SGD step (default ${DIGIT_DEFAULTS.batchSize})
      --lr X                 learning rate (default ${DIGIT_DEFAULTS.lr})
      --momentum X           SGD momentum (default ${DIGIT_DEFAULTS.momentum})
      --lr-decay X           multiply the learning rate by X after every epoch (default ${DIGIT_DEFAULTS.lrDecay})
      --weight-decay X       L2 penalty (default ${DIGIT_DEFAULTS.weightDecay})
      --augment KIND         elastic (affine plus a smooth random warp), affine (small random
                             rotation, scale and shift), shift, or none (default ${DIGIT_DEFAULTS.augment})
      --seed N               seed of the weights and the data order (default ${DIGIT_DEFAULTS.seed})
      --data DIR             train on the full MNIST IDX files in DIR instead of the bundled digits
      --out FILE             where to save the model (default models/digits.json)
      --threads N            threads that share each batch (default: the number of cores, here ${availableParallelism()})
      --snapshots            keep the first layer's kernels after initialisation and each epoch
  eval MODEL [--data DIR]    test accuracy and confusion matrix
  predict MODEL IMAGE.png    the predicted digit and the ten probabilities for a picture of a digit
  summary MODEL              the layer table
  inspect MODEL [--index N | --image PNG] [--out DIR]
                             kernels and feature maps as PNGs, and report.html
                             (default DIR: <model>-inspect beside the model)
  explain [--input JSON --kernel JSON --stride N --padding N --dy JSON]
                             forward and backward pass of one small convolution, step by step
                             (default: the seed article's 3x3 input and 2x2 kernel)
  help                       this text`;

/** The training-set augmentations `train --augment` offers. */
const AUGMENTS: Record<string, () => Augment | undefined> = {
  elastic: () => randomElastic(),
  affine: () => randomAffine(),
  shift: () => randomShift(2),
  none: () => undefined,
};

/** Bad arguments: the CLI prints the message and the usage, and exits with code 2. */
export class UsageError extends Error {}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout is a terminal (progress bars) or not (plain lines). */
  isTTY: boolean;
}

const defaultIO: CliIO = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};

function parse(args: string[], options: ParseArgsConfig['options'], positionals: number, command: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`${command}: expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

function num(values: Record<string, string | boolean | undefined>, key: string, fallback: number, kind: 'int' | 'float', min: number, command: string): number {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || (kind === 'int' && !Number.isInteger(v)) || v < min) {
    throw new UsageError(`${command}: --${key} must be ${kind === 'int' ? 'an integer' : 'a number'} >= ${min}, got '${String(raw)}'`);
  }
  return v;
}

function loadData(dir: string | undefined, seed: number): { train: Dataset; test: Dataset; name: string } {
  if (dir) return { ...loadIdxMnist(resolve(dir)), name: `MNIST IDX files in ${dir}` };
  return { ...loadDigits({ seed }), name: 'bundled digits of the mnist package (8,000 train / 2,000 test)' };
}

async function train(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, {
    epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
    seed: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, snapshots: { type: 'boolean' }, threads: { type: 'string' },
    'lr-decay': { type: 'string' }, 'weight-decay': { type: 'string' }, augment: { type: 'string' },
  }, 0, 'train');
  const cmd = 'train';
  const epochs = num(values, 'epochs', DIGIT_DEFAULTS.epochs, 'int', 1, cmd);
  const batchSize = num(values, 'batch-size', DIGIT_DEFAULTS.batchSize, 'int', 1, cmd);
  const lr = num(values, 'lr', DIGIT_DEFAULTS.lr, 'float', 0, cmd);
  const momentum = num(values, 'momentum', DIGIT_DEFAULTS.momentum, 'float', 0, cmd);
  if (momentum >= 1) throw new UsageError(`train: --momentum must be below 1, got ${momentum}`);
  const lrDecay = num(values, 'lr-decay', DIGIT_DEFAULTS.lrDecay, 'float', 0, cmd);
  if (lrDecay === 0 || lrDecay > 1) throw new UsageError(`train: --lr-decay must be in (0, 1], got ${lrDecay}`);
  const weightDecay = num(values, 'weight-decay', DIGIT_DEFAULTS.weightDecay, 'float', 0, cmd);
  const augmentName = (values.augment as string | undefined) ?? DIGIT_DEFAULTS.augment;
  if (!(augmentName in AUGMENTS)) throw new UsageError(`train: --augment must be one of ${Object.keys(AUGMENTS).join(', ')}, got '${augmentName}'`);
  const seed = num(values, 'seed', DIGIT_DEFAULTS.seed, 'int', 0, cmd);
  const out = resolve((values.out as string | undefined) ?? 'models/digits.json');
  const threads = num(values, 'threads', availableParallelism(), 'int', 1, cmd);

  const t0 = performance.now();
  const data = loadData(values.data as string | undefined, seed);
  const model = createDigitModel(seed);
  const optimizer = new SGD(model.params(), { lr, momentum, weightDecay });
  io.out(`Training on the ${data.name}: ${data.train.count} train, ${data.test.count} test images, ${threads} thread${threads === 1 ? '' : 's'}`);
  io.out(model.summary([...DIGIT_INPUT_SHAPE], false));

  // --snapshots: the first layer's kernels at initialisation and after every epoch, kept in the model file.
  const firstWeight = model.params()[0];
  const snapshots: Snapshot[] = [];
  const snap = (label: string) => { if (values.snapshots) snapshots.push({ label, param: firstWeight.name, value: firstWeight.value.clone() }); };
  snap('init');

  const progress = makeProgress(io, epochs);
  const history = fit(model, data.train, {
    epochs, batchSize, optimizer, seed, testSet: data.test, threads, lrDecay, augment: AUGMENTS[augmentName](),
    onBatchEnd: progress.batch,
    onEpochEnd: (e) => { progress.epoch(e); snap(`epoch ${e.epoch}`); },
  });
  const last = history.epochs[history.epochs.length - 1];
  const seconds = (performance.now() - t0) / 1000;

  const metadata: ModelMetadata = {
    seed, epochs, batchSize, threads, optimizer: { ...optimizer.config(), lr, lrDecay }, augment: augmentName, dataset: data.name, date: new Date().toISOString(),
    history: history.epochs.map(({ test: _test, imagesPerSec: _ips, ...rest }) => rest),
    confusion: last.test?.confusion,
    wallSeconds: seconds,
    ...(values.snapshots ? { snapshots } : {}),
  };
  mkdirSync(dirname(out), { recursive: true });
  saveModel(out, model, DIGIT_INPUT_SHAPE, metadata);
  io.out(`Test accuracy ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}% after ${epochs} epochs, ${seconds.toFixed(1)} s in all.`);
  io.out(`Model saved to ${out}`);
  return 0;
}

/** A progress bar per epoch on a terminal (cli-progress), plain lines otherwise. */
function makeProgress(io: CliIO, epochs: number) {
  let bar: cliProgress.SingleBar | null = null;
  let nextPlain = 0;
  return {
    batch(b: BatchInfo) {
      const ips = b.seen / Math.max(b.seconds, 1e-9);
      const fields = { epoch: b.epoch, epochs, loss: b.loss.toFixed(3), acc: (100 * b.accuracy).toFixed(1), ips: Math.round(ips) };
      if (io.isTTY) {
        if (!bar) {
          bar = new cliProgress.SingleBar({
            format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | acc {acc}% | {ips} img/s | ETA {eta}s',
            stream: process.stdout, hideCursor: true, clearOnComplete: true,
          }, cliProgress.Presets.shades_classic);
          bar.start(b.batches, 0, fields);
        }
        bar.update(b.batch, fields);
      } else if (b.batch >= nextPlain || b.batch === b.batches) {
        io.out(`epoch ${b.epoch}/${epochs} batch ${b.batch}/${b.batches} loss ${fields.loss} acc ${fields.acc}% ${fields.ips} img/s`);
        nextPlain = b.batch + Math.ceil(b.batches / 4);
      }
    },
    epoch(e: EpochInfo) {
      if (bar) { bar.stop(); bar = null; }
      nextPlain = 0;
      io.out(`epoch ${e.epoch}/${epochs}: train loss ${e.trainLoss.toFixed(4)}, train acc ${(100 * e.trainAccuracy).toFixed(2)}%, ` +
        `test loss ${(e.testLoss ?? NaN).toFixed(4)}, test acc ${(100 * (e.testAccuracy ?? NaN)).toFixed(2)}%, ` +
        `${e.seconds.toFixed(1)} s, ${Math.round(e.imagesPerSec)} img/s`);
    },
  };
}

function evalCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parse(args, { data: { type: 'string' } }, 1, 'eval');
  const { model, metadata } = loadModel(positionals[0]);
  const { test, name } = loadData(values.data as string | undefined, typeof metadata.seed === 'number' ? metadata.seed : DIGIT_DEFAULTS.seed);
  const r = evaluate(model, test);
  io.out(`Test set: ${name}`);
  io.out(`Accuracy ${(100 * r.accuracy).toFixed(2)}% (${Math.round(r.accuracy * r.count)}/${r.count}), loss ${r.loss.toFixed(4)}`);
  io.out(formatConfusion(r.confusion));
  return 0;
}

function predictCommand(args: string[], io: CliIO): number {
  const { positionals } = parse(args, {}, 2, 'predict');
  const { model, inputShape } = loadModel(positionals[0]);
  const pixels = readDigitPng(positionals[1]);
  if (inputShape.join('x') !== DIGIT_INPUT_SHAPE.join('x')) {
    throw new Error(`predict: the model takes inputs of shape [${inputShape.join(', ')}], not 28x28 digits`);
  }
  const probs = softmax(model.forward(new Tensor([1, ...inputShape], pixels))).data;
  let best = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
  io.out(`Predicted digit: ${best} (probability ${(100 * probs[best]).toFixed(1)}%)`);
  for (let k = 0; k < probs.length; k++) io.out(`  ${k}: ${(100 * probs[k]).toFixed(2).padStart(6)}%  ${'#'.repeat(Math.round(probs[k] * 40))}`);
  return 0;
}

function summaryCommand(args: string[], io: CliIO): number {
  const { positionals } = parse(args, {}, 1, 'summary');
  const { model, inputShape } = loadModel(positionals[0]);
  io.out(model.summary(inputShape, false));
  return 0;
}

const COMMANDS: Record<string, (args: string[], io: CliIO) => number | Promise<number>> = {
  train,
  eval: evalCommand,
  predict: predictCommand,
  summary: summaryCommand,
  inspect: (args, io) => runInspectCli(args, io),
  explain: (args, io) => runExplainCli(args, { stdout: io.out, stderr: io.err }),
};

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === 'help' || command === '--help' || command === '-h') { io.out(USAGE); return 0; }
    if (!command) throw new UsageError('no command given');
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command '${command}'`);
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`miniconv: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`miniconv: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
