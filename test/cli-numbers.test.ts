// Issue 24 defect 10, its command-line parts: numbers on the command line are read in decimal only
// and within documented bounds, so that a typo fails at parsing (exit 2) instead of training with a
// surprise or failing after set-up; and a corrupt weight's length is told in words that make sense.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZE, MAX_FILE_MB } from '../src/cli/parse.ts';
import { Dense, Sequential, createRng } from '../src/index.ts';
import { loadModel, saveModel } from '../src/io/model-file.ts';
import { runCli as run } from './cli-run.ts';

const firstLine = (s: string) => s.split('\n')[0];

describe('numbers on the command line', () => {
  it('--lr 0x10 is refused (not read as 16): only decimal numbers', async () => {
    for (const v of ['0x10', '0b11', '0o7', 'Infinity', '1_000', ' 0.1']) {
      const r = await run('train', '--lr', v, '--epochs', '1');
      expect(r.code, v).toBe(2);
      expect(firstLine(r.err)).toBe(`miniconv train: --lr must be a decimal number >= 0 (for example --lr 0.02), got '${v}'`);
    }
    const r = await run('train', '--epochs', '0x3');
    expect(r.code).toBe(2);
    expect(firstLine(r.err)).toBe(`miniconv train: --epochs must be an integer from 1 to 10000, in decimal digits (for example --epochs 3), got '0x3'`);
  });

  it('--batch-size 1e9 and --max-file-mb 1e308 fail at parsing with exit 2, naming the documented bound', async () => {
    for (const v of ['1e9', '1000000000', String(MAX_BATCH_SIZE + 1)]) {
      const r = await run('train', '--batch-size', v);
      expect(r.code, v).toBe(2);
      expect(r.out).toBe('');
      expect(firstLine(r.err)).toBe(`miniconv train: --batch-size must be an integer from 1 to ${MAX_BATCH_SIZE}, in decimal digits (for example --batch-size 32), got '${v}'`);
    }
    for (const args of [['summary', 'm.json'], ['predict', 'm.json', 'a.png'], ['train']]) {
      const r = await run(...args, '--max-file-mb', '1e308');
      expect(r.code, args[0]).toBe(2);
      expect(firstLine(r.err)).toBe(`miniconv ${args[0]}: --max-file-mb must be an integer from 1 to ${MAX_FILE_MB}, in decimal digits (for example --max-file-mb 512), got '1e308'`);
    }
    expect((await run('summary', 'm.json', '--max-file-mb', String(MAX_FILE_MB + 1))).code).toBe(2);
    // The bounds are in the help.
    const help = (await run('train', '--help')).out;
    expect(help).toContain(`at most ${MAX_BATCH_SIZE}`);
    expect(help).toContain(`at most ${MAX_FILE_MB}`);
  });

  it('a weight whose data is not a whole number of float32 values is told in bytes, not "70.5 values"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'miniconv-numbers-'));
    const file = join(dir, 'm.json');
    saveModel(file, new Sequential([new Dense({ inFeatures: 7, outFeatures: 10, rng: createRng(1) })]), [7]);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.weights['dense_1.weight'].data = Buffer.alloc(282).toString('base64');
    writeFileSync(file, JSON.stringify(doc));
    expect(() => loadModel(file)).toThrow(`loadModel: ${file}: weight 'dense_1.weight' holds 282 bytes, not a whole number of float32 values (4 bytes each); expected 280 bytes (70 values) for shape [10, 7]`);
  });
});
