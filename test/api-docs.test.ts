// JSDoc on the public API (issue 25 §4): what scripts/api-docs.mjs (`npm run docs`) reads to write
// docs/api.md. The classes and options every user meets first are documented member by member and
// field by field, and every other exported symbol, member and option field has JSDoc too (a new
// export without a doc comment fails here, named).
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript without declarations (scripts/ is run by node)
import { collect, undocumented } from '../scripts/api-docs.mjs';

type Collected = Array<{ entry: string; symbols: Array<{ name: string; kind: string; doc: string; members: Array<{ name: string; doc: string }> }> }>;

const CORE = ['Tensor', 'Conv2D', 'Conv2DOptions', 'Dense', 'DenseOptions', 'Sequential', 'SGD', 'SGDOptions', 'Layer', 'FitOptions', 'FitCallbacks'];

describe('JSDoc on exported symbols', () => {
  const collected = collect() as Collected;
  const missing = undocumented(collected) as string[];

  it('every entry is read, and its symbols carry their docs (the check can see one)', () => {
    expect(collected.map((e) => e.entry).sort()).toEqual(['miniconv', 'miniconv/datasets', 'miniconv/digits', 'miniconv/kernels', 'miniconv/onnx', 'miniconv/testing', 'miniconv/winograd']);
    const tensor = collected.find((e) => e.entry === 'miniconv')!.symbols.find((s) => s.name === 'Tensor')!;
    expect(tensor.kind).toBe('class');
    expect(tensor.doc).toMatch(/n-dimensional array/);
    expect(tensor.members.find((m) => m.name === 'shape')?.doc).toMatch(/dimensions/);
  });

  it(`${CORE.join(', ')}: the class or type, every public member and every option field`, () => {
    const core = missing.filter((m) => CORE.some((c) => m === `miniconv > ${c}` || m.startsWith(`miniconv > ${c}.`)));
    expect(core).toEqual([]);
  });

  it('every exported symbol, member and option field of every entry has JSDoc', () => {
    expect(missing).toEqual([]);
  });

  it('members not the package\'s to document are skipped: a tuple\'s positions, lib members such as ArrayLike.length', () => {
    const main = collected.find((e) => e.entry === 'miniconv')!.symbols;
    const kernels = collected.find((e) => e.entry === 'miniconv/kernels')!.symbols;
    expect(main.find((s) => s.name === 'RGB')?.members).toEqual([]);
    expect(kernels.find((s) => s.name === 'Labels')?.members).toEqual([]);
    // while a project interface's own fields are still listed, each with its doc
    expect(main.find((s) => s.name === 'Dataset')?.members.map((m) => m.name)).toContain('count');
  });
}, 120_000);
