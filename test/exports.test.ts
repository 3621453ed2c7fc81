// The package's entry points (package.json `exports`), imported the way a user's code does: by the
// package name, run by Node (through tsx) from outside the test runner. In this repository the
// entries resolve to the TypeScript sources, through the "miniconv-source" condition; an installed
// package resolves them to its compiled dist/ (test/pack.test.ts installs one and runs it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = import.meta.resolve('tsx');
const SOURCE = 'miniconv-source';

type Target = string | { [condition: string]: Target };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string; types: string; exports: Record<string, Target>; files: string[]; bin: Record<string, string>;
  scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

/**
 * Runs `code` as a module inside the package (so 'miniconv' is the package itself), with tsx when it
 * loads TypeScript (not to resolve names only); its last line of output, parsed.
 */
function evalInPackage(code: string, conditions: string[] = [SOURCE], loader = true): unknown {
  const args = [...conditions.map((c) => `--conditions=${c}`), ...(loader ? ['--import', tsx] : []), '--input-type=module', '-e', code];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The export names of `entry` as Node sees them. */
function exportNames(entry: string): string[] {
  return evalInPackage(`const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).sort()));`) as string[];
}

/** Every (conditions, file) pair an exports target leads to. */
function leaves(target: Target, conditions: string[] = []): Array<{ conditions: string[]; file: string }> {
  if (typeof target === 'string') return [{ conditions, file: target }];
  return Object.entries(target).flatMap(([c, t]) => leaves(t, [...conditions, c]));
}

/** The source file a dist/ file is compiled or copied from: dist/src/a.js and dist/src/a.d.ts <- src/a.ts; dist/build/k.wasm <- build/k.wasm. */
function sourceOf(distFile: string): string {
  const rel = distFile.replace(/^\.\/dist\//, '');
  return /\.(d\.ts|js)$/.test(rel) ? rel.replace(/\.(d\.ts|js)$/, '.ts') : rel;
}

describe('package entry points', () => {
  it("'miniconv' has what README shows: layers, loss, optimizer, training, gradCheck, model files, pictures, the backend", () => {
    const names = exportNames('miniconv');
    for (const n of ['Tensor', 'Conv2D', 'ReLU', 'MaxPool2D', 'Dense', 'Flatten', 'Sequential', 'softmaxCrossEntropy', 'SGD', 'createRng',
      'gradCheck', 'fit', 'fitAsync', 'evaluate', 'trainStep', 'saveModel', 'loadModel', 'renderKernelGridPng', 'kernelsToAnsi',
      'setDefaultBackend', 'wasmStatus', 'randn', 'awayFromZero', 'distinct']) {
      expect(names, n).toContain(n);
    }
    // Internals stay behind their own entries.
    for (const n of ['createWorkspace', 'ParallelTrainer', 'createDigitModel', 'conv2dForwardNaive']) expect(names, n).not.toContain(n);
  });

  it("'miniconv/kernels', 'miniconv/digits' and 'miniconv/datasets'", () => {
    expect(exportNames('miniconv/kernels')).toEqual(expect.arrayContaining(['conv2dForwardNaive', 'conv2dForwardFast', 'conv2dKernels', 'resolveKernels', 'createWorkspace']));
    expect(exportNames('miniconv/digits')).toEqual(expect.arrayContaining(['createDigitModel', 'DIGIT_DEFAULTS', 'toMnistDigit']));
    expect(exportNames('miniconv/datasets')).toEqual(expect.arrayContaining(['loadDigits', 'loadIdxMnist']));
  });

  // (Without the condition, in an installed package, they are dist/'s files: test/pack.test.ts.)
  it('in the repository the entries are the sources: the Node entry, the browser one, and the wasm files', () => {
    const resolved = evalInPackage(`console.log(JSON.stringify(['miniconv', 'miniconv/datasets', 'miniconv/wasm/kernels.wasm'].map((e) => import.meta.resolve(e))));`, [SOURCE], false) as string[];
    expect(resolved).toEqual(['src/index.ts', 'datasets/index.ts', 'build/kernels.wasm'].map((f) => pathToFileURL(join(root, f)).href));
    const browser = evalInPackage(`console.log(JSON.stringify(import.meta.resolve('miniconv')));`, [SOURCE, 'browser'], false);
    expect(browser).toBe(pathToFileURL(join(root, 'src', 'index.browser.ts')).href);
  });

  it('every target exists: the sources, and for each dist/ file the source it is built from', () => {
    const all = Object.entries(pkg.exports).flatMap(([entry, target]) => leaves(target).map((l) => ({ entry, ...l })));
    expect(all.length).toBeGreaterThan(15);
    for (const { entry, conditions, file } of all) {
      const what = `${entry} [${conditions.join(' > ')}] ${file}`;
      if (conditions.includes(SOURCE) || entry === './package.json') expect(existsSync(join(root, file)), what).toBe(true);
      else {
        expect(file.startsWith('./dist/'), what).toBe(true);
        expect(existsSync(join(root, sourceOf(file))), `${what} is built from ${sourceOf(file)}`).toBe(true);
      }
    }
    for (const file of [pkg.main, pkg.types]) expect(existsSync(join(root, sourceOf(file))), file).toBe(true);
  });

  it('every conditional entry: the sources first, then types before code, and a default', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      const keys = Object.keys(target);
      expect(keys[0], entry).toBe(SOURCE);
      expect(keys[keys.length - 1], entry).toBe('default');
      if (keys.includes('types')) expect(keys.indexOf('types'), entry).toBeLessThan(keys.indexOf('default'));
      // The source and compiled sides name the same module.
      const src = leaves(target[SOURCE]).map((l) => l.file.replace(/^\.\//, ''));
      const built = leaves(target).filter((l) => !l.conditions.includes(SOURCE) && !l.conditions.includes('types')).map((l) => sourceOf(l.file));
      expect(new Set(built), entry).toEqual(new Set(src));
    }
  });
});

describe('package.json for an install anywhere', () => {
  it('ships dist/ and the bin only, runs nothing at install time, and needs no TypeScript loader', () => {
    expect(pkg.files).toEqual(['dist', 'bin/miniconv.js']);
    expect(pkg.bin).toEqual({ miniconv: 'bin/miniconv.js' });
    // npm runs these in a consumer's install; the wasm is prebuilt instead (prepare runs only here).
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts[s], s).toBeUndefined();
    expect(pkg.scripts.prepare).toContain('build:wasm');
    expect(pkg.scripts.prepack).toBe('npm run build');
    for (const dev of ['tsx', 'typescript', 'assemblyscript']) {
      expect(pkg.dependencies[dev], dev).toBeUndefined();
      expect(pkg.devDependencies[dev], dev).toBeDefined();
    }
    expect(pkg.dependencies.mnist).toBeDefined(); // the bundled digits, needed at run time
  });
});
