// What `miniconv inspect` does (its command line is src/cli/inspect.ts): writes the pictures of a
// trained model into a folder: the kernels of every Conv2D layer, the feature maps of one digit, and
// report.html, one self-contained page with all of it plus the training curves, the confusion matrix
// and the test digits the model got most confidently wrong (see report.ts).
//
// Every file follows the destination rule of src/io/destination.ts (checked for all the files before
// the first is written) and is written to a temporary name and renamed into place.

import { basename, dirname, extname, join, resolve } from 'node:path';
import { readDigitPng, readPicture } from '../io/digit-image.ts';
import { type PictureRecord, bytesToInput, modelPictureRecord, pictureToInput } from '../io/picture-input.ts';
import { type DestinationOptions, checkDestination, prepareOutputFolder, writeDestination } from '../io/destination.ts';
import { loadModel } from '../io/model-file.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { leafLayers, leavesOf } from './layer-tree.ts';
import type { Dataset } from '../dataset.ts';
import { assertDigitInput } from '../train/digit-input.ts';
import { type Report, type ReportDigit, buildReport } from './report.ts';

/** What reading `images` needs: datasets/image-folder.ts's loaders, as the command line's DataLoaders hold them. */
export interface PictureLoaders {
  images?(dir: string, opts: PictureLoadOptions): Loaded<{ test: Dataset; classes: string[] }>;
  imagesAll?(dir: string, opts: PictureLoadOptions): Loaded<{ set: Dataset }>;
}
type Loaded<T> = T | Promise<T>;
interface PictureLoadOptions { size: [number, number]; channels: 1 | 3; fit: 'crop' | 'pad'; seed: number; skipBad: boolean; classes?: readonly string[] }

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
  /**
   * For a model trained on pictures: a folder of pictures (one subfolder per class) for the report's
   * confusion matrix and mistakes: its held-out pictures when the model records that it was trained on
   * this folder with a split (the same split again), else every picture in it.
   */
  images?: string;
  /** For a model trained on pictures: the pictures the report evaluates, from loadInspectPictures(). */
  pictures?: { set: Dataset; name: string };
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
export function inspectModelFile(modelPath: string, opts: InspectOptions): { report: Report; outDir: string; written: string[]; digit: ReportDigit; classes?: string[] } {
  const { model, inputShape, metadata } = loadModel(modelPath);
  if (leavesOf(model, Conv2D).length === 0) {
    throw new Error(`${modelPath} has no Conv2D layer (layers: ${leafLayers(model).map((l) => l.layer.type).join(', ')}); there are no kernels to inspect`);
  }
  const own = modelPictureRecord(metadata, inputShape, modelPath);
  if (!own) assertDigitInput(inputShape, modelPath);

  if (!own && (opts.images !== undefined || opts.pictures !== undefined)) throw digitsOnly(modelPath);
  const test = opts.testSet;
  const per = inputShape.reduce((a, v) => a * v, 1);
  const pictureSet = own ? opts.pictures ?? null : null;
  let digit: ReportDigit;
  if (own) {
    // A model trained on pictures: the picture read and resized as its training did (predict's reading);
    // its normalisation is its first layer. The bundled digits mean nothing to it.
    if (opts.image !== undefined) {
      digit = { pixels: readOwnPicture(opts.image, own.picture), source: basename(opts.image) };
    } else if (pictureSet && pictureSet.set.count > 0) {
      digit = { pixels: pictureSet.set.images.slice(0, per), source: `the first of the ${pictureSet.name}`, label: pictureSet.set.labels[0] };
    } else {
      throw new Error(`${modelPath} was trained on pictures (input ${inputShape.join('x')}, classes ${own.classes.join(', ')}); give --image PICTURE for the feature maps (--index picks a bundled test digit)`);
    }
  } else if (opts.image !== undefined) {
    digit = { pixels: readImage(opts.image), source: basename(opts.image) };
  } else {
    const i = opts.index ?? 0;
    checkDigitIndex(i, test.count);
    digit = { pixels: test.images.slice(i * per, (i + 1) * per), source: `test digit #${i}`, label: test.labels[i] };
  }

  if (!own) opts.log?.(`Running ${basename(modelPath)} over the ${test.count.toLocaleString('en-US')} bundled test digits...`);
  else if (pictureSet) opts.log?.(`Running ${basename(modelPath)} over the ${pictureSet.set.count.toLocaleString('en-US')} ${pictureSet.name}...`);
  const report = buildReport({
    model, inputShape, metadata, digit,
    title: basename(modelPath),
    testSet: own ? pictureSet : { set: test, name: 'bundled test digits of the mnist package' },
    classes: own?.classes,
    noTestSetReason: own && !pictureSet ? 'the model was trained on pictures, not digits; give inspect --images DIR (one subfolder per class) to evaluate it on them' : undefined,
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
  return { report, outDir, written, digit, classes: own?.classes };
}

/**
 * The pictures of `dir` the report evaluates: the held-out ones when the model file records that it was
 * trained on this folder with a split (metadata.dataset and metadata.seed: the same split again), else all.
 */
export async function loadInspectPictures(modelPath: string, dir: string, loaders: PictureLoaders): Promise<{ set: Dataset; name: string }> {
  const { inputShape, metadata } = loadModel(modelPath);
  const own = modelPictureRecord(metadata, inputShape, modelPath);
  if (!own) throw digitsOnly(modelPath);
  if (!loaders.images || !loaders.imagesAll) throw new Error('--images: this build of the command line has no picture loader');
  const read = { size: [own.picture.size[0], own.picture.size[1]] as [number, number], channels: own.picture.channels, fit: own.picture.fit, skipBad: false };
  // train --images records 'pictures in DIR (3 classes: a, b, c; 20% of each class held out)' and its seed.
  const m = typeof metadata.dataset === 'string' ? /^pictures in (.*) \(\d+ classes: .*; 20% of each class held out\)$/.exec(metadata.dataset) : null;
  try {
    if (m && resolve(m[1]) === resolve(dir) && typeof metadata.seed === 'number') {
      const split = await loaders.images(dir, { ...read, seed: metadata.seed });
      if (split.classes.length === own.classes.length && split.classes.every((c, i) => c === own.classes[i])) {
        return { set: split.test, name: `held-out pictures of ${dir} (the split the training used, seed ${metadata.seed})` };
      }
    }
    const all = await loaders.imagesAll(dir, { ...read, seed: 0, classes: own.classes });
    return { set: all.set, name: `pictures in ${dir}` };
  } catch (e) {
    throw new Error(`--images: ${(e as Error).message}`);
  }
}

function digitsOnly(modelPath: string): Error {
  return new Error(`--images is for a model trained on pictures; ${modelPath} reads 28x28 digits (its report uses the bundled test digits)`);
}

/** A picture as a model trained on pictures reads it: its size, channels and fit (as `predict` does). */
function readOwnPicture(file: string, picture: PictureRecord): Float32Array {
  try {
    const pic = readPicture(file);
    return bytesToInput(pictureToInput(pic.rgba, pic.width, pic.height, picture));
  } catch (e) {
    throw new Error(`--image: ${(e as Error).message}`);
  }
}

function readImage(file: string): Float32Array {
  try {
    return readDigitPng(file);
  } catch (e) {
    throw new Error(`--image: ${(e as Error).message}`);
  }
}
