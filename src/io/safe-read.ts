// Bounded file reads. Every file miniconv reads (pictures, model files, IDX data) goes through
// readRegularFile: it opens the path, checks on the open descriptor (so the answer cannot change
// between the check and the read) that it is a regular file, not a directory, a device such as
// /dev/zero, a FIFO or a socket, and that its size is under a cap; then it reads at most that many
// bytes. A symlink is followed to its target and the target is checked.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Default caps, in bytes; each reader takes its own `maxBytes` option to raise them. */
export const MAX_PICTURE_BYTES = 64 * 1024 * 1024; // a 50-megapixel phone JPEG is about 25 MB
export const MAX_MODEL_BYTES = 256 * 1024 * 1024; // the default model is about 1 MB; snapshots add little
export const MAX_IDX_BYTES = 256 * 1024 * 1024; // the full MNIST training images are 47 MB unzipped

/** "12.3 MB" for error messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** What a path that is not a regular file is, for error messages ('a directory', 'a named pipe (FIFO)', ...). */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes. `what` names the caller in every error
 * ("loadModel", "picture"...), e.g. `loadModel: no such file: m.json`, `loadModel: /dev/zero is a
 * character device, not a regular file`, `loadModel: big.json is 300.0 MB, above the limit of 256.0 MB`.
 */
export function readRegularFile(path: string, maxBytes: number, what: string): Buffer {
  if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) throw new RangeError(`${what}: maxBytes must be an integer >= 0, got ${maxBytes}`);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for ever before fstat can refuse it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw openError(e, path, what);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${what}: ${path} is ${kindOf(st)}, not a regular file`);
    if (st.size > maxBytes) {
      throw new Error(`${what}: ${path} is ${formatBytes(st.size)}, above the limit of ${formatBytes(maxBytes)}`);
    }
    // Read up to the size seen, plus one byte to notice a file that grows while we read it.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes, st.size) + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got === buf.length) {
        if (got > maxBytes) throw new Error(`${what}: ${path} grew beyond the limit of ${formatBytes(maxBytes)} while being read`);
        throw new Error(`${what}: ${path} changed size while being read; try again`);
      }
    }
    return buf.subarray(0, got);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${what}: `)) throw e;
    throw new Error(`${what}: cannot read ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function openError(e: unknown, path: string, what: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`${what}: no such file: ${path}`);
  if (code === 'EACCES' || code === 'EPERM') return new Error(`${what}: cannot read ${path}: permission denied`);
  if (code === 'EISDIR') return new Error(`${what}: ${path} is a directory, not a regular file`);
  if (code === 'ELOOP') return new Error(`${what}: ${path} is a symlink loop`);
  return new Error(`${what}: cannot read ${path}: ${(e as Error).message}`);
}
