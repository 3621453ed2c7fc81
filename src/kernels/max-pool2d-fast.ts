// 2-D max pooling, the fast pair: the same results and cache as maxPool2dForwardNaive /
// maxPool2dBackwardNaive (max-pool2d.ts), with reusable buffers; in WebAssembly for float32
// (wasm/assembly/pool.ts: branch-free, four 2x2 windows per SIMD step), else the TypeScript below.
//
// Glossary: N = batch, C = channels, H, W = input size, KH x KW = window (square here: KW = KH), S = stride,
// OH, OW = output size: OH = floor((H - KH) / S) + 1, OW = floor((W - KH) / S) + 1 (no padding).
//
// The forward pass stores, for each output, the flat input index of its window's maximum (the first
// one in reading order on ties, and a NaN if the window holds one, exactly as the naive kernel), so
// the backward pass is a scatter. The test `v > best || v !== v` is "v wins": larger, or NaN.

import { Tensor, shapeStr, type FloatArray } from '../tensor.ts';
import { type MaxPool2dCache, type MaxPool2dParams, maxPool2dBackwardNaive, maxPool2dDims, maxPool2dForwardNaive } from './max-pool2d.ts';
import { type KernelFamily, withFallback } from './backend.ts';
import { type Workspace, requireWasm, wsInt32, wsTensor } from './workspace.ts';

/**
 * out[n,c,i,j] = max over 0 <= m, k < KH of x[n, c, i*S + m, j*S + k]
 *
 * @param x (N, C, H, W)
 * @param opts.ws optional workspace: `out` and the cache's argmax are then its buffers, overwritten by the
 *           next forward with it
 * @returns out (N, C, OH, OW), and the cache (argmax (N, C, OH, OW)), interchangeable with the naive one
 */
export function maxPool2dForwardTs(x: Tensor, p: MaxPool2dParams, opts: { ws?: Workspace } = {}): { out: Tensor; cache: MaxPool2dCache } {
  const { ws } = opts;
  const { N, C, H, W, KH, S, OH, OW } = maxPool2dDims(x, p, 'maxPool2dForwardTs');
  const out = wsTensor(ws, 'out', [N, C, OH, OW], x.dtype); // (N, C, OH, OW)
  const argmax = wsInt32(ws, 'argmax', out.size); //           (N, C, OH, OW)
  const cache: MaxPool2dCache = { inShape: x.shape, argmax, dtype: x.dtype };
  const xd = x.data, od = out.data;
  let o = 0; // walks out and argmax in order
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W; // x[n, c] (H, W)
    if (KH === 2 && S === 2) pool2x2(xd, base, W, OH, OW, od, argmax, o);
    else poolAny(xd, base, W, KH, S, OH, OW, od, argmax, o);
    o += OH * OW;
  }
  return { out, cache };
}

/** One plane, 2x2 windows, stride 2, unrolled: the four candidates in the naive kernel's order. */
function pool2x2(xd: FloatArray, base: number, W: number, OH: number, OW: number, od: FloatArray, argmax: Int32Array, o: number): void {
  for (let i = 0; i < OH; i++) {
    const r0 = base + 2 * i * W, r1 = r0 + W; // the window's two input rows
    for (let j = 0; j < OW; j++, o++) {
      let where = r0 + 2 * j, best = xd[where], v = 0;
      v = xd[r0 + 2 * j + 1]; if (v > best || v !== v) { where = r0 + 2 * j + 1; best = v; }
      v = xd[r1 + 2 * j]; if (v > best || v !== v) { where = r1 + 2 * j; best = v; }
      v = xd[r1 + 2 * j + 1]; if (v > best || v !== v) { where = r1 + 2 * j + 1; best = v; }
      od[o] = best;
      argmax[o] = where;
    }
  }
}

/** One plane, any window and stride. */
function poolAny(xd: FloatArray, base: number, W: number, KH: number, S: number, OH: number, OW: number, od: FloatArray, argmax: Int32Array, o: number): void {
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++, o++) {
      const corner = base + i * S * W + j * S; // x[n, c, i*S, j*S]
      let where = corner, best = xd[corner];
      for (let m = 0; m < KH; m++) {
        for (let idx = corner + m * W; idx < corner + m * W + KH; idx++) {
          const v = xd[idx];
          if (v > best || v !== v) { best = v; where = idx; } // strict >: the first maximum wins ties
        }
      }
      od[o] = best;
      argmax[o] = where;
    }
  }
}

