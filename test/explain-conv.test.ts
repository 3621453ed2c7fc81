// `miniconv explain conv` beyond the seed example: several channels and filters, groups (depthwise),
// dilation, bias and db, and the tagged zeros. Every number is checked against the naive kernels
// (conv2dForwardNaive / conv2dBackwardNaive), against a definition written independently of src/, and
// against central finite differences.
import { describe, expect, it } from 'vitest';
import { Tensor, createRng } from '../src/index.ts';
import * as kernels from '../src/kernels/index.ts';
import { explainConv } from '../src/explain/index.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';

type M = number[][];

function rand(shape: number[], seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: shape.reduce((a, v) => a * v, 1) }, () => Math.round(rng.normal() * 100) / 100);
}
function nest(flat: number[], shape: number[]): unknown {
  if (shape.length === 1) return flat.slice(0, shape[0]);
  const step = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, k) => nest(flat.slice(k * step, (k + 1) * step), shape.slice(1)));
}

/** y, dx, dw, db of L = sum(y * dy), from the definition (PyTorch's grouped, dilated conv), not from src/. */
function reference(x: number[], xs: number[], w: number[], ws: number[], b: number[], dy: number[], s: number, p: number, d: number, G: number) {
  const [C, H, W] = xs, [F, CG, KH, KW] = ws;
  const OH = Math.floor((H + 2 * p - d * (KH - 1) - 1) / s) + 1, OW = Math.floor((W + 2 * p - d * (KW - 1) - 1) / s) + 1;
  const y = new Array(F * OH * OW).fill(0), dx = new Array(x.length).fill(0), dw = new Array(w.length).fill(0), db = new Array(F).fill(0);
  for (let f = 0; f < F; f++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    const o = (f * OH + i) * OW + j;
    y[o] += b[f]; db[f] += dy[o];
    for (let cg = 0; cg < CG; cg++) for (let u = 0; u < KH; u++) for (let v = 0; v < KW; v++) {
      const c = Math.floor(f / (F / G)) * CG + cg, r = i * s + u * d - p, q = j * s + v * d - p;
      if (r < 0 || r >= H || q < 0 || q >= W) continue;
      const xi = (c * H + r) * W + q, wi = ((f * CG + cg) * KH + u) * KW + v;
      y[o] += x[xi] * w[wi]; dx[xi] += dy[o] * w[wi]; dw[wi] += dy[o] * x[xi];
    }
  }
  return { y, dx, dw, db, OH, OW };
}

function close(a: number[], b: number[], tol: number) {
  expect(a.length).toBe(b.length);
  a.forEach((v, k) => expect(Math.abs(v - b[k]), `entry ${k}: ${v} vs ${b[k]}`).toBeLessThan(tol * Math.max(1, Math.abs(v))));
}

