// kernelsToAnsi's block shading (scaled to the 90th percentile of |w|, so that a long-tailed trained
// layer uses every shade) and `miniconv inspect --terminal`, which draws it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, Sequential, createRng, kernelsToAnsi } from '../src/index.ts';
import { percentileAbs } from '../src/inspect/terminal.ts';
import { saveModel } from '../src/io/model-file.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';

/** A layer like a trained one: most weights small, a few large (a Student-t-like long tail). */
function longTailedConv(): Conv2D {
  const rng = createRng(5);
  const conv = new Conv2D({ inChannels: 1, outChannels: 16, kernelSize: 5, rng, name: 'c' });
  const d = conv.weight.value.data;
  for (let k = 0; k < d.length; k++) d[k] = rng.normal() * 0.1 * (rng.uniform() < 0.03 ? 6 : 1);
  return conv;
}
const shadeShares = (s: string) => {
  const cells = [...s.matchAll(/[+-]([░▒▓█])| ·/g)].map((m) => m[1] ?? '·');
  return ['·', '░', '▒', '▓', '█'].map((c) => cells.filter((x) => x === c).length / cells.length);
};

describe('kernelsToAnsi blocks', () => {
  it('percentileAbs is the nearest-rank percentile of |v|', () => {
    expect(percentileAbs([-4, 1, -2, 3], 0.5)).toBe(2);
    expect(percentileAbs([-4, 1, -2, 3], 0.9)).toBe(4);
    expect(percentileAbs([], 0.9)).toBe(0);
  });

  it('a long-tailed layer uses every shade; scaled to the largest |w| it would crowd into the palest two', () => {
    const conv = longTailedConv();
    const shares = shadeShares(kernelsToAnsi(conv, { color: 'blocks', width: 400 }));
    for (const s of shares) expect(s).toBeGreaterThan(0.08);
    const old = shadeShares(kernelsToAnsi(conv, { color: 'blocks', width: 400, maxAbs: percentileAbs(conv.weight.value.data, 1) }));
    expect(old[0] + old[1]).toBeGreaterThan(0.8);
    expect(shares[0] + shares[1]).toBeLessThan(0.55);
  });

  it('the header says where the scale ends', () => {
    expect(kernelsToAnsi(longTailedConv(), { color: 'blocks' })).toMatch(/the 90th percentile of \|w\|; larger weights too/);
  });
});

describe('miniconv inspect --terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-explain-terminal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rng = createRng(1);
  const model = new Sequential([new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, rng, name: 'conv1' }), new Flatten(), new Dense({ inFeatures: 4 * 26 * 26, outFeatures: 10, rng })]);
  const file = join(dir, 'm.json');
  saveModel(file, model, [1, 28, 28]);
  const noConv = join(dir, 'dense.json');
  saveModel(noConv, new Sequential([new Flatten(), new Dense({ inFeatures: 784, outFeatures: 10, rng })]), [1, 28, 28]);
  const run = async (...argv: string[]) => {
    const out: string[] = [], err: string[] = [];
    const code = await main(['inspect', ...argv], { io: { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false }, data: dataLoaders });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('draws every Conv2D layer\'s kernels as plain blocks without a terminal, and writes nothing', async () => {
    const r = await run(file, '--terminal');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^conv1 {2}4×1×3×3 {3}shade = /);
    expect(r.out).not.toContain('\x1b');
    expect(r.out).toContain(kernelsToAnsi(model.layers[0] as Conv2D, { color: 'blocks', width: process.stdout.columns ?? 100 }).split('\n')[3]);
  });

  it('refuses --out, --index or --image beside it (exit 2), and a model without Conv2D (exit 1)', async () => {
    const r = await run(file, '--terminal', '--out', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^miniconv inspect: --terminal writes no files and draws no digit; give it without --out\n\nUsage: miniconv inspect/);
    expect((await run(file, '--terminal', '--index', '3')).code).toBe(2);
    const n = await run(noConv, '--terminal');
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/has no Conv2D layer .*there are no kernels to draw/);
  });
});

describe('miniconv train --snapshots', () => {
  it('is on by default (about 4% of the model file, no measurable time); --no-snapshots turns it off', async () => {
    const { buildProgram } = await import('../src/cli/main.ts');
    const ctx = { io: { out: () => {}, err: () => {}, isTTY: false }, data: dataLoaders };
    const train = () => buildProgram(ctx).commands.find((c) => c.name() === 'train')!;
    expect(train().opts().snapshots).toBe(true);
    const off = train();
    off.parseOptions(['--no-snapshots']);
    expect(off.opts().snapshots).toBe(false);
    const on = train();
    on.parseOptions(['--snapshots']);
    expect(on.opts().snapshots).toBe(true);
  });
});
