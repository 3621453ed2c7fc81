// Model files on disk (the format itself is in model-format.ts). Saving writes a temporary file
// beside the target and renames it into place, so an interrupted save leaves the previous file intact.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Sequential } from '../layers/sequential.ts';
import { type ModelMetadata, deserializeModel, serializeModel } from './model-format.ts';

export { MODEL_FORMAT, MODEL_VERSION, deserializeModel, serializeModel, type EpochRecord, type ModelMetadata, type Snapshot } from './model-format.ts';

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

/** Saves a model file (atomically). */
export function saveModel(path: string, model: Sequential, inputShape: readonly number[], metadata: ModelMetadata = {}): void {
  writeFileAtomic(path, serializeModel(model, inputShape, metadata));
}

/** Reads a model file. Throws a clear error for a missing, truncated, corrupt or foreign file. */
export function loadModel(path: string): { model: Sequential; inputShape: number[]; metadata: ModelMetadata } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `loadModel: no such file: ${path}` : `loadModel: cannot read ${path}: ${(e as Error).message}`);
  }
  return deserializeModel(text, path);
}
