// `miniconv explain`: the narrated numbers must be miniconv's kernels' numbers, and the gradients
// must match central finite differences. The seed example's gradients with dy all ones (docs, section 7)
// were worked out by hand:
//   dw[u][v]   = sum of the 2x2 window of x at (u, v), as dy is all ones:  1+2+4+5 = 12, 2+3+5+6 = 16,
//                4+5+7+8 = 24, 5+6+8+9 = 28;
//   dx[ih][iw] = sum of the kernel entries w[u][v] whose window covered (ih, iw): corners -1, 0, 0, 1;
//                the centre is covered by all four windows, -1 + 0 + 0 + 1 = 0.
import { describe, expect, it } from 'vitest';
import { Tensor, createRng } from '../src/index.ts';
import * as kernels from '../src/kernels/index.ts';
import { SEED_INPUT, SEED_KERNEL, explainConv } from '../src/explain/index.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';

type M = number[][];

/** The definition, written independently of src/: out, and the gradients of L = sum(out * dY). */
function reference(X: M, K: M, s: number, p: number, dY: M | null) {
  const H = X.length, W = X[0].length, KH = K.length, KW = K[0].length;
  const OH = Math.floor((H + 2 * p - KH) / s) + 1, OW = Math.floor((W + 2 * p - KW) / s) + 1;
  const at = (y: number, x: number) => (y < 0 || y >= H || x < 0 || x >= W ? 0 : X[y][x]);
  const g = dY ?? Array.from({ length: OH }, () => new Array(OW).fill(1));
  const out = Array.from({ length: OH }, () => new Array(OW).fill(0));
  const dW = K.map((r) => r.map(() => 0));
  const dX = X.map((r) => r.map(() => 0));
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) for (let m = 0; m < KH; m++) for (let n = 0; n < KW; n++) {
    const y = i * s + m - p, x = j * s + n - p;
    out[i][j] += at(y, x) * K[m][n];
    dW[m][n] += g[i][j] * at(y, x);
    if (y >= 0 && y < H && x >= 0 && x < W) dX[y][x] += g[i][j] * K[m][n];
  }
  return { out, dW, dX };
}

function kernelResults(X: M, K: M, s: number, p: number, dY: M) {
  const t = (m: M) => new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));
  const { out, cache } = kernels.conv2dForwardNaive(t(X), t(K), null, { stride: s, padding: p });
  const { dx, dw } = kernels.conv2dBackwardNaive(t(dY), cache);
  return { out: Array.from(out.data), dX: Array.from(dx.data), dW: Array.from(dw.data) };
}

function expectClose(a: M, b: M, tol = 1e-6) {
  expect(a.length).toBe(b.length);
  a.flat().forEach((v, i) => expect(Math.abs(v - b.flat()[i])).toBeLessThan(tol * Math.max(1, Math.abs(v))));
}

function randomMatrix(rows: number, cols: number, seed: number): M {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rng.normal() * 1000) / 1000));
}

