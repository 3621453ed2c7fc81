// bench.html: runs the in-page benchmark (bench-worker.ts) in turns, miniconv then ConvNetJS, for
// ?rounds=N rounds (each in a fresh worker), writes a table into the page and sets
// window.benchResults for `npm run bench:playground` (bench/playground.ts) to read.

import type { BenchRequest, BenchResult } from './bench-worker.ts';

const q = new URLSearchParams(location.search);
const rounds = Number(q.get('rounds') ?? 3);
const miniconvImages = Number(q.get('miniconv-images') ?? 8000);
const convnetImages = Number(q.get('convnet-images') ?? 640);
const out = document.getElementById('out')!;
const w = window as unknown as { benchResults?: BenchResult[]; benchError?: string };

function run(library: BenchRequest['library'], images: number): Promise<BenchResult> {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<BenchResult | { error: string }>) => {
      worker.terminate();
      if ('error' in ev.data) reject(new Error(ev.data.error)); else resolve(ev.data);
    };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage({ library, images, base: new URL('./', document.baseURI).href } satisfies BenchRequest);
  });
}

async function main(): Promise<void> {
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new RangeError(`?rounds must be an integer from 1 to 20, got ${q.get('rounds')}`);
  const results: BenchResult[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const [lib, n] of [['miniconv', miniconvImages], ['convnetjs', convnetImages]] as const) {
      out.textContent += `round ${r}: ${lib}… `;
      const res = await run(lib, n);
      results.push(res);
      out.textContent += `${res.imagesPerSec.toFixed(1)} images/s (${res.images} images in ${res.seconds.toFixed(2)} s, loss ${res.firstLoss.toFixed(3)} → ${res.lastLoss.toFixed(3)})\n`;
    }
  }
  w.benchResults = results;
}

main().catch((e: Error) => { w.benchError = e.message; out.textContent += `\nerror: ${e.message}\n`; });
