// The "Your classes" panel in Chromium (issue 21 §4): classes drawn on the pad (a circle, a line, a
// cross, 8 of each in varied places and sizes), trained in the worker, and a new drawing predicted
// with its class name in the Draw panel; PNGs uploaded through the file input; a frame of Chromium's
// fake camera taken as an example; the model downloaded and read by `miniconv predict`; the data set
// downloaded and loaded again. Without Chromium it is skipped, as test/browser/playground.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildPlayground, servePlayground } from '../../playground/scripts/cli.ts';
import { decodeClasses } from '../../playground/src/classes-format.ts';
import { runCli } from '../cli-run.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, collectErrors } from './browser.ts';

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const DataTransfer: any, DragEvent: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const missing = chromiumMissing();
const PAGE_TIMEOUT = 120_000;

type Pt = [number, number];
/** The three shapes, in pad coordinates 0..1, around (cx, cy) with radius r. */
function shape(kind: number, cx: number, cy: number, r: number): Pt[][] {
  if (kind === 0) return [Array.from({ length: 25 }, (_, i) => [cx + r * Math.cos((i / 24) * 2 * Math.PI), cy + r * Math.sin((i / 24) * 2 * Math.PI)] as Pt)];
  if (kind === 1) return [[[cx - r, cy + r * 0.2], [cx + r, cy - r * 0.2]]];
  return [[[cx - r, cy - r], [cx + r, cy + r]], [[cx - r, cy + r], [cx + r, cy - r]]];
}

async function strokes(page: Page, testId: string, lines: Pt[][]): Promise<void> {
  await page.getByTestId(testId).scrollIntoViewIfNeeded(); // the mouse moves in the viewport
  const box = (await page.getByTestId(testId).boundingBox())!;
  const at = ([x, y]: Pt) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const points of lines) {
    await page.mouse.move(...at(points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 2 });
    await page.mouse.up();
  }
}

/** A w x h PNG of a black ring (or a bar) on a coloured background, written with pngjs. */
function pngBytes(w: number, h: number, ring: boolean, bg: [number, number, number]): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - w / 2, dy = y - h / 2, d = Math.hypot(dx, dy), s = Math.min(w, h);
      const ink = ring ? Math.abs(d - s * 0.3) < s * 0.05 : Math.abs(dy) < s * 0.05 && Math.abs(dx) < s * 0.35;
      const i = 4 * (y * w + x);
      png.data[i] = ink ? 0 : bg[0]; png.data[i + 1] = ink ? 0 : bg[1]; png.data[i + 2] = ink ? 0 : bg[2]; png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const count = (page: Page, k: number) => page.evaluate((i: number) => Number(document.querySelectorAll('[data-testid=own-class]')[i]?.dataset.count), k);

