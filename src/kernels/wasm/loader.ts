// Loads the WebAssembly kernels (build/kernels.wasm, compiled from ./assembly by ./build.ts) and
// manages their linear memory.
//
// There are two builds of the same kernels (./build.ts):
//   build/kernels-relaxed.wasm  relaxed SIMD, whose f32x4.relaxed_madd is one fused multiply-add
//                               instruction on CPUs that have one (~20% faster convolutions measured
//                               here; each product-sum is rounded once instead of twice, so results
//                               move by float32 rounding, and a given machine gives the same bits
//                               every run), and a shared memory, in which tensors can stay between
//                               calls (./memory.ts);
//   build/kernels.wasm          plain SIMD and an ordinary memory: the portable one.
// In Node the relaxed build is used when the engine accepts it. Node 22 does by default; Node 20's
// V8 (11.3) has relaxed SIMD implemented behind its --experimental-wasm-relaxed-simd flag (it
// shipped on by default in the next version, 11.4), which this loader switches on. If the relaxed
// build cannot be used the plain one is (to insist on the plain one, pass its bytes to
// initWasmKernels). A browser page passes the bytes of either to initWasmKernels (the relaxed one
// needs a page that is cross-origin isolated, for the shared memory).
//
// The module is instantiated synchronously, on first use, from the file's bytes, so the kernels keep
// plain synchronous signatures. It has no allocator of its own: the TypeScript side lays out its
// memory (see ./memory.ts): blocks that hold tensors between calls (the relaxed build's memory is
// shared, which makes that safe), and above them each call's own buffers.
//
// getWasmKernels() returns null when the module cannot be used: the file was not built, WebAssembly
// SIMD is missing, or there is no file system (a browser: call initWasmKernels(bytes) with the fetched
// module instead); wasmStatus() says which. The backend choice (../backend.ts) reads it: the default
// backend is 'wasm' only when the module is loaded, and asking for 'wasm' without it is an error.

import { Blocks, WASM_MAX_BYTES, type WasmArray, WasmCall, WasmMemoryError, alignUp } from './memory.ts';

export { WASM_MAX_BYTES, WasmMemoryError, alignUp } from './memory.ts';

/** The functions exported by ./assembly/index.ts. Pointers are byte addresses; strides count floats. */
export interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  relaxedSimd(): number;
  gemmScratchBytes(): number;
  gemm(transA: number, transB: number, rows: number, cols: number, inner: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, scratch: number): void;
  conv2dForwardScratch(C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number, OH: number, OW: number): number;
  conv2dBackwardScratch(C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number, OH: number, OW: number): number;
  conv2dForward(x: number, w: number, b: number, out: number,
    N: number, C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, scratch: number, relu: number): void;
  conv2dForwardPooledScratch(C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number, OH: number, OW: number): number;
  conv2dForwardPooled(x: number, w: number, b: number, out: number,
    N: number, C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, scratch: number, relu: number, PK: number, PS: number, POH: number, POW: number): void;
  conv2dBackward(x: number, w: number, dy: number, dx: number, dw: number, db: number,
    N: number, C: number, H: number, W: number, F: number, KH: number, KW: number, S: number, P: number,
    OH: number, OW: number, scratch: number, mask: number): void;
  depthwiseForwardScratch(H: number, W: number, P: number): number;
  depthwiseBackwardScratch(H: number, W: number, P: number, D: number, OH: number, OW: number): number;
  depthwiseForward(x: number, w: number, b: number, y: number, N: number, C: number, H: number, W: number, F: number,
    KH: number, KW: number, S: number, P: number, D: number, OH: number, OW: number, scratch: number, relu: number): void;
  depthwiseBackward(x: number, w: number, dy: number, dx: number, dw: number, db: number, N: number, C: number, H: number, W: number,
    F: number, KH: number, KW: number, S: number, P: number, D: number, OH: number, OW: number, scratch: number, mask: number): void;
  winogradF2Weights(w: number, U: number, CO: number, CI: number, flipped: number): void;
  winogradF2Forward(x: number, mask: number, U: number, b: number, y: number, N: number, CI: number, H: number, W: number, CO: number, P: number,
    NB: number, V: number, xp: number, relu: number, pool: number): void;
  winogradF2WeightGrad(x: number, dy: number, mask: number, dw: number, db: number, N: number, CI: number, H: number, W: number, CO: number, P: number,
    NB: number, V: number, DY: number, Mw: number, xp: number, dp: number): void;
  maxPool2dForward(x: number, N: number, C: number, H: number, W: number, K: number, S: number,
    OH: number, OW: number, out: number, argmax: number): void;
  maxPool2dBackward(dy: number, argmax: number, outLen: number, dx: number, len: number): void;
  maxPoolValues(x: number, C: number, H: number, W: number, K: number, S: number, OH: number, OW: number, out: number): void;
  reluForward(x: number, n: number, out: number): void;
  reluBackward(y: number, dy: number, n: number, dx: number): void;
}

