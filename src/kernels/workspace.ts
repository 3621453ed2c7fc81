// Workspaces: the buffers a fast kernel reuses from one call to the next.
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

import { Tensor, type DType, type FloatArray, allocFloats } from '../tensor.ts';
import { type WasmKernels, getWasmKernels, wasmStatus } from './wasm/loader.ts';
import type { WasmArray } from './wasm/memory.ts';

/** The buffers a fast kernel reuses from one call to the next (createWorkspace()): a tensor it returns is a view of one, overwritten by the next call of the same kind. */
export interface Workspace {
  /** Named buffers, each reused while its type and length stay the same. */
  readonly buffers: Map<string, FloatArray | Int32Array>;
  /** Named output tensors wrapping those buffers, reused while their shape stays the same. */
  readonly tensors: Map<string, Tensor>;
}

/** A workspace for one layer (give each layer its own). */
export function createWorkspace(): Workspace {
  return { buffers: new Map(), tensors: new Map() };
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
 * The wasm kernels, for a wasm kernel called with these operands (arrays, or the dtype of one the
 * kernel will create; null: absent). Throws, naming `who`, when the module is not loaded or an
 * operand is float64: a wasm kernel never falls back by itself (the one fallback rule is
 * withFallback's, in backend.ts).
 */
export function requireWasm(who: string, ...operands: (FloatArray | DType | null | undefined)[]): WasmKernels {
  if (!operands.every((a) => a == null || a instanceof Float32Array || a === 'float32')) {
    throw new TypeError(`${who}: the wasm kernels are float32 only, but an operand is float64`);
  }
  const wasm = getWasmKernels();
  if (!wasm) throw new Error(`${who}: the wasm kernels are unavailable: ${wasmStatus()}`);
  return wasm;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
