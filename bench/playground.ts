// The playground's figures, measured in Chromium (Debian's, driven by playwright-core):
//   1. training speed of the reference network (ConvNetJS's MNIST demo) in the page's Web Worker,
//      miniconv (wasm SIMD), ConvNetJS 0.3.0 and TF.js 4.22's wasm backend (XNNPACK, SIMD, one
//      thread; its .wasm served by the page's own server) side by side in the same browser, in
//      turns, for --rounds rounds: images/s of each (median) and the ratios; then their inference
//      of the 2,000 held-out digits, in turns too (playground/src/bench/bench-infer.ts);
//   2. how long the page's default model (the settings of `miniconv train`) takes to reach 98%
//      held-out accuracy: wall clock from pressing Start to the end of the first epoch whose
//      evaluation on the 2,000 held-out digits reaches 98%.
//
//   npm run bench:playground [-- --rounds 3] [--skip-speed] [--skip-accuracy] [--json FILE]
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { buildPlayground, servePlayground } from '../playground/scripts/cli.ts';
import { chromiumMissing, launchChromium } from '../test/browser/browser.ts';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, 'skip-speed': { type: 'boolean' }, 'skip-accuracy': { type: 'boolean' },
  json: { type: 'string' }, 'max-minutes': { type: 'string', default: '15' },
} });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be an integer >= 1, got ${values.rounds}`);
const missing = chromiumMissing();
if (missing) { console.error(`bench:playground: ${missing}`); process.exit(1); }

interface BenchResult { library: string; images: number; seconds: number; imagesPerSec: number; firstLoss: number; lastLoss: number; backend: string }
interface InferResult { library: string; images: number; imagesPerSec: number; passRates: number[]; accuracy: number; warmup: number; backend: string; maxLogitDiff?: number }
type BenchGlobals = { benchResults?: BenchResult[]; benchInferResults?: InferResult[]; benchError?: string };
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

await buildPlayground();
const { url, close } = await servePlayground(0);
const browser = await launchChromium();
const report: Record<string, unknown> = { date: new Date().toISOString(), machine: `${cpus().length} cores, ${cpus()[0]?.model ?? '?'}`, browser: browser.version() };
console.log(`Chromium ${browser.version()} on ${report.machine}; ${new Date().toISOString()}`);
try {
  if (!values['skip-speed']) {
    const page = await browser.newPage();
    await page.goto(`${url}bench.html?rounds=${rounds}`);
    // Done when the inference rounds that follow the training rounds have reported, or on an error.
    await page.waitForFunction(() => { const g = globalThis as BenchGlobals; return g.benchInferResults ?? g.benchError; }, null, { timeout: 30 * 60_000, polling: 1000 });
    const { benchResults: results, benchInferResults: inference, benchError: err } = await page.evaluate(() => {
      const g = globalThis as BenchGlobals;
      return { benchResults: g.benchResults, benchInferResults: g.benchInferResults, benchError: g.benchError };
    });
    if (err || !results || !inference) throw new Error(`bench page: ${err ?? 'no results'}`);
    await page.close();
    report.speed = reportTraining(results);
    report.inference = reportInference(inference);
  }
  if (!values['skip-accuracy']) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}?panel=train`); // the default model and settings
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    const t0 = Date.now();
    await page.getByTestId('train-start').click();
    const epochs: Array<{ epoch: number; accuracy: number; seconds: number }> = [];
    const limit = Number(values['max-minutes']) * 60_000;
    console.log('\nThe default model in the page, held-out accuracy after each epoch (2,000 digits):');
    while (Date.now() - t0 < limit) {
      const text = await page.getByTestId('confusion').textContent({ timeout: 5000 }).catch(() => '');
      const m = /After epoch (\d+): held-out accuracy ([\d.]+)%/.exec(text ?? '');
      if (m && Number(m[1]) > (epochs.at(-1)?.epoch ?? 0)) {
        const e = { epoch: Number(m[1]), accuracy: Number(m[2]), seconds: (Date.now() - t0) / 1000 };
        epochs.push(e);
        console.log(`  epoch ${e.epoch}: ${e.accuracy.toFixed(2)}% at ${e.seconds.toFixed(1)} s (${await page.getByTestId('rate-value').textContent()} images/s)`);
        if (e.accuracy >= 98) break;
      }
      await page.waitForTimeout(500);
    }
    await page.getByTestId('train-pause').click();
    const hit = epochs.find((e) => e.accuracy >= 98);
    console.log(hit ? `  reached 98% held-out accuracy after epoch ${hit.epoch}, ${hit.seconds.toFixed(1)} s after Start`
      : `  did not reach 98% within ${values['max-minutes']} minutes`);
    report.accuracy = { epochs, reached: hit ?? null };
    await page.close();
  }
} finally {
  await browser.close();
  await close();
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));

