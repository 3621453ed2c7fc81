// threads-bench.html: the page's run on 1 thread and on 2 (threads-bench-worker.ts), and two 1-thread
// runs at once in two workers (what the machine gives two independent jobs right now: the scale for
// the 2-thread figure, as bench/two-cores.ts is in Node), in interleaved rounds (the order turns each
// round: a drift in the machine's load hits all three alike), each in fresh workers, for ?rounds=N
// rounds of ?steps=S timed steps; writes a table into the page and sets window.threadsBenchResults for
// `npm run bench:playground-threads` (bench/playground-threads.ts). A pair's result has threads 0 and
// the two runs' images/s summed.

import type { ThreadsBenchRequest, ThreadsBenchResult } from './threads-bench-worker.ts';

const q = new URLSearchParams(location.search);
const rounds = Number(q.get('rounds') ?? 5);
const steps = Number(q.get('steps') ?? 40);
const out = document.getElementById('out')!;
const w = window as unknown as { threadsBenchResults?: ThreadsBenchResult[]; threadsBenchError?: string };

function run(threads: number): Promise<ThreadsBenchResult> {
  const worker = new Worker(new URL('./threads-bench-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<ThreadsBenchResult | { error: string }>) => {
      worker.terminate();
      if ('error' in ev.data) reject(new Error(ev.data.error)); else resolve(ev.data);
    };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage({ threads, steps, base: new URL('./', document.baseURI).href } satisfies ThreadsBenchRequest);
  });
}

async function main(): Promise<void> {
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50)) throw new RangeError(`?rounds must be an integer from 1 to 50, got ${q.get('rounds')}`);
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= 10_000)) throw new RangeError(`?steps must be an integer from 1 to 10000, got ${q.get('steps')}`);
  if (!crossOriginIsolated) throw new Error('this page is not cross-origin isolated, so it has no second thread: serve it with COOP same-origin and COEP require-corp (npm run playground does)');
  const results: ThreadsBenchResult[] = [];
  const orders = [[1, 2, 0], [2, 0, 1], [0, 1, 2]];
  for (let r = 1; r <= rounds; r++) {
    for (const threads of orders[(r - 1) % 3]) {
      out.textContent += `round ${r}: ${threads === 0 ? 'two 1-thread runs at once' : `${threads} thread${threads > 1 ? 's' : ''}`}… `;
      let res: ThreadsBenchResult;
      if (threads === 0) {
        const [a, b] = await Promise.all([run(1), run(1)]);
        res = { ...a, threads: 0, images: a.images + b.images, seconds: Math.max(a.seconds, b.seconds), imagesPerSec: a.imagesPerSec + b.imagesPerSec };
      } else {
        res = await run(threads);
      }
      results.push(res);
      out.textContent += `${res.imagesPerSec.toFixed(1)} images/s (${res.images} images in ${res.seconds.toFixed(2)} s)\n`;
    }
  }
  w.threadsBenchResults = results;
}

main().catch((e: Error) => { w.threadsBenchError = e.message; out.textContent += `\nerror: ${e.message}\n`; });
