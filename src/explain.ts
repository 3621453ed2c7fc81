// `miniconv explain`: one small convolution, forward and backward, with every number written out,
// the way the seed article (shared/seed/000_47a39b498b92941a.txt, section 4) writes out
// out[0][0] = 1*-1 + 2*0 + 4*0 + 5*1 = 4.
//
// The numbers come from miniconv's own kernels (conv2dForwardNaive / conv2dBackwardNaive, run in
// float64). The written-out sums are the narration; each one is checked against the kernel's value
// (a mismatch throws), and each gradient also against central finite differences.
//
// Notation: X = input (H, W), K = kernel (KH, KW), s = stride, p = padding,
// out = output (OH, OW) with OH = floor((H + 2p - KH) / s) + 1, dY = dL/dout (OH, OW).

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { conv2dBackwardNaive, conv2dForwardNaive, convOutSize } from './kernels/conv2d.ts';
import { Tensor } from './tensor.ts';

export interface ExplainOptions {
  input: number[][];
  kernel: number[][];
  stride?: number; // default 1
  padding?: number; // default 0
  /** The upstream gradient dL/dout, the output's size; default all ones (as if L = sum of the outputs). */
  dY?: number[][];
  /** ANSI bold headings, green check marks, dimmed padding (default false). */
  color?: boolean;
}

export interface Explanation {
  text: string;
  out: number[][];
  dX: number[][];
  dW: number[][];
  numericDX: number[][];
  numericDW: number[][];
}

/** The seed article's example: a 3x3 input and a 2x2 kernel, output 4 4 / 4 4. */
export const SEED_INPUT = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
export const SEED_KERNEL = [[-1, 0], [0, 1]];

type Matrix = number[][];

/** Forward and backward of a single-channel convolution, narrated. Throws on invalid input (see checkOptions). */
export function explainConv(opts: ExplainOptions): Explanation {
  const { X, K, s, p, dY, H, W, KH, KW, OH, OW } = checkOptions(opts);
  const st = styles(opts.color ?? false);

  // The numbers: miniconv's kernels, in double precision.
  const { out: outT, cache } = conv2dForwardNaive(image(X), image(K), null, { stride: s, padding: p });
  const { dx, dw } = conv2dBackwardNaive(image(dY), cache);
  const out = toMatrix(outT, OH, OW), dX = toMatrix(dx, H, W), dW = toMatrix(dw, KH, KW);

  // An independent check: L = sum(out * dY), so dL/dv ~ (L(v + h) - L(v - h)) / 2h.
  const loss = (x: Matrix, k: Matrix) => sumProduct(toMatrix(conv2dForwardNaive(image(x), image(k), null, { stride: s, padding: p }).out, OH, OW), dY);
  const numericDX = finiteDifferences(X, (x) => loss(x, K));
  const numericDW = finiteDifferences(K, (k) => loss(X, k));

  const lines: string[] = [];
  const say = (...l: string[]) => lines.push(...l);
  say(st.bold('One convolution, forward and backward, every number written out'), '');
  say(`Input X (${H}×${W}):`, ...showMatrix(X), '');
  say(`Kernel K (${KH}×${KW}):`, ...showMatrix(K), '');
  say(`stride s = ${s}, padding p = ${p}`);
  say(`output size: OH = floor((H + 2p - KH) / s) + 1 = floor((${H} + ${2 * p} - ${KH}) / ${s}) + 1 = ${OH},`);
  say(`             OW = floor((W + 2p - KW) / s) + 1 = floor((${W} + ${2 * p} - ${KW}) / ${s}) + 1 = ${OW}`, '');

  narrateForward(say, st, { X, K, s, p, H, W, KH, KW, OH, OW }, out);
  say(`Output (feature map) out (${OH}×${OW}):`, ...showMatrix(out), '');

  say(st.bold('Backward'), '');
  say(`Upstream gradient dY = dL/dout (${OH}×${OW})${opts.dY ? '' : ', all ones (as if L were the sum of the outputs)'}:`, ...showMatrix(dY), '');
  say('Each out[i][j] was a sum of X[..]*K[..] products, so by the chain rule every product passes dY[i][j]');
  say('back to both of its factors: X gets dY[i][j] * K[m][n], and K gets dY[i][j] * X[..].', '');
  narrateDW(say, st, { X, s, p, H, W, KH, KW, OH, OW, dY }, dW, numericDW);
  narrateDX(say, st, { K, s, p, H, W, KH, KW, OH, OW, dY }, dX, numericDX);
  narrateCorrelation(say, st, X, K, s, p, OH, OW);
  return { text: lines.join('\n'), out, dX, dW, numericDX, numericDW };
}

