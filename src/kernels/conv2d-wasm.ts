// 2-D convolution, the WebAssembly pair (float32): the marshalling of the wasm kernels of
// wasm/assembly/conv.ts (groups 1, dilation 1) and wasm/assembly/depthwise.ts (groups = C > 1).
// Each call lays out its operands in wasm memory (wasm/memory.ts: inputs that already live there are
// used in place, others copied in), runs the whole pass in wasm and copies out the results that do
// not live there. Same results as the TypeScript pair (conv2d-ts.ts) within float rounding.
//
// How (groups 1, dilation 1): the products of im2col + GEMM (see conv2d-ts.ts), one image at a time,
// but col is never written out: each of its entries is read straight from the zero-padded image
// through two small offset tables (col[k, q] sits at koff[k] + pix[q]), which saves the memory traffic
// of a matrix 25x the image's size. dx is computed there as the convolution of dy with the flipped
// kernel. A pooled forward (inference) pools each image's convolution while it is still in cache
// (conv2dForwardPooled), so the full-size activation is never written out and read back.
//
// The wasm build has no kernel for 1 < groups < C, or groups 1 with dilation > 1: conv2dWasmHandles
// says so, and the family (conv2d-fast.ts) runs the TypeScript pair for those calls. Called directly,
// these kernels throw on such a call, on a float64 operand, or when the module is not loaded; a call
// that does not fit in wasm memory throws a WasmMemoryError before anything is written.
//
// With { winograd: true }, a 3x3 stride-1 conv (groups 1, dilation 1, padding <= 2) runs Winograd
// F(2x2,3x3) in wasm instead (winograd.ts, wasm/assembly/winograd.ts); a pooled forward with a 2x2
// stride-2 window pools each output tile as it is made (other windows: after it).
//
// Glossary: as in conv2d-ts.ts.

import type { Tensor, FloatArray } from '../tensor.ts';
import { type Conv2dCache, type Conv2dParams, conv2dDims } from './conv2d.ts';
import { type Conv2dBackwardOptions, type Conv2dDims, type Conv2dForwardOptions, type Conv2dGrads, backwardOperands, isDepthwise } from './conv2d-ts.ts';
import { maxPool2dForwardWasm } from './max-pool2d-fast.ts';
import { pooledDims, poolWorkspace } from './conv2d-pool.ts';
import { requireWasm, wsTensor } from './workspace.ts';
import { winogradPass } from './winograd-pass.ts';
import type { WasmKernels } from './wasm/loader.ts';

type Dims = Conv2dDims;

/** Whether the wasm build has a kernel for this conv: groups 1 with dilation 1 (conv.ts), or depthwise (depthwise.ts). */
export function wasmHasConv(d: Dims): boolean {
  return (d.G === 1 && d.D === 1) || isDepthwise(d);
}

/** For the family's fallback rule: whether a forward (x, w, b, p) / a backward (dy, cache) has a wasm kernel. */
export const conv2dWasmHandles = {
  forward: (x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams): boolean => wasmHasConv(conv2dDims(x, w, b, p, 'conv2dForwardWasm')),
  backward: (_dy: Tensor, cache: Conv2dCache): boolean => wasmHasConv(conv2dDims(cache.x, cache.w, null, cache.p, 'conv2dBackwardWasm')),
};

function checkHandled(d: Dims, who: string): void {
  if (!wasmHasConv(d)) {
    throw new RangeError(`${who}: the wasm build has no kernel for groups ${d.G} of ${d.C} channels with dilation ${d.D}; use conv2dForwardTs or conv2dForwardFast`);
  }
}

