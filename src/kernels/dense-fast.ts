// Fully connected layer, the fast pair: the same results as denseForwardNaive / denseBackwardNaive
// (dense.ts), each sum done by the GEMM of gemm.ts (WebAssembly SIMD for float32 when available).
//
// Glossary: N = batch, IN = input features, OUT = output features. Weight layout (OUT, IN), as in PyTorch.
//   forward:  out (N, OUT) = x (N, IN) . w^T (IN, OUT) + b
//   backward: dx (N, IN)  = dy (N, OUT) . w (OUT, IN)
//             dw (OUT, IN) += dy^T (OUT, N) . x (N, IN)
//             db (OUT)    += sum over n of dy[n, :]

import { Tensor, checkShape, type FloatArray } from '../tensor.ts';
import { type DenseCache, denseBackwardNaive, denseDims, denseForwardNaive } from './dense.ts';
import { type KernelFamily, accumulating, withFallback } from './backend.ts';
import { gemm, gemmWasm } from './gemm.ts';
import { type Workspace, requireWasm, wsTensor } from './workspace.ts';
import type { WasmKernels } from './wasm/loader.ts';

type Gemm = typeof gemm;

/**
 * out[n,o] = b[o] + sum_i x[n,i] * w[o,i]
 * @param x (N, IN)  @param w (OUT, IN)  @param b (OUT) or null
 * @param opts.ws optional workspace: `out` is then its buffer, overwritten by the next forward with it
 * @returns out (N, OUT), and the cache (interchangeable with the naive one)
 */
export function denseForwardTs(x: Tensor, w: Tensor, b: Tensor | null, opts: { ws?: Workspace } = {}): { out: Tensor; cache: DenseCache } {
  return forward('denseForwardTs', gemm, null, x, w, b, opts.ws);
}

/** denseForwardTs with the GEMM in WebAssembly (float32). */
export function denseForwardWasm(x: Tensor, w: Tensor, b: Tensor | null, opts: { ws?: Workspace } = {}): { out: Tensor; cache: DenseCache } {
  return forward('denseForwardWasm', gemmWasm, requireWasm('denseForwardWasm', x.data, w.data, b?.data), x, w, b, opts.ws);
}

function forward(who: string, mm: Gemm, wasm: WasmKernels | null, x: Tensor, w: Tensor, b: Tensor | null, ws: Workspace | undefined): { out: Tensor; cache: DenseCache } {
  const { N, IN, OUT } = denseDims(x, w, b, who);
  const out = wsTensor(ws, 'out', [N, OUT], x.dtype, wasm); // (N, OUT)
  const od = out.data;
  if (b) for (let n = 0; n < N; n++) od.set(b.data, n * OUT); // start each row at the bias; the GEMM adds (beta = 1)
  mm(false, true, N, OUT, IN, 1, x.data, 0, IN, w.data, 0, IN, b ? 1 : 0, od, 0, OUT);
  return { out, cache: { x, w, hasBias: b !== null } };
}

/** Options of the dense backward kernels; all optional (the same as the conv ones'). */
export interface DenseBackwardOptions {
  /** Reuse buffers across calls; dx, dw, db are then overwritten by the next backward with it. */
  ws?: Workspace;
  /** false: skip dx and return dx = null. Default true. */
  computeDx?: boolean;
  /** (OUT, IN): ADD dw into this tensor (a layer's weight.grad); it is returned as dw. */
  dwInto?: Tensor;
  /** (OUT): likewise ADD db into it. */
  dbInto?: Tensor | null;
}

type DenseGrads = { dx: Tensor | null; dw: Tensor; db: Tensor | null };

/**
 * Dense backward, the fast TypeScript kernel (GEMMs, same formulas as denseBackwardNaive): dx = dy w,
 * dw = dy^T x, db = the sum of dy over the batch.
 * @param dy (N, OUT)
 * @returns dx (N, IN) or null when computeDx is false, dw (OUT, IN), db (OUT) or null without bias
 */