describe('explainConv on the seed example', () => {
  const ones = [[1, 1], [1, 1]];
  const e = explainConv({ input: SEED_INPUT, kernel: SEED_KERNEL, dy: ones });

  it('y = 4 4 / 4 4; with dy all ones dw = [[12,16],[24,28]], dx = [[-1,-1,0],[-1,0,1],[0,1,1]], db = 4', () => {
    expect(e.y).toEqual([[[4, 4], [4, 4]]]);
    expect(e.dw).toEqual([[[[12, 16], [24, 28]]]]);
    expect(e.dx).toEqual([[[-1, -1, 0], [-1, 0, 1], [0, 1, 1]]]);
    expect(e.db).toEqual([4]);
  });

  it('the numbers are the kernels\' numbers, and the finite differences agree', () => {
    const k = kernelResults(SEED_INPUT, SEED_KERNEL, 1, 0, ones);
    expect(e.y.flat(2)).toEqual(k.out);
    expect(e.dw.flat(3)).toEqual(k.dW);
    expect(e.dx.flat(2)).toEqual(k.dX);
    expectClose(e.numericDw[0][0], e.dw[0][0], 1e-8);
    expectClose(e.numericDx[0], e.dx[0], 1e-8);
    expect(Math.abs(e.numericDb[0] - 4)).toBeLessThan(1e-8);
  });

  it('by default dy is 1, 2, 3, 4 in reading order, which shows where each product came from', () => {
    const d = explainConv({ input: SEED_INPUT, kernel: SEED_KERNEL });
    expect(d.y).toEqual([[[4, 4], [4, 4]]]);
    const k = kernelResults(SEED_INPUT, SEED_KERNEL, 1, 0, [[1, 2], [3, 4]]);
    expect(d.dw.flat(3)).toEqual(k.dW);
    expect(d.dx.flat(2)).toEqual(k.dX);
    expect(d.db).toEqual([10]);
    expect(d.text).toContain('dw[0][0] = 1*1 + 2*2 + 3*4 + 4*5 = 37');
    expect(d.text).toContain('db[0] = 1 + 2 + 3 + 4 = 10   ✓ finite difference 10.000000');
    expect(d.text).toMatch(/here 1, 2, 3, \.\.\. in reading order/);
    expect(d.text).not.toContain('✗');
  });

  it('marks the window of x behind each sum: brackets in plain text, reverse video on a terminal', () => {
    expect(e.text).toContain('y[0][0] = 1*-1 + 2*0 + 4*0 + 5*1 = 4\n   [1  2] 3\n   [4  5] 6\n    7  8  9');
    expect(e.text).toContain('y[1][1] = 5*-1 + 6*0 + 8*0 + 9*1 = 4\n    1  2  3\n    4 [5  6]\n    7 [8  9]');
    const c = explainConv({ input: SEED_INPUT, kernel: SEED_KERNEL, color: true });
    expect(c.text).toContain('\x1b[7m1\x1b[27m  \x1b[7m2\x1b[27m  3');
    expect(c.text).not.toContain('[1  2]');
  });

  it('writes out the dot products the way the article does', () => {
    expect(e.text).toContain('y[0][0] = 1*-1 + 2*0 + 4*0 + 5*1 = 4');
    expect(e.text).toContain('y[0][1] = 2*-1 + 3*0 + 5*0 + 6*1 = 4');
    expect(e.text).toContain('y[1][1] = 5*-1 + 6*0 + 8*0 + 9*1 = 4');
    expect(e.text).toMatch(/dw\[0\]\[0\] = 1\*1 \+ 1\*2 \+ 1\*4 \+ 1\*5 = 12 +✓ finite difference 12\.000000/);
    expect(e.text).toMatch(/dx\[0\]\[0\] = 0\*1 \+ 0\*0 \+ 0\*0 \+ 1\*-1 = -1 +✓/);
    expect(e.text.match(/✓/g)).toHaveLength(1 + 4 + 9);
    expect(e.text).not.toContain('✗');
    expect(e.text).not.toContain('\x1b');
  });

  it('explains correlation versus convolution, with the flipped-kernel result', () => {
    expect(e.text).toMatch(/cross-correlation/);
    expect(e.text).toMatch(/-4 +-4\n +-4 +-4/);
  });

  it('colour: bold headings and green check marks', () => {
    const c = explainConv({ input: SEED_INPUT, kernel: SEED_KERNEL, color: true });
    expect(c.text).toContain('\x1b[1m');
    expect(c.text).toContain('\x1b[32m✓\x1b[39m');
  });
});

