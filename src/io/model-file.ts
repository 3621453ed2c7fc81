// Model files on disk (the format itself is in model-format.ts). Saving writes a temporary file
// beside the target and renames it into place, so an interrupted save leaves the previous file intact.
//
// What `train --out FILE` (and every other writer) may replace is the one destination rule of
// destination.ts: only a regular file; a symlink is written through; never the command's own input;
// an existing file only if it is a miniconv model file, unless `force` (`--force`).
// The folder must be writable: it is created if missing and probed with a small temporary file, so
// an unwritable place, /proc or a read-only disk is reported before a minute of training, not after.
// If saving still fails, saveTrainedModel keeps the model next to the destination or in the temp
// directory and says where, with the path that failed and why.

import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Sequential } from '../layers/sequential.ts';
import { type DestinationOptions, checkDestination, describeFsError, isFileOfKind, writeFileAtomic } from './destination.ts';
import { type ModelMetadata, deserializeModel, serializeModel } from './model-format.ts';
import { MAX_MODEL_BYTES, readRegularFile } from './safe-read.ts';

export { describeFsError, writeFileAtomic } from './destination.ts';

export { MODEL_FORMAT, MODEL_VERSION, deserializeModel, serializeModel, type EpochRecord, type ModelMetadata, type Snapshot } from './model-format.ts';

/** The temporary name of a save in progress: `.NAME.PID.TIME.tmp` beside the target. */
const TMP_PATTERN = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

/** Whether a regular file starts the way every miniconv model file does (`{"format":"miniconv-model"`). */
export function isModelFile(path: string): boolean {
  return isFileOfKind(path, 'model');
}

/**
 * Where a model saved to `path` really goes, or an error saying why it may not go there: the one
 * destination rule of destination.ts, for a model file. A symlink resolves to its target. Touches nothing.
 */
export function checkModelDestination(path: string, options: { force?: boolean; inputs?: DestinationOptions['inputs']; who?: string } = {}): { target: string; replaces: boolean } {
  return checkDestination(path, { kind: 'model', who: options.who ?? 'saveModel', force: options.force, inputs: options.inputs });
}

/**
 * Before training: checks that a model can be saved at `path` (checkModelDestination), creates the
 * folder if missing, proves it writable by creating and removing a small temporary file, and clears
 * the temporary files that interrupted saves to this destination left behind. Returns where the
 * model will go and which leftovers were removed. Throws an error naming the path and the reason.
 */
export function prepareModelDestination(path: string, options: { force?: boolean; inputs?: DestinationOptions['inputs'] } = {}): { target: string; replaces: boolean; removed: string[] } {
  const dest = checkModelDestination(path, options);
  const dir = dirname(dest.target);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`saveModel: cannot create the folder ${dir} for ${path}: ${describeFsError(e)}`);
  }
  const probe = join(dir, `.${basename(dest.target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(probe, 'wx');
    try { writeSync(fd, 'probe'); fsyncSync(fd); } finally { closeSync(fd); }
  } catch (e) {
    rmSync(probe, { force: true });
    throw new Error(`saveModel: cannot write in ${dir} (for ${path}): ${describeFsError(e)}`);
  }
  rmSync(probe, { force: true });
  return { ...dest, removed: cleanStaleTemps(dest.target) };
}

/**
 * Removes the temporary files (`.NAME.PID.TIME.tmp`) that interrupted saves to `path` left in its
 * folder: those of processes no longer running, or older than an hour. Returns the removed paths.
 */
export function cleanStaleTemps(path: string, now = Date.now()): string[] {
  const dir = dirname(path), name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = TMP_PATTERN.exec(entry);
    if (!m || m[1] !== name) continue;
    const pid = Number(m[2]), time = Number(m[3]);
    if (pid === process.pid && now - time < 3600_000) continue; // our own save, in progress
    if (pid !== process.pid && isRunning(pid) && now - time < 3600_000) continue;
    try {
      if (!lstatSync(join(dir, entry)).isFile()) continue;
      rmSync(join(dir, entry), { force: true });
      removed.push(join(dir, entry));
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Saves a model file atomically. Refuses (as checkModelDestination) a directory, a device or any
 * non-regular file at `path`, and writes through a symlink; it does not check that an existing
 * regular file is a model (prepareModelDestination does, before training). Errors name the path and
 * the reason, never the temporary file.
 */
export function saveModel(path: string, model: Sequential, inputShape: readonly number[], metadata: ModelMetadata = {}): void {
  const text = serializeModel(model, inputShape, metadata);
  const { target } = checkModelDestination(path, { force: true });
  try {
    writeFileAtomic(target, text);
  } catch (e) {
    throw new Error(`saveModel: cannot write ${path}: ${describeFsError(e)}`);
  }
}

/** The error of saveTrainedModel when the destination failed: `keptAt` says where the model is instead (or null if nowhere). */
export class ModelSaveError extends Error {
  constructor(message: string, /** Where the model was saved instead (next to the destination, or in the temp directory); null when it could not be saved anywhere. */ readonly keptAt: string | null) {
    super(message);
    this.name = 'ModelSaveError';
  }
}

/**
 * Saves a model that took time to train. If `path` fails (disk full, permissions changed, the folder
 * vanished...), the model is saved instead next to it (`NAME.recovered-TIME.json`), or failing that
 * in the temp directory, and a ModelSaveError says which path failed, why, and where the model is.
 */
export function saveTrainedModel(path: string, model: Sequential, inputShape: readonly number[], metadata: ModelMetadata = {}): { savedTo: string } {
  const text = serializeModel(model, inputShape, metadata); // a model that cannot be serialised is a bug: throw as is
  let failure: string;
  try {
    const { target } = checkModelDestination(path, { force: true });
    writeFileAtomic(target, text);
    return { savedTo: path };
  } catch (e) {
    failure = e instanceof Error && e.message.startsWith('saveModel: ') ? e.message.slice('saveModel: '.length) : describeFsError(e);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = basename(path).replace(/\.json$/, '');
  const places = [join(dirname(resolve(path)), `${name}.recovered-${stamp}.json`), join(tmpdir(), `miniconv-${name}-${stamp}-${process.pid}.json`)];
  for (const place of places) {
    try {
      writeFileAtomic(place, text);
      throw new ModelSaveError(`saveModel: could not save the model to ${path}: ${failure}; the trained model was saved to ${place} instead`, place);
    } catch (e) {
      if (e instanceof ModelSaveError) throw e;
    }
  }
  throw new ModelSaveError(`saveModel: could not save the model to ${path}: ${failure}; nor next to it or in ${tmpdir()}: the trained model is lost`, null);
}

/** Reads a model file. Throws a clear error for a missing, non-regular, oversized, truncated, corrupt or foreign file. */
export function loadModel(path: string, options: { maxBytes?: number } = {}): { model: Sequential; inputShape: number[]; metadata: ModelMetadata } {
  const bytes = readRegularFile(path, options.maxBytes ?? MAX_MODEL_BYTES, 'loadModel');
  return deserializeModel(bytes.toString('utf8'), path);
}
