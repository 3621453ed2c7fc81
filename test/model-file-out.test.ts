// `train --out`: what a model file may replace, checked before training; a failed save keeps the
// model and says where; leftovers of interrupted saves are cleaned; loadModel's bounded read.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dense, Sequential, createRng } from '../src/index.ts';
import {
  ModelSaveError, checkModelDestination, cleanStaleTemps, isModelFile, loadModel, prepareModelDestination, saveModel, saveTrainedModel,
} from '../src/io/model-file.ts';

const model = (seed: number) => new Sequential([new Dense({ inFeatures: 4, outFeatures: 3, rng: createRng(seed) })]);
const dir = mkdtempSync(join(tmpdir(), 'miniconv-out-'));
const isRoot = process.getuid?.() === 0;

describe('checking a destination before training', () => {
  it('accepts a new path and an existing model file', () => {
    expect(checkModelDestination(join(dir, 'new.json'))).toEqual({ target: join(dir, 'new.json'), replaces: false });
    saveModel(join(dir, 'old.json'), model(1), [4]);
    expect(isModelFile(join(dir, 'old.json'))).toBe(true);
    expect(checkModelDestination(join(dir, 'old.json'))).toEqual({ target: join(dir, 'old.json'), replaces: true });
  });

  it('refuses to overwrite a file that is not a model unless forced', () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes');
    expect(() => checkModelDestination(notes)).toThrow(`saveModel: ${notes} exists and is not a miniconv model file; refusing to overwrite it (rule: an existing file is replaced only by a file of its own kind; pass --force to replace it)`);
    expect(checkModelDestination(notes, { force: true }).replaces).toBe(true);
    expect(readFileSync(notes, 'utf8')).toBe('my notes');
  });

  it('refuses a directory and a device, even when forced; saveModel refuses them too', () => {
    expect(() => checkModelDestination(dir, { force: true })).toThrow(`saveModel: ${dir} is a directory; refusing to replace it with a miniconv model file`);
    expect(() => checkModelDestination('/dev/null', { force: true })).toThrow('saveModel: /dev/null is a character device; refusing to replace it with a miniconv model file');
    expect(() => saveModel('/dev/null', model(1), [4])).toThrow('saveModel: /dev/null is a character device');
    expect(existsSync('/dev/null')).toBe(true);
  });

  it('writes through a symlink: the file it points to is replaced, the link stays; a dangling link is refused', () => {
    const real = join(dir, 'digits-v3.json'), link = join(dir, 'latest.json');
    saveModel(real, model(1), [4]);
    symlinkSync(real, link);
    expect(checkModelDestination(link).target).toBe(real);
    saveModel(link, model(2), [4]);
    expect(readlinkSync(link)).toBe(real);
    expect(loadModel(real).model.params()[0].value.data).toEqual(model(2).params()[0].value.data);
    const toDevice = join(dir, 'to-null.json');
    symlinkSync('/dev/null', toDevice);
    expect(() => checkModelDestination(toDevice, { force: true })).toThrow(`saveModel: ${toDevice} is a character device`);
    const dangling = join(dir, 'dangling.json');
    symlinkSync(join(dir, 'nowhere', 'x.json'), dangling);
    expect(() => checkModelDestination(dangling)).toThrow(`saveModel: ${dangling} is a symlink to a missing file`);
  });

  it('prepareModelDestination creates the folder and proves it writable; an unwritable place fails before training', () => {
    const deep = join(dir, 'a', 'b', 'm.json');
    expect(prepareModelDestination(deep).target).toBe(deep);
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual([]); // the probe is gone
    expect(() => prepareModelDestination('/proc/m.json')).toThrow(/^saveModel: cannot write in \/proc \(for \/proc\/m\.json\): /);
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(() => prepareModelDestination(join(file, 'm.json'))).toThrow(/^saveModel: (cannot use|cannot create the folder)/);
    if (!isRoot) {
      const ro = join(dir, 'readonly');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      expect(() => prepareModelDestination(join(ro, 'm.json'))).toThrow(`saveModel: cannot write in ${ro} (for ${join(ro, 'm.json')}): permission denied (EACCES)`);
      chmodSync(ro, 0o700);
    }
  });

  it('cleans the temporary files of interrupted saves (dead processes, or older than an hour), not others', () => {
    const sub = join(dir, 'tmps');
    mkdirSync(sub);
    const target = join(sub, 'm.json');
    const dead = join(sub, `.m.json.999999999.${Date.now()}.tmp`);
    const old = join(sub, `.m.json.${process.pid}.${Date.now() - 2 * 3600_000}.tmp`);
    const mine = join(sub, `.m.json.${process.pid}.${Date.now()}.tmp`);
    const otherModel = join(sub, `.other.json.999999999.${Date.now()}.tmp`);
    for (const f of [dead, old, mine, otherModel]) writeFileSync(f, 'partial');
    expect(cleanStaleTemps(target).sort()).toEqual([dead, old].sort());
    expect(existsSync(mine) && existsSync(otherModel)).toBe(true);
    rmSync(mine);
    expect(prepareModelDestination(target).removed).toEqual([]);
  });
});

describe('a save that fails keeps the model', () => {
  it('saves next to the destination when only the destination fails, naming the failed path and why', () => {
    const sub = join(dir, 'keep');
    mkdirSync(join(sub, 'm.json'), { recursive: true }); // a folder where the file should go
    let err: unknown;
    try { saveTrainedModel(join(sub, 'm.json'), model(3), [4]); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ModelSaveError);
    const { message, keptAt } = err as ModelSaveError;
    expect(message).toMatch(new RegExp(`^saveModel: could not save the model to ${join(sub, 'm.json')}: .*is a directory.*; the trained model was saved to ${sub}/m\\.recovered-[0-9TZ-]+\\.json instead$`));
    expect(loadModel(keptAt!).model.params()[0].value.data).toEqual(model(3).params()[0].value.data);
  });

  it('saves in the temp directory when the destination\'s folder is gone', () => {
    const gone = join(dir, 'gone', 'sub', 'm.json');
    let err: ModelSaveError | undefined;
    try { saveTrainedModel(gone, model(4), [4]); } catch (e) { err = e as ModelSaveError; }
    expect(err?.message).toMatch(/no such file or folder \(ENOENT\); the trained model was saved to .*miniconv-m-.*\.json instead$/);
    expect(err!.keptAt!.startsWith(tmpdir())).toBe(true);
    expect(loadModel(err!.keptAt!).model.params()[0].value.data).toEqual(model(4).params()[0].value.data);
    rmSync(err!.keptAt!);
  });

  it('returns the destination when all goes well', () => {
    expect(saveTrainedModel(join(dir, 'fine.json'), model(5), [4])).toEqual({ savedTo: join(dir, 'fine.json') });
  });
});

describe('loadModel reads boundedly', () => {
  it('refuses a device, a directory and a file above the cap', () => {
    expect(() => loadModel('/dev/zero')).toThrow('loadModel: /dev/zero is a character device, not a regular file');
    const link = join(dir, 'zero.json');
    symlinkSync('/dev/zero', link);
    expect(() => loadModel(link)).toThrow(`loadModel: ${link} is a character device, not a regular file`);
    expect(() => loadModel(dir)).toThrow(`loadModel: ${dir} is a directory, not a regular file`);
    saveModel(join(dir, 'cap.json'), model(6), [4]);
    expect(() => loadModel(join(dir, 'cap.json'), { maxBytes: 100 })).toThrow(/^loadModel: .*cap\.json is [\d.]+ (bytes|KB), above the limit of 100 bytes$/);
  });
});
