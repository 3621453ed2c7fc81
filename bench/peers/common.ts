// Shared by the peer benchmark scripts (tfjs.ts, convnetjs.ts, check-*.ts): command-line
// parsing, the fixture format, weight-layout conversions, timing statistics and the JSON report.
//
// The reference network (ConvNetJS's MNIST demo), input 28x28x1:
//   conv1 5x5x8 pad 2 -> ReLU -> maxpool 2/2 -> conv2 5x5x16 pad 2 -> ReLU -> maxpool 3/3 (14 -> 4)
//   -> flatten 4*4*16 = 256 -> dense 10 -> softmax cross-entropy (mean over the batch).
// Fixture weights use PyTorch layouts (NCHW, conv [F, C, KH, KW], dense [out, in], and the dense
// layer's 256 inputs flattened in CHW order: index = c*16 + y*4 + x).
import { readFileSync } from 'node:fs';
import { loadDigits } from '../../datasets/mnist.ts';
import type { Dataset } from '../../src/dataset.ts';

// The shapes, the fixture's format and the weight layouts live in layout.ts (no Node modules: the page imports them too).
import { CLASSES, PIXELS, WEIGHT_NAMES, WEIGHT_SHAPES, type Fixture, type WeightName } from './layout.ts';
export { IMG, PIXELS, CLASSES, C1, C2, K, P2, FLAT, WEIGHT_SHAPES, WEIGHT_NAMES, convToTf, denseToTfHwc, convFilterToConvnet, denseRowToConvnet, type Fixture, type WeightName } from './layout.ts';

export interface PeerArgs {
  fixture: string;
  backend: string | null;
  threads: number;
  /** Overrides (truncates) the fixture's trainOrder. */
  trainImages: number | null;
  /** Overrides the fixture's inferImages. */
  inferImages: number | null;
  /** How many timed inference passes over the test images (median reported). */
  inferRuns: number;
  /** At most how many untimed inference passes come first (warmUp): the steady state is timed, not the JIT's climb to it. */
  inferWarmup: number;
  /** miniconv.ts: where to write the trained model as ONNX (exportOnnx), for the ONNX Runtime peers. */
  saveOnnx: string | null;
  /** onnxruntime.ts: the ONNX file to run (the one miniconv.ts wrote). */
  onnx: string | null;
}

