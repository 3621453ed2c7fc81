// The name rule of docs/names.md, checked across src/ (TypeScript and the AssemblyScript of
// src/kernels/wasm/assembly alike): one name per thing, in every language the project writes.
//   - the upstream gradient is `dy`: never `dout` (nor doutT, dout_n, ...), `dOut`, `dY`; and the
//     gradients are `dx`, `dw`, `db`, never `dX`, `dW`, `dB`;
//   - GEMM's sizes are `rows`, `cols` and `inner`: no `M`, `N`, `K` in the GEMM files;
//   - the number of classes is `classes`, never `K` (the loss's file);
//   - a pooling window is KH x KW, never K (the pooling files).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Every `line: text` of `files` where `pattern` occurs (code and comments alike). */
function occurrences(files: string[], pattern: RegExp): string[] {
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (pattern.test(line) ? [`${relative(src, f)}:${i + 1}: ${line.trim()}`] : [])));
}

const files = sourceFiles(src);
const named = (re: RegExp) => files.filter((f) => re.test(relative(src, f).replaceAll('\\', '/')));

const RULES: Array<{ rule: string; files: string[]; forbidden: RegExp }> = [
  { rule: 'the upstream gradient is dy', files, forbidden: /\bd[oO]ut\w*|\bdY\b/ },
  { rule: 'gradients are dx, dw, db', files, forbidden: /\bd[XWB]\b/ },
  { rule: "GEMM's sizes are rows, cols, inner", files: named(/(^|\/)gemm\.ts$/), forbidden: /\b[MNK]\b/ },
  { rule: 'the number of classes is classes', files: named(/softmax-xent\.ts$/), forbidden: /\bK\b/ },
  { rule: 'a pooling window is KH x KW', files: named(/pool(2d)?(-fast)?\.ts$/), forbidden: /\bK\b/ },
];

describe('docs/names.md across src/', () => {
  it('sees the files it is meant to check, the AssemblyScript sources included', () => {
    const rel = files.map((f) => relative(src, f).replaceAll('\\', '/'));
    expect(rel).toEqual(expect.arrayContaining(['kernels/wasm/assembly/conv.ts', 'kernels/wasm/assembly/gemm.ts', 'kernels/gemm.ts', 'kernels/softmax-xent.ts']));
    expect(named(/(^|\/)gemm\.ts$/)).toHaveLength(2);
    expect(named(/pool(2d)?(-fast)?\.ts$/).map((f) => relative(src, f).replaceAll('\\', '/'))).toContain('kernels/wasm/assembly/pool.ts');
  });
  it('the patterns catch what they are meant to', () => {
    for (const bad of ['dout', 'doutT', 'dout_n', 'dOut', 'dY', 'dW', 'dX']) expect(RULES[0].forbidden.test(bad) || RULES[1].forbidden.test(bad), bad).toBe(true);
    for (const ok of ['dy', 'dyT', 'dx', 'dw', 'db', 'doubt', 'layout', 'dw0']) expect(RULES[0].forbidden.test(ok) || RULES[1].forbidden.test(ok), ok).toBe(false);
  });
  it.each(RULES)('$rule', ({ files: checked, forbidden }) => {
    expect(occurrences(checked, forbidden)).toEqual([]);
  });
});
