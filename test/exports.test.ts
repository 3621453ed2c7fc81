// The package's entry points (package.json `exports`), imported the way a user's code does: by the
// package name, run by Node (through tsx) from outside the test runner.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = import.meta.resolve('tsx');

/** The export names of `entry` as Node sees them, imported from a script inside the package. */
function exportNames(entry: string): string[] {
  const code = `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
  const r = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`import ${entry} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
}

describe('package entry points', () => {
  it("'miniconv' has what README shows: layers, loss, optimizer, training, gradCheck, model files, pictures, the backend", () => {
    const names = exportNames('miniconv');
    for (const n of ['Tensor', 'Conv2D', 'ReLU', 'MaxPool2D', 'Dense', 'Flatten', 'Sequential', 'softmaxCrossEntropy', 'SGD', 'createRng',
      'gradCheck', 'fit', 'fitAsync', 'evaluate', 'trainStep', 'saveModel', 'loadModel', 'renderKernelGridPng', 'kernelsToAnsi',
      'setDefaultBackend', 'randn', 'awayFromZero', 'distinct']) {
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

  it('every file package.json exports exists', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    for (const target of Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)))) {
      expect(() => readFileSync(join(root, target)), target).not.toThrow();
    }
  });
});
