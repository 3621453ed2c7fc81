// How the fast kernels use the WebAssembly module's linear memory.
//
//   0            heapBase               top                          memory size
//   | static data | blocks (kept)        | one call's buffers ->     |
//
// Blocks hold tensors that live in wasm memory between calls: a fast layer's output (its workspace
// buffer) is a Float32Array view on wasm memory, so the next layer's kernel reads it where it is,
// without the copy into wasm memory and the copy back out that a plain JavaScript array costs
// (~10% of an inference pass of the reference network, measured). A block is freed when its view
// is garbage-collected (FinalizationRegistry): it lives exactly as long as someone can read it.
//
// This needs a SHARED memory: growing an ordinary wasm memory detaches every view on it (they
// become empty), while a shared memory's old views stay valid and see the same bytes. The
// relaxed-SIMD build has one (see ../build.ts); with the plain build nothing is kept in wasm
// memory and every operand is copied, as before.
//
// Above the blocks, each kernel call lays out what it needs for that call only (WasmCall): space
// for operands that are ordinary arrays (copied in before the call, results copied out after),
// lookup tables, packed matrices. The memory only grows, once for each new largest call.
//
// When it cannot grow (wasm32 addresses at most WASM_MAX_BYTES, 4 GiB, and the engine may refuse
// less): reserve() throws a WasmMemoryError BEFORE anything is written, and the memory is left as
// it was, so later calls still work. Then
//   - a tensor that would live in wasm memory (residentF32) is an ordinary array instead;
//   - a kernel call that does not fit runs on the TypeScript kernels (withFallback in ../backend.ts): the same
//     results, slower. A batch of 20,000 digits on one thread takes this path for its biggest layers.
// Only a tensor too big for any memory fails, and it fails where it is created, with the size
// (MAX_TENSOR_ELEMENTS in ../../tensor.ts).

/** The most bytes a wasm32 memory can address: 65536 pages of 64 KiB (also the shared build's declared maximum). */
export const WASM_MAX_BYTES = 65536 * 65536;

/** A kernel call, or a tensor kept in wasm memory, needs more WebAssembly memory than there is or can be. */
export class WasmMemoryError extends RangeError {
  override readonly name = 'WasmMemoryError';
  constructor(readonly needed: number, readonly have: number, reason: string) {
    super(`wasm kernels: ${(needed / 2 ** 20).toFixed(0)} MiB of WebAssembly memory needed, ${(have / 2 ** 20).toFixed(0)} MiB in use: ${reason}`);
  }
}

/** Rounds a byte offset up to a multiple of `to` (64: a cache line, so every buffer starts aligned). */
export function alignUp(bytes: number, to = 64): number {
  return Math.ceil(bytes / to) * to;
}

export type WasmArray = Float32Array | Float64Array | Int32Array;

/**
 * The blocks: a first-fit allocator over [start, top). Freed blocks go to a free list (merged with
 * free neighbours); a free block at the top lowers the top, which is where call buffers start.
 */
export class Blocks {
  private topEnd: number;
  private readonly sizes = new Map<number, number>(); // live block address -> bytes
  private free: Array<{ at: number; bytes: number }> = []; // sorted by address, never adjacent

  constructor(readonly start: number) {
    this.topEnd = start;
  }

  /** One past the highest live block. */
  get top(): number {
    return this.topEnd;
  }

  /** Bytes in live blocks (for tests and reports). */
  get liveBytes(): number {
    let sum = 0;
    for (const b of this.sizes.values()) sum += b;
    return sum;
  }