/** The training table: images/s per round and median for each library, and miniconv's ratios over each peer (medians, and per round). */
function reportTraining(results: BenchResult[]) {
  const of = (lib: string) => results.filter((r) => r.library === lib);
  const libs = ['miniconv', 'tfjs-wasm', 'convnetjs'].filter((lib) => of(lib).length > 0);
  const med = Object.fromEntries(libs.map((lib) => [lib, median(of(lib).map((r) => r.imagesPerSec))]));
  console.log('\nTraining the reference network in a Web Worker (batch 32, SGD lr 0.01 momentum 0.9), images/s per round:');
  for (const lib of libs) console.log(`  ${of(lib)[0].backend.padEnd(44)} ${of(lib).map((r) => r.imagesPerSec.toFixed(1)).join(', ')}   median ${med[lib].toFixed(1)}`);
  const ratios: Record<string, { ratio: number; roundRatios: number[] }> = {};
  for (const peer of libs.filter((l) => l !== 'miniconv')) {
    const perRound = of('miniconv').map((r, i) => r.imagesPerSec / of(peer)[i].imagesPerSec);
    ratios[peer] = { ratio: med.miniconv / med[peer], roundRatios: perRound };
    console.log(`  miniconv / ${peer === 'convnetjs' ? 'ConvNetJS' : 'TF.js-wasm'}: ${(med.miniconv / med[peer]).toFixed(2)}x (ratio of the medians; per round ${perRound.map((r) => r.toFixed(2)).join(', ')})`);
  }
  const first = of('tfjs-wasm')[0], mine = of('miniconv')[0];
  if (first && mine) console.log(`  first-batch loss, same weights and digits: miniconv ${mine.firstLoss.toFixed(6)}, TF.js-wasm ${first.firstLoss.toFixed(6)}`);
  // The keys of before TF.js joined (miniconvMedian, convnetjsMedian, ratio) stay for whoever reads the JSON.
  return { results, medians: med, ratios, miniconvMedian: med.miniconv, convnetjsMedian: med.convnetjs, ratio: ratios.convnetjs?.ratio, roundRatios: ratios.convnetjs?.roundRatios };
}

/** The inference table: images/s of the median pass per round, the median over the rounds, and miniconv's ratios. */
function reportInference(results: InferResult[]) {
  const of = (lib: string) => results.filter((r) => r.library === lib);
  const libs = ['miniconv', 'tfjs-wasm', 'convnetjs'].filter((lib) => of(lib).length > 0);
  const med = Object.fromEntries(libs.map((lib) => [lib, median(of(lib).map((r) => r.imagesPerSec))]));
  console.log('\nInference of the held-out digits in a Web Worker (batches of 100; ConvNetJS one image at a time), images/s per round:');
  for (const lib of libs) {
    const r0 = of(lib)[0];
    console.log(`  ${r0.backend.padEnd(44)} ${of(lib).map((r) => r.imagesPerSec.toFixed(0)).join(', ')}   median ${med[lib].toFixed(0)}  (${r0.images} digits, ${r0.passRates.length} timed passes a round)`);
  }
  const ratios: Record<string, number> = {};
  for (const peer of libs.filter((l) => l !== 'miniconv')) {
    ratios[peer] = med.miniconv / med[peer];
    const perRound = of('miniconv').map((r, i) => r.imagesPerSec / of(peer)[i].imagesPerSec);
    console.log(`  miniconv / ${peer === 'convnetjs' ? 'ConvNetJS' : 'TF.js-wasm (fused)'}: ${ratios[peer].toFixed(2)}x (per round ${perRound.map((r) => r.toFixed(2)).join(', ')})`);
  }
  const diff = of('tfjs-wasm').map((r) => r.maxLogitDiff ?? NaN);
  if (diff.length) console.log(`  TF.js-wasm's logits of the first 100 digits against miniconv's, same initial weights: largest difference ${Math.max(...diff).toExponential(1)}`);
  return { results, medians: med, ratios };
}
