// Writes the playground's generated assets into playground/public/ (git-ignored):
//   digits.bin    the bundled digits, split as `miniconv train` splits them (see ../src/digits-format.ts)
//   kernels.wasm  the plain-SIMD build of the wasm kernels (build/kernels.wasm, from npm run build:wasm)
//   kernels-relaxed.wasm  the relaxed-SIMD build (fused multiply-add), which the page prefers where the
//                 engine runs it: Chromium 156 does, without a flag and without cross-origin isolation
//                 (bench/relaxed-simd-browser.ts).
import { copyFileSync, existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDigits } from '../../datasets/mnist.ts';
import { decodeDigits, encodeDigits } from '../src/digits-format.ts';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

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
  // A temporary name of this process's own: two builds at once (browser test files run in parallel) each rename a whole file.
  const tmp = `${publicDir}digits.bin.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, publicDir + 'digits.bin');
  const wasm = fileURLToPath(new URL('../../build/kernels.wasm', import.meta.url));
  if (!existsSync(wasm)) throw new Error('make-assets: build/kernels.wasm is missing; run npm run build:wasm');
  copyAtomic(wasm, publicDir + 'kernels.wasm');
  const relaxed = fileURLToPath(new URL('../../build/kernels-relaxed.wasm', import.meta.url));
  if (!existsSync(relaxed)) throw new Error('make-assets: build/kernels-relaxed.wasm is missing; run npm run build:wasm');
  copyAtomic(relaxed, publicDir + 'kernels-relaxed.wasm');
  console.log(`playground assets: digits.bin (${train.count} + ${test.count} digits, ${(bytes.length / 1e6).toFixed(2)} MB), kernels.wasm, kernels-relaxed.wasm`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) makeAssets();

/** Copies through a temporary name of this process's own, so a build reading the folder never sees half a file. */
function copyAtomic(from: string, to: string): void {
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  renameSync(tmp, to);
}
