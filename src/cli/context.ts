// What every command is given: where to print, and how to load data. The data loaders live in
// datasets/, which src/ never imports: the entry point (bin/main.ts) passes them in.

import type { Dataset } from '../dataset.ts';
import type { CliIO } from './io.ts';

export interface Split { train: Dataset; test: Dataset }

/** Options of the file loaders: `maxBytes` raises (or lowers) the size cap of every file read (`--max-file-mb`). */
export interface LoadOptions { maxBytes?: number }

/** Options of the picture-folder loader (datasets/image-folder.ts). */
export interface ImageLoadOptions {
  /** [H, W], or 'auto': 32, or smaller for a folder of small pictures (datasets/image-folder.ts, autoPictureSize). */
  size: [number, number] | 'auto'; channels: 1 | 3; fit: 'crop' | 'pad'; seed: number; skipBad: boolean; testDir?: string;
  /** The class names to read a folder with (a model's): a subfolder named otherwise is an error. */
  classes?: readonly string[];
  maxBytes?: number;
}

/** Picture data: the split, its class names, and the files skipped with --skip-bad. */
export interface PictureSplit extends Split { classes: string[]; skipped: Array<{ file: string; reason: string }> }

export interface DataLoaders {
  /** A folder of pictures, one subfolder per class, split (or with a test folder). */
  images?(dir: string, opts: ImageLoadOptions): PictureSplit | Promise<PictureSplit>;
  /** Every picture of a folder as one set (eval). */
  imagesAll?(dir: string, opts: ImageLoadOptions): { set: Dataset; skipped: Array<{ file: string; reason: string }> } | Promise<{ set: Dataset; skipped: Array<{ file: string; reason: string }> }>;
  /** CIFAR-10's binary batch files in a folder. */
  cifar10?(dir: string, opts?: LoadOptions): PictureSplit;
  /** The bundled digits of the mnist package, split 8,000 / 2,000 and shuffled with `seed`. */
  digits(opts: { seed: number }): Split;
  /** The full MNIST from the four standard IDX files in a folder. */
  idx(dir: string, opts?: LoadOptions): Split;
  /** Only the test pair (t10k-images, t10k-labels) of the IDX files in a folder: all that `eval` needs. */
  idxTest(dir: string, opts?: LoadOptions): Dataset;
}

export interface CliContext {
  io: CliIO;
  data: DataLoaders;
}

/** The data of `--data DIR` when given, else the bundled digits; with the name the output shows. */
export function loadData(ctx: CliContext, dir: string | undefined, seed: number, opts: LoadOptions = {}): Split & { name: string } {
  if (dir !== undefined) return { ...ctx.data.idx(dir, opts), name: `MNIST IDX files in ${dir}` };
  return { ...ctx.data.digits({ seed }), name: 'bundled digits of the mnist package (8,000 train / 2,000 test)' };
}
