// exportOnnx, importOnnx and applyPreprocess must run in a browser page (the playground): nothing they
// import, directly or through other files of src/, may be a Node built-in. Only file.ts touches the disk.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** Every module reached from `entry` by import/export ... from: relative files followed, packages listed. */
function reach(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>(), packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(join(root, entry));
  return { files: [...files].map((f) => f.slice(root.length + 1)), packages: [...packages] };
}

describe('ONNX export and import reach no Node built-in', () => {
  for (const entry of ['src/io/onnx/export.ts', 'src/io/onnx/import.ts', 'src/io/onnx/import-ops.ts', 'src/io/onnx/mean-std.ts']) {
    it(entry, () => {
      const { files, packages } = reach(entry);
      expect(files).toContain(entry);
      expect(packages.filter((p) => p.startsWith('node:') || ['fs', 'path', 'os', 'worker_threads'].includes(p))).toEqual([]);
      expect(files.filter((f) => f.endsWith('file.ts') || f.startsWith('datasets/'))).toEqual([]);
    });
  }
  it('file.ts is the one that reads and writes files (the check above can see a node: import)', () => {
    expect(reach('src/io/onnx/file.ts').packages).toContain('node:fs');
  });
});
