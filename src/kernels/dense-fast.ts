// Fully connected layer, the fast pair: the same results as denseForwardNaive / denseBackwardNaive
// (dense.ts), each sum done by the GEMM of gemm.ts (WebAssembly SIMD for float32 when available).
//
// Glossary: N = batch, I = input features, O = output features. Weight layout (O, I), as in PyTorch.
//   forward:  out (N, O) = x (N, I) . w^T (I, O) + b
//   backward: dx (N, I)  = dout (N, O) . w (O, I)
//             dw (O, I) += dout^T (O, N) . x (N, I)
//             db (O)    += sum over n of dout[n, :]

import { Tensor, checkShape, type FloatArray } from '../tensor.ts';
import { type DenseCache, denseDims } from './dense.ts';
import { gemm, gemmWasm } from './gemm.ts';
import { type Workspace, pickWasm, wsTensor } from './workspace.ts';

/**
 * out[n,o] = b[o] + sum_i x[n,i] * w[o,i]
 * @param x (N, I)  @param w (O, I)  @param b (O) or null
 * @param ws optional workspace: `out` is then its buffer, overwritten by the next forward with it
 * @returns out (N, O), and the cache (interchangeable with the naive one)
 */
export function denseForwardFast(x: Tensor, w: Tensor, b: Tensor | null, ws?: Workspace): { out: Tensor; cache: DenseCache } {
  const who = 'denseForwardFast';
  const { N, I, O } = denseDims(x, w, b, who);
  const wasm = pickWasm(ws, who, x.data, w.data, b?.data);
  const out = wsTensor(ws, 'out', [N, O], x.dtype, wasm); // (N, O)
  const od = out.data;
  if (b) for (let n = 0; n < N; n++) od.set(b.data, n * O); // start each row at the bias; the GEMM adds (beta = 1)
  const mm = wasm ? gemmWasm : gemm;
  mm(false, true, N, O, I, 1, x.data, 0, I, w.data, 0, I, b ? 1 : 0, od, 0, O);
  return { out, cache: { x, w, hasBias: b !== null } };
}

/** Options of denseBackwardFast; all optional (the same as conv2dBackwardFast's). */
export interface DenseBackwardOptions {
  /** Reuse buffers across calls; dx, dw, db are then overwritten by the next backward with it. */
  ws?: Workspace;
  /** false: skip dx and return dx = null. Default true. */
  computeDx?: boolean;
  /** (O, I): ADD dw into this tensor (a layer's weight.grad); it is returned as dw. */
  dwInto?: Tensor;
  /** (O): likewise ADD db into it. */
  dbInto?: Tensor | null;
}

/**
 * @param dout (N, O)
 * @returns dx (N, I) or null when computeDx is false, dw (O, I), db (O) or null without bias
 */
export function denseBackwardFast(dout: Tensor, cache: DenseCache, opts?: DenseBackwardOptions & { computeDx?: true }): { dx: Tensor; dw: Tensor; db: Tensor | null };
export function denseBackwardFast(dout: Tensor, cache: DenseCache, opts?: DenseBackwardOptions): { dx: Tensor | null; dw: Tensor; db: Tensor | null };
export function denseBackwardFast(dout: Tensor, cache: DenseCache, opts: DenseBackwardOptions = {}): { dx: Tensor | null; dw: Tensor; db: Tensor | null } {
  const who = 'denseBackwardFast';
  const { x, w, hasBias } = cache;
  const { ws, computeDx = true, dwInto, dbInto } = opts;
  const { N, I, O } = denseDims(x, w, null, who);
  checkShape(who, 'dout', dout, [N, O]);
  if (dwInto) checkShape(who, 'dwInto', dwInto, [O, I]);
  if (hasBias && dbInto) checkShape(who, 'dbInto', dbInto, [O]);
  const dd = dout.data;
  const wasm = pickWasm(ws, who, x.data, w.data, dd, dwInto?.data, hasBias ? dbInto?.data : null);
  const dx = computeDx ? wsTensor(ws, 'dx', [N, I], x.dtype, wasm) : null; //   (N, I)
  const dw = dwInto ?? wsTensor(ws, 'dw', [O, I], x.dtype); //                  (O, I)
  const db = hasBias ? (dbInto ?? wsTensor(ws, 'db', [O], x.dtype)) : null; //   (O)
  const mm = wasm ? gemmWasm : gemm;
  if (dx) mm(false, false, N, I, O, 1, dd, 0, O, w.data, 0, I, 0, dx.data, 0, I);
  mm(true, false, O, I, N, 1, dd, 0, O, x.data, 0, I, dwInto ? 1 : 0, dw.data, 0, I);
  if (db) columnSums(dd, N, O, db.data, hasBias && dbInto != null);
  return { dx, dw, db };
}

/** db[o] (+)= sum_n dout[n, o] for dout (N, O). */
function columnSums(dout: FloatArray, N: number, O: number, db: FloatArray, accumulate: boolean): void {
  if (!accumulate) db.fill(0);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) db[o] += dout[n * O + o];
}
