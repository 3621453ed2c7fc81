// `miniconv train`: trains a digit classifier (the default, a zoo model (train/zoo.ts) or a network
// described in a JSON file) and saves it. Options not given take the chosen model's defaults.

import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { type ModelMetadata, type Snapshot, prepareModelDestination, saveTrainedModel } from '../io/model-file.ts';
import type { Schedule } from '../optim/schedules.ts';
import type { Sequential } from '../layers/sequential.ts';
import type { Dataset } from '../dataset.ts';
import { AUGMENT_NAMES, augmentByName } from '../train/augment.ts';
import { restoreBest } from '../train/callbacks.ts';
import { NORMALIZE_MODES, type NormalizeMode, normalizationFor } from '../train/normalization.ts';
import { type PictureRecord, checkInputSize } from '../io/picture-input.ts';
import { formatConfusion } from '../train/metrics.ts';
import { PICTURE_MODEL } from '../train/picture-model.ts';
import { DIGIT_DEFAULTS, DIGIT_INPUT_SHAPE } from '../train/digit-model.ts';
import { ZOO, ZOO_NAMES, type TrainingDefaults, zooModel } from '../train/zoo.ts';
import { OPTIMIZER_NAMES, type OptimizerName, createOptimizer } from '../optim/factory.ts';
import { SCHEDULE_FORMS, fitDefaultSchedule, scheduleFromSpec } from '../optim/schedule-spec.ts';
import { modelFromArchitecture } from '../layers/from-config.ts';
import { type BatchInfo, type EpochInfo, type FitOptions, type History, trainingSteps } from '../train/fit.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { leavesOf } from '../inspect/layer-tree.ts';
import '../train/parallel.ts'; // registers the threaded trainer that --threads > 1 uses
import { BACKEND_HELP, applyBackendOption } from './backend.ts';
import { type CliContext, loadData } from './context.ts';
import type { CliIO } from './io.ts';
import { InterruptedError, UsageError } from './errors.ts';
import { watchSignals } from './interrupt.ts';
import { MAX_BATCH_SIZE, MAX_EPOCHS, THREADS_PER_CORE, choiceArg, configureCommand, floatArg, intArg, maxBytesOf, maxFileMbOption, maxThreads, pathArg, threadsArg } from './parse.ts';


interface TrainOptions {
  model: string; arch?: string; optimizer?: string; schedule?: string;
  epochs?: number; batchSize?: number; lr?: number; momentum?: number; lrDecay?: number; weightDecay?: number;
  augment?: string; seed: number; data?: string; out?: string; force?: boolean; threads: number; snapshots?: boolean; backend?: string; maxFileMb?: number; winograd?: boolean;
  images?: string; testImages?: string; cifar10?: string; size?: [number, number]; channels?: 1 | 3; normalize?: NormalizeMode; fit?: 'crop' | 'pad'; skipBad?: boolean; restoreBest?: boolean;
}

/** `--size 32` or `--size 48x64` (height x width). */
function sizeArg(value: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(value.trim());
  try {
    if (!m) throw new Error();
    return checkInputSize(m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])], '--size');
  } catch {
    throw new UsageError(`--size must be a side such as 32, or HxW such as 48x64 (each 4 to 1024), got '${value}'`);
  }
}

/** Largest --arch file read (an architecture is a few kB; weights are not in it). */
const ARCH_MAX_BYTES = 1 << 20;

const DEFAULTS_HELP = `
The models, and the defaults of every training option not given (an --arch network takes digits'):
${ZOO_NAMES.map((n) => {
    const d = ZOO[n].defaults;
    const opt = d.optimizer === 'sgd' ? `sgd lr ${d.lr} momentum ${d.momentum}${d.nesterov ? ' nesterov' : ''}` : `${d.optimizer} lr ${d.lr}`;
    return `  ${n}: ${ZOO[n].description}\n    ${d.epochs} epochs, batch ${d.batchSize}, ${opt}, weight decay ${d.weightDecay}, ` +
      `${d.schedule ? `schedule ${d.schedule}` : `lr decay ${d.lrDecay}`}, augment ${d.augment}`;
  }).join('\n')}
--arch FILE.json holds { "inputShape": [1, 28, 28], "architecture": { "type": "Sequential", "layers": [...] } },
the layer configs of a model file (see examples/arch-small-cnn.json).`;

