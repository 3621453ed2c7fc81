// An interrupted save (the disk fills up, the process dies mid-write) leaves the previous file intact.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const fail = { write: false, rename: false };
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (fd: number, bytes: Uint8Array, offset: number, length: number) => {
      if (fail.write) { fs.writeSync(fd, bytes, offset, Math.min(length, 100)); throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); }
      return fs.writeSync(fd, bytes, offset, length);
    },
    renameSync: (a: string, b: string) => {
      if (fail.rename) throw new Error('EIO: i/o error, rename');
      return fs.renameSync(a, b);
    },
  };
});

const { saveModel, loadModel } = await import('../src/io/model-file.ts');
const { Dense, Sequential, createRng } = await import('../src/index.ts');

const model = (seed: number) => new Sequential([new Dense({ inFeatures: 4, outFeatures: 3, rng: createRng(seed) })]);

describe('interrupted save', () => {
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-interrupt-'));
  const file = join(dir, 'model.json');
  saveModel(file, model(1), [4]);
  const before = readFileSync(file, 'utf8');

  it('a write that fails half-way leaves the previous file intact and removes the temporary file', () => {
    fail.write = true;
    expect(() => saveModel(file, model(2), [4])).toThrow(/ENOSPC/);
    fail.write = false;
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(loadModel(file).model.params()[0].value.data).toEqual(model(1).params()[0].value.data);
    expect(readdirSync(dir)).toEqual(['model.json']);
  });
  it('a failed rename leaves the previous file intact', () => {
    fail.rename = true;
    expect(() => saveModel(file, model(3), [4])).toThrow(/EIO/);
    fail.rename = false;
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['model.json']);
  });
});
