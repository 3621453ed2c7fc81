// What `miniconv inspect` does (its command line is src/cli/inspect.ts): writes the pictures of a
// trained model into a folder: the kernels of every Conv2D layer, the feature maps of one digit, and
// report.html, one self-contained page with all of it plus the training curves, the confusion matrix
// and the test digits the model got most confidently wrong (see report.ts).
//
// Every file follows the destination rule of src/io/destination.ts (checked for all the files before
// the first is written) and is written to a temporary name and renamed into place.

import { basename, dirname, extname, join, resolve } from 'node:path';
import { readDigitPng } from '../io/digit-image.ts';
import { type DestinationOptions, checkDestination, prepareOutputFolder, writeDestination } from '../io/destination.ts';
import { loadModel } from '../io/model-file.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { leafLayers, leavesOf } from './layer-tree.ts';
import type { Dataset } from '../dataset.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { type Report, type ReportDigit, buildReport } from './report.ts';

export interface InspectOptions {
  /**
   * The bundled test set in the fixed order of loadDigits() (seed 0), so that `index` is the same
   * digit whichever model is inspected; the report's confusion matrix and mistakes come from it.
   */
  testSet: Dataset;
  /** Test digit `index` of testSet (default 0 unless `image` is given). */
  index?: number;
  /** A PNG picture of a digit, used instead of a test digit. */
  image?: string;
  /** Default: defaultOutDir(modelPath). */
  outDir?: string;
  /** Let the files replace existing regular files of another kind (never a folder, a device or an input). */
  force?: boolean;
  /** Progress messages. */
  log?: (text: string) => void;
}

/** `models/digits.json` -> `models/digits-inspect`. */
export function defaultOutDir(modelPath: string): string {
  const name = basename(modelPath, extname(modelPath)) || 'model';
  return join(dirname(modelPath), `${name}-inspect`);
}

/** A RangeError unless `index` picks a digit of a test set of `count`. */
export function checkDigitIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`--index must be an integer from 0 to ${count - 1} (the bundled test set has ${count.toLocaleString('en-US')} digits), got '${String(index)}'`);
  }
}

/**
 * Loads a model file, builds the report and writes every figure and report.html into the output
 * folder. Throws an Error with a one-line message for a missing or corrupt model, a model without
 * Conv2D layers or not made for 28x28 digits, a bad index or an unreadable image.
 */
export function inspectModelFile(modelPath: string, opts: InspectOptions): { report: Report; outDir: string; written: string[]; digit: ReportDigit } {
  const { model, inputShape, metadata } = loadModel(modelPath);
  if (leavesOf(model, Conv2D).length === 0) {
    throw new Error(`${modelPath} has no Conv2D layer (layers: ${leafLayers(model).map((l) => l.layer.type).join(', ')}); there are no kernels to inspect`);
  }
  assertDigitInput(inputShape, modelPath);

  const test = opts.testSet;
  const per = inputShape.reduce((a, v) => a * v, 1);
  let digit: ReportDigit;
  if (opts.image !== undefined) {
    digit = { pixels: readImage(opts.image), source: basename(opts.image) };
  } else {
    const i = opts.index ?? 0;
    checkDigitIndex(i, test.count);
    digit = { pixels: test.images.slice(i * per, (i + 1) * per), source: `test digit #${i}`, label: test.labels[i] };
  }

  opts.log?.(`Running ${basename(modelPath)} over the ${test.count.toLocaleString('en-US')} bundled test digits...`);
  const report = buildReport({
    model, inputShape, metadata, digit,
    title: basename(modelPath),
    testSet: { set: test, name: 'bundled test digits of the mnist package' },
  });

  const outDir = prepareOutputFolder(opts.outDir ?? defaultOutDir(modelPath), 'inspect --out');
  const inputs: DestinationOptions['inputs'] = [[modelPath, 'the model file'], ...(opts.image !== undefined ? [[opts.image, 'the picture'] as const] : [])];
  const files = [
    ...report.files.map((f) => ({ path: join(outDir, f.name), data: f.data as string | Uint8Array, kind: 'png' as const })),
    { path: join(outDir, 'report.html'), data: report.html as string | Uint8Array, kind: 'html' as const },
  ];
  const destOf = (kind: 'png' | 'html'): DestinationOptions => ({ kind, who: 'inspect --out', force: opts.force, inputs });
  for (const f of files) checkDestination(f.path, destOf(f.kind)); // all refused before one is written
  const written: string[] = [];
  for (const f of files) {
    writeDestination(f.path, f.data, destOf(f.kind));
    written.push(f.path);
  }
  return { report, outDir, written, digit };
}

function readImage(file: string): Float32Array {
  try {
    return readDigitPng(file);
  } catch (e) {
    throw new Error(`--image: ${(e as Error).message}`);
  }
}