interface Dims { s: number; p: number; H: number; W: number; KH: number; KW: number; OH: number; OW: number }
type Say = (...l: string[]) => void;

/** out[i][j] = sum_m sum_n X[i*s+m-p][j*s+n-p] * K[m][n], one line per output value. */
function narrateForward(say: Say, st: Styles, d: Dims & { X: Matrix; K: Matrix }, out: Matrix): void {
  const { X, K, s, p, H, W, KH, KW, OH, OW } = d;
  say(st.bold('Forward: out[i][j] = sum over m, n of X[i*s + m - p][j*s + n - p] * K[m][n]'));
  say('Slide the kernel over the input; at each stop multiply the numbers that overlap and add them up.');
  if (p > 0) {
    say(`With padding ${p} the input is surrounded by ${plural(p, 'ring')} of zeros:`);
    say(...showMatrix(padMatrix(X, p)));
  }
  say('');
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      const terms: string[] = [];
      let sum = 0, padded = 0;
      for (let m = 0; m < KH; m++) {
        for (let n = 0; n < KW; n++) {
          const y = i * s + m - p, x = j * s + n - p;
          if (y < 0 || y >= H || x < 0 || x >= W) { // the zero padding: contributes nothing
            terms.push(`${st.dim('0')}*${fmt(K[m][n])}`);
            padded++;
            continue;
          }
          terms.push(`${fmt(X[y][x])}*${fmt(K[m][n])}`);
          sum += X[y][x] * K[m][n];
        }
      }
      assertSame(`out[${i}][${j}]`, sum, out[i][j], 'conv2dForwardNaive');
      const note = padded > 0 ? st.dim(`   (${padded} of ${KH * KW} terms read the zero padding)`) : '';
      say(`out[${i}][${j}] = ${terms.join(' + ')} = ${fmt(sum)}${note}`);
    }
  }
  say('');
}

/** dW[m][n] = sum_i sum_j dY[i][j] * X[i*s+m-p][j*s+n-p]: X correlated with dY. */
function narrateDW(say: Say, st: Styles, d: Dims & { X: Matrix; dY: Matrix }, dW: Matrix, numeric: Matrix): void {
  const { X, dY, s, p, H, W, KH, KW, OH, OW } = d;
  say(st.bold('dW = the correlation of X with dY: dW[m][n] = sum over i, j of dY[i][j] * X[i*s + m - p][j*s + n - p]'));
  say('(K[m][n] met X[i*s + m - p][j*s + n - p] once for every output position (i, j).)', '');
  const rows: Array<[string, string]> = [];
  for (let m = 0; m < KH; m++) {
    for (let n = 0; n < KW; n++) {
      const terms: string[] = [];
      let sum = 0, padded = 0;
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const y = i * s + m - p, x = j * s + n - p;
          if (y < 0 || y >= H || x < 0 || x >= W) { padded++; continue; } // met a padded zero
          terms.push(`${fmt(dY[i][j])}*${fmt(X[y][x])}`);
          sum += dY[i][j] * X[y][x];
        }
      }
      assertSame(`dW[${m}][${n}]`, sum, dW[m][n], 'conv2dBackwardNaive');
      const rhs = terms.length ? `${terms.join(' + ')} = ${fmt(sum)}` : '0';
      const note = padded > 0 ? st.dim(`   (${plural(padded, 'term')} met the zero padding, skipped)`) : '';
      rows.push([`dW[${m}][${n}] = ${rhs}`, `${check(st, sum, numeric[m][n])}${note}`]);
    }
  }
  say(...aligned(rows));
  say('', `dW (${KH}×${KW}):`, ...showMatrix(dW), '');
}

/**
 * dX = the full convolution of dY with K: slide the kernel rotated by 180 degrees over dY bordered
 * with KH-1 rows and KW-1 columns of zeros (dilated first when s > 1), then crop the padding.
 */
