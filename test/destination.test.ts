// Issue 24 defect 1: ONE destination rule for every file miniconv writes (src/io/destination.ts).
// `export --onnx`, `predict --save-input`, `import --out`, `inspect --out DIR` (and the files inside
// it) and `train --out` refuse a non-regular file, write through a symlink without replacing it,
// refuse a file of another kind unless --force, refuse their own input, and say which rule applied.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, createRng } from '../src/index.ts';
import { DESTINATION_RULES } from '../src/io/destination.ts';
import { saveModel } from '../src/io/model-file.ts';
import { runCli as run } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-dest-'));
const rng = createRng(3);
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
  new Flatten(), new Dense({ inFeatures: 2 * 14 * 14, outFeatures: 10, rng }),
]);
const modelFile = join(dir, 'm.json');
saveModel(modelFile, model, [1, 28, 28]);
const modelText = readFileSync(modelFile, 'utf8');
/** A dark 7-ish stroke on white, 56x56. */
const picture = join(dir, 'seven.png');
{
  const png = new PNG({ width: 56, height: 56 });
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) {
    const ink = (y >= 10 && y < 16 && x >= 12 && x < 44) || (x >= 30 && x < 36 && y >= 10 && y < 48);
    const o = 4 * (y * 56 + x);
    png.data[o] = png.data[o + 1] = png.data[o + 2] = ink ? 0 : 255; png.data[o + 3] = 255;
  }
  writeFileSync(picture, PNG.sync.write(png));
}
const pictureBytes = readFileSync(picture);
const fifo = (name: string) => { const p = join(dir, name); execFileSync('mkfifo', [p], { timeout: 10_000 }); return p; };
const notes = (name: string) => { const p = join(dir, name); writeFileSync(p, 'my notes'); return p; };
const rule = (r: keyof typeof DESTINATION_RULES) => `(rule: ${DESTINATION_RULES[r]}`;

describe('export --onnx follows the destination rule', () => {
  it('export m.json --onnx m.json is refused (its own input): the trained model stays', async () => {
    const r = await run('export', modelFile, '--onnx', modelFile, '--force');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`is the model file this command reads`);
    expect(r.err).toContain(rule('input'));
    expect(readFileSync(modelFile, 'utf8')).toBe(modelText);
  });
  it('--onnx notes.txt is refused unless --force; a FIFO and a folder always', async () => {
    const txt = notes('notes-onnx.txt');
    const r = await run('export', modelFile, '--onnx', txt);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`miniconv export: --onnx: ${txt} exists and is not an ONNX file; refusing to overwrite it ${rule('kind')}; pass --force to replace it)`);
    expect(readFileSync(txt, 'utf8')).toBe('my notes');
    const p = fifo('out.onnx');
    const f = await run('export', modelFile, '--onnx', p, '--force');
    expect(f.err).toContain(`is a named pipe (FIFO); refusing to replace it with an ONNX file ${rule('regular')}`);
    expect(lstatSync(p).isFIFO()).toBe(true);
    expect((await run('export', modelFile, '--onnx', dir, '--force')).err).toContain(`is a directory; refusing to replace it`);
    expect((await run('export', modelFile, '--onnx', txt, '--force')).code).toBe(0);
    expect(readFileSync(txt)[0]).toBe(0x08);
    // Once ONNX, it is replaced without --force.
    expect((await run('export', modelFile, '--onnx', txt)).code).toBe(0);
  });
  it('--onnx through a symlink replaces the file it points to; the link stays', async () => {
    const real = join(dir, 'real.onnx'), link = join(dir, 'link.onnx');
    expect((await run('export', modelFile, '--onnx', real)).code).toBe(0);
    symlinkSync(real, link);
    expect((await run('export', modelFile, '--onnx', link)).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
  });
});