describe('explainConv with stride and padding', () => {
  const cases = [
    { name: 'x=[5,5] k=[3,3] s=2 p=1', X: randomMatrix(5, 5, 1), K: randomMatrix(3, 3, 2), s: 2, p: 1 },
    { name: 'x=[4,6] k=[3,2] s=2 p=1 (stride leaves a row unused)', X: randomMatrix(4, 6, 3), K: randomMatrix(3, 2, 4), s: 2, p: 1 },
    { name: 'x=[3,3] k=[2,2] s=1 p=2', X: SEED_INPUT, K: SEED_KERNEL, s: 1, p: 2 },
    { name: 'x=[6,5] k=[2,3] s=3 p=0', X: randomMatrix(6, 5, 5), K: randomMatrix(2, 3, 6), s: 3, p: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ref0 = reference(c.X, c.K, c.s, c.p, null);
      const dY = randomMatrix(ref0.out.length, ref0.out[0].length, 7);
      const e = explainConv({ input: c.X, kernel: c.K, stride: c.s, padding: c.p, dy: dY });
      const k = kernelResults(c.X, c.K, c.s, c.p, dY);
      expect(e.y.flat(2)).toEqual(k.out);
      expect(e.dw.flat(3)).toEqual(k.dW);
      expect(e.dx.flat(2)).toEqual(k.dX);
      const ref = reference(c.X, c.K, c.s, c.p, dY);
      expectClose(e.y[0], ref.out, 1e-12);
      expectClose(e.dw[0][0], ref.dW, 1e-12);
      expectClose(e.dx[0], ref.dX, 1e-12);
      expectClose(e.numericDw[0][0], e.dw[0][0]);
      expectClose(e.numericDx[0], e.dx[0]);
      expect(e.text).not.toContain('✗');
      if (c.s > 1) expect(e.text).toMatch(/dilated/);
      if (c.p > 0) expect(e.text).toMatch(/cropped/);
    });
  }

  it('padding: padded zeros appear as 0 in the sums and are counted', () => {
    const e = explainConv({ input: SEED_INPUT, kernel: SEED_KERNEL, padding: 1 });
    // The top-left window covers three padded zeros and x[0][0] = 1 under w[1][1] = 1.
    expect(e.text).toContain('y[0][0] = 0*-1 + 0*0 + 0*0 + 1*1 = 1   (3 of 4 terms read the zero padding)');
    expect(e.y).toEqual([[[1, 2, 3, 0], [4, 4, 4, -3], [7, 4, 4, -6], [0, -7, -8, -9]]]);
  });
});

describe('explainConv input checks', () => {
  const ok = { input: SEED_INPUT, kernel: SEED_KERNEL };
  it('names what is wrong and what was expected', () => {
    expect(() => explainConv({ ...ok, input: [[1, 2], [3]] })).toThrow('explainConv: input is not rectangular: row 1 has 1 numbers, expected 2 like row 0');
    expect(() => explainConv({ ...ok, kernel: [[1, 'a' as unknown as number]] })).toThrow('explainConv: kernel[0][1] must be a finite number, got the string "a"');
    expect(() => explainConv({ ...ok, input: [] })).toThrow('explainConv: input is empty; expected a 2-D array of numbers such as [[1,2],[3,4]]');
    expect(() => explainConv({ ...ok, input: [1, 2, 3] as unknown as M })).toThrow('explainConv: input[0] must be a row (an array of numbers), got number 1');
    expect(() => explainConv({ ...ok, input: 5 as unknown as M })).toThrow(TypeError);
    expect(() => explainConv({ ...ok, kernel: [[NaN]] })).toThrow('explainConv: kernel[0][0] must be a finite number, got number NaN');
    expect(() => explainConv({ ...ok, stride: 0 })).toThrow(new RangeError('explainConv: stride must be an integer >= 1, got 0'));
    expect(() => explainConv({ ...ok, stride: 1.5 })).toThrow('explainConv: stride must be an integer >= 1, got 1.5');
    expect(() => explainConv({ ...ok, padding: -1 })).toThrow('explainConv: padding must be an integer >= 0, got -1');
    expect(() => explainConv({ input: [[1, 2], [3, 4]], kernel: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] })).toThrow(
      'explainConv: kernel 3x3 is larger than the padded input 2x2 (input 2x2, padding 0); use a smaller kernel, less dilation or more padding');
    expect(() => explainConv({ ...ok, dy: [[1, 1, 1]] })).toThrow("explainConv: dy must have the output's size 2×2, got 1×3");
  });
  it('a kernel larger than the input is fine once padding makes room', () => {
    expect(explainConv({ input: [[1, 2], [3, 4]], kernel: [[1, 1, 1], [1, 1, 1], [1, 1, 1]], padding: 1 }).y).toEqual([[[10, 10], [10, 10]]]);
  });
});

