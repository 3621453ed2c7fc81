// Writes the playground's generated assets into playground/public/ (git-ignored):
//   digits.bin    the bundled digits, split as `miniconv train` splits them (see ../src/digits-format.ts)
//   kernels.wasm  the plain-SIMD build of the wasm kernels (build/kernels.wasm, from npm run build:wasm)
//   kernels-relaxed.wasm  the relaxed-SIMD build (fused multiply-add), which the page prefers where the
//                 engine runs it: Chromium 156 does, without a flag and without cross-origin isolation
//                 (bench/relaxed-simd-browser.ts).
//   _headers      the cross-origin isolation headers (vite.config.ts's ISOLATION_HEADERS) in the format
//                 Netlify and Cloudflare Pages read from the site's folder
//   coi-serviceworker.min.js  coi-serviceworker (npm), for hosts that send no such headers: a service
//                 worker that adds them to every response of the site and reloads the page once
import { copyFileSync, existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadDigits } from '../../datasets/mnist.ts';
import { decodeDigits, encodeDigits } from '../src/digits-format.ts';
import { ISOLATION_HEADERS } from '../vite.config.ts';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
const tmpDir = fileURLToPath(new URL('../.assets-tmp/', import.meta.url));

/** playground/dist/_headers: every path of the site cross-origin isolated (Netlify's and Cloudflare Pages' format). */
export const HEADERS_FILE = `# The playground trains on two threads only when cross-origin isolated (docs/playground.md).
/*
${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`;

export function makeAssets(): void {
  mkdirSync(publicDir, { recursive: true });
  const { train, test } = loadDigits();
  const bytes = encodeDigits(train, test);
  // Round trip: the page must see exactly the CLI's pixels and labels.
  const back = decodeDigits(bytes);
  for (const [a, b] of [[train, back.train], [test, back.test]] as const) {
    if (a.count !== b.count || a.images.some((v, i) => v !== b.images[i]) || a.labels.some((v, i) => v !== b.labels[i])) {
      throw new Error('make-assets: digits.bin does not decode to the digits of loadDigits()');
    }
  }
  // Every file through a temporary name of this process, beside public/ (a build copies whatever
  // public/ holds), and a rename: two test files may build the page at once, and a build must never
  // copy a half-written asset.
  mkdirSync(tmpDir, { recursive: true });
  const tmp = (name: string) => `${tmpDir}${name}.${process.pid}`;
  const put = (name: string, write: (to: string) => void) => { write(tmp(name)); renameSync(tmp(name), publicDir + name); };
  put('digits.bin', (to) => writeFileSync(to, bytes));
  const wasm = fileURLToPath(new URL('../../build/kernels.wasm', import.meta.url));
  if (!existsSync(wasm)) throw new Error('make-assets: build/kernels.wasm is missing; run npm run build:wasm');
  put('kernels.wasm', (to) => copyFileSync(wasm, to));
  const relaxed = fileURLToPath(new URL('../../build/kernels-relaxed.wasm', import.meta.url));
  if (!existsSync(relaxed)) throw new Error('make-assets: build/kernels-relaxed.wasm is missing; run npm run build:wasm');
  put('kernels-relaxed.wasm', (to) => copyFileSync(relaxed, to));
  put('_headers', (to) => writeFileSync(to, HEADERS_FILE));
  put('coi-serviceworker.min.js', (to) => copyFileSync(createRequire(import.meta.url).resolve('coi-serviceworker/coi-serviceworker.min.js'), to));
  console.log(`playground assets: digits.bin (${train.count} + ${test.count} digits, ${(bytes.length / 1e6).toFixed(2)} MB), kernels.wasm, kernels-relaxed.wasm`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) makeAssets();
