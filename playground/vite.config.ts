// Vite builds the playground into playground/dist: relative paths (base './'), so that any static
// server, in any folder, can host it; no CDN, no external font or script.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Cross-origin isolation, which gives the page SharedArrayBuffer and so its second training thread
 * (web-threads.ts). The static build carries the same two headers for hosts that read a `_headers`
 * file (Netlify, Cloudflare Pages: scripts/make-assets.ts writes it), and coi-serviceworker adds them
 * where the host sends none (index.html). docs/playground.md lists them for other hosts.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root,
  base: './',
  // The page imports miniconv by name, as a project that installed it would: in this repository the
  // "miniconv-source" condition of package.json `exports` leads to the TypeScript sources (the
  // "browser" one to src/index.browser.ts).
  resolve: { conditions: ['miniconv-source', ...defaultClientConditions] },
  publicDir: 'public', // digits.bin, kernels.wasm, _headers, coi-serviceworker.min.js: written by scripts/make-assets.ts
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: { index: `${root}index.html`, bench: `${root}bench.html`, 'threads-bench': `${root}threads-bench.html` } },
  },
  worker: { format: 'es' },
});
