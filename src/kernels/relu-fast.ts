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
import type { KernelFamily } from './backend.ts';
import { type Workspace, pickWasm, wsTensor } from './workspace.ts';
import { fitsInWasm } from './wasm/loader.ts';

export interface ReluFastOptions {
  /** Reuse the output buffer across calls (overwritten by the next call with this workspace). */
  ws?: Workspace;
  /** Overwrite the input with the result (no new buffer at all). The caller must not need the input afterwards. */
  inPlace?: boolean;
}

/**
 * out = max(0, x), elementwise; written `x < 0 ? 0 : x` like the naive kernel, so a NaN passes through.
 * @returns out (x's shape) and the cache for reluBackwardFast (or reluBackwardNaive): { y: out }
 */
export function reluForwardFast(x: Tensor, opts: ReluFastOptions = {}): { out: Tensor; cache: ReluCache } {
  const wasm = pickWasm(opts.ws, 'reluForwardFast', x.data);
  const out = opts.inPlace ? x : wsTensor(opts.ws, 'out', x.shape, x.dtype, wasm);
  const xd = x.data, od = out.data;
  // A call too big for wasm memory runs on the TypeScript loop instead (wasm/memory.ts).
  if (!wasm || !fitsInWasm(() => {
    const call = wasm.call(); // see wasm/memory.ts: operands in wasm memory are used in place
    const xPtr = call.input(xd);
    const outPtr = opts.inPlace ? call.inout(od) : call.output(od);
    call.ready();
    wasm.exports.reluForward(xPtr, xd.length, outPtr);
    call.done();
  })) {
    for (let i = 0; i < xd.length; i++) od[i] = xd[i] < 0 ? 0 : xd[i];
  }
  return { out, cache: { y: out } };
}

/**
 * dx = dy where the forward output was > 0 (i.e. x > 0), else 0.
 * With inPlace, dy is overwritten and returned as dx.
 */
export function reluBackwardFast(dy: Tensor, cache: ReluCache, opts: ReluFastOptions = {}): { dx: Tensor } {
  const who = 'reluBackwardFast';
  checkShape(who, 'dy', dy, cache.y.shape);
  const md = cache.y.data, dd = dy.data;
  const wasm = pickWasm(opts.ws, who, md, dd);
  const dx = opts.inPlace ? dy : wsTensor(opts.ws, 'dx', dy.shape, cache.y.dtype, wasm);
  const dxd = dx.data;
  if (!wasm || !fitsInWasm(() => {
    const call = wasm.call();
    const yPtr = call.input(md); //    the forward output (the mask)
    const dPtr = call.input(dd); //    dy
    const dxPtr = opts.inPlace ? call.inout(dxd) : call.output(dxd);
    call.ready();
    wasm.exports.reluBackward(yPtr, dPtr, dd.length, dxPtr);
    call.done();
  })) {
    for (let i = 0; i < dd.length; i++) dxd[i] = md[i] > 0 ? dd[i] : 0;
  }
  return { dx };
}

/** The ReLU family for the backends (see backend.ts): the naive pair (the formulas) and this fast pair. */
export const reluKernels: KernelFamily<typeof reluForwardFast, typeof reluBackwardFast> = {
  naive: { forward: reluForwardNaive, backward: reluBackwardNaive },
  fast: { forward: reluForwardFast, backward: reluBackwardFast },
};
