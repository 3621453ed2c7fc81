// Loads the WebAssembly kernels (build/kernels.wasm, compiled from ./assembly by ./build.ts) and
// manages their linear memory.
//
// The module is instantiated synchronously, on first use, from the file's bytes, so the kernels keep
// plain synchronous signatures. It has no allocator: each kernel call lays its buffers out from
// `base` upwards (inputs copied in, outputs copied out), so nothing lives in wasm memory between
// calls. The memory only grows, once for each new largest call; after the first batch of a given
// shape no call grows it again.
//
// The fast kernels ask getWasmKernels() and fall back to their TypeScript path when it returns null:
// the file was not built, WebAssembly SIMD is missing, there is no file system (a browser: call
// initWasmKernels(bytes) with the fetched module instead), or wasm was switched off with
// setWasmEnabled(false) or the environment variable MINICONV_WASM=0. wasmStatus() says which.

/** The functions exported by ./assembly/index.ts. Pointers are byte addresses; strides count floats. */
export interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  gemmScratchBytes(): number;
  gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, scratch: number): void;
  im2col(x: number, C: number, H: number, W: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, col: number, xp: number): void;
  col2im(dcol: number, C: number, H: number, W: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, dx: number): void;
  conv2dColFloats(C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number, OH: number, OW: number): number;
  conv2dPadFloats(C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number, OH: number, OW: number): number;
  conv2dForward(x: number, w: number, b: number, out: number,
    N: number, C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, col: number, xp: number, scratch: number, relu: number): void;
  conv2dBackward(x: number, w: number, dout: number, dx: number, dw: number, db: number,
    N: number, C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, col: number, xp: number, wflip: number, scratch: number, mask: number): void;
  maxPool2dForward(x: number, N: number, C: number, H: number, W: number, K: number, S: number,
    OH: number, OW: number, out: number, argmax: number): void;
  maxPool2dBackward(dout: number, argmax: number, outLen: number, dx: number, len: number): void;
  reluForward(x: number, n: number, out: number): void;
  reluBackward(y: number, dout: number, n: number, dx: number): void;
}

// The few WebAssembly JS-API types used here (tsconfig's lib has no DOM, and @types/node declares none).
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE = 65536;

/** The instantiated module, and a bump layout of its memory for one kernel call. */
export class WasmKernels {
  readonly exports: KernelExports;
  /** First byte free for kernel buffers (after the module's own static data). */
  readonly base: number;
  /** Bytes of GEMM packing scratch every GEMM-using call must reserve. */
  readonly gemmScratch: number;
  private view: Float32Array;
  private viewI32: Int32Array;

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.base = alignUp(exports.heapBase(), 64);
    this.gemmScratch = exports.gemmScratchBytes();
    this.view = new Float32Array(exports.memory.buffer);
    this.viewI32 = new Int32Array(exports.memory.buffer);
  }

  /** Makes sure bytes [0, end) exist; grows the memory (only ever up) when they do not. */
  reserve(end: number): void {
    const have = this.exports.memory.buffer.byteLength;
    if (end > have) this.exports.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /** A Float32Array over the whole memory; growing the memory detaches old views, so ask after reserve(). */
  f32(): Float32Array {
    if (this.view.buffer !== this.exports.memory.buffer) this.view = new Float32Array(this.exports.memory.buffer);
    return this.view;
  }

  /** The same memory as an Int32Array (for argmax indices). */
  i32(): Int32Array {
    if (this.viewI32.buffer !== this.exports.memory.buffer) this.viewI32 = new Int32Array(this.exports.memory.buffer);
    return this.viewI32;
  }
}

/** Rounds a byte offset up to a multiple of `to` (64: a cache line, so every buffer starts aligned). */
export function alignUp(bytes: number, to = 64): number {
  return Math.ceil(bytes / to) * to;
}

let kernels: WasmKernels | null = null;
let triedLoading = false;
let unavailable: string | null = null;
let enabled = readEnvEnabled();

/**
 * The WebAssembly kernels, loaded on first call; null when they cannot be used (see wasmStatus()).
 * The fast kernels call this and take their TypeScript path on null.
 */
export function getWasmKernels(): WasmKernels | null {
  if (!enabled) return null;
  if (!triedLoading) {
    triedLoading = true;
    try {
      const bytes = readModuleFile();
      if (bytes) kernels = instantiate(bytes);
    } catch (e) {
      unavailable = `could not load build/kernels.wasm: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return kernels;
}

/**
 * Instantiates the module from bytes the caller obtained (e.g. fetch() in a browser page), synchronously.
 * (Browsers refuse to compile a module this size synchronously on the main thread: there, use
 * initWasmKernelsAsync, or call this in a worker.)
 */
export function initWasmKernels(bytes: Uint8Array | ArrayBuffer): WasmKernels {
  kernels = instantiate(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  triedLoading = true;
  unavailable = null;
  return kernels;
}

/** initWasmKernels, compiling asynchronously: for a browser's main thread. */
export async function initWasmKernelsAsync(bytes: Uint8Array | ArrayBuffer): Promise<WasmKernels> {
  const wa = webAssembly();
  const module = await wa.compile(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  kernels = new WasmKernels(new wa.Instance(module, { env: { abort: abortFromWasm } }).exports as KernelExports);
  triedLoading = true;
  unavailable = null;
  return kernels;
}

/**
 * Switches the WebAssembly kernels on or off for the whole process (off: every fast kernel takes
 * its TypeScript path). Tests use this, or a workspace's backend, to check both paths.
 */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

/** 'wasm' when the kernels are loaded and enabled, else why not. */
export function wasmStatus(): string {
  if (!enabled) return 'disabled (setWasmEnabled(false) or MINICONV_WASM=0)';
  if (getWasmKernels()) return 'wasm';
  return unavailable ?? 'not loaded';
}

function webAssembly(): WasmApi {
  const wa = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new Error('this JavaScript engine has no WebAssembly');
  return wa;
}

function instantiate(bytes: Uint8Array): WasmKernels {
  const wa = webAssembly();
  // Compiling validates the module: an engine without SIMD rejects it here, with a CompileError.
  const instance = new wa.Instance(new wa.Module(bytes), { env: { abort: abortFromWasm } });
  return new WasmKernels(instance.exports as KernelExports);
}

/** Reads build/kernels.wasm next to the sources, in Node; null (with a reason) when impossible. */
function readModuleFile(): Uint8Array | null {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (!getBuiltin) {
    unavailable = 'no file system to read build/kernels.wasm from; call initWasmKernels(bytes)';
    return null;
  }
  const fs = getBuiltin('node:fs') as typeof import('node:fs');
  const url = new URL('../../../build/kernels.wasm', import.meta.url);
  if (!fs.existsSync(url)) {
    unavailable = `build/kernels.wasm not found (run: npm run build:wasm)`;
    return null;
  }
  return fs.readFileSync(url);
}

function readEnvEnabled(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.MINICONV_WASM;
  return !(v === '0' || v === 'false' || v === 'off');
}

// asc's `abort` import: only reached on an AssemblyScript runtime error (there are none with --noAssert).
function abortFromWasm(): never {
  throw new Error('miniconv wasm kernel aborted');
}
