// The page's second training thread, measured in Chromium (Debian's, driven by playwright-core):
// the page's own run (its Trainer: the default model, `miniconv train`'s settings and augmentation,
// the relaxed-SIMD kernels) on 1 thread and on 2 threads sharing the weights (startWebThreads), in
// the cross-origin isolated page that `npm run playground` serves; interleaved rounds, each in a
// fresh Web Worker; training images/s per round, the median of each, and 2 threads over 1. Beside
// them, in the same rounds, two 1-thread runs at once in two workers (summed images/s): what the
// machine gives two independent jobs at that moment, the scale the 2-thread figure is read against
// (as bench/two-cores.ts is for Node).
// For scale, the same run in Node right after (the page's Trainer on ParallelTrainer, worker_threads),
// also interleaved: on a machine whose cores are busy with other work, two threads that meet at a
// barrier every step gain little or lose, in the page and in Node alike; the load average is printed.
// (A separate file from bench/playground.ts, which measures the page against its peers.)
//
//   npm run bench:playground-threads [-- --rounds 5] [--steps 40] [--skip-node] [--json FILE]
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { PLAYGROUND_DIST, buildPlayground, servePlayground } from '../playground/scripts/cli.ts';
import { decodeDigits } from '../playground/src/digits-format.ts';
import { DEFAULT_CONFIG } from '../playground/src/models.ts';
import { Trainer } from '../playground/src/trainer.ts';
import { ParallelTrainer } from '../src/train/parallel.ts';
import { chromiumMissing, launchChromium } from '../test/browser/browser.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, steps: { type: 'string', default: '40' }, json: { type: 'string' }, 'skip-node': { type: 'boolean' } } });
const rounds = Number(values.rounds), steps = Number(values.steps);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be an integer >= 1, got ${values.rounds}`);
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be an integer >= 1, got ${values.steps}`);
const missing = chromiumMissing();
if (missing) { console.error(`bench:playground-threads: ${missing}`); process.exit(1); }

/** playground/src/bench/threads-bench-worker.ts's result (declared again: that file is type-checked with the DOM, this one without). */
interface ThreadsBenchResult { threads: number; images: number; seconds: number; imagesPerSec: number; checksum: number; backend: string; isolated: boolean }
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

await buildPlayground();
const { url, close } = await servePlayground(0);
const browser = await launchChromium();
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const report: Record<string, unknown> = { date: new Date().toISOString(), machine: `${cpus().length} cores, ${cpus()[0]?.model ?? '?'}`, browser: browser.version(), loadBefore: load() };
console.log(`Chromium ${browser.version()} on ${report.machine}; ${report.date}; load average ${report.loadBefore}`);
try {
  const page = await browser.newPage();
  await page.goto(`${url}threads-bench.html?rounds=${rounds}&steps=${steps}`);
  type Page = { threadsBenchResults?: ThreadsBenchResult[]; threadsBenchError?: string };
  await page.waitForFunction(() => (globalThis as Page).threadsBenchResults ?? (globalThis as Page).threadsBenchError, null, { timeout: 60 * 60_000, polling: 1000 });
  const err = await page.evaluate(() => (globalThis as Page).threadsBenchError);
  if (err) throw new Error(`threads bench page: ${err}`);
  const results = await page.evaluate(() => (globalThis as Page).threadsBenchResults!);
  await page.close();
  const of = (t: number) => results.filter((r) => r.threads === t);
  const one = median(of(1).map((r) => r.imagesPerSec)), two = median(of(2).map((r) => r.imagesPerSec));
  console.log(`\nThe page's default run (batch ${of(1)[0].images / steps}, ${of(1)[0].backend}), ${steps} timed steps per round, training images/s per round (interleaved):`);
  for (const t of [1, 2]) console.log(`  ${t} thread${t > 1 ? 's' : ' '}  ${of(t).map((r) => r.imagesPerSec.toFixed(1)).join(', ')}   median ${median(of(t).map((r) => r.imagesPerSec)).toFixed(1)}`);
  const pair = median(of(0).map((r) => r.imagesPerSec));
  console.log(`  two 1-thread runs at once (summed)  ${of(0).map((r) => r.imagesPerSec.toFixed(1)).join(', ')}   median ${pair.toFixed(1)}`);
  const ratios = of(2).map((r, i) => r.imagesPerSec / of(1)[i].imagesPerSec);
  const pairRatios = of(0).map((r, i) => r.imagesPerSec / of(1)[i].imagesPerSec);
  console.log(`  2 threads / 1 thread: ${(two / one).toFixed(2)}x (ratio of the medians; per round ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  console.log(`  two runs at once / 1 thread: ${(pair / one).toFixed(2)}x (per round ${pairRatios.map((r) => r.toFixed(2)).join(', ')}); 2 threads reached ${((100 * two) / pair).toFixed(0)}% of it (issue 27's measure for Node's threads)`);
  for (const t of [1, 2, 0]) {
    const sums = new Set(of(t).map((r) => r.checksum));
    if (sums.size !== 1) throw new Error(`the ${t === 0 ? 'paired 1-thread' : `${t}-thread`} rounds trained different weights (checksums ${[...sums].join(', ')}): a run must be reproducible`);
  }
  report.loadAfter = load();
  console.log(`  every round of a thread count trained the same weights; load average after: ${report.loadAfter}`);
  report.results = results;
  report.medians = { one, two, pair, ratio: two / one, pairRatio: pair / one, roundRatios: ratios, pairRoundRatios: pairRatios };
} finally {
  await browser.close();
  await close();
}

if (!values['skip-node']) {
  // The same run, the same way (WARMUP untimed steps, then `steps` timed), in Node.
  const { train } = decodeDigits(new Uint8Array(readFileSync(`${PLAYGROUND_DIST}digits.bin`)));
  const nodeRound = (threads: number) => {
    const t = new Trainer(DEFAULT_CONFIG, train, undefined, threads > 1 ? { count: threads, factory: (m, sh, o) => new ParallelTrainer(m, sh, o) } : undefined);
    let ms = 0, images = 0;
    for (let k = 0; k < 3 + steps; k++) {
      const t0 = performance.now();
      const r = t.trainBatch();
      if (k >= 3) { ms += performance.now() - t0; images += r!.images; }
    }
    t.close();
    return (images * 1000) / ms;
  };
  const node: Record<number, number[]> = { 1: [], 2: [] };
  for (let r = 1; r <= rounds; r++) for (const threads of r % 2 === 1 ? [1, 2] : [2, 1]) node[threads].push(nodeRound(threads));
  const one = median(node[1]), two = median(node[2]);
  console.log(`\nThe same run in Node ${process.version} (ParallelTrainer, worker_threads), interleaved, training images/s per round:`);
  for (const t of [1, 2]) console.log(`  ${t} thread${t > 1 ? 's' : ' '}  ${node[t].map((v) => v.toFixed(1)).join(', ')}   median ${median(node[t]).toFixed(1)}`);
  console.log(`  2 threads / 1 thread: ${(two / one).toFixed(2)}x; load average after: ${load()}`);
  report.node = { one: node[1], two: node[2], ratio: two / one, loadAfter: load() };
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
