// Rectified linear unit, the fast pair: same results as reluForwardNaive / reluBackwardNaive
// (relu.ts), optionally in place and with reusable buffers; in WebAssembly for float32
// (wasm/assembly/relu.ts), else the TypeScript below. Works on any shape.
//
// Why wasm for something this simple: `x < 0 ? 0 : x` in JavaScript is a branch, and on real
// activations (half negative, in no pattern) it mispredicts half the time: ~8 ns per value measured,
// against ~0.1 ns per value to copy into wasm memory, one SIMD instruction per four, and copy out.
//
// The cache holds the output y, as the naive kernel's does (see ReluCache).

import { Tensor, checkShape } from '../tensor.ts';
import { type ReluCache, reluBackwardNaive, reluForwardNaive } from './relu.ts';
import { type KernelFamily, withFallback } from './backend.ts';
import { type Workspace, requireWasm, wsTensor } from './workspace.ts';

/** Options of reluForwardTs / reluBackwardTs and the fast pair: a workspace, and whether to work in place. */
export interface ReluFastOptions {
  /** Reuse the output buffer across calls (overwritten by the next call with this workspace). */
  ws?: Workspace;
  /** Overwrite the input with the result (no new buffer at all). The caller must not need the input afterwards. */
  inPlace?: boolean;
}

/**
 * out = max(0, x), elementwise; written `x < 0 ? 0 : x` like the naive kernel, so a NaN passes through.
 * @returns out (x's shape) and the cache for reluBackwardTs (or reluBackwardNaive): { y: out }
 */
export function reluForwardTs(x: Tensor, opts: ReluFastOptions = {}): { out: Tensor; cache: ReluCache } {
  const out = opts.inPlace ? x : wsTensor(opts.ws, 'out', x.shape, x.dtype);
  const xd = x.data, od = out.data;
  for (let i = 0; i < xd.length; i++) od[i] = xd[i] < 0 ? 0 : xd[i];
  return { out, cache: { y: out } };
}

/**
 * dx = dy where the forward output was > 0 (i.e. x > 0), else 0.
 * With inPlace, dy is overwritten and returned as dx.
 */
export function reluBackwardTs(dy: Tensor, cache: ReluCache, opts: ReluFastOptions = {}): { dx: Tensor } {
  checkShape('reluBackwardTs', 'dy', dy, cache.y.shape);
  const md = cache.y.data, dd = dy.data;
  const dx = opts.inPlace ? dy : wsTensor(opts.ws, 'dx', dy.shape, cache.y.dtype);
  const dxd = dx.data;
  for (let i = 0; i < dd.length; i++) dxd[i] = md[i] > 0 ? dd[i] : 0;
  return { dx };
}

/** reluForwardTs in WebAssembly (float32): operands in wasm memory are used in place (wasm/memory.ts). */
export function reluForwardWasm(x: Tensor, opts: ReluFastOptions = {}): { out: Tensor; cache: ReluCache } {
  const wasm = requireWasm('reluForwardWasm', x.data);
  const out = opts.inPlace ? x : wsTensor(opts.ws, 'out', x.shape, x.dtype, wasm);
  const xd = x.data, od = out.data;
  const call = wasm.call();
  const xPtr = call.input(xd);
  const outPtr = opts.inPlace ? call.inout(od) : call.output(od);
  call.ready(); // a WasmMemoryError here, before anything is written, when the call does not fit
  wasm.exports.reluForward(xPtr, xd.length, outPtr);
  call.done();
  return { out, cache: { y: out } };
}

/** reluBackwardTs in WebAssembly (float32). */
export function reluBackwardWasm(dy: Tensor, cache: ReluCache, opts: ReluFastOptions = {}): { dx: Tensor } {
  const who = 'reluBackwardWasm';
  checkShape(who, 'dy', dy, cache.y.shape);
  const md = cache.y.data, dd = dy.data;
  const wasm = requireWasm(who, md, dd);
  const dx = opts.inPlace ? dy : wsTensor(opts.ws, 'dx', dy.shape, cache.y.dtype, wasm);
  const dxd = dx.data;
  const call = wasm.call();
  const yPtr = call.input(md); //    the forward output (the mask)
  const dPtr = call.input(dd); //    dy
  const dxPtr = opts.inPlace ? call.inout(dxd) : call.output(dxd);
  call.ready();
  wasm.exports.reluBackward(yPtr, dPtr, dd.length, dxPtr);
  call.done();
  return { dx };
}

/** The ReLU family for the backends (see backend.ts). */
export const reluKernels: KernelFamily<typeof reluForwardTs, typeof reluBackwardTs> = {
  naive: { forward: reluForwardNaive, backward: reluBackwardNaive },
  ts: { forward: reluForwardTs, backward: reluBackwardTs },
  wasm: { forward: reluForwardWasm, backward: reluBackwardWasm },
};

/** The fast pair: wasm where it can run, else TypeScript (backend.ts's withFallback; what the 'wasm' backend runs). */
export const reluForwardFast: typeof reluForwardTs = withFallback(reluKernels).forward;
/** The fast backward: wasm where it can run, else reluBackwardTs (see reluForwardFast). */
export const reluBackwardFast: typeof reluBackwardTs = withFallback(reluKernels).backward;