export function denseBackwardTs(dy: Tensor, cache: DenseCache, opts?: DenseBackwardOptions & { computeDx?: true }): { dx: Tensor; dw: Tensor; db: Tensor | null };
export function denseBackwardTs(dy: Tensor, cache: DenseCache, opts?: DenseBackwardOptions): DenseGrads;
export function denseBackwardTs(dy: Tensor, cache: DenseCache, opts: DenseBackwardOptions = {}): DenseGrads {
  return backward('denseBackwardTs', gemm, false, dy, cache, opts);
}

/** denseBackwardTs with the GEMMs in WebAssembly (float32). A GEMM that does not fit throws before writing (then dx is recomputed: no partial sum). */
export function denseBackwardWasm(dy: Tensor, cache: DenseCache, opts?: DenseBackwardOptions & { computeDx?: true }): { dx: Tensor; dw: Tensor; db: Tensor | null };
export function denseBackwardWasm(dy: Tensor, cache: DenseCache, opts?: DenseBackwardOptions): DenseGrads;
export function denseBackwardWasm(dy: Tensor, cache: DenseCache, opts: DenseBackwardOptions = {}): DenseGrads {
  return backward('denseBackwardWasm', gemmWasm, true, dy, cache, opts);
}

function backward(who: string, mm: Gemm, inWasm: boolean, dy: Tensor, cache: DenseCache, opts: DenseBackwardOptions): DenseGrads {
  const { x, w, hasBias } = cache;
  const { ws, computeDx = true, dwInto, dbInto } = opts;
  const { N, IN, OUT } = denseDims(x, w, null, who);
  checkShape(who, 'dy', dy, [N, OUT]);
  if (dwInto) checkShape(who, 'dwInto', dwInto, [OUT, IN]);
  if (hasBias && dbInto) checkShape(who, 'dbInto', dbInto, [OUT]);
  const dd = dy.data;
  const wasm = inWasm ? requireWasm(who, x.data, w.data, dd, dwInto?.data, hasBias ? dbInto?.data : null) : null;
  const dx = computeDx ? wsTensor(ws, 'dx', [N, IN], x.dtype, wasm) : null; //   (N, IN)
  const dw = dwInto ?? wsTensor(ws, 'dw', [OUT, IN], x.dtype); //                  (OUT, IN)
  const db = hasBias ? (dbInto ?? wsTensor(ws, 'db', [OUT], x.dtype)) : null; //   (OUT)
  if (dx) mm(false, false, N, IN, OUT, 1, dd, 0, OUT, w.data, 0, IN, 0, dx.data, 0, IN);
  mm(true, false, OUT, IN, N, 1, dd, 0, OUT, x.data, 0, IN, dwInto ? 1 : 0, dw.data, 0, IN);
  if (db) columnSums(dd, N, OUT, db.data, hasBias && dbInto != null);
  return { dx, dw, db };
}

/** db[o] (+)= sum_n dy[n, o] for dy (N, OUT). */
function columnSums(dy: FloatArray, N: number, OUT: number, db: FloatArray, accumulate: boolean): void {
  if (!accumulate) db.fill(0);
  for (let n = 0; n < N; n++) for (let o = 0; o < OUT; o++) db[o] += dy[n * OUT + o];
}

/** The dense family for the backends (see backend.ts). */
export const denseKernels: KernelFamily<typeof denseForwardTs, typeof denseBackwardTs> = {
  naive: { forward: denseForwardNaive, backward: accumulating(denseBackwardNaive) as typeof denseBackwardTs },
  ts: { forward: denseForwardTs, backward: denseBackwardTs },
  wasm: { forward: denseForwardWasm, backward: denseBackwardWasm },
};

/** The fast pair: wasm where it can run, else TypeScript (backend.ts's withFallback; what the 'wasm' backend runs). */
export const denseForwardFast: typeof denseForwardTs = withFallback(denseKernels).forward;
/** The fast backward: wasm where it can run, else denseBackwardTs (see denseForwardFast). */
export const denseBackwardFast: typeof denseBackwardTs = withFallback(denseKernels).backward;