/** conv2dForwardTs in WebAssembly (float32; see the top of this file for what it takes). */
export function conv2dForwardWasm(
  x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, opts: Conv2dForwardOptions = {},
): { out: Tensor; cache: Conv2dCache } {
  const who = 'conv2dForwardWasm';
  const { ws } = opts;
  const d = conv2dDims(x, w, b, p, who);
  checkHandled(d, who);
  const wasm = requireWasm(who, x.data, w.data, b?.data);
  const relu = opts.relu === true;
  const cache = { x, w, hasBias: b !== null, p };
  const bd = b ? b.data : null;
  const winograd = opts.winograd === true && winogradPass(who).runs(d);
  if (opts.pool) {
    const pooled = pooledDims(d, opts.pool, who);
    if (winograd && pooled.PK === 2 && pooled.PS === 2) { // Winograd's 2x2 output tiles are the pooling windows
      return { out: winogradPass(who).forward('wasm', x, w, b, p, { ws, relu, pool: true })!, cache };
    }
    if (isDepthwise(d) || winograd) { // no fused kernel: the conv, then the max pool, both in wasm
      const unpooled = conv2dForwardWasm(x, w, b, p, { ws, relu, winograd }).out; // (N, F, OH, OW)
      return { out: maxPool2dForwardWasm(unpooled, opts.pool, { ws: poolWorkspace(ws) }).out, cache };
    }
    // Not 'out': a layer that alternates training and inference keeps both buffers instead of reallocating.
    const out = wsTensor(ws, 'pooled', [d.N, d.F, pooled.POH, pooled.POW], x.dtype, wasm); // (N, F, POH, POW)
    forwardWasm(wasm, d, x.data, w.data, bd, out.data, relu, pooled);
    return { out, cache };
  }
  if (winograd) return { out: winogradPass(who).forward('wasm', x, w, b, p, { ws, relu })!, cache };
  const out = wsTensor(ws, 'out', [d.N, d.F, d.OH, d.OW], x.dtype, wasm); // (N, F, OH, OW)
  if (isDepthwise(d)) depthwiseForwardWasm(wasm, d, x.data, w.data, bd, out.data, relu);
  else forwardWasm(wasm, d, x.data, w.data, bd, out.data, relu);
  return { out, cache };
}

/** conv2dBackwardTs in WebAssembly (float32). */
export function conv2dBackwardWasm(dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions & { computeDx?: true }): Conv2dGrads;
export function conv2dBackwardWasm(dy: Tensor, cache: Conv2dCache, opts?: Conv2dBackwardOptions): Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null };
export function conv2dBackwardWasm(dy: Tensor, cache: Conv2dCache, opts: Conv2dBackwardOptions = {}): Omit<Conv2dGrads, 'dx'> & { dx: Tensor | null } {
  const who = 'conv2dBackwardWasm';
  const { x, w, hasBias, p } = cache;
  const d0 = conv2dDims(x, w, null, p, who);
  checkHandled(d0, who);
  if (opts.winograd) {
    const grads = winogradPass('conv2dBackwardWasm').backward('wasm', dy, cache, opts); // null: Winograd does not apply to this conv
    if (grads) return grads;
  }
  const mask = opts.reluOutput?.data ?? null;
  const wasm = requireWasm(who, x.data, w.data, dy.data, opts.dwInto?.data, hasBias ? opts.dbInto?.data : null, mask);
  const { d, dx, dw, db, accumulate } = backwardOperands(who, dy, cache, opts, wasm);
  if (isDepthwise(d)) depthwiseBackwardWasm(wasm, d, x.data, w.data, dy.data, mask, dx?.data ?? null, dw.data, db?.data ?? null, accumulate);
  else backwardWasm(wasm, d, x.data, w.data, dy.data, mask, dx?.data ?? null, dw.data, db?.data ?? null, accumulate);
  return { dx, dw, db };
}

