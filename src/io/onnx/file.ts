// The two commands' file work: `miniconv export MODEL.json --onnx OUT.onnx` and
// `miniconv import MODEL.onnx --out MODEL.json`. Both write atomically (a temporary file renamed into
// place), so an interrupted run leaves any previous file intact.

import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Sequential } from '../../layers/sequential.ts';
import { checkDestination, writeFileAtomic } from '../destination.ts';
import { loadModel, saveModel } from '../model-file.ts';
import { exportOnnx } from './export.ts';
import { type ImportInfo, type ImportOptions, importOnnx } from './import.ts';
import { type Preprocess, checkPreprocess } from './mean-std.ts';

/** An .onnx file larger than this is refused before it is read (protobuf itself stops at 2 GiB). */
export const MAX_ONNX_BYTES = 1 << 30;

/** Where a file goes: `force` lets it replace a regular file of another kind; `who` starts the messages (the command line passes its flag). */
export interface WriteOptions { force?: boolean; who?: string }

/**
 * Reads a miniconv model file and writes it as ONNX (see exportOnnx). A `preprocess` record in the
 * model's metadata goes into the ONNX metadata, so importing the file back restores it. `outPath`
 * follows the destination rule of destination.ts (never the model file itself; an existing file
 * only if it is ONNX, unless `force`), checked before any work.
 * @returns the number of bytes written and the input shape (without the batch)
 */
export function exportOnnxFile(modelPath: string, outPath: string, opts: WriteOptions = {}): { bytes: number; inputShape: number[] } {
  const dest = { kind: 'onnx', who: opts.who ?? 'exportOnnxFile', force: opts.force, inputs: [[modelPath, 'the model file']] } as const;
  checkDestination(outPath, dest);
  const { model, inputShape, metadata } = loadModel(modelPath);
  const preprocess = metadata.preprocess === undefined ? undefined : checkPreprocess(metadata.preprocess, inputShape[0], `exportOnnxFile: ${modelPath}: metadata.preprocess`);
  const bytes = exportOnnx(model, inputShape, { preprocess });
  const { target } = checkDestination(outPath, dest);
  writeOrSay('exportOnnxFile', outPath, () => writeFileAtomic(target, bytes));
  return { bytes: bytes.length, inputShape };
}

/** Runs a write; a file-system error becomes one that names the file we meant to write, not the temporary one. */
function writeOrSay(who: string, path: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new Error(`${who}: cannot write ${path}: ${why}`);
  }
}

/** Reads an .onnx file, after checking that it is a regular file of sane size. */
export function readOnnxFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error(`importOnnx: ${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`importOnnx: no such file: ${path}`);
    throw code ? new Error(`importOnnx: cannot read ${path}: ${(e as Error).message}`) : e;
  }
  if (size === 0) throw new Error(`importOnnx: ${path} is empty; expected an .onnx file`);
  if (size > MAX_ONNX_BYTES) throw new Error(`importOnnx: ${path} is ${size} bytes, more than the ${MAX_ONNX_BYTES} this reader accepts`);
  return new Uint8Array(readFileSync(path));
}

/**
 * Reads an .onnx file and saves it as a miniconv model file. The model file's metadata records where
 * it came from (`source`, `onnx`) and, when given or found in the file, the `preprocess` that
 * predict and eval apply. `outModelPath` follows the destination rule of destination.ts (never the
 * .onnx file itself; an existing file only if it is a model file, unless `force`), checked first.
 */
export function importOnnxFile(onnxPath: string, outModelPath: string, opts: ImportOptions & WriteOptions = {}): { model: Sequential; inputShape: number[]; preprocess?: Preprocess; info: ImportInfo } {
  checkDestination(outModelPath, { kind: 'model', who: opts.who ?? 'importOnnxFile', force: opts.force, inputs: [[onnxPath, 'the ONNX file']] });
  const { model, inputShape, preprocess, info } = importOnnx(readOnnxFile(onnxPath), { name: opts.name, preprocess: opts.preprocess });
  writeOrSay('importOnnxFile', outModelPath, () => saveModel(outModelPath, model, inputShape, {
    source: 'onnx',
    onnx: { file: basename(onnxPath), ...info },
    ...(preprocess ? { preprocess } : {}),
    date: new Date().toISOString(),
  }));
  return { model, inputShape, ...(preprocess ? { preprocess } : {}), info };
}