describe.skipIf(missing !== null)('the Your classes panel in Chromium', () => {
  let browser: Browser;
  let url = '';
  let close = async () => {};
  let page: Page;
  let errors: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-classes-'));

  beforeAll(async () => {
    // A site of its own: playground.test.ts may build playground/dist at the same time.
    const site = join(dir, 'site');
    await buildPlayground(site);
    ({ url, close } = await servePlayground(0, site));
    // Chromium's fake camera (a moving test pattern) and no permission prompt.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, permissions: ['camera'] });
    page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT);
    errors = collectErrors(page);
    await page.goto(`${url}?panel=classes`);
    await page.waitForSelector('body[data-ready=true]', { timeout: PAGE_TIMEOUT });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await close();
  });

  test('three drawn classes train in the worker, and a new drawing is predicted with its class name', async () => {
    await page.getByTestId('classes-add').click();
    const names = ['circle', 'line', 'cross'];
    for (let k = 0; k < 3; k++) await page.getByTestId('class-name').nth(k).fill(names[k]);
    await page.getByTestId('class-name').nth(2).press('Tab'); // 'change' on the last name
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let k = 0; k < 3; k++) {
      await page.getByTestId('class-pick').nth(k).check();
      for (let i = 0; i < 8; i++) {
        await strokes(page, 'classes-draw', shape(k, 0.35 + 0.3 * rand(), 0.35 + 0.3 * rand(), 0.15 + 0.1 * rand()));
        await page.getByTestId('classes-draw-add').click();
      }
      expect(await count(page, k)).toBe(8);
    }
    expect(await page.getByTestId('class-thumb').count()).toBe(24);
    // A thumbnail can be removed (and drawn again).
    await page.getByTestId('thumb-remove').first().click();
    expect(await count(page, 0)).toBe(7);
    await page.getByTestId('class-pick').nth(0).check();
    await strokes(page, 'classes-draw', shape(0, 0.5, 0.5, 0.2));
    await page.getByTestId('classes-draw-add').click();
    expect(await count(page, 0)).toBe(8);

    await page.getByTestId('classes-train').click();
    await page.waitForFunction(() => document.querySelector('#panel-classes-body .panel-body')?.dataset.state === 'trained', null, { timeout: 240_000, polling: 250 });
    // The live figures and the confusion matrix, with the class names.
    expect(Number(await page.getByTestId('classes-step-value').textContent())).toBeGreaterThan(0);
    const confusion = (await page.getByTestId('classes-confusion').textContent())!;
    for (const n of names) expect(confusion).toContain(n);
    expect(await page.getByTestId('classes-status').textContent()).toMatch(/the best on the held-out pictures/);

    // The Draw panel now reads pictures for this model, and names its classes.
    await page.getByTestId('panel-draw').click();
    expect(await page.getByTestId('number-pad-off').isVisible()).toBe(true);
    await page.getByTestId('draw-clear').click();
    await strokes(page, 'draw-pad', shape(2, 0.5, 0.45, 0.22));
    await page.waitForFunction(() => document.querySelector('[data-testid=prediction]')?.textContent?.includes('sure'));
    await page.waitForTimeout(300);
    expect((await page.getByTestId('prediction').textContent())!).toMatch(/^cross/);
    await page.getByTestId('draw-clear').click();
    await strokes(page, 'draw-pad', shape(0, 0.45, 0.5, 0.25));
    await page.waitForTimeout(500);
    expect((await page.getByTestId('prediction').textContent())!).toMatch(/^circle/);
    // The Kernels panel draws the colour first layer in colour.
    await page.getByTestId('panel-kernels').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=kernels]')?.dataset.colour === 'true');
    // Backprop on the drawn picture, with the class names as labels: one step raises P(line).
    await page.getByTestId('panel-backprop').click();
    expect(await page.getByTestId('backprop-label').locator('option').allTextContents()).toEqual(names);
    await page.getByTestId('backprop-label').selectOption({ label: 'line' });
    await page.getByTestId('backprop-step').click();
    const after = page.getByTestId('backprop-p-after');
    await after.waitFor();
    expect(Number(await after.getAttribute('data-p-after'))).toBeGreaterThan(Number(await after.getAttribute('data-p-before')));
    expect(await page.getByTestId('backprop-result').textContent()).toContain('P(true label line)');
    expect(errors).toEqual([]);
  }, 300_000);

  test('the model downloads in the model file format, and miniconv predict reads a PNG with it', async () => {
    await page.getByTestId('panel-classes').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('classes-download-model').click()]);
    const model = join(dir, 'my-classes.json');
    await download.saveAs(model);
    const meta = JSON.parse(readFileSync(model, 'utf8')).metadata;
    expect(meta.classes).toEqual(['circle', 'line', 'cross']);
    expect(meta.picture).toEqual({ size: [32, 32], channels: 3, fit: 'crop', normalize: 'image' });
    const png = join(dir, 'ring.png');
    writeFileSync(png, pngBytes(90, 70, true, [255, 255, 255]));
    const r = await runCli('predict', model, png);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/circle/);
  }, 120_000);

  test('PNGs upload through the file input and by drag and drop, several at once, into the selected class', async () => {
    await page.getByTestId('class-pick').nth(1).check();
    const files = [0, 1, 2].map((i) => ({ name: `bar-${i}.png`, mimeType: 'image/png', buffer: pngBytes(40 + 20 * i, 40, false, [255, 240 - 60 * i, 200]) }));
    await page.getByTestId('classes-upload').setInputFiles(files);
    await page.waitForFunction(() => Number(document.querySelectorAll('[data-testid=own-class]')[1]?.dataset.count) === 11);
    // Dropped on the drop zone: two more at once.
    await page.getByTestId('classes-drop').evaluate(async (zone: any, pngs: string[]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const data = new DataTransfer();
      pngs.forEach((b64, i) => data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], `dropped-${i}.png`, { type: 'image/png' })));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, [pngBytes(50, 30, false, [200, 255, 200]).toString('base64'), pngBytes(30, 50, false, [255, 255, 255]).toString('base64')]);
    await page.waitForFunction(() => Number(document.querySelectorAll('[data-testid=own-class]')[1]?.dataset.count) === 13);
    // A file that is not a picture is named, and nothing is added for it.
    await page.getByTestId('classes-upload').setInputFiles([{ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') }]);
    await page.waitForFunction(() => document.getElementById('message')?.textContent?.includes('notes.png'));
    expect(await count(page, 1)).toBe(13);
  }, 60_000);

  test('a frame of the (fake) camera lands as a thumbnail', async () => {
    await page.getByTestId('class-pick').nth(2).check();
    await page.getByTestId('classes-camera').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=classes-video]') as { videoWidth?: number })?.videoWidth! > 0);
    await page.getByTestId('classes-capture').click();
    expect(await count(page, 2)).toBe(9);
    await page.getByTestId('classes-camera').click(); // stops it
  }, 60_000);

  test('the data set downloads as one file and loads again', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('classes-download-data').click()]);
    const file = join(dir, 'classes.json');
    await download.saveAs(file);
    const set = decodeClasses(readFileSync(file, 'utf8'), file);
    expect(set.map((c) => [c.name, c.examples.length])).toEqual([['circle', 8], ['line', 13], ['cross', 9]]);
    // Change the panel, then load the file: it asks before it replaces the examples; declined, nothing changes.
    await page.getByTestId('classes-add').click();
    page.once('dialog', (d) => void d.dismiss());
    await page.getByTestId('classes-load-data').setInputFiles(file);
    await page.waitForFunction(() => document.getElementById('message')?.textContent?.includes('not loaded'));
    expect(await page.getByTestId('own-class').count()).toBe(4);
    // Accepted, the classes come back as they were saved.
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('classes-load-data').setInputFiles(file);
    await page.waitForFunction(() => document.querySelector('#panel-classes-body .panel-body')?.dataset.loaded === '30');
    expect(await page.getByTestId('own-class').count()).toBe(3);
    expect(await page.getByTestId('class-name').evaluateAll((e: Array<{ value: string }>) => e.map((i) => i.value))).toEqual(['circle', 'line', 'cross']);
    // A damaged file is refused with a message naming it; the classes stay.
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'miniconv-classes', version: 1, size: [32, 32], channels: 3, classes: [{ name: 'a', examples: ['AAAA'] }, { name: 'b', examples: [] }] }));
    await page.getByTestId('classes-load-data').setInputFiles(bad); // refused before anything is asked
    await page.waitForFunction(() => document.getElementById('message')?.textContent?.includes('bad.json'));
    expect(await page.textContent('#message')).toContain('3 bytes, expected 3072');
    expect(await page.getByTestId('own-class').count()).toBe(3);
    expect(errors).toEqual([]);
  }, 60_000);
});
