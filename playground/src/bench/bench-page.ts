// bench.html: runs the in-page benchmark (bench-worker.ts) in turns, miniconv, ConvNetJS then TF.js-wasm,
// for ?rounds=N rounds (each in a fresh worker), writes a table into the page and sets
// window.benchResults for `npm run bench:playground` (bench/playground.ts) to read. Then the
// inference rounds (runInferenceRounds), in turns too: window.benchInferResults.

import type { BenchLibrary, BenchRequest, BenchResult, InferResult } from './bench-worker.ts';

const q = new URLSearchParams(location.search);
const rounds = Number(q.get('rounds') ?? 3);
const miniconvImages = Number(q.get('miniconv-images') ?? 8000);
const convnetImages = Number(q.get('convnet-images') ?? 640);
const tfjsImages = Number(q.get('tfjs-images') ?? 2000);
// Inference: the held-out digits (ConvNetJS, one image at a time, fewer), timed passes per round.
const inferImages = Number(q.get('infer-images') ?? 2000);
const convnetInferImages = Number(q.get('convnet-infer-images') ?? 500);
const inferPasses = Number(q.get('infer-passes') ?? 5);
const out = document.getElementById('out')!;
const w = window as unknown as { benchResults?: BenchResult[]; benchInferResults?: InferResult[]; benchError?: string };

function run(library: BenchLibrary, images: number): Promise<BenchResult> {
  return inWorker({ library, images, base: new URL('./', document.baseURI).href });
}

/** One request in a fresh worker. */
function inWorker<T>(request: BenchRequest): Promise<T> {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<T | { error: string }>) => {
      worker.terminate();
      const data = ev.data as { error?: string };
      if (typeof data.error === 'string') reject(new Error(data.error)); else resolve(ev.data as T);
    };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage(request);
  });
}

/** Inference of the three libraries, in turns, ?rounds rounds, each in a fresh worker (bench-infer.ts). */
async function runInferenceRounds(): Promise<InferResult[]> {
  const results: InferResult[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const [library, images] of [['miniconv', inferImages], ['tfjs-wasm', inferImages], ['convnetjs', convnetInferImages]] as const) {
      out.textContent += `inference round ${r}: ${library}… `;
      const res = await inWorker<InferResult>({ library, images, passes: inferPasses, task: 'infer', base: new URL('./', document.baseURI).href });
      results.push(res);
      out.textContent += `${res.imagesPerSec.toFixed(0)} images/s (median of ${res.passRates.length} passes over ${res.images} digits after ${res.warmup} warm-up passes` +
        `${res.maxLogitDiff === undefined ? '' : `; logits within ${res.maxLogitDiff.toExponential(1)} of miniconv's`})\n`;
    }
  }
  return results;
}

async function main(): Promise<void> {
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new RangeError(`?rounds must be an integer from 1 to 20, got ${q.get('rounds')}`);
  const results: BenchResult[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const [lib, n] of [['miniconv', miniconvImages], ['convnetjs', convnetImages], ['tfjs-wasm', tfjsImages]] as const) {
      out.textContent += `round ${r}: ${lib}… `;
      const res = await run(lib, n);
      results.push(res);
      out.textContent += `${res.imagesPerSec.toFixed(1)} images/s (${res.images} images in ${res.seconds.toFixed(2)} s, loss ${res.firstLoss.toFixed(3)} → ${res.lastLoss.toFixed(3)})\n`;
    }
  }
  w.benchResults = results;
  if (q.get('inference') !== '0') w.benchInferResults = await runInferenceRounds();
}

main().catch((e: Error) => { w.benchError = e.message; out.textContent += `\nerror: ${e.message}\n`; });
