// `npm start`'s build (scripts/build-start.mjs): the command line compiled to plain JavaScript, whose
// training workers load compiled code and never a TypeScript loader, and which computes the same
// bits as the sources.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SGD, fit, randomElastic } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { loadDigits } from '../datasets/mnist.ts';
import { takeFirst } from '../src/dataset.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', `start-test-${process.pid}`); // inside the repository, as the build requires
const away = mkdtempSync(join(tmpdir(), 'miniconv-start-')); // a copy where tsx cannot be found
const env = { ...process.env, NODE_OPTIONS: '' }; // plain node: no loader, no source condition

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(away, { recursive: true, force: true });
});

const node = (args: string[], cwd = root) => spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });

// One epoch of the default digit model on 96 training digits, 2 threads, elastic augmentation, seed 1:
// the SHA-256 of every weight's bytes afterwards.
const FIT = `
const model = createDigitModel(1);
const optimizer = new SGD(model.params(), { lr: 0.02, momentum: 0.9, weightDecay: 5e-4 });
fit(model, takeFirst(loadDigits({ seed: 1 }).train, 96), { epochs: 1, batchSize: 32, optimizer, seed: 1, threads: 2, augment: randomElastic() });
const hash = createHash('sha256');
for (const p of model.params()) hash.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
const weights = hash.digest('hex');`;

function sourceWeights(): string {
  const model = createDigitModel(1);
  const optimizer = new SGD(model.params(), { lr: 0.02, momentum: 0.9, weightDecay: 5e-4 });
  fit(model, takeFirst(loadDigits({ seed: 1 }).train, 96), { epochs: 1, batchSize: 32, optimizer, seed: 1, threads: 2, augment: randomElastic() });
  const hash = createHash('sha256');
  for (const p of model.params()) hash.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
  return hash.digest('hex');
}

/** Runs the fit above on the compiled tree in `dir`, with plain node; its JSON report. */
function compiledFit(dir: string): { status: number | null; stdout: string; stderr: string } {
  const script = join(dir, 'fit-check.mjs');
  writeFileSync(script, `
import { createHash } from 'node:crypto';
let tsx = 'not found';
try { await import('tsx/esm/api'); tsx = 'found'; } catch {}
const { SGD, fit, randomElastic, wasmStatus } = await import('./src/index.js');
const { createDigitModel } = await import('./src/digits.js');
const { loadDigits } = await import('./datasets/mnist.js');
const { takeFirst } = await import('./src/dataset.js');
${FIT}
console.log(JSON.stringify({ tsx, weights, wasm: wasmStatus(), execArgv: process.execArgv }));
`);
  return node([script], dir);
}

describe('npm start runs compiled JavaScript (scripts/build-start.mjs)', () => {
  it('package.json: prestart writes what start runs', () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.prestart).toBe('node scripts/build-start.mjs'); // which runs build:wasm first when the kernels are stale
    expect(scripts.start).toMatch(/^node (--[\w-]+=?\S* )*build\/start\/bin\/main\.js train$/);
    expect(scripts.start).not.toMatch(/tsx/);
  });

  it('compiles src/, datasets/ and bin/main.ts, with the worker entry and the wasm kernels beside them', () => {
    const r = node(['scripts/build-start.mjs', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/build-start: \d+ files compiled to build\/start-test-\d+\/ in \d+ ms/);
    for (const f of ['bin/main.js', 'src/train/worker.js', 'src/train/worker-entry.mjs', 'src/train/parallel-protocol.mjs', 'datasets/digits-cache.js',
      'build/kernels.wasm', 'build/kernels-relaxed.wasm']) expect(existsSync(join(out, f)), f).toBe(true);
    for (const f of ['src/kernels/wasm/build.js', 'src/kernels/wasm/assembly']) expect(existsSync(join(out, f)), f).toBe(false);
    expect(readFileSync(join(out, 'src/train/fit.js'), 'utf8')).not.toMatch(/from\s+["'][^"']+\.ts["']/); // './x.ts' imports became './x.js'
    const v = node([join(out, 'bin', 'main.js'), '--version']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('the command line loads the ONNX code and the picture decoders only for the commands that use them', () => {
    // Loaded with every command, the work of export/import, predict, inspect and explain made `npm start` peak ~15 MB higher.
    const script = join(out, 'loaded-check.mjs');
    writeFileSync(script, `
import { register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Every module resolved (ES modules and the CommonJS packages they import), logged by a resolve hook.
const log = fileURLToPath(new URL('./loaded.log', import.meta.url));
writeFileSync(log, '');
register('data:text/javascript,' + encodeURIComponent(\`import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(\${JSON.stringify(log)}, r.url + '\\\\n'); return r; }\`));
const packages = () => [...new Set(readFileSync(log, 'utf8').split('\\n').map((f) => f.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//)?.[1]).filter(Boolean))];
const { run } = await import('./bin/main.js');
const before = packages();
await run(['help']);
const help = packages();
await run(['export', 'no-such-model.json', '--onnx', 'x.onnx']);
console.log(JSON.stringify({ before, help, exported: packages() }));
`);
    const r = node([script], out);
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<'before' | 'help' | 'exported', string[]>;
    for (const lazy of ['onnx-buf', '@bufbuild/protobuf', 'pngjs', 'jpeg-js', 'image-size']) {
      expect(loaded.before, lazy).not.toContain(lazy);
      expect(loaded.help, lazy).not.toContain(lazy);
    }
    expect(loaded.before).toContain('commander');
    expect(loaded.exported).toContain('onnx-buf'); // the check can fail: export loads it
  });

  it('refuses an --out outside the repository, or an unknown option, and says why', () => {
    const outside = node(['scripts/build-start.mjs', '--out', away]);
    expect(outside.status).toBe(1);
    expect(outside.stderr).toMatch(/build-start: --out .* must be a folder inside .*node_modules/);
    const unknown = node(['scripts/build-start.mjs', '--outdir', 'x']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/build-start: .*--outdir.*\n.*usage: node scripts\/build-start\.mjs \[--out DIR\]/);
  });

  it('a 2-thread fit with plain node, where tsx cannot be found, gives the bits of the sources (whose workers run tsx)', () => {
    // The compiled tree outside the repository, with only the runtime dependencies reachable (and
    // the optional peer that holds the digits).
    cpSync(out, away, { recursive: true });
    mkdirSync(join(away, 'node_modules'));
    const { dependencies, peerDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<'dependencies' | 'peerDependencies', Record<string, string>>;
    for (const dep of Object.keys({ ...dependencies, ...peerDependencies })) {
      mkdirSync(dirname(join(away, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(away, 'node_modules', dep), 'dir');
    }
    const r = compiledFit(away);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tsx: string; weights: string; wasm: string; execArgv: string[] };
    expect(report.tsx).toBe('not found'); // so no thread of this process can have registered it
    expect(report.execArgv.join(' ')).not.toMatch(/tsx/);
    expect(report.wasm).toBe('wasm');
    expect(report.weights).toBe(sourceWeights());
  });

  it('the check can fail: without the compiled worker.js the worker falls back to tsx, which is not there', () => {
    rmSync(join(away, 'src', 'train', 'worker.js'));
    const r = compiledFit(away);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/worker 1 failed to start: .*tsx/);
  });
});
