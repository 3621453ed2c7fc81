// The page's two training threads (issue 27 §3), in Debian's Chromium: cross-origin isolated by the
// server's headers or, on a host that sends none, by the service worker; the status line says which;
// and the page's run on 2 threads has the bits of Node's threaded trainer on 2 threads (the same
// Trainer, seed, data and kernels), which differ from those of 1 thread.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildPlayground, servePlayground } from '../../playground/scripts/cli.ts';
import { decodeDigits } from '../../playground/src/digits-format.ts';
import { DEFAULT_CONFIG } from '../../playground/src/models.ts';
import { Trainer } from '../../playground/src/trainer.ts';
import { deserializeModel } from '../../src/io/model-format.ts';
import type { Sequential } from '../../src/layers/sequential.ts';
import { ParallelTrainer } from '../../src/train/parallel.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, collectErrors, launchChromium } from './browser.ts';

const missing = chromiumMissing();
/** This file's own build of the page: playground.test.ts builds playground/dist at the same time, and a build empties its folder. */
const DIST = join(mkdtempSync(join(tmpdir(), 'miniconv-page-threads-')), 'dist');
const PAGE_TIMEOUT = 120_000;
/** Steps of the default model compared; the momentum is changed (the Train panel's live control) after MOMENTUM_AT of them. */
const STEPS = 6, MOMENTUM_AT = 3, NEW_MOMENTUM = 0.5;

/** SHA-256 of every parameter's float32 bytes, in order. */
function weightsHash(model: Sequential): string {
  const h = createHash('sha256');
  for (const p of model.params()) {
    const d = Float32Array.from(p.value.data);
    h.update(new Uint8Array(d.buffer));
  }
  return h.digest('hex');
}

/** The default run's weights after STEPS steps of the page's Trainer in Node, on `threads` threads. */
function nodeHash(threads: number): string {
  const { train } = decodeDigits(new Uint8Array(readFileSync(join(DIST, 'digits.bin'))));
  const t = new Trainer(DEFAULT_CONFIG, train, undefined, threads > 1 ? { count: threads, factory: (m, s, o) => new ParallelTrainer(m, s, o) } : undefined);
  try {
    for (let i = 0; i < STEPS; i++) {
      if (i === MOMENTUM_AT) t.optimizer.setMomentum(NEW_MOMENTUM); // what the page's 'rates' message does
      t.trainBatch();
    }
    return weightsHash(t.model);
  } finally {
    t.close();
  }
}

/** The playground's folder served with no header of its own (a host that sends no COOP/COEP). */
function plainServer(): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.bin': 'application/octet-stream' };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(DIST, path.endsWith('/') ? `${path}index.html` : path);
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
  }));
}

async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT);
  const errors = collectErrors(page);
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]');
  return { page, errors };
}

describe.skipIf(missing !== null)('the page on two threads, in Chromium', () => {
  let browser: Browser;
  let served: { url: string; close: () => Promise<void> };
  let plain: { server: Server; url: string };

  beforeAll(async () => {
    await buildPlayground(DIST);
    served = await servePlayground(0, DIST);
    plain = await plainServer();
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    plain?.server.close();
  });

  test(`after ${STEPS} steps on 2 threads (the momentum changed on the way) the page's weights are Node's threaded trainer's on 2 threads, bit for bit`, async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const { page, errors } = await openPage(context, served.url);
    expect(await page.textContent('#backend')).toContain('· 2 threads (cross-origin isolated) ·');
    const stepsShown = (n: number) => page.waitForFunction((k) => (globalThis as any).document.querySelector('[data-testid=step-value]')?.textContent === String(k), n); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < MOMENTUM_AT; i++) await page.getByTestId('train-step').click();
    await stepsShown(MOMENTUM_AT);
    await page.getByTestId('cfg-momentum').fill(String(NEW_MOMENTUM));
    await page.getByTestId('cfg-momentum').dispatchEvent('change'); // from the next step, as the panel says
    for (let i = MOMENTUM_AT; i < STEPS; i++) await page.getByTestId('train-step').click();
    await stepsShown(STEPS);
    await page.getByTestId('panel-models').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('model-download').click()]);
    const file = join(mkdtempSync(join(tmpdir(), 'miniconv-threads-')), 'digits.json');
    await download.saveAs(file);
    const { model, metadata } = deserializeModel(readFileSync(file, 'utf8'), file);
    expect(metadata.steps).toBe(STEPS);
    expect(metadata.threads).toBe(2);
    const pageHash = weightsHash(model);
    const two = nodeHash(2), one = nodeHash(1);
    expect(two).not.toBe(one); // the comparison can fail: the thread count changes the bits
    expect(pageHash).toBe(two);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);

  test('on a host that sends no headers, the service worker makes the page cross-origin isolated: 2 threads', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT);
    await page.goto(plain.url);
    // coi-serviceworker registers itself and reloads the page once; the reloaded page is isolated.
    await page.waitForFunction(() => (globalThis as any).document.body?.dataset.ready === 'true' && (globalThis as any).crossOriginIsolated === true); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(await page.textContent('#backend')).toContain('· 2 threads (cross-origin isolated) ·');
    await page.getByTestId('train-step').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=step-value]')?.textContent === '1'); // eslint-disable-line @typescript-eslint/no-explicit-any
    await context.close();
  }, 300_000);

  test('on plain http from another host (no headers, and no service worker outside https or localhost), the page trains on 1 thread and says why', async () => {
    // A name other than localhost for the same server: the page is not a secure context there.
    const port = new URL(plain.url).port;
    const other = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP miniconv.test 127.0.0.1'], headless: true });
    try {
      const { page, errors } = await openPage(await other.newContext(), `http://miniconv.test:${port}/`);
      expect(await page.evaluate(() => (globalThis as any).crossOriginIsolated)).toBe(false); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(await page.textContent('#backend')).toContain('· 1 thread: not cross-origin isolated because the server sends no Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers, and the service worker that adds them needs https or localhost ·');
      await page.getByTestId('train-step').click();
      await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=step-value]')?.textContent === '1'); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  }, 300_000);

  test('?threads=1 trains on one thread, and says so', async () => {
    const context = await browser.newContext();
    const { page, errors } = await openPage(context, `${served.url}?threads=1`);
    expect(await page.textContent('#backend')).toContain('· 1 thread (the URL asks for threads=1) ·');
    await page.getByTestId('train-step').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=step-value]')?.textContent === '1'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