function narrateDX(say: Say, st: Styles, d: Dims & { K: Matrix; dY: Matrix }, dX: Matrix, numeric: Matrix): void {
  const { K, dY, s, p, H, W, KH, KW, OH, OW } = d;
  const Hp = H + 2 * p, Wp = W + 2 * p; // the padded input's size
  const flipped = K.map((_, m) => K[KH - 1 - m].map((_, n) => K[KH - 1 - m][KW - 1 - n]));
  // D: dY dilated by the stride, placed KH-1 rows down and KW-1 columns right in a field of zeros
  // as large as the padded input plus the kernel's reach, so every window below lies inside it.
  const D: Matrix = Array.from({ length: Hp + KH - 1 }, () => new Array<number>(Wp + KW - 1).fill(0));
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) D[KH - 1 + i * s][KW - 1 + j * s] = dY[i][j];

  say(st.bold('dX = the full convolution of dY with K, i.e. dY correlated with K rotated by 180 degrees'));
  say('(X[y][x] met K[m][n] at every output (i, j) with i*s + m - p = y and j*s + n - p = x.)');
  say(`K rotated by 180 degrees (Kflip[m][n] = K[${KH - 1} - m][${KW - 1} - n]):`, ...showMatrix(flipped));
  if (s > 1) {
    say(`Stride ${s}: the windows of the forward pass start ${s} positions apart, so dY is dilated first:`);
    say(`${plural(s - 1, 'zero')} inserted between neighbouring entries, one dY entry per window start.`);
  }
  say(`D = dY${s > 1 ? ' (dilated)' : ''} with a border of KH-1 = ${plural(KH - 1, 'row')} and KW-1 = ${plural(KW - 1, 'column')} of zeros:`);
  const extraRows = Hp - ((OH - 1) * s + KH), extraCols = Wp - ((OW - 1) * s + KW);
  if (extraRows > 0 || extraCols > 0) {
    say(`(the stride left the last ${plural(extraRows, 'row')} and ${plural(extraCols, 'column')} of the padded input outside every window;`);
    say(' D gets as many extra zeros at the bottom and right, and their gradient is 0)');
  }
  say(...showMatrix(D));
  if (p > 0) {
    say(`Padding ${p}: this gives the gradient of the padded ${Hp}×${Wp} input; the padding is not an input,`);
    say(`so its ${p}-wide border is cropped. Below, dX[y][x] is the padded position (y + ${p}, x + ${p}).`);
  }
  const off = p > 0 ? ` + ${p}` : '';
  say(`dX[y][x] = sum over m, n of D[y${off} + m][x${off} + n] * Kflip[m][n]`, '');

  const dXpad: Matrix = Array.from({ length: Hp }, () => new Array<number>(Wp).fill(0));
  const rows: Array<[string, string]> = [];
  for (let yp = 0; yp < Hp; yp++) {
    for (let xp = 0; xp < Wp; xp++) {
      const terms: string[] = [];
      let sum = 0;
      for (let m = 0; m < KH; m++) {
        for (let n = 0; n < KW; n++) {
          terms.push(`${fmt(D[yp + m][xp + n])}*${fmt(flipped[m][n])}`);
          sum += D[yp + m][xp + n] * flipped[m][n];
        }
      }
      dXpad[yp][xp] = sum;
      const y = yp - p, x = xp - p;
      if (y < 0 || y >= H || x < 0 || x >= W) continue; // the cropped border
      assertSame(`dX[${y}][${x}]`, sum, dX[y][x], 'conv2dBackwardNaive');
      rows.push([`dX[${y}][${x}] = ${terms.join(' + ')} = ${fmt(sum)}`, check(st, sum, numeric[y][x])]);
    }
  }
  say(...aligned(rows));
  if (p > 0) say('', `Gradient of the padded input (${Hp}×${Wp}), before cropping the border:`, ...showMatrix(dXpad));
  say('', `dX (${H}×${W}):`, ...showMatrix(dX), '');
}

/** Cross-correlation (what frameworks call convolution) versus the mathematical convolution. */
function narrateCorrelation(say: Say, st: Styles, X: Matrix, K: Matrix, s: number, p: number, OH: number, OW: number): void {
  const flipped = K.map((row, m) => K[K.length - 1 - m].map((_, n) => K[K.length - 1 - m][row.length - 1 - n]));
  const trueConv = toMatrix(conv2dForwardNaive(image(X), image(flipped), null, { stride: s, padding: p }).out, OH, OW);
  say(st.bold('Correlation or convolution?'));
  say('The seed article\'s formula (section 4), out(i,j) = sum over m, n of input(i+m, j+n) * kernel(m,n),');
  say('slides the kernel as it is: that is cross-correlation, and it is what PyTorch, TensorFlow and');
  say('miniconv compute under the name "convolution". The mathematical convolution that section 2.1');
  say('describes ("flip and shift") runs one of the two backwards: (X conv K)(i,j) = sum over m, n of');
  say('X(i-m, j-n) * K(m,n). Over the same windows that is a correlation with the kernel rotated by');
  say('180 degrees: sum over m, n of X(i+m, j+n) * K(KH-1-m, KW-1-n).');
  say('With this input and kernel it would give:', ...showMatrix(trueConv));
  say('For training the difference does not matter (a network learns the flipped kernel just as well),');
  say('but the flip is there in the backward pass: dX above is a true convolution of dY with K.');
}