  /** A block of at least `bytes` bytes (a multiple of 64, 64-aligned): its address. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    const i = this.free.findIndex((f) => f.bytes >= size);
    let at: number;
    if (i >= 0) {
      const f = this.free[i];
      at = f.at;
      if (f.bytes === size) this.free.splice(i, 1);
      else this.free[i] = { at: f.at + size, bytes: f.bytes - size };
    } else {
      at = this.topEnd;
      this.topEnd += size;
    }
    this.sizes.set(at, size);
    return at;
  }

  /** Frees the block at `at`. */
  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) throw new Error(`wasm memory: no block at ${at} to free`);
    this.sizes.delete(at);
    let block = { at, bytes: size };
    let i = this.free.findIndex((f) => f.at > at);
    if (i < 0) i = this.free.length;
    const prev = this.free[i - 1], next = this.free[i];
    if (next && block.at + block.bytes === next.at) { block = { at: block.at, bytes: block.bytes + next.bytes }; this.free.splice(i, 1); }
    if (prev && prev.at + prev.bytes === block.at) { block = { at: prev.at, bytes: prev.bytes + block.bytes }; this.free.splice(--i, 1); }
    if (block.at + block.bytes === this.topEnd) this.topEnd = block.at; // the top block: give it back
    else this.free.splice(i, 0, block);
  }
}

/** What WasmCall needs from the loaded module (loader.ts's WasmKernels). */
export interface WasmMemoryAccess {
  /** First byte free for one call's buffers. */
  readonly base: number;
  reserve(end: number): void;
  f32(): Float32Array;
  i32(): Int32Array;
  /** The byte address of an array that lives in this wasm memory, else null. */
  addressOf(a: WasmArray): number | null;
}

/**
 * The buffers of one kernel call, laid out from `base` up:
 *
 *   const call = new WasmCall(wasm);
 *   const xPtr = call.input(x);        // x's address if it lives in wasm memory, else space for a copy
 *   const outPtr = call.output(out);   // likewise; a copy is made back into `out` after the call
 *   const tmp = call.scratch(bytes);   // space for the kernel's own use
 *   call.ready();                      // grows the memory if needed, copies the inputs in
 *   wasm.exports.someKernel(xPtr, outPtr, tmp, ...);
 *   call.done();                       // copies the outputs out
 *
 * An output in 'add' mode is added into its array instead (a layer's accumulated gradients).
 */
export class WasmCall {
  private end: number;
  private readonly ins: Array<{ a: WasmArray; at: number }> = [];
  private readonly outs: Array<{ a: WasmArray; at: number; add: boolean }> = [];

  constructor(private readonly wasm: WasmMemoryAccess) {
    this.end = wasm.base;
  }

  /** An operand the kernel reads. */
  input(a: WasmArray): number {
    const at = this.wasm.addressOf(a);
    if (at !== null) return at;
    const p = this.scratch(a.byteLength);
    this.ins.push({ a, at: p });
    return p;
  }

  /** An operand the kernel writes (mode 'add': its result is added into `a`). */
  output(a: WasmArray, mode: 'copy' | 'add' = 'copy'): number {
    const at = mode === 'copy' ? this.wasm.addressOf(a) : null;
    if (at !== null) return at;
    const p = this.scratch(a.byteLength);
    this.outs.push({ a, at: p, add: mode === 'add' });
    return p;
  }

  /** An operand the kernel reads and overwrites. */
  inout(a: WasmArray): number {
    const at = this.wasm.addressOf(a);
    if (at !== null) return at;
    const p = this.input(a);
    this.outs.push({ a, at: p, add: false });
    return p;
  }

  /** `bytes` bytes for the kernel's own use (64-aligned). */
  scratch(bytes: number): number {
    const p = this.end;
    this.end = alignUp(p + bytes);
    return p;
  }

  /** Makes room for everything laid out, then copies the inputs in. */
  ready(): void {
    this.wasm.reserve(this.end);
    for (const { a, at } of this.ins) this.view(a).set(a, at >>> 2); // >>>: addresses at or above 2 GiB stay positive
  }

  /** Copies (or adds) the outputs out. */
  done(): void {
    for (const { a, at, add } of this.outs) {
      const src = this.view(a).subarray(at >>> 2, (at >>> 2) + a.length);
      if (!add) a.set(src);
      else for (let i = 0; i < a.length; i++) a[i] += src[i];
    }
  }

  private view(a: WasmArray): Float32Array | Int32Array {
    if (a instanceof Float64Array) throw new TypeError('WasmCall: the wasm kernels are float32 only');
    return a instanceof Int32Array ? this.wasm.i32() : this.wasm.f32();
  }
}