describe('the seed article', () => {
  it('is cited by its title, and its worked example is reproduced number for number', () => {
    const e = explainConv({ input: SEED_INPUT, kernel: SEED_KERNEL });
    expect(e.text).toContain('The worked example of 《从零开始大模型开发与微调：卷积运算的基本概念》 (the seed article), section 4.');
    // The article: "(1*-1 + 2*0 + 4*0 + 5*1) = 4", then one step right "(2*-1 + 3*0 + 5*0 + 6*1) = 4", output "4 4".
    expect(e.text).toContain('y[0][0] = 1*-1 + 2*0 + 4*0 + 5*1 = 4');
    expect(e.text).toContain('y[0][1] = 2*-1 + 3*0 + 5*0 + 6*1 = 4');
    expect(e.text).toMatch(/Output \(feature map\) y \(2×2\):\n {2}4 {2}4\n {2}4 {2}4/);
    expect(e.text).not.toMatch(/shared\/seed|\.txt/);
    expect(explainConv({ input: SEED_INPUT, kernel: [[1, 0], [0, 1]] }).text).not.toContain('The worked example of');
  });
});

describe('miniconv explain', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [], err: string[] = [];
    const code = await main(['explain', ...argv], { io: { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false }, data: dataLoaders });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  };

  it('with no arguments explains the seed example', async () => {
    const r = await run(['--no-color']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('y[0][0] = 1*-1 + 2*0 + 4*0 + 5*1 = 4');
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stderr).toBe('');
  });

  it('parses --input, --kernel, --stride, --padding and --dy', async () => {
    const r = await run(['--input', '[[1,2,3],[4,5,6],[7,8,9]]', '--kernel', '[[1,0],[0,1]]', '--stride', '2', '--padding=1', '--dy', '[[1,0],[0,2]]', '--no-color']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stride = 2, pad = 1');
    expect(r.stdout).toMatch(/Upstream gradient dy[^\n]*\n {2}1 {2}0\n {2}0 {2}2/);
  });

  it('bad JSON or arguments: a one-line error and the usage on stderr, exit code 2', async () => {
    for (const argv of [['--input', '[[1,2'], ['--kernel', '[[1],[2,3]]'], ['--stride', 'two'], ['--stride', '-1'], ['--padding=-1'], ['--padding', '-1'], ['--bogus'], ['extra']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const [first, second, third] = r.stderr.split('\n');
      expect(first).toMatch(/^miniconv explain: /);
      expect(second).toBe('');
      expect(third).toMatch(/^Usage: miniconv explain/);
    }
    expect((await run(['--input', '[[1,2'])).stderr).toMatch(/^miniconv explain: --input is not valid JSON \(.*\); expected a 2-D or 3-D array/);
    expect((await run(['--padding=-1'])).stderr).toMatch(/^miniconv explain: --padding must be an integer >= 0, in decimal digits \(for example --padding 1\), got '-1'\n/);
    expect((await run(['--kernel', '[[1],[2,3]]'])).stderr).toMatch(/^miniconv explain: kernel is not rectangular: row 1 has 2 numbers, expected 1 like row 0\n/);
  });

  it('--help prints the usage', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: miniconv explain/);
  });
});
