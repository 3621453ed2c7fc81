// Builds the package's dist/ (`npm run build`; npm runs it before `npm pack` and `npm publish` as
// `prepack`):
//   1. tsc -p tsconfig.build.json  src/, datasets/ and bin/main.ts -> dist/ as ES modules, with .d.ts
//                                  declarations and source maps (sources inlined: the tarball holds no src/);
//   2. the plain JavaScript files tsc does not emit (src/**/*.mjs and their .d.mts), same place in dist/;
//   3. the prebuilt WebAssembly kernels, build/*.wasm -> dist/build/, where the loader
//      (dist/src/kernels/wasm/loader.js, '../../../build/') finds them;
//   4. a check that the compiled package loads those kernels (wasmStatus() === 'wasm').
// `npm run build` compiles the wasm first (build:wasm); this script only copies it, and fails if it
// is missing, so that no package ships without its kernels.
//
// Plain JavaScript, run by node: the build needs no TypeScript loader.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const WASM_FILES = ['kernels.wasm', 'kernels-relaxed.wasm'];

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

/** Every file under `dir` whose name passes `keep`, as absolute paths. */
function filesUnder(dir, keep) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path, keep);
    return keep(e.name) ? [path] : [];
  });
}

rmSync(dist, { recursive: true, force: true }); // no file of an earlier build survives into the tarball

// 1. TypeScript -> dist/
const tsPackage = createRequire(import.meta.url).resolve('typescript/package.json');
const tsc = join(dirname(tsPackage), JSON.parse(readFileSync(tsPackage, 'utf8')).bin.tsc);
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) fail(`tsc -p tsconfig.build.json failed (exit code ${compiled.status})`);

// 2. The .mjs modules (the worker thread's entry and the protocol it shares with the main thread)
for (const dir of ['src', 'datasets']) {
  for (const file of filesUnder(join(root, dir), (name) => name.endsWith('.mjs') || name.endsWith('.d.mts'))) {
    const to = join(dist, relative(root, file));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to);
  }
}

// 3. The WebAssembly kernels
mkdirSync(join(dist, 'build'), { recursive: true });
for (const name of WASM_FILES) {
  const from = join(root, 'build', name);
  if (!existsSync(from)) fail(`build/${name} is missing: run npm run build:wasm (it needs the assemblyscript dev dependency)`);
  copyFileSync(from, join(dist, 'build', name));
}

// 4. The compiled package runs its wasm kernels, from dist/ alone
const loader = pathToFileURL(join(dist, 'src', 'kernels', 'wasm', 'loader.js')).href;
const check = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(loader)}); console.log(m.wasmStatus());`],
  { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
const status = check.stdout.trim();
if (check.status !== 0 || status !== 'wasm') fail(`dist/ does not load its wasm kernels: ${status || check.stderr.trim()}`);

console.log(`build: dist/ written (${filesUnder(dist, () => true).length} files), wasm kernels load from dist/build/`);