// ---- checks -------------------------------------------------------------------------------------

function checkOptions(opts: ExplainOptions) {
  if (!opts || typeof opts !== 'object') throw new TypeError('explainConv: expected an options object { input, kernel, stride?, padding?, dY? }');
  const X = checkMatrix('input', opts.input);
  const K = checkMatrix('kernel', opts.kernel);
  const s = opts.stride ?? 1, p = opts.padding ?? 0;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1) throw new RangeError(`explainConv: stride must be an integer >= 1, got ${String(s)}`);
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) throw new RangeError(`explainConv: padding must be an integer >= 0, got ${String(p)}`);
  const H = X.length, W = X[0].length, KH = K.length, KW = K[0].length;
  if (KH > H + 2 * p || KW > W + 2 * p) {
    throw new RangeError(`explainConv: kernel ${KH}×${KW} is larger than the padded input ${H + 2 * p}×${W + 2 * p} (input ${H}×${W}, padding ${p}); expected a kernel of at most ${H + 2 * p}×${W + 2 * p}, or more padding`);
  }
  const OH = convOutSize(H, KH, s, p), OW = convOutSize(W, KW, s, p);
  let dY: Matrix;
  if (opts.dY === undefined) dY = Array.from({ length: OH }, () => new Array<number>(OW).fill(1));
  else {
    dY = checkMatrix('dY', opts.dY);
    if (dY.length !== OH || dY[0].length !== OW) {
      throw new RangeError(`explainConv: dY must have the output's size ${OH}×${OW}, got ${dY.length}×${dY[0].length}`);
    }
  }
  return { X, K, s, p, dY, H, W, KH, KW, OH, OW };
}

/** A non-empty rectangular array of finite numbers, or a TypeError/RangeError that says what is wrong. */
function checkMatrix(name: string, v: unknown): Matrix {
  const expected = 'expected a 2-D array of numbers such as [[1,2],[3,4]]';
  if (!Array.isArray(v)) throw new TypeError(`explainConv: ${name} must be an array of rows, got ${describe(v)}; ${expected}`);
  if (v.length === 0) throw new RangeError(`explainConv: ${name} is empty; ${expected}`);
  v.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new TypeError(`explainConv: ${name}[${i}] must be a row (an array of numbers), got ${describe(row)}; ${expected}`);
    if (row.length === 0) throw new RangeError(`explainConv: ${name}[${i}] is an empty row; ${expected}`);
    if (row.length !== (v[0] as unknown[]).length) {
      throw new RangeError(`explainConv: ${name} is not rectangular: row ${i} has ${row.length} numbers, expected ${(v[0] as unknown[]).length} like row 0`);
    }
    row.forEach((x: unknown, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`explainConv: ${name}[${i}][${j}] must be a finite number, got ${describe(x)}`);
    });
  });
  return (v as number[][]).map((row) => [...row]);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`;
}

/** Throws if the narrated sum and the kernel's value differ beyond rounding. */
function assertSame(what: string, narrated: number, computed: number, kernel: string): void {
  if (Math.abs(narrated - computed) > 1e-9 * Math.max(1, Math.abs(narrated), Math.abs(computed))) {
    throw new Error(`explainConv: internal check failed: the narrated ${what} = ${narrated} but ${kernel} gave ${computed}`);
  }
}

/** '✓' when the analytic and numeric gradients agree to 1e-6 (relative, absolute near zero). */
function check(st: Styles, analytic: number, numeric: number): string {
  const ok = Math.abs(analytic - numeric) <= 1e-6 * Math.max(1, Math.abs(analytic), Math.abs(numeric));
  const n = numeric.toFixed(6).replace(/^-(0\.0+)$/, '$1');
  return ok ? `${st.green('✓')} finite difference ${n}` : `${st.red('✗')} finite difference ${n} DISAGREES`;
}

// ---- numbers ------------------------------------------------------------------------------------

/** Central differences in float64, one entry at a time: (f(v + h) - f(v - h)) / 2h. */
function finiteDifferences(v: Matrix, f: (v: Matrix) => number, h = 1e-5): Matrix {
  return v.map((row, i) => row.map((_, j) => {
    const plus = v.map((r) => [...r]), minus = v.map((r) => [...r]);
    plus[i][j] += h;
    minus[i][j] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  }));
}

/** A matrix as a float64 tensor (N = 1, C = 1, rows, cols), the layout the kernels take. */
function image(m: Matrix): Tensor {
  return new Tensor([1, 1, m.length, m[0].length], Float64Array.from(m.flat()));
}

function toMatrix(t: Tensor, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, i) => Array.from(t.data.subarray(i * cols, (i + 1) * cols)));
}

function sumProduct(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) s += a[i][j] * b[i][j];
  return s;
}

function padMatrix(m: Matrix, p: number): Matrix {
  const W = m[0].length + 2 * p;
  const zeros = () => new Array<number>(W).fill(0);
  return [...Array.from({ length: p }, zeros), ...m.map((r) => [...new Array(p).fill(0), ...r, ...new Array(p).fill(0)]), ...Array.from({ length: p }, zeros)];
}

/** Integers as integers, others to 6 significant digits; never '-0'. */
function fmt(v: number): string {
  if (v === 0) return '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** Equations padded to one width, so that their check marks line up. */
function aligned(rows: Array<[string, string]>): string[] {
  const w = Math.max(...rows.map(([eq]) => eq.length));
  return rows.map(([eq, note]) => `${eq.padEnd(w)}   ${note}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Rows of right-aligned numbers, indented by two spaces. */