describe('explainConv with channels, filters, groups and dilation', () => {
  const cases = [
    { name: 'x=[2,4,4] w=[3,2,2,2] s=1 p=0 G=1', xs: [2, 4, 4], ws: [3, 2, 2, 2], s: 1, p: 0, d: 1, G: 1 },
    { name: 'x=[4,5,5] w=[4,2,3,3] s=2 p=1 G=2 (grouped)', xs: [4, 5, 5], ws: [4, 2, 3, 3], s: 2, p: 1, d: 1, G: 2 },
    { name: 'x=[3,5,4] w=[3,1,2,2] s=1 p=1 G=3 (depthwise)', xs: [3, 5, 4], ws: [3, 1, 2, 2], s: 1, p: 1, d: 1, G: 3 },
    { name: 'x=[2,6,6] w=[4,1,2,3] s=1 p=0 d=2 G=2 (depthwise, multiplier 2, dilated)', xs: [2, 6, 6], ws: [4, 1, 2, 3], s: 1, p: 0, d: 2, G: 2 },
    { name: 'x=[1,7,6] w=[2,1,3,2] s=2 p=2 d=2 G=1 (dilated, strided, padded)', xs: [1, 7, 6], ws: [2, 1, 3, 2], s: 2, p: 2, d: 2, G: 1 },
  ];
  for (const [k, c] of cases.entries()) {
    it(c.name, () => {
      const x = rand(c.xs, 10 + k), w = rand(c.ws, 20 + k), b = rand([c.ws[0]], 30 + k);
      const r0 = reference(x, c.xs, w, c.ws, b, new Array(c.ws[0] * 100).fill(0), c.s, c.p, c.d, c.G);
      const dy = rand([c.ws[0], r0.OH, r0.OW], 40 + k);
      const e = explainConv({
        input: nest(x, c.xs) as number[][][], kernel: nest(w, c.ws) as number[][][][], bias: b, dy: nest(dy, [c.ws[0], r0.OH, r0.OW]) as number[][][],
        stride: c.s, padding: c.p, dilation: c.d, groups: c.G,
      });
      // The kernels' numbers, exactly.
      const p = { stride: c.s, padding: c.p, dilation: c.d, groups: c.G };
      const { out, cache } = kernels.conv2dForwardNaive(new Tensor([1, ...c.xs], Float64Array.from(x)), new Tensor(c.ws, Float64Array.from(w)), new Tensor([c.ws[0]], Float64Array.from(b)), p);
      const g = kernels.conv2dBackwardNaive(new Tensor([1, c.ws[0], r0.OH, r0.OW], Float64Array.from(dy)), cache);
      expect(e.y.flat(2)).toEqual(Array.from(out.data));
      expect(e.dx.flat(2)).toEqual(Array.from(g.dx.data));
      expect(e.dw.flat(3)).toEqual(Array.from(g.dw.data));
      expect(e.db).toEqual(Array.from((g.db as Tensor).data));
      // The definition, and the finite differences.
      const r = reference(x, c.xs, w, c.ws, b, dy, c.s, c.p, c.d, c.G);
      close(e.y.flat(2), r.y, 1e-12); close(e.dx.flat(2), r.dx, 1e-12); close(e.dw.flat(3), r.dw, 1e-12); close(e.db, r.db, 1e-12);
      close(e.numericDx.flat(2), r.dx, 1e-6); close(e.numericDw.flat(3), r.dw, 1e-6); close(e.numericDb, r.db, 1e-6);
      // One check mark per gradient entry, none failed.
      expect(e.text.match(/✓/g)).toHaveLength(x.length + w.length + b.length);
      expect(e.text).not.toContain('✗');
      if (c.G > 1) expect(e.text).toMatch(/groups = \d/);
      if (c.d > 1) expect(e.text).toMatch(/taps are 2 pixels apart/);
    });
  }

  it('names entries by channel and filter: x[c][ih][iw], w[f][cg][u][v], y[f][i][j], dx[c][ih][iw]', () => {
    const e = explainConv({ channels: 2, filters: 2 });
    // Channel 0 is the seed input, channel 1 its transpose; filter 0 channel 0 the seed kernel.
    expect(e.text).toContain('y[0][0][0] = 1*-1 + 2*0 + 4*0 + 5*1 + 1*1 + 4*2 + 2*0 + 5*-1 = 8');
    expect(e.text).toMatch(/^dw\[1\]\[1\]\[1\]\[1\] = /m);
    expect(e.text).toMatch(/^dx\[1\]\[2\]\[2\] = /m);
    expect(e.text).toMatch(/^db\[1\] = 5 \+ 6 \+ 7 \+ 8 = 26 +✓/m);
  });

  it('depthwise: each filter reads only its own channel', () => {
    const e = explainConv({ channels: 2, groups: 2 });
    expect(e.text).toContain('With groups = C this is a depthwise convolution.');
    expect(e.y[0]).toEqual([[4, 4], [4, 4]]); // channel 0 under the seed kernel
    expect(e.text).toMatch(/^y\[1\]\[0\]\[0\] = 1\*1 \+ 4\*2 \+ 2\*0 \+ 5\*-1 = 4$/m);
  });

  it('the three kinds of zeros have their own tags, with a legend', () => {
    const e = explainConv({ input: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], kernel: [[1, 0, -1], [2, 0, -2], [1, 0, -1]], stride: 2, padding: 1 });
    expect(e.text).toContain('0p = the border padding of x');
    expect(e.text).toContain('0d = a zero put between entries by the stride or the dilation');
    expect(e.text).toContain('0f = the border that makes the correlation full');
    // D: a 2-wide border of 0f, and 0d between the four dy entries 1 2 / 3 4.
    expect(e.text).toMatch(/0f +0f +1 +0d +2 +0f/);
    expect(e.text).toMatch(/0f +0f +0d +0d +0d +0f/);
    // The padded input, with the first window bracketed.
    expect(e.text).toMatch(/\[0p +0p +0p\] +0p +0p +0p/);
    const c = explainConv({ input: SEED, kernel: [[1, 1], [1, 1]], padding: 1, color: true });
    expect(c.text).toContain('\x1b[2m0p\x1b[22m'); // padding dim
    expect(c.text).toContain('\x1b[35m0f\x1b[39m'); // the full border magenta
  });

  it('errors name what is wrong and what was expected', () => {
    expect(() => explainConv({ channels: 2, input: SEED })).toThrow('explainConv: channels is 2 but the input has 1 (1×3×3); give one or the other');
    expect(() => explainConv({ channels: 3, groups: 2 })).toThrow('explainConv: groups 2 must divide the input channels 3');
    expect(() => explainConv({ channels: 2, filters: 3, groups: 2 })).toThrow('explainConv: groups 2 must divide the input channels 2 and the filters 3');
    expect(() => explainConv({ input: [SEED, SEED], kernel: SEED_K4 })).toThrow('explainConv: the kernel has 1 channels per filter (1×1×2×2), expected C/groups = 2/1 = 2');
    expect(() => explainConv({ input: SEED, kernel: [[[1]]] as unknown as M })).toThrow(/kernel must be 2-D \(KH, KW\) or 4-D/);
    expect(() => explainConv({ input: [SEED, [[1, 2], [3, 4]]] })).toThrow('explainConv: input[1] is 2×2, expected 3×3 like input[0]');
    expect(() => explainConv({ input: SEED, kernel: [[1, 1], [1, 1]], dilation: 3 })).toThrow('explainConv: kernel 2x2 (dilated 3: spans 4x4) is larger than the padded input 3x3');
    expect(() => explainConv({ input: SEED, kernel: [[1]], bias: [1, 2] })).toThrow('explainConv: bias must be an array of 1 numbers (one per filter), got an array of length 2');
    expect(() => explainConv({ dilation: 0 })).toThrow(new RangeError('explainConv: dilation must be an integer >= 1, got 0'));
    expect(() => explainConv({ filters: 2, dy: [[1, 1], [1, 1]] })).toThrow("explainConv: dy must have the output's size 2×2×2, got 2×2");
  });
});

