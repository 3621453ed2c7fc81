// Model files on disk (the format itself is in model-format.ts). Saving writes a temporary file
// beside the target and renames it into place, so an interrupted save leaves the previous file intact.
//
// What `train --out FILE` may replace, checked before training by prepareModelDestination:
//   - nothing yet at FILE, or a miniconv model file: fine;
//   - any other regular file: refused unless `force` (`--force`), so `--out notes.txt` cannot eat notes;
//   - a directory, a device (/dev/null), a FIFO or a socket: always refused, `force` or not;
//   - a symlink: written THROUGH. The file it points to is checked as above and replaced, the link
//     itself stays (models/latest.json -> digits-v3.json keeps pointing at the new digits-v3.json).
//     A dangling symlink is refused.
// The folder must be writable: it is created if missing and probed with a small temporary file, so
// an unwritable place, /proc or a read-only disk is reported before a minute of training, not after.
// If saving still fails, saveTrainedModel keeps the model next to the destination or in the temp
// directory and says where, with the path that failed and why.

import {
  closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, renameSync, rmSync, statSync,
  writeSync, type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Sequential } from '../layers/sequential.ts';
import { MODEL_FORMAT, type ModelMetadata, deserializeModel, serializeModel } from './model-format.ts';
import { MAX_MODEL_BYTES, kindOf, readRegularFile } from './safe-read.ts';

export { MODEL_FORMAT, MODEL_VERSION, deserializeModel, serializeModel, type EpochRecord, type ModelMetadata, type Snapshot } from './model-format.ts';

/** The temporary name of a save in progress: `.NAME.PID.TIME.tmp` beside the target. */
const TMP_PATTERN = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

/** Writes `text` (or bytes) to `path` atomically: a temporary file in the same folder, flushed, then renamed over the target. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** An errno in words, code kept: "no space left on device (ENOSPC)". */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded', EISDIR: 'it is a directory', ENOTDIR: 'a part of the path is not a folder', ENOENT: 'no such file or folder',
    EIO: 'input/output error', ENAMETOOLONG: 'the name is too long', ELOOP: 'too many symlinks', EXDEV: 'it is on another device',
  };
  const code = err?.code ?? /^([A-Z]+):/.exec(err?.message ?? '')?.[1];
  if (code && words[code]) return `${words[code]} (${code})`;
  return err?.message ?? String(e);
}

/** Whether a regular file starts the way every miniconv model file does (`{"format":"miniconv-model"`). */
export function isModelFile(path: string): boolean {
  const head = `{"format":"${MODEL_FORMAT}"`;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(head.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return n === buf.length && buf.toString('utf8') === head;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where a model saved to `path` really goes, or an error saying why it may not go there (see the top
 * of this file). A symlink resolves to its target. Touches nothing.
 */
export function checkModelDestination(path: string, options: { force?: boolean } = {}): { target: string; replaces: boolean } {
  const where = 'saveModel';
  let target = resolve(path);
  let st: Stats | null = null;
  try {
    st = lstatSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${where}: cannot use ${path}: ${describeFsError(e)}`);
  }
  if (st?.isSymbolicLink()) {
    try {
      target = realpathSync(target);
    } catch {
      throw new Error(`${where}: ${path} is a symlink to a missing file; point it somewhere or remove it`);
    }
    st = statSync(target);
  }
  if (!st) return { target, replaces: false };
  if (!st.isFile()) throw new Error(`${where}: ${path} is ${kindOf(st)}; refusing to replace it with a model file`);
  if (!options.force && !isModelFile(target)) {
    throw new Error(`${where}: ${path} exists and is not a miniconv model file; refusing to overwrite it (pass --force to replace it)`);
  }
  return { target, replaces: true };
}

/**
 * Before training: checks that a model can be saved at `path` (checkModelDestination), creates the
 * folder if missing, proves it writable by creating and removing a small temporary file, and clears
 * the temporary files that interrupted saves to this destination left behind. Returns where the
 * model will go and which leftovers were removed. Throws an error naming the path and the reason.
 */
export function prepareModelDestination(path: string, options: { force?: boolean } = {}): { target: string; replaces: boolean; removed: string[] } {
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
  constructor(message: string, readonly keptAt: string | null) {
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