function showMatrix(m: Matrix): string[] {
  const cells = m.map((r) => r.map(fmt));
  const w = Math.max(...cells.flat().map((c) => c.length));
  return cells.map((r) => '  ' + r.map((c) => c.padStart(w)).join('  '));
}

// ---- terminal styling ---------------------------------------------------------------------------

interface Styles { bold(s: string): string; dim(s: string): string; green(s: string): string; red(s: string): string }

function styles(color: boolean): Styles {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39) };
}

// ---- command line -------------------------------------------------------------------------------

export const EXPLAIN_USAGE = `usage: miniconv explain [--input '[[1,2,3],[4,5,6],[7,8,9]]'] [--kernel '[[-1,0],[0,1]]']
                        [--stride N] [--padding N] [--dy '[[1,1],[1,1]]'] [--no-color]
Writes out one convolution's forward and backward pass, number by number.
Without --input or --kernel it uses the seed article's example. Negative numbers: --padding=-1.`;

export interface ExplainIo { stdout(s: string): void; stderr(s: string): void }

const processIo: ExplainIo = {
  stdout: (s) => { process.stdout.write(s); },
  stderr: (s) => { process.stderr.write(s); },
};

/**
 * `miniconv explain ...`: parses argv (the arguments after 'explain'), prints the explanation and
 * returns the exit code: 0, or 2 with a one-line error and the usage on stderr for bad arguments.
 */
export function runExplainCli(argv: string[], io: ExplainIo = processIo): number {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' }, kernel: { type: 'string' }, dy: { type: 'string' },
        stride: { type: 'string' }, padding: { type: 'string' },
        'no-color': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) { io.stdout(EXPLAIN_USAGE + '\n'); return 0; }
    const color = !values['no-color'] && !process.env.NO_COLOR && process.stdout.isTTY === true;
    const { text } = explainConv({
      input: values.input === undefined ? SEED_INPUT : parseJson('--input', values.input),
      kernel: values.kernel === undefined ? SEED_KERNEL : parseJson('--kernel', values.kernel),
      dY: values.dy === undefined ? undefined : parseJson('--dy', values.dy),
      stride: values.stride === undefined ? undefined : parseInteger('--stride', values.stride),
      padding: values.padding === undefined ? undefined : parseInteger('--padding', values.padding),
      color,
    });
    io.stdout(text + '\n');
    return 0;
  } catch (e) {
    // Bad arguments (parseArgs' errors carry a code) and bad values; anything else is a bug and is rethrown.
    const usageError = e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!usageError) throw e;
    const message = (e as Error).message.replace(/^explainConv: /, '').replace(/\s*\n\s*/g, ' ');
    io.stderr(`miniconv explain: ${message}\n${EXPLAIN_USAGE}\n`);
    return 2;
  }
}

function parseJson(flag: string, text: string): number[][] {
  try {
    return JSON.parse(text) as number[][];
  } catch (e) {
    throw new SyntaxError(`${flag} is not valid JSON (${(e as Error).message}); expected a 2-D array such as '[[1,2],[3,4]]'`);
  }
}

function parseInteger(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new RangeError(`${flag} must be an integer, got '${text}'`);
  return Number(text);
}

// `npx tsx src/explain.ts --padding 1` runs it directly, before the CLI wiring exists.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = runExplainCli(process.argv.slice(2));
}
