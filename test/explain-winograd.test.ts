// `miniconv explain winograd` (src/explain/winograd.ts): the 1-D numbers of F(2, 3) are the direct
// sums, the 2-D tile equals the naive convolution's, the error it prints is measured, and the
// command line takes --input / --kernel and rejects bad ones with exit code 2.
import { describe, expect, it } from 'vitest';
import { explainWinograd } from '../src/explain/index.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';

describe('explainWinograd', () => {
  it('F(2, 3) on d = [1, 2, 3, 4], g = [1, 2, 1]: Bt d, G g, 4 products, y = [8, 12] as the direct sums', () => {
    const e = explainWinograd();
    expect(e.transformedInput).toEqual([-2, 5, 1, -2]);
    expect(e.transformedKernel).toEqual([1, 2, 0, 1]);
    expect(e.products).toEqual([-2, 10, 0, -2]);
    expect(e.y).toEqual([8, 12]);
    expect(e.direct).toEqual([8, 12]);
    expect(e.text).toContain('Both give [8, 12] (checked).');
  });

  it('other numbers: y equals the direct sums', () => {
    const e = explainWinograd({ input: [0.5, -2, 7, 3], kernel: [-1, 4, 0.25] });
    e.y.forEach((v, k) => expect(v).toBeCloseTo(e.direct[k], 12));
  });

  it('the 2x2 tile by Winograd is the naive convolution\'s, and F(4x4)\'s error exceeds F(2x2)\'s', () => {
    const e = explainWinograd();
    expect(e.tile).toEqual(e.tileDirect);
    expect(e.text).toContain('The same 2x2 tile (checked against conv2dForwardNaive).');
    expect(e.error.f4).toBeGreaterThan(e.error.f2);
    expect(e.error.f2).toBeLessThan(5e-7);
  });

  it('rejects inputs of the wrong length, naming them', () => {
    expect(() => explainWinograd({ input: [1, 2, 3] })).toThrow(/input must be 4 finite numbers, got \[1,2,3\]/);
    expect(() => explainWinograd({ kernel: [1, Number.NaN, 1] })).toThrow(/kernel must be 3 finite numbers/);
  });
});

describe('miniconv explain winograd', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [], err: string[] = [];
    const code = await main(['explain', 'winograd', ...argv], { io: { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false }, data: dataLoaders });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };
  it('prints plain text, with the given numbers', async () => {
    const r = await run(['--input', '[1,1,1,1]', '--kernel', '[1,0,-1]']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain('Both give [0, 0] (checked).');
    expect(r.stdout).toMatch(/4\. Where it loses/);
  });
  it('bad arguments exit 2 with the usage', async () => {
    for (const argv of [['--input', '[1,2]'], ['--kernel', '[1,'], ['extra']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^miniconv explain winograd: [^\n]+\n\nUsage: miniconv explain winograd/);
    }
  });
});
