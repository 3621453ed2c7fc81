// The two commands' file work: `miniconv export MODEL.json --onnx OUT.onnx` and
// `miniconv import MODEL.onnx --out MODEL.json`. Both write atomically (a temporary file renamed into
// place), so an interrupted run leaves any previous file intact.

import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Sequential } from '../../layers/sequential.ts';
import { loadModel, saveModel, writeFileAtomic } from '../model-file.ts';
import { exportOnnx } from './export.ts';
import { type ImportInfo, type ImportOptions, importOnnx } from './import.ts';
import { type Preprocess, checkPreprocess } from './mean-std.ts';

/** An .onnx file larger than this is refused before it is read (protobuf itself stops at 2 GiB). */
export const MAX_ONNX_BYTES = 1 << 30;

/**
 * Reads a miniconv model file and writes it as ONNX (see exportOnnx). A `preprocess` record in the
 * model's metadata goes into the ONNX metadata, so importing the file back restores it.
 * @returns the number of bytes written and the input shape (without the batch)
 */
export function exportOnnxFile(modelPath: string, outPath: string): { bytes: number; inputShape: number[] } {
  const { model, inputShape, metadata } = loadModel(modelPath);
  const preprocess = metadata.preprocess === undefined ? undefined : checkPreprocess(metadata.preprocess, inputShape[0], `exportOnnxFile: ${modelPath}: metadata.preprocess`);
  const bytes = exportOnnx(model, inputShape, { preprocess });
  writeOrSay('exportOnnxFile', outPath, () => writeFileAtomic(outPath, bytes));
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
 * predict and eval apply.
 */
export function importOnnxFile(onnxPath: string, outModelPath: string, opts: ImportOptions = {}): { model: Sequential; inputShape: number[]; preprocess?: Preprocess; info: ImportInfo } {
  const { model, inputShape, preprocess, info } = importOnnx(readOnnxFile(onnxPath), { name: opts.name, preprocess: opts.preprocess });
  writeOrSay('importOnnxFile', outModelPath, () => saveModel(outModelPath, model, inputShape, {
    source: 'onnx',
    onnx: { file: basename(onnxPath), ...info },
    ...(preprocess ? { preprocess } : {}),
    date: new Date().toISOString(),
  }));
  return { model, inputShape, ...(preprocess ? { preprocess } : {}), info };
}
