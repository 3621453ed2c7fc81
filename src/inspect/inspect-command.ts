// `miniconv inspect MODEL [--index N | --image DIGIT.png] [--out DIR]`: writes the pictures of a
// trained model into a folder: the kernels of every Conv2D layer, the feature maps of one digit, and
// report.html, one self-contained page with all of it plus the training curves, the confusion matrix
// and the test digits the model got most confidently wrong (see report.ts).
//
// Every file is written to a temporary name and renamed into place (writeFileAtomic).
// Exit codes, as for the other commands: 0 success, 1 a file or data problem (one line on stderr),
// 2 bad arguments (the message and the usage).

import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDigits } from '../../datasets/mnist.ts';
import { readDigitPng } from '../io/digit-image.ts';
import { loadModel, writeFileAtomic } from '../io/model-file.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { type Report, type ReportDigit, buildReport } from './report.ts';

export const INSPECT_USAGE = `Usage: miniconv inspect MODEL [--index N | --image DIGIT.png] [--out DIR]

Writes into DIR (created if missing):
  kernels-<layer>.png       the kernels of every Conv2D layer
  featuremaps-<layer>.png   every layer's output for one digit (featuremaps.png: all layers in one picture)
  kernels-snapshots.png     the first layer's kernels at initialisation and after each epoch (models
                            trained with --snapshots)
  report.html               one self-contained page: the model, training curves, kernels, feature maps,
                            confusion matrix and the most confidently wrong test digits

Options:
  --index N        the digit for the feature maps: number N of the bundled test set (default 0)
  --image FILE     the digit for the feature maps: a PNG picture of a digit instead
  --out DIR        where to write (default: a folder beside the model named after it,
                   e.g. models/digits-inspect for models/digits.json)
  -h, --help       this text`;

export interface InspectIo {
  out(text: string): void;
  err(text: string): void;
}

export interface InspectOptions {
  /** Test digit N of the bundled test set (default 0 unless `image` is given); a string is parsed, as typed on the command line. */
  index?: number | string;
  /** A PNG picture of a digit, used instead of a test digit. */
  image?: string;
  /** Default: defaultOutDir(modelPath). */
  outDir?: string;
}

/** Bad arguments: shown with the usage, exit code 2. */
class InspectUsageError extends Error {}

/** `models/digits.json` -> `models/digits-inspect`. */
export function defaultOutDir(modelPath: string): string {
  const name = basename(modelPath, extname(modelPath)) || 'model';
  return join(dirname(modelPath), `${name}-inspect`);
}

/** The `inspect` command. Returns the exit code; never throws. */
export function runInspectCli(argv: string[], io: InspectIo): number {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: { index: { type: 'string' }, image: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      throw new InspectUsageError((e as Error).message.split('\n')[0]);
    }
    const { values, positionals } = parsed;
    if (values.help) { io.out(INSPECT_USAGE); return 0; }
    if (positionals.length === 0) throw new InspectUsageError('missing MODEL, the model file to inspect');
    if (positionals.length > 1) throw new InspectUsageError(`expected one MODEL file, got ${positionals.length} arguments: ${positionals.join(' ')}`);
    if (values.index !== undefined && values.image !== undefined) throw new InspectUsageError('give either --index or --image, not both');
    if (values.out === '') throw new InspectUsageError('--out needs a folder name');

    const result = inspectModelFile(positionals[0], {
      index: values.index,
      image: values.image,
      outDir: values.out,
    }, io);
    const { report, outDir, written } = result;
    if (report.prediction) {
      const { predicted, probs } = report.prediction;
      const p = probs[predicted];
      io.out(`Prediction for ${result.digit.source}: ${predicted} (${p > 0.999 && p < 1 ? '> 99.9' : (100 * p).toFixed(1)}%)`);
    }
    if (report.test) io.out(`Test accuracy ${(100 * report.test.accuracy).toFixed(2)}% on ${report.test.count.toLocaleString('en-US')} bundled test digits`);
    io.out(`Wrote ${written.length} files to ${outDir}:`);
    for (const f of written) io.out(`  ${basename(f)}`);
    io.out(`Open ${join(outDir, 'report.html')} in a browser.`);
    return 0;
  } catch (e) {
    if (e instanceof InspectUsageError) {
      io.err(`miniconv inspect: ${e.message}\n\n${INSPECT_USAGE}`);
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`miniconv inspect: ${message.replace(/\s*\n\s*/g, ' ')}`);
    return 1;
  }
}

/**
 * Loads a model file, builds the report and writes every figure and report.html into the output
 * folder. Throws an Error with a one-line message for a missing or corrupt model, a model without
 * Conv2D layers or not made for 28x28 digits, a bad index or an unreadable image.
 */
export function inspectModelFile(modelPath: string, opts: InspectOptions = {}, io?: InspectIo): { report: Report; outDir: string; written: string[]; digit: ReportDigit } {
  const { model, inputShape, metadata } = loadModel(modelPath);
  if (!model.layers.some((l) => l instanceof Conv2D)) {
    throw new Error(`${modelPath} has no Conv2D layer (layers: ${model.layers.map((l) => l.type).join(', ')}); there are no kernels to inspect`);
  }
  if (inputShape.join('x') !== '1x28x28') {
    throw new Error(`${modelPath} takes inputs of shape [${inputShape.join(', ')}]; inspect works with models of 28x28 digits [1, 28, 28]`);
  }

  // The bundled test set in the fixed order of loadDigits() (seed 0), so that --index N is the same
  // digit whichever model is inspected.
  const { test } = loadDigits();
  let digit: ReportDigit;
  if (opts.image !== undefined) {
    digit = { pixels: readImage(opts.image), source: basename(opts.image) };
  } else {
    const raw = opts.index ?? 0;
    const i = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(i) || i < 0 || i >= test.count) {
      throw new Error(`--index must be an integer from 0 to ${test.count - 1} (the bundled test set has ${test.count.toLocaleString('en-US')} digits), got '${String(raw)}'`);
    }
    digit = { pixels: test.images.slice(i * 784, (i + 1) * 784), source: `test digit #${i}`, label: test.labels[i] };
  }

  io?.out(`Running ${basename(modelPath)} over the ${test.count.toLocaleString('en-US')} bundled test digits...`);
  const report = buildReport({
    model, inputShape, metadata, digit,
    title: basename(modelPath),
    testSet: { set: test, name: 'bundled test digits of the mnist package' },
  });

  const outDir = resolve(opts.outDir ?? defaultOutDir(modelPath));
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const f of report.files) {
    const path = join(outDir, f.name);
    writeFileAtomic(path, f.data);
    written.push(path);
  }
  const htmlPath = join(outDir, 'report.html');
  writeFileAtomic(htmlPath, report.html);
  written.push(htmlPath);
  return { report, outDir, written, digit };
}

function readImage(file: string): Float32Array {
  try {
    return readDigitPng(file);
  } catch (e) {
    throw new Error(`--image: ${(e as Error).message}`);
  }
}