export function parseArgs(argv: string[] = process.argv.slice(2)): PeerArgs {
  const out: PeerArgs = { fixture: '', backend: null, threads: 1, trainImages: null, inferImages: null, inferRuns: 7, inferWarmup: INFER_WARMUP_PASSES, saveOnnx: null, onnx: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const s = value();
      const n = Number(s);
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got '${s}'`);
      return n;
    };
    switch (flag) {
      case '--fixture': out.fixture = value(); break;
      case '--backend': out.backend = value(); break;
      case '--threads': out.threads = int(1); break;
      case '--train-images': out.trainImages = int(0); break;
      case '--infer-images': out.inferImages = int(1); break;
      case '--infer-runs': out.inferRuns = int(1); break;
      case '--infer-warmup': out.inferWarmup = int(0); break;
      case '--save-onnx': out.saveOnnx = value(); break;
      case '--onnx': out.onnx = value(); break;
      default: throw new Error(`unknown argument '${a}'`);
    }
  }
  if (!out.fixture) throw new Error('--fixture FILE is required (make one with: npx tsx bench/peers/make-fixture.ts --out FILE)');
  return out;
}

export function loadFixture(file: string): Fixture {
  const f = JSON.parse(readFileSync(file, 'utf8')) as Partial<Fixture>;
  if (!f.weights || typeof f.weights !== 'object') throw new Error(`${file}: no 'weights' object`);
  for (const name of WEIGHT_NAMES) {
    const w = f.weights[name];
    const n = WEIGHT_SHAPES[name].reduce((a, b) => a * b, 1);
    if (!Array.isArray(w) || w.length !== n) {
      throw new Error(`${file}: weights['${name}'] must be an array of ${n} numbers (shape [${WEIGHT_SHAPES[name].join(', ')}]), got ${Array.isArray(w) ? w.length : typeof w}`);
    }
  }
  if (!Array.isArray(f.trainOrder)) throw new Error(`${file}: no 'trainOrder' array`);
  for (const key of ['batchSize', 'lr', 'momentum', 'inferBatch', 'inferImages'] as const) {
    if (typeof f[key] !== 'number' || !(f[key] >= 0)) throw new Error(`${file}: '${key}' must be a non-negative number`);
  }
  return f as Fixture;
}

/** The fixture with the command-line overrides applied, checked against the data set. */
export function resolveRun(fx: Fixture, args: PeerArgs, data: { train: Dataset; test: Dataset }) {
  const order = args.trainImages === null ? fx.trainOrder : fx.trainOrder.slice(0, args.trainImages);
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0 || i >= data.train.count) throw new Error(`trainOrder holds ${i}, not an index into the ${data.train.count} training images`);
  }
  const batches = Math.floor(order.length / fx.batchSize);
  const inferImages = Math.min(args.inferImages ?? fx.inferImages, data.test.count);
  return { order, batches, trainImages: batches * fx.batchSize, inferImages };
}

export function loadData(): { train: Dataset; test: Dataset } {
  return loadDigits();
}

// ---------------------------------------------------------------------------------------------
// Timing and reporting

/**
 * Untimed inference passes before the timed ones, by default: JavaScript engines compile a function
 * to optimised code only after it has run for a while, and an inference pass calls each layer's
 * JavaScript a few dozen times, so the first passes run partly in the interpreter and compile as
 * they go. With two threads there is no idle core for V8's background compiler, which then takes
 * time from the threads themselves: on this machine (2026-11-30, `--trace-opt`) miniconv's
 * two-thread inference was still compiling functions in pass 15; it ran at 26,000-48,000 img/s,
 * mostly in the 30,000s, over passes 1-19 and at 42,000-49,000 from about pass 20 (one thread: level
 * at ~27,000 from pass 2). Every library gets the same warm-up (warmUp), so the timed passes
 * compare the steady states.
 */
export const INFER_WARMUP_PASSES = 20;
/** The warm-up's cap in wall-clock time: a slow library (TF.js's cpu backend, ConvNetJS) stops warming up after it. */
export const INFER_WARMUP_MS = 3000;

/**
 * Runs `pass` up to `passes` times, untimed, stopping early once `budgetMs` have gone by (at least
 * one pass when passes > 0). Returns how many passes ran, for the report's notes.
 */
export function warmUp(pass: () => unknown, passes: number, budgetMs = INFER_WARMUP_MS): number {
  const t0 = performance.now();
  let done = 0;
  while (done < passes && (done === 0 || performance.now() - t0 < budgetMs)) {
    pass();
    done++;
  }
  return done;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Batches per throughput chunk: about 1000 images, but at least ~5 chunks on a short run
 * (the TF.js cpu backend is only run for a few hundred images).
 */
export function chunkBatches(batchSize: number, batches: number): number {
  return Math.max(1, Math.min(Math.round(1000 / batchSize), Math.floor(batches / 5)));
}

export interface Chunk { images: number; seconds: number; imagesPerSec: number; meanLoss: number }

/** Collects per-chunk throughput (and mean loss) while training; progress goes to stderr. */
export class ChunkTimer {
  /** Full chunks of `perChunk` batches. */
  readonly chunks: Chunk[] = [];
  /** A trailing partial chunk (left out of the median unless there is no full chunk). */
  partial: Chunk | null = null;
  private images = 0;
  private ms = 0;
  private lossSum = 0;
  private lossCount = 0;
  private done = 0;

  constructor(private readonly perChunk: number, private readonly label: string, private readonly totalImages: number) {}

  /** Records batch number `batchIndex` of `images` images that took `ms`, with its mean loss (NaN if not known). */
  add(images: number, ms: number, loss: number, batchIndex: number): void {
    this.images += images;
    this.ms += ms;
    this.done += images;
    if (Number.isFinite(loss)) { this.lossSum += loss; this.lossCount++; }
    if ((batchIndex + 1) % this.perChunk === 0) this.flush(true);
  }

  /** Closes the current chunk (call with false after the last batch). */
  flush(full: boolean): void {
    if (this.images === 0) return;
    const c: Chunk = { images: this.images, seconds: this.ms / 1000, imagesPerSec: this.images / (this.ms / 1000), meanLoss: this.lossSum / Math.max(1, this.lossCount) };
    if (full) this.chunks.push(c); else this.partial = c;
    process.stderr.write(`[${this.label}] ${this.done}/${this.totalImages} images: ${c.imagesPerSec.toFixed(1)} img/s over the last ${c.images}, mean loss ${c.meanLoss.toFixed(4)}\n`);
    this.images = 0; this.ms = 0; this.lossSum = 0; this.lossCount = 0;
  }

  medianImagesPerSec(): number {
    const src = this.chunks.length > 0 ? this.chunks : this.partial ? [this.partial] : [];
    return median(src.map((c) => c.imagesPerSec));
  }
}

export function peakRssMB(): number {
  // maxRSS is in kilobytes on Linux.
  return process.resourceUsage().maxRSS / 1024;
}

export function round(x: number | null, digits = 4): number | null {
  if (x === null || !Number.isFinite(x)) return x === null ? null : x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Writes the report as the last line of stdout and exits once it is flushed. */
export function finish(report: Record<string, unknown>, code = 0): void {
  const line = JSON.stringify(report) + '\n';
  process.stdout.write(line, () => process.exit(code));
}

/** Runs `main`; on an exception prints {"library", "error"} as the last stdout line and exits 1. */
export function runPeer(library: string, extra: Record<string, unknown>, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    const msg = e instanceof Error ? e.message : typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e);
    process.stderr.write(`[${library}] error: ${e instanceof Error && e.stack ? e.stack : msg}\n`);
    finish({ library, ...extra, error: msg }, 1);
  });
}

/** Argmax over each row of `logits` (rows of `classes`), counted against labels. */
export function countCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes = CLASSES): number {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[r * classes + k] > logits[r * classes + best]) best = k;
    if (best === labels[r]) correct++;
  }
  return correct;
}