// The few WebAssembly JS-API types used here (tsconfig's lib has no DOM, and @types/node declares none).
interface WasmMemory { readonly buffer: ArrayBuffer | SharedArrayBuffer; grow(pages: number): number }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE = 65536;

/** The instantiated module, and its memory: blocks kept between calls, and each call's buffers (./memory.ts). */
export class WasmKernels {
  readonly exports: KernelExports;
  /** Bytes of GEMM packing scratch every GEMM-using call must reserve. */
  readonly gemmScratch: number;
  /** Whether this is the relaxed-SIMD build (fused multiply-add), see the header. */
  readonly relaxedSimd: boolean;
  /** Whether the memory is shared, so that tensors can live in it (see ./memory.ts). */
  readonly shared: boolean;
  /** The blocks kept between calls (tensors living in wasm memory). */
  readonly blocks: Blocks;
  private view: Float32Array;
  private viewI32: Int32Array;
  /** Every ArrayBuffer object this memory has shown (a shared memory gives a new one after each growth). */
  private readonly buffers = new WeakSet<object>();
  private readonly finalizer = new FinalizationRegistry<number>((at) => this.blocks.release(at));
  /** The arrays that residentF32/residentI32 handed out and that are still allocated: their block address. */
  private readonly resident = new WeakMap<WasmArray, number>();

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.blocks = new Blocks(alignUp(exports.heapBase(), 64));
    this.gemmScratch = exports.gemmScratchBytes();
    this.relaxedSimd = exports.relaxedSimd() !== 0;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && exports.memory.buffer instanceof SharedArrayBuffer;
    this.view = new Float32Array(exports.memory.buffer);
    this.viewI32 = new Int32Array(exports.memory.buffer);
    this.buffers.add(exports.memory.buffer);
  }

  /** First byte free for one kernel call's buffers (above the blocks). */
  get base(): number {
    return alignUp(this.blocks.top);
  }

  /**
   * Makes sure bytes [0, end) exist; grows the memory (only ever up) when they do not. Throws a
   * WasmMemoryError, leaving the memory as it was, when `end` is beyond what wasm32 can address or
   * the engine refuses to grow (see memory.ts: the callers then use ordinary arrays or TypeScript).
   */
  reserve(end: number): void {
    const have = this.exports.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > WASM_MAX_BYTES) throw new WasmMemoryError(end, have, `above the ${WASM_MAX_BYTES / 2 ** 30} GiB a WebAssembly memory can hold`);
    try {
      this.exports.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (e) {
      throw new WasmMemoryError(end, have, `the engine refused to grow the memory (${(e as Error).message})`);
    }
  }

  /** A Float32Array over the whole memory; growing an unshared memory detaches old views, so ask after reserve(). */
  f32(): Float32Array {
    if (this.view.buffer !== this.exports.memory.buffer) {
      this.view = new Float32Array(this.exports.memory.buffer);
      this.buffers.add(this.view.buffer);
    }
    return this.view;
  }

  /** The same memory as an Int32Array (for argmax indices). */
  i32(): Int32Array {
    if (this.viewI32.buffer !== this.exports.memory.buffer) {
      this.viewI32 = new Int32Array(this.exports.memory.buffer);
      this.buffers.add(this.viewI32.buffer);
    }
    return this.viewI32;
  }

  /** Starts laying out one kernel call's buffers (see WasmCall). */
  call(): WasmCall {
    return new WasmCall(this);
  }

  /**
   * A Float32Array of `length` zeros that lives in wasm memory (a block, freed by releaseResident or
   * when the array is garbage-collected), or null when the memory is not shared (then use an
   * ordinary array).
   */
  residentF32(length: number): Float32Array | null {
    return this.residentArray(Float32Array, length);
  }

  /** residentF32 for Int32 values (max-pool's argmax). */
  residentI32(length: number): Int32Array | null {
    return this.residentArray(Int32Array, length);
  }

  private residentArray<T extends Float32Array | Int32Array>(Ctor: new (buffer: ArrayBufferLike, at: number, length: number) => T, length: number): T | null {
    if (!this.shared) return null;
    const at = this.allocZeroed(4 * length); // both kinds hold 4-byte values
    if (at === null) return null; // wasm memory is full: the caller makes an ordinary array
    const a = new Ctor(this.exports.memory.buffer, at, length);
    this.resident.set(a, at);
    this.finalizer.register(a, at, a);
    return a;
  }

  /**
   * Frees the block under `a` now (an array from residentF32/residentI32 that its owner replaces)
   * instead of when it is garbage-collected; anything else is left alone. Garbage collection alone
   * is not enough: finalizers run only when the event loop turns, and a synchronous training loop
   * never lets it, so every block a workspace dropped (a new batch size, e.g. for evaluation) stayed
   * allocated until the loop ended and the memory grew by ~25 MB per epoch. After this call `a`
   * must not be read: its bytes go to the next block allocated.
   */
  releaseResident(a: WasmArray): void {
    const at = this.resident.get(a);
    if (at === undefined) return;
    this.resident.delete(a);
    this.finalizer.unregister(a);
    this.blocks.release(at);
  }

  /** The byte address of `a` if it lives in this wasm memory (a view on it), else null. */
  addressOf(a: WasmArray): number | null {
    return this.buffers.has(a.buffer) ? a.byteOffset : null;
  }

  /** A zeroed block, or null (the allocation undone) when the memory cannot grow to hold it. */
  private allocZeroed(bytes: number): number | null {
    const at = this.blocks.alloc(bytes);
    try {
      this.reserve(this.blocks.top);
    } catch (e) {
      this.blocks.release(at);
      if (e instanceof WasmMemoryError) return null;
      throw e;
    }
    this.f32(); // registers the memory's current buffer object
    new Uint8Array(this.exports.memory.buffer, at, bytes).fill(0); // a reused block holds old values
    return at;
  }
}