/** "(default: the model's; digits: 20)": what a help line says of a default that depends on --model. */
const dflt = (key: keyof TrainingDefaults) => `(default: the model's; digits: ${String(ZOO.digits.defaults[key])})`;

export function trainCommand(ctx: CliContext): Command {
  return configureCommand(new Command('train'), ctx.io)
    .description('train a digit classifier (the default model, a zoo model or your own) and save it')
    .option('--model <NAME>', `the network: ${ZOO_NAMES.join(', ')}`, choiceArg('--model', ZOO_NAMES), 'digits')
    .option('--arch <FILE>', 'train your own network, described in a JSON file (see below), instead of --model', pathArg('--arch', 'a JSON file'))
    .option('--optimizer <NAME>', `${OPTIMIZER_NAMES.join(', ')} (default: the model's)`, choiceArg('--optimizer', OPTIMIZER_NAMES))
    .option('--schedule <SPEC>', `learning rate per epoch: ${SCHEDULE_FORMS} (default: the model's)`, pathArg('--schedule', 'a schedule such as cosine'))
    .option('--epochs <N>', `passes over the training set, at most ${MAX_EPOCHS} ${dflt('epochs')}`, intArg('--epochs', 1, 3, MAX_EPOCHS))
    .option('--batch-size <N>', `images per optimiser step, at most ${MAX_BATCH_SIZE} ${dflt('batchSize')}`, intArg('--batch-size', 1, 32, MAX_BATCH_SIZE))
    .option('--lr <X>', `learning rate (the start of the schedule) ${dflt('lr')}`, floatArg('--lr', { min: 0 }, 0.02))
    .option('--momentum <X>', `SGD momentum ${dflt('momentum')}`, floatArg('--momentum', { min: 0, max: 1, maxExclusive: true }, 0.9))
    .option('--lr-decay <X>', `multiply the learning rate by X after every epoch, instead of --schedule ${dflt('lrDecay')}`, floatArg('--lr-decay', { min: 0, max: 1, minExclusive: true }, 0.85))
    .option('--weight-decay <X>', `L2 penalty (decoupled decay for adamw) ${dflt('weightDecay')}`, floatArg('--weight-decay', { min: 0 }, 5e-4))
    .option('--augment <KIND>', `elastic (affine plus a smooth random warp), affine (small random rotation, scale and shift), shift, or none ${dflt('augment')}`,
      choiceArg('--augment', AUGMENT_NAMES))
    .option('--seed <N>', 'seed of the weights and the data order', intArg('--seed', 0, 1), DIGIT_DEFAULTS.seed)
    .option('--data <DIR>', 'train on the full MNIST IDX files in DIR instead of the bundled digits (a classes.txt beside them names the classes)', pathArg('--data', 'a folder'))
    .option('--images <DIR>', 'train on your own pictures: DIR holds one subfolder of PNG or JPEG pictures per class (the folder names are the class names)', pathArg('--images', 'a folder'))
    .option('--test-images <DIR>', 'with --images: the held-out pictures, in the same class subfolders (default: 20% of each class of --images)', pathArg('--test-images', 'a folder'))
    .option('--cifar10 <DIR>', "train on CIFAR-10's binary files (data_batch_1..5.bin, test_batch.bin, batches.meta.txt) in DIR", pathArg('--cifar10', 'a folder'))
    .option('--size <N|HxW>', 'with --images: the input size every picture is resized to (default 32; for a folder of pictures all smaller than 32 pixels, ' +
      'their largest side rounded up to a multiple of 4, at least 16)', sizeArg)
    .option('--channels <1|3>', 'with --images: 3 for colour (default), 1 for grey', choiceArg('--channels', ['1', '3']))
    .option('--fit <crop|pad>', "with --images: make a picture's aspect ratio fit by cutting its centre (crop, default) or padding it", choiceArg('--fit', ['crop', 'pad']))
    .option('--normalize <MODE>', "with --images or --cifar10: the input normalisation, kept in the model: 'image' standardises each picture (background made dark; " +
      "the default for --images), 'dataset' uses the training set's mean and std per channel (the default for --cifar10), 'none'", choiceArg('--normalize', NORMALIZE_MODES))
    .option('--skip-bad', 'with --images: skip files that are not readable pictures (each is listed) instead of stopping')
    .option('--restore-best', 'keep the weights of the epoch with the lowest held-out loss, not the last (default: on for --images and --cifar10, off for digits)')
    .option('--no-restore-best', 'keep the weights of the last epoch')
    .option('--out <FILE>', 'where to save the model (default models/<model>.json; digits: models/digits.json); checked before ' +
      'training: an existing file is replaced only if it is a miniconv model, a symlink is written through', pathArg('--out', 'a file name'))
    .option('--force', 'let --out replace an existing regular file that is not a miniconv model (never a folder or a device)')
    .addOption(new Option('--threads <N>', `threads that share each batch, at most ${THREADS_PER_CORE} per core (here ${maxThreads()})`).argParser(threadsArg())
      .default(availableParallelism(), `the number of cores, here ${availableParallelism()}`))
    .addOption(maxFileMbOption())
    .option('--snapshots', "keep the first layer's kernels after initialisation and each epoch (default: on; about 4% of the file)", true)
    .option('--no-snapshots', 'do not keep them')
    .option('--backend <NAME>', BACKEND_HELP)
    .option('--winograd', 'run the 3x3 stride-1 convs where it pays (about 16 channels and more) by Winograd F(2x2,3x3): fewer multiplications, float32 results that differ in the last bits (see miniconv explain winograd)')
    .addHelpText('after', DEFAULTS_HELP)
    .action((opts: TrainOptions, cmd: Command) => train(ctx, opts, cmd));
}