/** The forward pass in wasm; with `pool`, each image's output is max-pooled while in cache (conv2dForwardPooled). */
function forwardWasm(
  wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, b: FloatArray | null, out: FloatArray, relu: boolean,
  pool?: { PK: number; PS: number; POH: number; POW: number },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //       (N, C, H, W)
  const wPtr = call.input(w); //       (F, K)
  const bPtr = b ? call.input(b) : 0; // (F)
  const outPtr = call.output(out); //  (N, F, Q), or pooled (N, F, POH, POW)
  // packed weights, tables, padded image; pooled: also one image's (F, OH, OW)
  const scratch = call.scratch(pool ? e.conv2dForwardPooledScratch(C, H, W, F, KH, KW, S, P, OH, OW) : e.conv2dForwardScratch(C, H, W, F, KH, KW, S, P, OH, OW));
  call.ready();
  if (pool) e.conv2dForwardPooled(xPtr, wPtr, bPtr, outPtr, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, relu ? 1 : 0, pool.PK, pool.PS, pool.POH, pool.POW);
  else e.conv2dForward(xPtr, wPtr, bPtr, outPtr, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, relu ? 1 : 0);
  call.done();
}

function backwardWasm(
  wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, dy: FloatArray, mask: FloatArray | null, dx: FloatArray | null,
  dw: FloatArray, db: FloatArray | null, accumulate: { dw: boolean; db: boolean },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //                                  (N, C, H, W)
  const wPtr = call.input(w); //                                  (F, K)
  const dyPtr = call.input(dy); //                            (N, F, Q)
  const maskPtr = mask ? call.input(mask) : 0; //                 (N, F, Q) the fused ReLU's output
  const dxPtr = dx ? call.output(dx) : 0; //                      (N, C, H, W)
  const dwPtr = call.output(dw, accumulate.dw ? 'add' : 'copy'); // (F, K)
  const dbPtr = db ? call.output(db, accumulate.db ? 'add' : 'copy') : 0; // (F)
  const scratch = call.scratch(e.conv2dBackwardScratch(C, H, W, F, KH, KW, S, P, OH, OW)); // tables, packed operands, padded images
  call.ready();
  e.conv2dBackward(xPtr, wPtr, dyPtr, dxPtr, dwPtr, dbPtr, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, maskPtr);
  call.done();
}

function depthwiseForwardWasm(wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, relu: boolean): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //          (N, C, H, W)
  const wPtr = call.input(w); //          (F, 1, KH, KW)
  const bPtr = b ? call.input(b) : 0; //  (F)
  const yPtr = call.output(y); //         (N, F, OH, OW)
  const scratch = call.scratch(e.depthwiseForwardScratch(H, W, P)); // one zero-padded plane
  call.ready();
  e.depthwiseForward(xPtr, wPtr, bPtr, yPtr, N, C, H, W, F, KH, KW, S, P, D, OH, OW, scratch, relu ? 1 : 0);
  call.done();
}

function depthwiseBackwardWasm(
  wasm: WasmKernels, d: Dims, x: FloatArray, w: FloatArray, dy: FloatArray, mask: FloatArray | null, dx: FloatArray | null,
  dw: FloatArray, db: FloatArray | null, accumulate: { dw: boolean; db: boolean },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const e = wasm.exports;
  const call = wasm.call();
  const xPtr = call.input(x); //                                  (N, C, H, W)
  const wPtr = call.input(w); //                                  (F, 1, KH, KW)
  const dyPtr = call.input(dy); //                                (N, F, OH, OW)
  const maskPtr = mask ? call.input(mask) : 0; //                 (N, F, OH, OW) the fused ReLU's output
  const dxPtr = dx ? call.output(dx) : 0; //                      (N, C, H, W)
  const dwPtr = call.output(dw, accumulate.dw ? 'add' : 'copy'); // (F, 1, KH, KW)
  const dbPtr = db ? call.output(db, accumulate.db ? 'add' : 'copy') : 0; // (F)
  const scratch = call.scratch(e.depthwiseBackwardScratch(H, W, P, D, OH, OW)); // padded plane, its gradient, masked dy
  call.ready();
  e.depthwiseBackward(xPtr, wPtr, dyPtr, dxPtr, dwPtr, dbPtr, N, C, H, W, F, KH, KW, S, P, D, OH, OW, scratch, maskPtr);
  call.done();
}
