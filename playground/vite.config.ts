// Vite builds the playground into playground/dist: relative paths (base './'), so that any static
// server, in any folder, can host it; no CDN, no external font or script.
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // The page imports miniconv by name, as a project that installed it would: in this repository the
  // "miniconv-source" condition of package.json `exports` leads to the TypeScript sources (the
  // "browser" one to src/index.browser.ts).
  resolve: { conditions: ['miniconv-source', ...defaultClientConditions] },
  publicDir: 'public', // digits.bin and kernels.wasm, written by scripts/make-assets.ts
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: { index: `${root}index.html`, bench: `${root}bench.html` } },
  },
  worker: { format: 'es' },
});
