// The backend: which arithmetic a layer's kernels run. It is chosen in ONE place (here) and a layer
// resolves it once into a set of kernel functions with one contract; no layer has dispatch code.
//
//   'naive'  the plain loops of the formulas (conv2dForwardNaive, ...): the teaching text and the test
//            oracle; slow, allocates every call
//   'ts'     the fast kernels in TypeScript (im2col + GEMM, buffers reused between calls)
//   'wasm'   the fast kernels in WebAssembly SIMD (src/kernels/wasm/). WebAssembly SIMD is float32,
//            so float64 tensors (gradient checks in double precision) take the 'ts' code on this
//            backend: the same formulas, in the precision asked for
//
// The default is the fastest available: 'wasm' when the wasm module is loaded (in Node it loads from
// build/ on first use; a browser page calls initWasmKernels(bytes) first), else 'ts'. To change it:
//   for the process  setDefaultBackend('ts')                    (the CLI's --backend flag does this)
//   for a model      model.setBackend('naive')                  (every layer in it)
//   for a layer      new Conv2D({ ..., backend: 'naive' }), or layer.setBackend('naive')
// A layer with no backend of its own resolves the process default the first time it runs, so a page
// may load the wasm module after building its model.
//
// The kernel contract. Every family `foo` (conv2d, dense, relu, maxPool2d, ...) has a naive pair and a
// fast pair with the same signatures:
//   fooForward(x, ...parameters, opts?)  -> { out, cache }        out is y, the layer's output
//   fooBackward(dy, cache, opts?)        -> { dx, dw?, db? }
// where opts.ws is the workspace of reused buffers (fast pair only; see workspace.ts), and a backward
// may take { computeDx: false } (then dx is null) and { dwInto, dbInto }: ADD dw and db into these
// tensors (a layer's weight.grad and bias.grad) and return them. The family object, exported beside
// the kernels, lists both pairs: `{ naive: { forward, backward }, fast: { forward, backward } }`.
// accumulating() gives a naive backward the dwInto/dbInto behaviour, so the naive text stays pure.

import { type Tensor } from '../tensor.ts';
import { getWasmKernels, wasmStatus } from './wasm/loader.ts';
import { type Workspace, createWorkspace } from './workspace.ts';

export type Backend = 'naive' | 'ts' | 'wasm';

export const BACKENDS: readonly Backend[] = ['naive', 'ts', 'wasm'];

/** A forward kernel and its backward. */
export interface KernelPair<Forward, Backward> {
  forward: Forward;
  backward: Backward;
}

/** A kernel family: the naive pair (the formulas) and the fast pair (same signatures, same numbers). */
export interface KernelFamily<Forward, Backward> {
  naive: KernelPair<Forward, Backward>;
  fast: KernelPair<Forward, Backward>;
}

/** A family resolved for one layer: the pair to call, the backend it runs, and that layer's workspace (undefined for 'naive'). */
export interface Kernels<Forward, Backward> extends KernelPair<Forward, Backward> {
  readonly backend: Backend;
  readonly ws: Workspace | undefined;
}

let processDefault: Backend | undefined;

/** Sets the backend of every layer that has none of its own (undefined: back to the fastest available). */
export function setDefaultBackend(backend: Backend | undefined): void {
  processDefault = backend === undefined ? undefined : checkBackend(backend, 'setDefaultBackend');
}

/** The backend a layer without its own choice runs: setDefaultBackend's, else 'wasm' if loaded, else 'ts'. */
export function defaultBackend(): Backend {
  return processDefault ?? (getWasmKernels() ? 'wasm' : 'ts');
}

/** Validates a backend name (a RangeError naming `who` otherwise); undefined passes through. */
export function checkBackend(value: unknown, who: string): Backend;
export function checkBackend(value: unknown, who: string, optional: true): Backend | undefined;
export function checkBackend(value: unknown, who: string, optional = false): Backend | undefined {
  if (value === undefined && optional) return undefined;
  if (!BACKENDS.includes(value as Backend)) {
    throw new RangeError(`${who}: backend must be ${BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as Backend;
}

/**
 * The kernels of `family` on `backend` (default: defaultBackend()), with a fresh workspace for a fast
 * backend. 'wasm' throws when the wasm module cannot be used, saying why.
 */
export function resolveKernels<F, B>(family: KernelFamily<F, B>, backend: Backend = defaultBackend(), who = 'resolveKernels'): Kernels<F, B> {
  checkBackend(backend, who);
  if (backend === 'naive') return { ...family.naive, backend, ws: undefined };
  if (backend === 'wasm' && !getWasmKernels()) {
    throw new Error(`${who}: the 'wasm' backend is unavailable (${wasmStatus()}); use 'ts', or load the module with initWasmKernels(bytes)`);
  }
  return { ...family.fast, backend, ws: createWorkspace({ backend: backend === 'wasm' ? 'auto' : 'ts' }) };
}

/** Options every backward kernel accepts (the fast ones use them for speed; accumulating() gives them to a naive one). */
export interface BackwardOptions {
  ws?: Workspace;
  /** false: skip dx (a network's first layer has no use for it); dx is then null. Default true. */
  computeDx?: boolean;
  /** ADD dw into this tensor instead of returning a new one; it is returned as dw. */
  dwInto?: Tensor;
  /** Likewise for db. */
  dbInto?: Tensor | null;
}

type Grads = { dx: Tensor | null; dw?: Tensor | null; db?: Tensor | null };

/**
 * A naive backward `(dy, cache) -> { dx, dw, db }` given the options of a fast one: dw and db are
 * added into dwInto and dbInto when given. The naive kernel itself stays the bare formula.
 */
export function accumulating<C, G extends Grads>(backward: (dy: Tensor, cache: C) => G) {
  return (dy: Tensor, cache: C, opts: BackwardOptions = {}): Omit<G, 'dx'> & { dx: Tensor | null } => {
    const g = backward(dy, cache);
    const out: Omit<G, 'dx'> & { dx: Tensor | null } = { ...g };
    if (opts.dwInto && g.dw) out.dw = addInto(opts.dwInto, g.dw);
    if (opts.dbInto && g.db) out.db = addInto(opts.dbInto, g.db);
    if (opts.computeDx === false) out.dx = null;
    return out;
  };
}

/** into += delta, element by element; returns `into`. */
export function addInto(into: Tensor, delta: Tensor): Tensor {
  const g = into.data, d = delta.data;
  for (let i = 0; i < g.length; i++) g[i] += d[i];
  return into;
}
