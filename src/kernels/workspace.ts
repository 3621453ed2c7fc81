// Workspaces: the buffers a fast kernel reuses from one call to the next, and its choice of backend.
//
// The fast kernels (conv2d-fast, max-pool2d-fast, dense-fast, relu-fast) take an optional workspace.
// Without one they allocate fresh outputs, like the naive kernels. With one, every buffer (outputs,
// gradients, im2col matrices, argmax indices) is allocated on the first call of a given shape and
// reused by every later call: training allocates nothing per batch after the first.
//
// The price: a tensor a kernel returns is a view of a workspace buffer, and the NEXT call of the
// same kind with the same workspace overwrites it (the next forward overwrites `out`, the next
// backward overwrites `dx` and `dw`). A layer keeps one workspace and uses each output before its
// next call, which is exactly how forward/backward use them; copy (tensor.clone()) to keep one.
// When a call of another shape replaces a buffer that lives in wasm memory, the old one is freed at
// once (so that alternating batch sizes, training then evaluating, do not pile up blocks), and its
// bytes may then belong to any other layer's next output.
//
// On the wasm path, with a shared wasm memory (the relaxed build), the outputs are allocated IN wasm
// memory (wasm/memory.ts): a Float32Array like any other to JavaScript, but the next layer's kernel
// reads it in place instead of copying it in, and the kernel writes it without a copy out.
//
// The workspace also carries the kernel-level form of the backend (see backend.ts, where a layer's
// 'ts' or 'wasm' is turned into one of these by resolveKernels):
//   'ts'    always the TypeScript code
//   'wasm'  WebAssembly SIMD; throws if it is unavailable or an operand is not float32
//   'auto'  (what the 'wasm' backend resolves to, and the default for a direct kernel call) WebAssembly
//           SIMD when every operand is float32 and the module is loaded, else the TypeScript code:
//           float64 tensors (gradient checks) are computed in TypeScript, in the precision asked for

import { Tensor, type DType, type FloatArray, allocFloats } from '../tensor.ts';
import { type WasmKernels, getWasmKernels, wasmStatus } from './wasm/loader.ts';
import type { WasmArray } from './wasm/memory.ts';

export type KernelBackend = 'auto' | 'ts' | 'wasm';

export interface Workspace {
  readonly backend: KernelBackend;
  /** Named buffers, each reused while its type and length stay the same. */
  readonly buffers: Map<string, FloatArray | Int32Array>;
  /** Named output tensors wrapping those buffers, reused while their shape stays the same. */
  readonly tensors: Map<string, Tensor>;
}

/** A workspace for one layer (give each layer its own). */
export function createWorkspace(opts: { backend?: KernelBackend } = {}): Workspace {
  const backend = opts.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'ts' && backend !== 'wasm') {
    throw new RangeError(`createWorkspace: backend must be 'auto', 'ts' or 'wasm', got '${String(backend)}'`);
  }
  return { backend, buffers: new Map(), tensors: new Map() };
}

/**
 * A float buffer of exactly `length` values in `dtype`: the workspace's if it fits, else a new one (kept).
 * With `wasm` (a float32 buffer for a wasm kernel's output), one that lives in wasm memory when it can.
 */
export function wsFloat(ws: Workspace | undefined, name: string, dtype: DType, length: number, wasm?: WasmKernels | null): FloatArray {
  const old = ws?.buffers.get(name);
  const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
  if (old instanceof Ctor && old.length === length && keeps(old, wasm)) return old;
  if (old && !(old instanceof Float64Array)) wasm?.releaseResident(old); // free its wasm block now, see releaseResident
  const buf = (ws && wasm && dtype === 'float32' ? wasm.residentF32(length) : null) ?? allocFloats(`workspace buffer '${name}'`, length, dtype);
  ws?.buffers.set(name, buf);
  return buf;
}

/** An Int32Array of exactly `length` values, reused like wsFloat (and like it in wasm memory with `wasm`). */
export function wsInt32(ws: Workspace | undefined, name: string, length: number, wasm?: WasmKernels | null): Int32Array {
  const old = ws?.buffers.get(name);
  if (old instanceof Int32Array && old.length === length && keeps(old, wasm)) return old;
  if (old) wasm?.releaseResident(old);
  const buf = (ws && wasm ? wasm.residentI32(length) : null) ?? new Int32Array(length);
  ws?.buffers.set(name, buf);
  return buf;
}

/** Whether a buffer serves: any buffer without `wasm`; with it, one in its memory if it has a shared one. */
function keeps(buf: WasmArray, wasm: WasmKernels | null | undefined): boolean {
  return !wasm || !wasm.shared || wasm.addressOf(buf) !== null;
}

/**
 * A tensor of `shape` and `dtype` over the workspace buffer `name` (contents unspecified: the caller
 * fills it). With `wasm`, its data lives in wasm memory when it can (see wsFloat).
 */
export function wsTensor(ws: Workspace | undefined, name: string, shape: readonly number[], dtype: DType, wasm?: WasmKernels | null): Tensor {
  const old = ws?.tensors.get(name);
  if (old && old.dtype === dtype && sameShape(old.shape, shape) && keeps(old.data, wasm)) return old;
  let size = 1;
  for (const d of shape) size *= d;
  const t = new Tensor(shape, wsFloat(ws, name, dtype, size, wasm));
  ws?.tensors.set(name, t);
  return t;
}

/**
 * The wasm kernels if this call should use them, else null (take the TypeScript path).
 * 'auto' uses wasm only when every operand is float32; 'wasm' insists and throws, naming `who`.
 */
export function pickWasm(ws: Workspace | undefined, who: string, ...operands: (FloatArray | DType | null | undefined)[]): WasmKernels | null {
  const backend = ws?.backend ?? 'auto';
  if (backend === 'ts') return null;
  // An operand is an array, or the dtype of one the kernel will create (null: absent).
  const allF32 = operands.every((a) => a == null || a instanceof Float32Array || a === 'float32');
  if (backend === 'auto') return allF32 ? getWasmKernels() : null;
  if (!allF32) throw new TypeError(`${who}: the 'wasm' backend is float32 only, but an operand is float64`);
  const wasm = getWasmKernels();
  if (!wasm) throw new Error(`${who}: the 'wasm' backend was requested but is unavailable: ${wasmStatus()}`);
  return wasm;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