/**
 * dx[argmax[o]] += dy[o]: the gradient goes to each window's winner.
 *
 * @param dy (N, C, OH, OW)
 * @param opts.ws optional workspace: `dx` is then its buffer, overwritten by the next backward with it
 * @returns dx (N, C, H, W)
 */
export function maxPool2dBackwardTs(dy: Tensor, cache: MaxPool2dCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  checkPoolDy('maxPool2dBackwardTs', dy, cache);
  const dx = wsTensor(opts.ws, 'dx', cache.inShape, cache.dtype); // (N, C, H, W)
  const dxd = dx.data, dd = dy.data, { argmax } = cache;
  dxd.fill(0);
  for (let o = 0; o < argmax.length; o++) dxd[argmax[o]] += dd[o];
  return { dx };
}

function checkPoolDy(who: string, dy: Tensor, cache: MaxPool2dCache): void {
  const [N, C] = cache.inShape;
  const { argmax } = cache;
  if (dy.size !== argmax.length || dy.shape[0] !== N || dy.shape[1] !== C) {
    throw new Error(`${who}: dy must have ${argmax.length} values in shape [${N}, ${C}, OH, OW], got ${shapeStr(dy.shape)}`);
  }
}

// ---- the WebAssembly pair (float32; wasm/assembly/pool.ts) ----

/** maxPool2dForwardTs in WebAssembly: operands in wasm memory are used in place (wasm/memory.ts). */
export function maxPool2dForwardWasm(x: Tensor, p: MaxPool2dParams, opts: { ws?: Workspace } = {}): { out: Tensor; cache: MaxPool2dCache } {
  const { ws } = opts;
  const who = 'maxPool2dForwardWasm';
  const { N, C, H, W, KH, S, OH, OW } = maxPool2dDims(x, p, who);
  const wasm = requireWasm(who, x.data);
  const out = wsTensor(ws, 'out', [N, C, OH, OW], x.dtype, wasm); // (N, C, OH, OW)
  const argmax = wsInt32(ws, 'argmax', out.size, wasm); //           (N, C, OH, OW)
  const call = wasm.call();
  const xPtr = call.input(x.data);
  const outPtr = call.output(out.data);
  const argPtr = call.output(argmax);
  call.ready(); // a WasmMemoryError here, before anything is written, when the call does not fit
  wasm.exports.maxPool2dForward(xPtr, N, C, H, W, KH, S, OH, OW, outPtr, argPtr);
  call.done();
  return { out, cache: { inShape: x.shape, argmax, dtype: x.dtype } };
}

/** maxPool2dBackwardTs in WebAssembly. */
export function maxPool2dBackwardWasm(dy: Tensor, cache: MaxPool2dCache, opts: { ws?: Workspace } = {}): { dx: Tensor } {
  const who = 'maxPool2dBackwardWasm';
  checkPoolDy(who, dy, cache);
  const wasm = requireWasm(who, dy.data, cache.dtype);
  const dx = wsTensor(opts.ws, 'dx', cache.inShape, cache.dtype, wasm); // (N, C, H, W)
  const { argmax } = cache;
  const call = wasm.call();
  const dyPtr = call.input(dy.data);
  const argPtr = call.input(argmax);
  const dxPtr = call.output(dx.data);
  call.ready();
  wasm.exports.maxPool2dBackward(dyPtr, argPtr, argmax.length, dxPtr, dx.data.length);
  call.done();
  return { dx };
}

/** The max-pool family for the backends (see backend.ts). */
export const maxPool2dKernels: KernelFamily<typeof maxPool2dForwardTs, typeof maxPool2dBackwardTs> = {
  naive: { forward: maxPool2dForwardNaive, backward: maxPool2dBackwardNaive },
  ts: { forward: maxPool2dForwardTs, backward: maxPool2dBackwardTs },
  wasm: { forward: maxPool2dForwardWasm, backward: maxPool2dBackwardWasm },
};

/** The fast pair: wasm where it can run, else TypeScript (backend.ts's withFallback; what the 'wasm' backend runs). */
export const maxPool2dForwardFast: typeof maxPool2dForwardTs = withFallback(maxPool2dKernels).forward;
/** The fast backward: wasm where it can run, else maxPool2dBackwardTs (see maxPool2dForwardFast). */
export const maxPool2dBackwardFast: typeof maxPool2dBackwardTs = withFallback(maxPool2dKernels).backward;