const SEED = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
const SEED_K4 = [[[[-1, 0], [0, 1]]]];

describe('miniconv explain conv', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [], err: string[] = [];
    const code = await main(['explain', ...argv], { io: { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false }, data: dataLoaders });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };

  it('explain and explain conv print the same text; --channels, --filters, --groups, --dilation, --bias', async () => {
    expect((await run([])).stdout).toBe((await run(['conv'])).stdout);
    const r = await run(['conv', '--channels', '2', '--filters', '2', '--groups', '2', '--bias', '[0.5,-1]', '--padding', '1', '--dilation', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stride = 1, pad = 1, dilation = 2, groups = 2');
    expect(r.stdout).toContain('Bias b (2): 0.5, -1');
    expect(r.stdout).not.toContain('✗');
  });

  it('bad arguments exit 2 with the subcommand\'s usage', async () => {
    for (const argv of [['conv', '--groups', '0'], ['conv', '--channels', '3', '--groups', '2'], ['conv', '--bias', '[1,'], ['conv', '--dilation', 'x'], ['conv', '--kernel', '[[[1]]]']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^miniconv explain conv: [^\n]+\n\nUsage: miniconv explain conv /);
    }
    expect((await run(['conv', '--channels', '3', '--groups', '2'])).stderr).toMatch(/^miniconv explain conv: groups 2 must divide the input channels 3\n/);
  });
});
