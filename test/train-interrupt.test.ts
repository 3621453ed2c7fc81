// Issue 24 defect 9: Ctrl-C (SIGINT) or SIGTERM during `miniconv train`. The first signal abandons
// the current batch, saves the model as it was after the last finished epoch to --out (under the
// usual destination rule), says what was saved and at which epoch, and exits 130; a second signal
// exits 130 at once without writing. Tested on the real binary, spawned and signalled.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeIdx } from '../datasets/idx.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { Dense, Sequential, createRng } from '../src/index.ts';
import { loadModel, saveModel } from '../src/io/model-file.ts';
import { takeFirst } from '../src/dataset.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-sigint-'));
const data = join(dir, 'idx');
mkdirSync(data);
{
  const { train, test } = loadDigits();
  const tr = encodeIdx(takeFirst(train, 256)), te = encodeIdx(takeFirst(test, 32));
  writeFileSync(join(data, 'train-images-idx3-ubyte'), tr.images); writeFileSync(join(data, 'train-labels-idx1-ubyte'), tr.labels);
  writeFileSync(join(data, 't10k-images-idx3-ubyte'), te.images); writeFileSync(join(data, 't10k-labels-idx1-ubyte'), te.labels);
}
const bin = join(import.meta.dirname, '..', 'bin', 'miniconv.js');

/** Starts `miniconv train` on the small IDX set for many epochs; resolves output and exit code when it ends. */
function startTraining(out: string, extra: string[] = []) {
  const child: ChildProcess = spawn(process.execPath, [bin, 'train', '--data', data, '--epochs', '1000', '--batch-size', '16', '--threads', '1',
    '--augment', 'none', '--out', out, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  const waiters: Array<{ re: RegExp; done: () => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) { if (w.re.test(stdout)) w.done(); else waiters.push(w); }
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
  const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  return {
    child,
    /** Resolves once stdout matches `re`. */
    waitFor: (re: RegExp) => new Promise<void>((done) => { if (re.test(stdout)) done(); else waiters.push({ re, done }); }),
    end: async () => { const r = await ended; clearTimeout(killer); return { ...r, stdout, stderr }; },
  };
}

describe('Ctrl-C during train', () => {
  it('SIGINT after some epochs: the last finished epoch is saved, said, exit 130', async () => {
    const out = join(dir, 'interrupted.json');
    const run = startTraining(out);
    await run.waitFor(/^epoch 2\/1000: /m);
    run.child.kill('SIGINT');
    const r = await run.end();
    expect(r.code, r.stderr).toBe(130);
    const m = /^miniconv train: interrupted by SIGINT during epoch (\d+): saved the model as it was after epoch (\d+) of 1000 \(test accuracy [\d.]+%\) to (.+)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [during, after] = [Number(m![1]), Number(m![2])];
    expect(during).toBe(after + 1);
    expect(after).toBeGreaterThanOrEqual(2);
    expect(m![3]).toBe(out);
    // The file holds exactly the finished epochs: its history, its snapshots, and the epoch's test accuracy.
    const { metadata } = loadModel(out);
    expect(metadata.history).toHaveLength(after);
    expect(metadata.epochs).toBe(after);
    expect(metadata.interrupted).toEqual({ signal: 'SIGINT', epoch: during });
    expect(metadata.snapshots?.map((s) => s.label).at(-1)).toBe(`epoch ${after}`);
    const line = new RegExp(`^epoch ${after}/1000: .*test acc ([\\d.]+)%`, 'm').exec(r.stdout);
    expect(r.stderr).toContain(`(test accuracy ${line![1]}%)`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('SIGTERM before the first epoch ends: nothing saved, the previous file intact, exit 130', async () => {
    const out = join(dir, 'kept.json');
    saveModel(out, new Sequential([new Dense({ inFeatures: 4, outFeatures: 2, rng: createRng(1) })]), [4]);
    const before = readFileSync(out, 'utf8');
    const run = startTraining(out);
    await run.waitFor(/^epoch 1\/1000 batch /m);
    run.child.kill('SIGTERM');
    const r = await run.end();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^miniconv train: interrupted by SIGTERM during epoch 1: no epoch had finished, nothing was saved; .+ is as it was$/m);
    expect(readFileSync(out, 'utf8')).toBe(before);
  }, 120_000);

  it('a second signal exits 130 at once, without writing', async () => {
    const out = join(dir, 'twice.json');
    const run = startTraining(out);
    await run.waitFor(/^epoch 1\/1000: /m);
    // Two signals of one kind sent back to back may merge into one (POSIX); SIGINT then SIGTERM do not.
    run.child.kill('SIGINT');
    run.child.kill('SIGTERM');
    const r = await run.end();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/second signal: stopped at once, nothing written/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
  it('with --restore-best, SIGINT saves the best held-out epoch of the finished ones, and says which', async () => {
    const out = join(dir, 'best.json');
    // A large learning rate makes the held-out loss of this small set go up and down from epoch to epoch.
    const run = startTraining(out, ['--restore-best', '--lr', '0.3', '--momentum', '0.9']);
    await run.waitFor(/^epoch 6\/1000: /m);
    run.child.kill('SIGINT');
    const r = await run.end();
    expect(r.code, r.stderr).toBe(130);
    const m = /^miniconv train: interrupted by SIGINT during epoch (\d+): saved the model as it was after epoch (\d+) of 1000 \((.*)test accuracy ([\d.]+)%\) to /m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [during, saved] = [Number(m![1]), Number(m![2])];
    const history = loadModel(out).metadata.history!;
    expect(history).toHaveLength(during - 1);
    // The saved epoch is the one of lowest held-out loss among the finished ones (restoreBest's monitor).
    const losses = history.map((h) => (h as { testLoss?: number }).testLoss!);
    expect(losses.every((v) => Number.isFinite(v))).toBe(true);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(saved).toBe(best);
    expect(m![3]).toBe(best === during - 1 ? '' : 'the best held-out epoch of the finished ones, --restore-best; ');
    const line = new RegExp(`^epoch ${best}/1000: .*test acc ([\\d.]+)%`, 'm').exec(r.stdout);
    expect(m![4]).toBe(line![1]);
  }, 120_000);
});
