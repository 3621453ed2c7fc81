// `miniconv train`: trains the default digit classifier and saves it.

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { type ModelMetadata, type Snapshot, prepareModelDestination, saveTrainedModel } from '../io/model-file.ts';
import { SGD } from '../optim/sgd.ts';
import { type Augment, randomAffine, randomElastic, randomShift } from '../train/augment.ts';
import { DIGIT_DEFAULTS, DIGIT_INPUT_SHAPE, createDigitModel } from '../train/digit-model.ts';
import { type BatchInfo, type EpochInfo, fit } from '../train/fit.ts';
import '../train/parallel.ts'; // registers the threaded trainer that --threads > 1 uses
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import { type CliContext, loadData } from './context.ts';
import type { CliIO } from './io.ts';
import { UsageError } from './errors.ts';
import { THREADS_PER_CORE, choiceArg, configureCommand, floatArg, intArg, maxBytesOf, maxFileMbOption, maxThreads, pathArg, threadsArg } from './parse.ts';

/** The training-set augmentations `train --augment` offers. */
const AUGMENTS: Record<string, () => Augment | undefined> = {
  elastic: () => randomElastic(),
  affine: () => randomAffine(),
  shift: () => randomShift(2),
  none: () => undefined,
};
const AUGMENT_NAMES = Object.keys(AUGMENTS);

interface TrainOptions {
  epochs: number; batchSize: number; lr: number; momentum: number; lrDecay: number; weightDecay: number;
  augment: string; seed: number; data?: string; out: string; force?: boolean; threads: number; snapshots?: boolean; backend?: string; maxFileMb?: number;
}

export function trainCommand(ctx: CliContext): Command {
  const d = DIGIT_DEFAULTS;
  return configureCommand(new Command('train'), ctx.io)
    .description('train the default digit classifier and save it')
    .option('--epochs <N>', 'passes over the training set', intArg('--epochs', 1, 3), d.epochs)
    .option('--batch-size <N>', 'images per SGD step', intArg('--batch-size', 1, 32), d.batchSize)
    .option('--lr <X>', 'learning rate', floatArg('--lr', { min: 0 }, 0.02), d.lr)
    .option('--momentum <X>', 'SGD momentum', floatArg('--momentum', { min: 0, max: 1, maxExclusive: true }, 0.9), d.momentum)
    .option('--lr-decay <X>', 'multiply the learning rate by X after every epoch', floatArg('--lr-decay', { min: 0, max: 1, minExclusive: true }, 0.85), d.lrDecay)
    .option('--weight-decay <X>', 'L2 penalty', floatArg('--weight-decay', { min: 0 }, 5e-4), d.weightDecay)
    .option('--augment <KIND>', 'elastic (affine plus a smooth random warp), affine (small random rotation, scale and shift), shift, or none',
      choiceArg('--augment', AUGMENT_NAMES), d.augment)
    .option('--seed <N>', 'seed of the weights and the data order', intArg('--seed', 0, 1), d.seed)
    .option('--data <DIR>', 'train on the full MNIST IDX files in DIR instead of the bundled digits', pathArg('--data', 'a folder'))
    .option('--out <FILE>', 'where to save the model; checked before training: an existing file is replaced only if it is a ' +
      'miniconv model, a symlink is written through', pathArg('--out', 'a file name'), 'models/digits.json')
    .option('--force', 'let --out replace an existing regular file that is not a miniconv model (never a folder or a device)')
    .addOption(new Option('--threads <N>', `threads that share each batch, at most ${THREADS_PER_CORE} per core (here ${maxThreads()})`).argParser(threadsArg())
      .default(availableParallelism(), `the number of cores, here ${availableParallelism()}`))
    .addOption(maxFileMbOption())
    .option('--snapshots', "keep the first layer's kernels after initialisation and each epoch")
    .option('--backend <NAME>', BACKEND_HELP)
    .action((opts: TrainOptions) => train(ctx, opts));
}

function train(ctx: CliContext, o: TrainOptions): void {
  const { io } = ctx;
  if (o.backend !== undefined) applyBackendOption(o.backend);
  if (!(o.augment in AUGMENTS)) throw new UsageError(`--augment must be one of ${AUGMENT_NAMES.join(', ')}, got '${o.augment}'`);
  const out = resolve(o.out);
  const { epochs, batchSize, lr, momentum, lrDecay, weightDecay, seed, threads } = o;
  // Before a minute of training: may a model go to --out, and is its folder writable? (model-file.ts)
  const dest = prepareModelDestination(out, { force: o.force });
  if (dest.removed.length > 0) io.err(`Removed ${dest.removed.length} temporary file${dest.removed.length === 1 ? '' : 's'} left by interrupted saves: ${dest.removed.join(', ')}`);

  const t0 = performance.now();
  const data = loadData(ctx, o.data, seed, { maxBytes: maxBytesOf(o.maxFileMb) });
  const model = createDigitModel(seed);
  const optimizer = new SGD(model.params(), { lr, momentum, weightDecay });
  io.out(`Training on the ${data.name}: ${data.train.count} train, ${data.test.count} test images, ${threads} thread${threads === 1 ? '' : 's'}`);
  io.out(model.summary([...DIGIT_INPUT_SHAPE], false));

  // --snapshots: the first layer's kernels at initialisation and after every epoch, kept in the model file.
  const firstWeight = model.params()[0];
  const snapshots: Snapshot[] = [];
  const snap = (label: string) => { if (o.snapshots) snapshots.push({ label, param: firstWeight.name, value: firstWeight.value.clone() }); };
  snap('init');

  const progress = makeProgress(io, epochs);
  const history = fit(model, data.train, {
    epochs, batchSize, optimizer, seed, testSet: data.test, threads, lrDecay, augment: AUGMENTS[o.augment](),
    onBatchEnd: progress.batch,
    onEpochEnd: (e) => { progress.epoch(e); snap(`epoch ${e.epoch}`); },
  });
  const last = history.epochs[history.epochs.length - 1];
  const seconds = (performance.now() - t0) / 1000;

  const metadata: ModelMetadata = {
    seed, epochs, batchSize, threads, optimizer: { ...optimizer.config(), lr, lrDecay }, augment: o.augment, dataset: data.name, date: new Date().toISOString(),
    history: history.epochs.map(({ test: _test, imagesPerSec: _ips, ...rest }) => rest),
    confusion: last.test?.confusion,
    wallSeconds: seconds,
    ...(o.snapshots ? { snapshots } : {}),
  };
  // If --out fails now (disk full, permissions changed), the model is kept beside it or in the temp
  // folder and the ModelSaveError (exit 1) says where.
  saveTrainedModel(out, model, DIGIT_INPUT_SHAPE, metadata);
  io.out(`Test accuracy ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}% after ${epochs} epochs, ${seconds.toFixed(1)} s in all.`);
  io.out(`Model saved to ${out}`);
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
