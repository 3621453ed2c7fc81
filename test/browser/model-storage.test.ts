// Saving and loading a model in a browser page (Debian's Chromium, playwright-core): to IndexedDB and
// back across a page reload, and from a URL, through the package's browser entry bundled by esbuild.
// The page is served on a made-up http origin by playwright's request routing (IndexedDB needs an
// origin; about:blank has none). Without Chromium these tests are skipped (CI=true: they fail).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Conv2D, Dense, Flatten, type IndexedDbFactory, MaxPool2D, ReLU, Sequential, createRng, serializeModel } from '../../src/index.ts';
import { chromiumMissing, collectErrors, launchChromium } from './browser.ts';

const missing = chromiumMissing();
const ORIGIN = 'http://miniconv.test';

/** A small seeded model, as the page builds it too (the same code, on both sides). */
function smallModel(seed: number): Sequential {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
    new Flatten(), new Dense({ inFeatures: 3 * 4 * 4, outFeatures: 5, rng }),
  ]);
}
const MODEL_FILE = serializeModel(smallModel(7), [1, 8, 8], { classes: ['a', 'b', 'c', 'd', 'e'] });

let browser: Browser;
let page: Page;
let errors: string[];
let bundle: string;

async function openPage(): Promise<void> {
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => (globalThis as { miniconv?: unknown }).miniconv !== undefined);
}

describe.skipIf(missing !== null && process.env.CI !== 'true')('model files in the browser: IndexedDB and URLs', () => {
  beforeAll(async () => {
    const { build } = await import('esbuild');
    const r = await build({
      stdin: { contents: "import * as m from 'miniconv'; globalThis.miniconv = m;", resolveDir: import.meta.dirname, loader: 'js' },
      bundle: true, write: false, format: 'esm', platform: 'browser', conditions: ['miniconv-source', 'browser'], logLevel: 'error',
    });
    bundle = r.outputFiles[0].text;
    browser = await launchChromium();
    page = await browser.newPage();
    errors = collectErrors(page);
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/bundle.js"></script>' });
      if (path === '/bundle.js') return route.fulfill({ contentType: 'text/javascript', body: bundle });
      if (path === '/models/small.json') return route.fulfill({ contentType: 'application/json', body: MODEL_FILE });
      if (path === '/models/broken.json') return route.fulfill({ contentType: 'application/json', body: MODEL_FILE.slice(0, 200) });
      return route.fulfill({ status: 404, body: 'not found' });
    });
    await openPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('saveModelToIndexedDb, then a reload, then loadModelFromIndexedDb: the same model file and the same outputs', async () => {
    const before = await page.evaluate(async () => {
      const m = (globalThis as unknown as { miniconv: typeof import('../../src/index.browser.ts') }).miniconv;
      const rng = m.createRng(3);
      const model = new m.Sequential([
        new m.Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1, rng }), new m.ReLU(), new m.MaxPool2D({ kernelSize: 2 }),
        new m.Flatten(), new m.Dense({ inFeatures: 3 * 4 * 4, outFeatures: 5, rng }),
      ]);
      await m.saveModelToIndexedDb('small', model, [1, 8, 8], { classes: ['a', 'b', 'c', 'd', 'e'] });
      const x = new m.Tensor([2, 1, 8, 8], Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)));
      model.eval();
      return { text: m.serializeModel(model, [1, 8, 8], { classes: ['a', 'b', 'c', 'd', 'e'] }), y: Array.from(model.forward(x).data), keys: await m.listModelsInIndexedDb() };
    });
    expect(before.keys).toEqual(['small']);
    await openPage(); // a new page: nothing survives but what IndexedDB holds
    const after = await page.evaluate(async () => {
      const m = (globalThis as unknown as { miniconv: typeof import('../../src/index.browser.ts') }).miniconv;
      const { model, inputShape, metadata } = await m.loadModelFromIndexedDb('small');
      const x = new m.Tensor([2, 1, 8, 8], Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)));
      return { text: m.serializeModel(model, inputShape, metadata), y: Array.from(model.forward(x).data), classes: metadata.classes };
    });
    expect(after.text).toBe(before.text);
    expect(after.y).toEqual(before.y);
    expect(after.classes).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('loadModelFromUrl: the model file that Node wrote, weights and metadata intact', async () => {
    const text = await page.evaluate(async () => {
      const m = (globalThis as unknown as { miniconv: typeof import('../../src/index.browser.ts') }).miniconv;
      const { model, inputShape, metadata } = await m.loadModelFromUrl('/models/small.json');
      return m.serializeModel(model, inputShape, metadata);
    });
    expect(text).toBe(MODEL_FILE);
  });

  test('errors name what was wrong: no such key, a 404, a truncated file, a record that is not a model, a limit', async () => {
    const messages = await page.evaluate(async () => {
      const m = (globalThis as unknown as { miniconv: typeof import('../../src/index.browser.ts') }).miniconv;
      const caught = async (f: () => Promise<unknown>) => { try { await f(); return 'no error'; } catch (e) { return (e as Error).message; } };
      // A record written by someone else into miniconv's store.
      await new Promise<void>((resolve, reject) => {
        const open = (globalThis as unknown as { indexedDB: IndexedDbFactory }).indexedDB.open('miniconv', 1);
        open.onsuccess = () => {
          const tx = open.result.transaction('models', 'readwrite');
          tx.objectStore('models').put({ hello: 1 }, 'stranger');
          tx.oncomplete = () => { open.result.close(); resolve(); };
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      });
      return {
        missing: await caught(() => m.loadModelFromIndexedDb('nothing-here')),
        emptyKey: await caught(() => m.loadModelFromIndexedDb('')),
        stranger: await caught(() => m.loadModelFromIndexedDb('stranger')),
        notFound: await caught(() => m.loadModelFromUrl('/models/none.json')),
        broken: await caught(() => m.loadModelFromUrl('/models/broken.json')),
        tooBig: await caught(() => m.loadModelFromUrl('/models/small.json', { maxBytes: 100 })),
        keysAfterDelete: await m.deleteModelFromIndexedDb('stranger').then(() => m.listModelsInIndexedDb()),
      };
    });
    expect(messages.missing).toMatch(/loadModelFromIndexedDb: no model saved under 'nothing-here' in the database 'miniconv'/);
    expect(messages.emptyKey).toMatch(/loadModelFromIndexedDb: key must be a non-empty string/);
    expect(messages.stranger).toMatch(/loadModelFromIndexedDb: indexeddb:\/\/stranger does not hold a model saved by miniconv/);
    expect(messages.notFound).toMatch(/loadModelFromUrl: \/models\/none\.json answered 404/);
    expect(messages.broken).toMatch(/\/models\/broken\.json/);
    expect(messages.tooBig).toMatch(/loadModelFromUrl: \/models\/small\.json is .*more than maxBytes 100/);
    expect(messages.keysAfterDelete).toEqual(['small']);
    expect(errors.filter((e) => !/Failed to load resource: .* 404/.test(e))).toEqual([]); // the 404 is the test's own
  });
});