/** The network --arch FILE describes; a UsageError for a file that is not there, an Error for a bad one. */
function readArch(file: string, seed: number, inputShape: readonly number[], classes = 10, normalize?: object): Sequential {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error(`--arch ${file} is not a regular file`);
    if (st.size > ARCH_MAX_BYTES) throw new Error(`--arch ${file} is ${st.size} bytes; an architecture file is at most ${ARCH_MAX_BYTES} bytes (weights do not go in it)`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `--arch: no such file: ${file}` : (e as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`--arch ${file} is not valid JSON: ${(e as Error).message}`);
  }
  // A picture run's normalisation goes first, as a Normalize layer, ahead of the file's own layers.
  const arch = (doc as { architecture?: { type?: string; layers?: unknown[] } })?.architecture;
  if (normalize && arch?.type === 'Sequential' && Array.isArray(arch.layers)) {
    doc = { ...(doc as object), architecture: { ...arch, layers: [{ type: 'Normalize', ...normalize }, ...arch.layers] } };
  }
  return modelFromArchitecture(doc, seed, { inputShape, classes }, `--arch ${file}`);
}

async function train(ctx: CliContext, o: TrainOptions, cmd: Command): Promise<void> {
  const { io } = ctx;
  if (o.backend !== undefined) applyBackendOption(o.backend);
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (o.arch !== undefined && given('model')) throw new UsageError('give either --model or --arch, not both');
  const pictures = o.images !== undefined || o.cifar10 !== undefined;
  if ([o.data, o.images, o.cifar10].filter((v) => v !== undefined).length > 1) throw new UsageError('give one of --data, --images and --cifar10');
  for (const [flag, v] of [['--test-images', o.testImages], ['--size', o.size], ['--channels', o.channels], ['--fit', o.fit], ['--skip-bad', o.skipBad]] as const) {
    if (v !== undefined && o.images === undefined) throw new UsageError(`${flag} goes with --images DIR (a folder of your own pictures)`);
  }
  if (o.normalize !== undefined && !pictures) throw new UsageError('--normalize goes with --images or --cifar10 (the digit models keep their own input)');
  // Picture data: the picture model unless --model says otherwise.
  const zoo = pictures && !given('model') ? PICTURE_MODEL : zooModel(o.model);
  const d = zoo.defaults;
  const epochs = o.epochs ?? d.epochs;
  const batchSize = o.batchSize ?? d.batchSize;
  const lr = o.lr ?? d.lr;
  const momentum = o.momentum ?? d.momentum;
  const weightDecay = o.weightDecay ?? d.weightDecay;
  const augment = o.augment ?? (pictures ? 'picture' : d.augment);
  const optimizerName = (o.optimizer ?? d.optimizer) as OptimizerName;
  if (!(AUGMENT_NAMES as readonly string[]).includes(augment)) throw new UsageError(`--augment must be one of ${AUGMENT_NAMES.join(', ')}, got '${augment}'`);
  if (o.schedule !== undefined && o.lrDecay !== undefined) throw new UsageError('give either --schedule or --lr-decay, not both (--schedule exp:G is --lr-decay G)');
  if (o.momentum !== undefined && optimizerName !== 'sgd') throw new UsageError(`--momentum is for --optimizer sgd; ${optimizerName} keeps its own running averages (betas 0.9, 0.999)`);
  // --lr-decay replaces the model's schedule, --schedule its decay.
  // A model's own schedule adapts to a short run (fitDefaultSchedule); one the user gave is taken as given.
  const fittedDefault = o.schedule === undefined && d.schedule !== undefined ? fitDefaultSchedule(d.schedule, epochs) : undefined;
  const scheduleSpec = o.lrDecay !== undefined ? undefined : (o.schedule ?? fittedDefault?.spec);
  const lrDecay = scheduleSpec === undefined ? (o.lrDecay ?? d.lrDecay) : undefined;
  let schedule: Schedule | undefined;
  if (scheduleSpec !== undefined) {
    try {
      schedule = scheduleFromSpec(scheduleSpec, lr, epochs);
    } catch (e) {
      throw new UsageError(`--schedule: ${(e as Error).message}`);
    }
  }
  const { seed, threads } = o;
  const name = o.arch !== undefined ? basename(o.arch).replace(/\.json$/i, '') : zoo.name;
  if (pictures && (ctx.data.images === undefined || ctx.data.cifar10 === undefined)) throw new Error('this build of the command line has no picture loaders');
  const out = resolve(o.out ?? `models/${name}.json`);
  // Before training: may a model go to --out, and is its folder writable? (model-file.ts)
  const dest = prepareModelDestination(out, { force: o.force, inputs: o.arch !== undefined ? [[o.arch, 'the --arch file']] : [] });
  if (dest.removed.length > 0) io.err(`Removed ${dest.removed.length} temporary file${dest.removed.length === 1 ? '' : 's'} left by interrupted saves: ${dest.removed.join(', ')}`);

  const t0 = performance.now();
  const maxBytes = maxBytesOf(o.maxFileMb);
  let data: { train: Dataset; test: Dataset; name: string; classes?: string[] };
  let picture: PictureRecord | undefined;
  if (o.images !== undefined) {
    const channels = Number(o.channels ?? 3) as 1 | 3, fit = o.fit ?? 'crop';
    // Without --size: 32, or for a folder of small pictures (8x8 scans) their own size, at least 16 (autoPictureSize).
    const split = await ctx.data.images!(o.images, { size: o.size ?? 'auto', channels, fit, seed, skipBad: o.skipBad === true, testDir: o.testImages, maxBytes });
    const size: [number, number] = [split.train.shape[1], split.train.shape[2]];
    for (const s of split.skipped) io.err(`skipped ${s.file}: ${s.reason}`);
    if (split.skipped.length > 0) io.err(`Skipped ${split.skipped.length} file${split.skipped.length === 1 ? '' : 's'} that ${split.skipped.length === 1 ? 'is not a readable picture' : 'are not readable pictures'} (--skip-bad).`);
    data = { ...split, name: `pictures in ${o.images} (${split.classes.length} classes: ${split.classes.join(', ')}; ${o.testImages !== undefined ? `test pictures in ${o.testImages}` : '20% of each class held out'})` };
    picture = { size, channels, fit, normalize: o.normalize ?? 'image' };
  } else if (o.cifar10 !== undefined) {
    const split = ctx.data.cifar10!(o.cifar10, { maxBytes });
    data = { ...split, name: `CIFAR-10 in ${o.cifar10}` };
    picture = { size: [32, 32], channels: 3, fit: 'crop', normalize: o.normalize ?? 'dataset' };
  } else {
    data = loadData(ctx, o.data, seed, { maxBytes });
  }
  const classes = data.train.classes;
  const inputShape = picture ? [...data.train.shape] : [...DIGIT_INPUT_SHAPE];
  const classCount = classes?.length ?? 10;
  const normalize = picture ? normalizationFor(picture.normalize, data.train) : undefined;
  const model = o.arch !== undefined
    ? readArch(o.arch, seed, inputShape, classCount, normalize)
    : zoo.build(picture || classes ? { seed, inputShape, classes: classCount, normalize } : seed);
  if (o.winograd) for (const { layer } of leavesOf(model, Conv2D)) layer.winograd = true; // convs it does not apply to ignore it
  // The model's Nesterov momentum stays when its optimiser does (and has momentum).
  const nesterov = optimizerName === 'sgd' && d.optimizer === 'sgd' && d.nesterov && momentum > 0;
  const optimizer = createOptimizer(optimizerName, model.params(), { lr, momentum, nesterov, weightDecay });
  io.out(`Training ${o.arch !== undefined ? `the network of ${o.arch}` : `model ${zoo.name}`} on the ${data.name}: ${data.train.count} train, ${data.test.count} test images, ${threads} thread${threads === 1 ? '' : 's'}`);
  if (scheduleSpec !== undefined && fittedDefault?.note) io.out(fittedDefault.note);
  io.out(`Optimiser ${optimizerName} lr ${lr}${scheduleSpec ? `, schedule ${scheduleSpec}` : `, lr decay ${lrDecay}`}, ${epochs} epochs, batch ${batchSize}, augment ${augment}`);
  if (picture) {
    const small = o.images !== undefined && o.size === undefined && picture.size[0] < 32 ? ' (--size not given: the pictures are all smaller than 32 pixels, so their own size rounded up to a multiple of 4, at least 16)' : '';
    io.out(`Pictures ${picture.channels === 3 ? 'in colour' : 'in grey'}, resized to ${picture.size[0]}x${picture.size[1]}${small} (${picture.fit === 'crop' ? 'centre cropped' : 'padded'}); input normalisation ${picture.normalize}` +
      (picture.normalize === 'image' ? ' (each picture standardised per channel, its background made dark: colours and light/dark polarity stop mattering)'
        : picture.normalize === 'dataset' && normalize?.mode === 'dataset' ? ` (the training set's mean ${normalize.mean.map((v) => v.toFixed(3)).join('/')}, std ${normalize.std.map((v) => v.toFixed(3)).join('/')})` : ''));
  }
  io.out(model.summary(inputShape, false));

  // --snapshots: the first layer's kernels at initialisation and after every epoch, kept in the model file.
  const firstWeight = model.params()[0];
  const snapshots: Snapshot[] = [];
  const snap = (label: string) => { if (o.snapshots) snapshots.push({ label, param: firstWeight.name, value: firstWeight.value.clone() }); };
  snap('init');

  // Ctrl-C / SIGTERM (interrupt.ts): the weights and buffers after each finished epoch are kept, so
  // that a signal mid-epoch saves the model as it was then. runYielding steps the training loop and
  // turns the event loop after every batch, so that the signal is seen (same steps as fit, same bits).
  const state = [...model.params(), ...model.buffers()].map((t) => t.value);
  const kept = state.map((t) => new Float32Array(t.size));
  const finished: EpochInfo[] = [];
  const keep = (e: EpochInfo) => { state.forEach((t, i) => kept[i].set(t.data)); finished.push(e); };
  // Restore-best (callbacks.ts): small picture sets swing from epoch to epoch, so their runs keep the best held-out epoch.
  const best = (o.restoreBest ?? pictures) ? restoreBest() : null;
  const progress = makeProgress(io, epochs);
  const signals = watchSignals(io, 'miniconv train');
  let history: History;
  try {
    history = await runYielding(model, data.train, {
      epochs, batchSize, optimizer, seed, testSet: data.test, threads, lrDecay, schedule, augment: augmentByName(augment, '--augment'),
      onBatchEnd: progress.batch,
      onEpochEnd: (e) => { progress.epoch(e); snap(`epoch ${e.epoch}`); keep(e); },
      signal: signals.signal, // the first SIGINT/SIGTERM: the batch under way finishes, then the run stops
      callbacks: best ? [best] : [],
    });
  } finally {
    signals.dispose();
  }
  const stop = history.stopped ? signals.received : null;
  // The epoch whose weights are saved: the best held-out one with restore-best (its callback has put
  // them back at the end of the run, stopped or not), else the last finished one.
  const restored = best !== null && best.bestEpoch > 0;
  if (stop) {
    progress.stop();
    if (!restored) state.forEach((t, i) => t.data.set(kept[i])); // back to the last finished epoch
  }
  const done = finished.length;
  const keptEpoch = restored ? best.bestEpoch : done;
  const last = finished[keptEpoch - 1];
  const seconds = (performance.now() - t0) / 1000;
  if (stop && done === 0) {
    throw new InterruptedError(`interrupted by ${stop} during epoch 1: no epoch had finished, nothing was saved; ${out} is as it was`);
  }

  const metadata: ModelMetadata = {
    model: o.arch !== undefined ? `arch:${basename(o.arch)}` : zoo.name,
    seed, epochs: done, batchSize, threads,
    optimizer: { ...optimizer.config(), lr, ...(lrDecay !== undefined ? { lrDecay } : { schedule: scheduleSpec }) },
    augment, dataset: data.name, date: new Date().toISOString(),
    ...(classes ? { classes } : {}),
    ...(picture ? { picture } : {}),
    history: finished.map(({ test: _test, imagesPerSec: _ips, ...rest }) => rest),
    confusion: last.test?.confusion,
    wallSeconds: seconds,
    ...(stop ? { interrupted: { signal: stop, epoch: done + 1 } } : {}),
    ...(o.snapshots ? { snapshots } : {}),
  };
  // If --out fails now (disk full, permissions changed), the model is kept beside it or in the temp
  // folder and the ModelSaveError (exit 1) says where.
  saveTrainedModel(out, model, inputShape, metadata);
  const accuracy = `${(100 * (last.testAccuracy ?? 0)).toFixed(2)}%`;
  if (stop) {
    throw new InterruptedError(`interrupted by ${stop} during epoch ${done + 1}: saved the model as it was after epoch ${keptEpoch} of ${epochs} ` +
      `(${keptEpoch !== done ? 'the best held-out epoch of the finished ones, --restore-best; ' : ''}test accuracy ${accuracy}) to ${out}`);
  }
  if (classes && last.test) io.out(`Confusion matrix of the held-out pictures (true classes down, predicted across):\n${formatConfusion(last.test.confusion, classes)}`);
  if (keptEpoch !== done) io.out(`Restored the weights of epoch ${keptEpoch} of ${done}, the lowest held-out loss (--no-restore-best keeps the last epoch's).`);
  io.out(`Test accuracy ${accuracy} after ${epochs} epochs${keptEpoch !== done ? ` (epoch ${keptEpoch}'s weights)` : ''}, ${seconds.toFixed(1)} s in all.`);
  io.out(`Model saved to ${out}`);
}

/**
 * fit, one batch at a time, with a turn of the event loop between batches (setImmediate: 0.1 ms,
 * where fitAsync's setTimeout(0) costs 1.5 ms, about 7% of a 64-digit batch), so that a signal
 * handler runs between two batches.
 */
async function runYielding(model: Sequential, train: Parameters<typeof trainingSteps>[1], opts: FitOptions): Promise<History> {
  const run = trainingSteps(model, train, opts);
  let r = run.next();
  while (!r.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    r = run.next();
  }
  return r.value;
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
    /** Ends a progress bar half-way (an interrupted epoch). */
    stop() {
      if (bar) { bar.stop(); bar = null; }
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
