// The playground's figures, measured in Chromium (Debian's, driven by playwright-core):
//   1. training speed of the reference network (ConvNetJS's MNIST demo) in the page's Web Worker,
//      miniconv (wasm SIMD) and ConvNetJS 0.3.0 side by side in the same browser, in turns, for
//      --rounds rounds: images/s of each (median) and the ratio;
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
    await page.waitForFunction(() => (globalThis as { benchResults?: unknown; benchError?: string }).benchResults ?? (globalThis as { benchError?: string }).benchError, null, { timeout: 30 * 60_000, polling: 1000 });
    const err = await page.evaluate(() => (globalThis as { benchError?: string }).benchError);
    if (err) throw new Error(`bench page: ${err}`);
    const results = await page.evaluate(() => (globalThis as unknown as { benchResults: BenchResult[] }).benchResults);
    await page.close();
    const of = (lib: string) => results.filter((r) => r.library === lib);
    const m = median(of('miniconv').map((r) => r.imagesPerSec)), c = median(of('convnetjs').map((r) => r.imagesPerSec));
    console.log('\nTraining the reference network in a Web Worker (batch 32, SGD lr 0.01 momentum 0.9), images/s per round:');
    for (const [lib, med] of [['miniconv', m], ['convnetjs', c]] as const) {
      console.log(`  ${of(lib)[0].backend.padEnd(44)} ${of(lib).map((r) => r.imagesPerSec.toFixed(1)).join(', ')}   median ${med.toFixed(1)}`);
    }
    const ratios = of('miniconv').map((r, i) => r.imagesPerSec / of('convnetjs')[i].imagesPerSec);
    console.log(`  miniconv / ConvNetJS: ${(m / c).toFixed(1)}x (ratio of the medians; per round ${ratios.map((r) => r.toFixed(1)).join(', ')})`);
    report.speed = { results, miniconvMedian: m, convnetjsMedian: c, ratio: m / c, roundRatios: ratios };
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
