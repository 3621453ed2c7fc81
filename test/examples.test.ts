// The examples a learner copies must keep running: each is run as a learner would (tsx), in a fresh
// directory, and its output checked. (examples/mnist-train.ts trains for two minutes and is left to
// `npm start`, which runs the same training.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = import.meta.resolve('tsx');

function runExample(name: string): { code: number | null; out: string; err: string; cwd: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'miniconv-example-'));
  const r = spawnSync(process.execPath, ['--import', tsx, join(root, 'examples', name)], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, cwd };
}

const png = (file: string) => PNG.sync.read(readFileSync(file));

describe('examples', () => {
  it('quickstart.ts prints the summary and a falling loss', () => {
    const r = runExample('quickstart.ts');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Total params');
    const losses = [...r.out.matchAll(/step \d+: loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(losses.length).toBeGreaterThan(2);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const accuracy = Number(/held-out accuracy: ([\d.]+)%/.exec(r.out)?.[1]);
    expect(accuracy).toBeGreaterThan(90); // two epochs of the tiny model: 94% measured
  });

  it('augmentation.ts draws the digits as they are, after randomAffine and after randomElastic', () => {
    const r = runExample('augmentation.ts');
    expect(r.code, r.err).toBe(0);
    const image = png(join(r.cwd, 'out', 'augmentation.png'));
    expect(image.width).toBeGreaterThan(10 * 28); // ten digits a row
    expect(image.height).toBeGreaterThan(4 * 28); // four rows
  });

  it('inspect-kernels.ts writes its pictures', () => {
    const r = runExample('inspect-kernels.ts');
    expect(r.code, r.err).toBe(0);
    for (const f of ['kernels-before-after.png', 'kernels-change.png', 'featuremaps.png']) {
      expect(existsSync(join(r.cwd, 'out', f)), f).toBe(true);
      expect(png(join(r.cwd, 'out', f)).width).toBeGreaterThan(0);
    }
  });

  it('custom-layer.ts: a home-made layer passes gradCheck alone and in a model; its grad = bug is caught', () => {
    const r = runExample('custom-layer.ts');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ChannelScale alone: passed true, relative errors \{"x":/m);
    expect(r.out).toMatch(/^in a model: passed true, worst entry \{"tensor":/m);
    expect(r.out).toContain('with grad = instead of grad +=: passed false');
    expect(r.out).toMatch(/^  gain: after a second backward without zeroGrad, .* not overwrite it$/m);
  });
});
