// Dependencies run one way: datasets/ may import src/, src/ never imports datasets/ (the command
// line gets the loaders from its entry point, bin/main.ts). And the training loop that a browser
// page imports reaches no Node-only module.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.mts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or with import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|(?<!typeof )import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    specs.push(m[1] ?? m[2] ?? m[3]);
  }
  return specs;
}

/** The files a module reaches through relative imports, itself included. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
  };
  visit(entry);
  return seen;
}

describe('dependency direction', () => {
  it('no file in src/ imports datasets/', () => {
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(40);
    const offenders = files.flatMap((f) => importsOf(f)
      .filter((spec) => spec.startsWith('.') && relative(root, resolve(dirname(f), spec)).split(/[\\/]/)[0] === 'datasets')
      .map((spec) => `${relative(root, f)} imports ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('the import scanner sees the imports it is meant to catch', () => {
    // datasets/ does import src/: the scanner must find that, or the test above proves nothing.
    const specs = importsOf(join(root, 'datasets', 'mnist.ts'));
    expect(specs).toContain('../src/rng.ts');
    expect(importsOf(join(root, 'bin', 'main.ts'))).toContain('../datasets/mnist.ts');
  });

  it('the training loop (fit.ts, the step, metrics) and the browser entry reach no Node-only module', () => {
    for (const entry of ['train/index.ts', 'train/fit.ts', 'train/step.ts', 'train/metrics.ts', 'index.browser.ts']) {
      const nodeOnly = [...closure(join(src, entry))].flatMap((f) => importsOf(f)
        .filter((spec) => spec.startsWith('node:') || ['worker_threads', 'os', 'fs', 'path', 'pngjs'].includes(spec))
        .map((spec) => `${relative(root, f)} imports ${spec}`));
      expect(nodeOnly, entry).toEqual([]);
    }
    // ... while the threaded trainer, reached only when loaded on purpose, does.
    expect(importsOf(join(src, 'train', 'parallel.ts'))).toContain('node:worker_threads');
  });
});

describe('rooms (issue 26)', () => {
  const files = sourceFiles(src);
  const direct = new Map(files.map((f) => [f, new Set(importsOf(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s)))]));
  it('no two files in src/ import each other, types included (report.ts / report-html.ts, sequential.ts / summary-table.ts were such pairs)', () => {
    const pairs: string[] = [];
    for (const [f, deps] of direct) {
      for (const d of deps) if (f < d && direct.get(d)?.has(f)) pairs.push(`${relative(src, f)} <-> ${relative(src, d)}`);
    }
    expect(pairs).toEqual([]);
  });
  it('io/ imports nothing from train/ (the Dataset type lives below both, in src/dataset.ts)', () => {
    const up = files.filter((f) => relative(src, f).startsWith('io'))
      .flatMap((f) => [...direct.get(f)!].filter((d) => relative(src, d).split(/[\\/]/)[0] === 'train').map((d) => `${relative(src, f)} -> ${relative(src, d)}`));
    expect(up).toEqual([]);
  });
});
