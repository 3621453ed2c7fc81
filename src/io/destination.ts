// Where miniconv may write: ONE rule for every file it writes (a model from `train --out` or
// `import --out`, an ONNX file from `export --onnx`, a PNG from `predict --save-input` or
// `inspect --out DIR`, the report.html inside DIR, and any future writer). Every writer calls
// checkDestination before its work and writeDestination to write; both apply, in this order:
//
//   1. Only a regular file is ever replaced: a folder, a device (/dev/null), a FIFO or a socket is
//      refused, --force or not.
//   2. A symlink is written THROUGH: the file it points to is checked by these rules and replaced,
//      the link itself stays. A dangling symlink is refused.
//   3. A command never writes onto its own input (`export m.json --onnx m.json`), --force or not:
//      the same file, also through a symlink or a hard link.
//   4. An existing file is replaced only by a file of its own kind (a miniconv model file by a
//      model, an ONNX file by ONNX, a PNG by a PNG, a miniconv report by the report), unless
//      `force` (--force): `--onnx notes.txt` cannot eat notes.
//
// Every refusal names the path, what is there, and the rule that applied. The write itself goes to a
// temporary file beside the target, flushed, then renamed into place (writeFileAtomic), so an
// interrupted write leaves the previous file intact.

import {
  closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MODEL_FORMAT } from './model-format.ts';
import { REPORT_MARKER } from './report-marker.ts'; // older reports, without it, are known by their title
import { kindOf } from './safe-read.ts';

/** What a writer writes: decides which existing files it may replace without --force (rule 4). */
export type FileKind = 'model' | 'onnx' | 'png' | 'html';

/** The rules' words, as the messages quote them. */
export const DESTINATION_RULES = {
  regular: 'miniconv only ever replaces a regular file, never a folder, device, FIFO or socket',
  symlink: 'a symlink is written through to the file it points to, never replaced itself',
  input: 'a command never writes onto its own input, --force or not',
  kind: 'an existing file is replaced only by a file of its own kind',
} as const;

interface KindInfo { name: string; recognise: (head: Buffer) => boolean }

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const KINDS: Record<FileKind, KindInfo> = {
  model: { name: 'a miniconv model file', recognise: (head) => head.toString('utf8').startsWith(`{"format":"${MODEL_FORMAT}"`) },
  // An ONNX ModelProto as every serialiser writes it (fields in number order) starts with field 1,
  // ir_version, a varint: the byte 0x08. No text file starts with a backspace.
  onnx: { name: 'an ONNX file', recognise: (head) => head.length >= 2 && head[0] === 0x08 },
  png: { name: 'a PNG picture', recognise: (head) => head.subarray(0, 8).equals(PNG_SIGNATURE) },
  html: {
    name: 'a miniconv report',
    recognise: (head) => {
      const text = head.toString('utf8');
      return text.startsWith('<!DOCTYPE html>') && (text.includes(REPORT_MARKER) || text.includes('· miniconv report</title>'));
    },
  },
};

/** How many bytes of an existing file are read to recognise its kind. */
const HEAD_BYTES = 4096;

export interface DestinationOptions {
  /** What is written (rule 4). */
  kind: FileKind;
  /** Who writes, the start of every message: 'saveModel', '--onnx', 'inspect --out'. */
  who: string;
  /** Replace an existing regular file of another kind (rule 4 only). */
  force?: boolean;
  /** The files this command reads (rule 3), with what each is: [['m.json', 'the model file']]. */
  inputs?: ReadonlyArray<readonly [path: string, role: string]>;
}

/** The first bytes of a regular file, or an empty buffer if it cannot be read (a FIFO is never opened blocking). */
function headOf(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return Buffer.alloc(0);
  } finally {
    closeSync(fd);
  }
}

/** Whether the regular file at `path` is of `kind` (its first bytes say so). */
export function isFileOfKind(path: string, kind: FileKind): boolean {
  return KINDS[kind].recognise(headOf(path));
}

/** The stat of `path` following symlinks, or null if nothing is there. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Where a file written to `path` really goes, or an Error naming the path, what is there and the
 * rule that refuses it (see the top of this file). Touches nothing.
 * @returns the target (a symlink resolved) and whether an existing file will be replaced
 */
export function checkDestination(path: string, options: DestinationOptions): { target: string; replaces: boolean } {
  const { who, kind } = options;
  const what = KINDS[kind].name;
  let target = resolve(path);
  let st: Stats | null = null;
  try {
    st = lstatSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${who}: cannot use ${path}: ${describeFsError(e)}`);
  }
  if (st?.isSymbolicLink()) {
    try {
      target = realpathSync(target);
    } catch {
      throw new Error(`${who}: ${path} is a symlink to a missing file; point it somewhere or remove it (rule: ${DESTINATION_RULES.symlink})`);
    }
    st = statSync(target);
  }
  if (!st) return { target, replaces: false };
  if (!st.isFile()) throw new Error(`${who}: ${path} is ${kindOf(st)}; refusing to replace it with ${what} (rule: ${DESTINATION_RULES.regular})`);
  for (const [input, role] of options.inputs ?? []) {
    const inSt = statOrNull(input);
    if (inSt && inSt.dev === st.dev && inSt.ino === st.ino) {
      throw new Error(`${who}: ${path} is ${role} this command reads (${input}); refusing to write ${what} over it (rule: ${DESTINATION_RULES.input})`);
    }
  }
  if (!options.force && !KINDS[kind].recognise(headOf(target))) {
    throw new Error(`${who}: ${path} exists and is not ${what}; refusing to overwrite it (rule: ${DESTINATION_RULES.kind}; pass --force to replace it)`);
  }
  return { target, replaces: true };
}

/**
 * Checks `path` (checkDestination) and writes `data` there atomically. File-system errors name
 * `path` and the reason, never the temporary file. Returns where the bytes went.
 */
export function writeDestination(path: string, data: string | Uint8Array, options: DestinationOptions): string {
  const { target } = checkDestination(path, options);
  try {
    writeFileAtomic(target, data);
  } catch (e) {
    throw new Error(`${options.who}: cannot write ${path}: ${describeFsError(e)}`);
  }
  return target;
}

/**
 * A folder that files go into (`inspect --out DIR`): created if missing; refused if something else
 * than a folder (or a symlink to one) is there. Returns its absolute path.
 */
export function prepareOutputFolder(dir: string, who: string): string {
  const abs = resolve(dir);
  const st = statOrNull(abs);
  if (st && !st.isDirectory()) throw new Error(`${who}: ${dir} is ${st.isFile() ? 'a file' : kindOf(st)}, not a folder; refusing to write into it (rule: ${DESTINATION_RULES.regular})`);
  if (!st) {
    try {
      mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw new Error(`${who}: cannot create the folder ${dir}: ${describeFsError(e)}`);
    }
  }
  return abs;
}

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
