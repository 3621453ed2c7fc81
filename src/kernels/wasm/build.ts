// Compiles the AssemblyScript kernels (./assembly/*.ts) to build/kernels.wasm, and a second time,
// with relaxed SIMD and a shared memory, to build/kernels-relaxed.wasm: the same kernels, whose
// multiply-adds become fused multiply-add instructions (see madd in ./assembly/conv.ts), and whose
// memory can hold tensors between calls (memory.ts). The loader prefers the relaxed module where
// the engine accepts it (loader.ts).
//
//   npx tsx src/kernels/wasm/build.ts            build if the .wasm is missing or older than a source
//   npx tsx src/kernels/wasm/build.ts --force    build anyway
//
// npm runs it as `build:wasm` before install, test, start and bench (see package.json), so a
// fresh checkout never needs a committed binary. Without the assemblyscript compiler (an install
// that omitted dev dependencies) it says so and exits 0: miniconv then runs its TypeScript kernels.

import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The AssemblyScript sources. */
export const WASM_SOURCE_DIR = join(here, 'assembly');
/** Where the compiled modules go (git-ignored). */
export const WASM_OUTPUT = join(here, '..', '..', '..', 'build', 'kernels.wasm');
export const WASM_RELAXED_OUTPUT = join(here, '..', '..', '..', 'build', 'kernels-relaxed.wasm');

/** asc options: fastest code, SIMD on, no allocator or GC (the TypeScript side owns the memory). */
const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '--noColors'];
// The relaxed build also gets a shared memory, so that tensors can stay in it (see memory.ts). The
// plain build keeps an unshared one: it must also run where shared memory is unavailable (a browser
// page that is not cross-origin isolated).
const RELAXED_FLAGS = ['--enable', 'relaxed-simd', '--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'];

/** True when a built module is missing or older than one of the AssemblyScript sources. */
export function wasmIsStale(output = WASM_OUTPUT): boolean {
  const outputs = output === WASM_OUTPUT ? [WASM_OUTPUT, WASM_RELAXED_OUTPUT] : [output];
  return outputs.some((out) => {
    if (!existsSync(out)) return true;
    const built = statSync(out).mtimeMs;
    return readdirSync(WASM_SOURCE_DIR).some((f) => statSync(join(WASM_SOURCE_DIR, f)).mtimeMs > built);
  });
}

/**
 * Compiles the kernels with asc (both modules when `output` is the default). Writes to a temporary
 * name first and renames it into place, so an interrupted build never leaves a truncated module
 * behind. Throws with asc's messages on error.
 */
export async function buildWasm(output = WASM_OUTPUT): Promise<void> {
  await compile(output, ASC_FLAGS);
  if (output === WASM_OUTPUT) await compile(WASM_RELAXED_OUTPUT, [...ASC_FLAGS, ...RELAXED_FLAGS]);
}

async function compile(output: string, flags: string[]): Promise<void> {
  const asc = (await import('assemblyscript/asc')).default;
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.tmp`;
  let log = '';
  const sink = { write: (s: string | Uint8Array) => { log += typeof s === 'string' ? s : Buffer.from(s).toString(); return true; } };
  const { error } = await asc.main([join(WASM_SOURCE_DIR, 'index.ts'), '-o', tmp, ...flags], { stdout: sink, stderr: sink });
  if (error) throw new Error(`build:wasm: asc failed to compile ${WASM_SOURCE_DIR}: ${error.message}\n${log}`);
  renameSync(tmp, output);
}

/** Builds if stale (or when forced). Returns what it did, for the caller to print. */
export async function ensureWasmBuilt(force = false): Promise<'built' | 'up to date'> {
  if (!force && !wasmIsStale()) return 'up to date';
  await buildWasm();
  return 'built';
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  if (!force && !wasmIsStale()) {
    console.log(`build:wasm: ${WASM_OUTPUT} and ${WASM_RELAXED_OUTPUT} up to date`);
    return;
  }
  try {
    await import('assemblyscript/asc'); // heavy (it loads binaryen): only when there is something to build
  } catch {
    console.log('build:wasm: the assemblyscript compiler is not installed (dev dependency); miniconv will use its TypeScript kernels.');
    return;
  }
  await buildWasm();
  console.log(`build:wasm: ${WASM_OUTPUT} and ${WASM_RELAXED_OUTPUT} built`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