describe('import --out follows the destination rule', () => {
  const onnx = join(dir, 'net.onnx');
  it('refuses a foreign file (also through a symlink) and the .onnx input itself', async () => {
    expect((await run('export', modelFile, '--onnx', onnx)).code).toBe(0);
    const onnxBytes = readFileSync(onnx);
    const txt = notes('notes-import.txt');
    const r = await run('import', onnx, '--out', txt);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`--out: ${txt} exists and is not a miniconv model file; refusing to overwrite it ${rule('kind')}`);
    const link = join(dir, 'to-notes.json');
    symlinkSync(txt, link);
    expect((await run('import', onnx, '--out', link)).err).toContain(`exists and is not a miniconv model file`);
    expect(readFileSync(txt, 'utf8')).toBe('my notes');
    const self = await run('import', onnx, '--out', onnx, '--force');
    expect(self.err).toContain(`is the ONNX file this command reads`);
    expect(readFileSync(onnx)).toEqual(onnxBytes);
    expect((await run('import', onnx, '--out', join(dir, 'imported.json'))).code).toBe(0);
  });
});

describe('predict --save-input follows the destination rule', () => {
  it('refuses a text file, a FIFO, the picture itself and the model, before predicting', async () => {
    const txt = notes('notes-save.txt');
    const r = await run('predict', modelFile, picture, '--save-input', txt);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`--save-input: ${txt} exists and is not a PNG picture; refusing to overwrite it ${rule('kind')}`);
    expect(readFileSync(txt, 'utf8')).toBe('my notes');
    const p = fifo('seen.png');
    expect((await run('predict', modelFile, picture, '--save-input', p, '--force')).err).toContain('is a named pipe (FIFO)');
    expect(lstatSync(p).isFIFO()).toBe(true);
    const self = await run('predict', modelFile, picture, '--save-input', picture, '--force');
    expect(self.err).toContain(`is a picture this command reads`);
    expect(readFileSync(picture)).toEqual(pictureBytes);
    expect((await run('predict', modelFile, picture, '--save-input', modelFile, '--force')).err).toContain('is the model file this command reads');
    expect(readFileSync(modelFile, 'utf8')).toBe(modelText);
    const ok = join(dir, 'seen-ok.png');
    expect((await run('predict', modelFile, picture, '--save-input', ok)).code).toBe(0);
    expect((await run('predict', modelFile, picture, '--save-input', ok)).code).toBe(0); // a PNG is replaced
  });
});

describe('inspect --out DIR follows the destination rule, for DIR and every file in it', () => {
  it('refuses a FIFO named featuremaps.png and a foreign report.html, before writing anything; --force for the latter', async () => {
    const out = join(dir, 'inspect-out');
    mkdirSync(out);
    const p = join(out, 'featuremaps.png');
    execFileSync('mkfifo', [p], { timeout: 10_000 });
    const r = await run('inspect', modelFile, '--out', out, '--force');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`inspect --out: ${p} is a named pipe (FIFO); refusing to replace it with a PNG picture ${rule('regular')}`);
    expect(lstatSync(p).isFIFO()).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(false); // nothing written
    execFileSync('rm', [p], { timeout: 10_000 });
    const html = join(out, 'report.html');
    writeFileSync(html, '<html>my own page</html>');
    expect((await run('inspect', modelFile, '--out', out)).err).toContain(`${html} exists and is not a miniconv report`);
    expect(readFileSync(html, 'utf8')).toBe('<html>my own page</html>');
    expect((await run('inspect', modelFile, '--out', out, '--force')).code).toBe(0);
    expect((await run('inspect', modelFile, '--out', out)).code).toBe(0); // its own files are replaced
    const file = notes('not-a-folder');
    expect((await run('inspect', modelFile, '--out', file)).err).toContain(`${file} is a file, not a folder`);
  }, 60_000);
});

describe('train --out follows the destination rule', () => {
  it('train --arch A.json --out A.json --force is refused before training: the architecture file stays', async () => {
    const arch = join(dir, 'tiny-arch.json');
    const text = JSON.stringify({ inputShape: [1, 28, 28], architecture: { type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Dense', inFeatures: 784, outFeatures: 10 }] } });
    writeFileSync(arch, text);
    const r = await run('train', '--arch', arch, '--out', arch, '--force', '--epochs', '1', '--threads', '1', '--batch-size', '256');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`miniconv train: saveModel: ${arch} is the --arch file this command reads (${arch}); refusing to write a miniconv model file over it ${rule('input')})`);
    expect(readFileSync(arch, 'utf8')).toBe(text);
  }, 60_000);
});
