// Launching Debian's Chromium with playwright-core, for the browser tests, the playground bench and
// the screenshots. (`npx playwright install` cannot work on these machines: the browser comes from
// the `chromium` Debian package.)
import { existsSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Why the browser cannot be used here, with how to install it, or null when it can. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `Chromium not found at ${CHROMIUM}: the playground's browser tests need it. Install it with ` +
    '`sudo apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium binary.';
}

/** A fresh headless Chromium (playwright gives each launch its own temporary profile). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Collects the page's console errors and uncaught exceptions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}
