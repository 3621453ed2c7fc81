// Issue 24 defect 7: a blank page (white, grey 250, transparent, a white JPEG, with or without a
// little sensor noise) is not a digit. preprocessDigit (the library function that predict, inspect
// --image and the page share) says "no digit found" when no ink is separated from the background,
// and the commands exit 1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, createRng } from '../src/index.ts';
import { saveModel } from '../src/io/model-file.ts';
import { preprocessDigit } from '../src/io/clean-picture.ts';
import { runCli as run } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-blank-'));
const rng = createRng(3);
const modelFile = join(dir, 'm.json');
saveModel(modelFile, new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
  new Flatten(), new Dense({ inFeatures: 2 * 14 * 14, outFeatures: 10, rng }),
]), [1, 28, 28]);

/** A 50x50 RGBA picture of one colour, plus up to ±noise grey levels of seeded noise. */
function uniform(v: number, alpha = 255, noise = 0): Uint8Array {
  const r = createRng(9);
  const data = new Uint8Array(50 * 50 * 4);
  for (let i = 0; i < 50 * 50; i++) {
    const g = Math.max(0, Math.min(255, v + Math.round((2 * r.uniform() - 1) * noise)));
    data.set([g, g, g, alpha], 4 * i);
  }
  return data;
}
const BLANKS: Array<[string, Uint8Array]> = [
  ['white', uniform(255)], ['grey 250', uniform(250)], ['transparent', uniform(0, 0)], ['transparent white', uniform(255, 0)],
  ['white with noise ±3', uniform(252, 255, 3)], ['black', uniform(0)], ['grey 128', uniform(128)], ['black with noise ±3', uniform(3, 255, 3)],
];

describe('a blank page is not a digit', () => {
  it.each(BLANKS)('preprocessDigit: %s 50x50 -> "no digit found"', (name, rgba) => {
    expect(() => preprocessDigit(rgba, 50, 50, { source: name })).toThrow(`${name}: no digit found`);
  });

  it('predict and inspect --image on a white PNG, a transparent PNG and a white JPEG: "no digit found", exit 1', async () => {
    const files: string[] = [];
    for (const [name, rgba] of [['white.png', uniform(255)], ['transparent.png', uniform(0, 0)], ['grey250.png', uniform(250)]] as const) {
      const png = new PNG({ width: 50, height: 50 });
      png.data.set(rgba);
      writeFileSync(join(dir, name), PNG.sync.write(png));
      files.push(join(dir, name));
    }
    writeFileSync(join(dir, 'white.jpg'), jpeg.encode({ data: uniform(255), width: 50, height: 50 }, 90).data);
    files.push(join(dir, 'white.jpg'));
    for (const f of files) {
      const r = await run('predict', modelFile, f);
      expect(r.code, f).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(new RegExp(`^miniconv predict: ${f.replace(/[.]/g, '\\.')}: no digit found`));
    }
    const many = await run('predict', modelFile, ...files);
    expect(many.code).toBe(1);
    expect(many.out).toBe('');
    const i = await run('inspect', modelFile, '--image', files[0], '--out', join(dir, 'inspect'));
    expect(i.code).toBe(1);
    expect(i.err).toContain('no digit found');
  }, 60_000);
});