let kernels: WasmKernels | null = null;
let triedLoading = false;
let unavailable: string | null = null;

/**
 * The WebAssembly kernels, loaded on first call; null when they cannot be used (see wasmStatus()).
 * The fast kernels call this and take their TypeScript path on null.
 */
export function getWasmKernels(): WasmKernels | null {
  if (!triedLoading) {
    triedLoading = true;
    for (const file of moduleFiles()) { // the preferred build first
      try {
        kernels = instantiate(file.bytes);
        break;
      } catch (e) {
        unavailable = `could not load ${file.name}: ${e instanceof Error ? e.message : String(e)}`;
      }
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

/** 'wasm' when the kernels are loaded and enabled, else why not. */
export function wasmStatus(): string {
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

/**
 * The built modules next to the sources that this engine can run, in Node, preferred first:
 * build/kernels-relaxed.wasm (see the header), then build/kernels.wasm. Empty (with a reason in
 * `unavailable`) when there are none.
 */
function moduleFiles(): Array<{ name: string; bytes: Uint8Array }> {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (!getBuiltin) {
    unavailable = 'no file system to read build/kernels.wasm from; call initWasmKernels(bytes)';
    return [];
  }
  const fs = getBuiltin('node:fs') as typeof import('node:fs');
  const files: Array<{ name: string; bytes: Uint8Array }> = [];
  const relaxedUrl = new URL('../../../build/kernels-relaxed.wasm', import.meta.url);
  if (fs.existsSync(relaxedUrl)) {
    const bytes = fs.readFileSync(relaxedUrl);
    const wa = webAssembly();
    if (!wa.validate(bytes)) {
      // Node 20: relaxed SIMD is implemented but behind a flag, read when a module is compiled.
      (getBuiltin('node:v8') as typeof import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
    }
    if (wa.validate(bytes)) files.push({ name: 'build/kernels-relaxed.wasm', bytes });
  }
  const url = new URL('../../../build/kernels.wasm', import.meta.url);
  if (fs.existsSync(url)) files.push({ name: 'build/kernels.wasm', bytes: fs.readFileSync(url) });
  else if (files.length === 0) unavailable = `build/kernels.wasm not found (run: npm run build:wasm)`;
  return files;
}

// asc's `abort` import: only reached on an AssemblyScript runtime error (there are none with --noAssert).
function abortFromWasm(): never {
  throw new Error('miniconv wasm kernel aborted');
}
