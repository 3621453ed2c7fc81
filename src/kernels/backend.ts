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
// The kernel contract. Every family `foo` (conv2d, dense, relu, maxPool2d, ...) has its implementations
// by backend name, all with the same signatures:
//   fooForward(x, ...parameters, opts?)  -> { out, cache }        out is y, the layer's output
//   fooBackward(dy, cache, opts?)        -> { dx, dw?, db? }
// where opts.ws is the workspace of reused buffers ('ts' and 'wasm'; see workspace.ts), and a backward
// may take { computeDx: false } (then dx is null) and { dwInto, dbInto }: ADD dw and db into these
// tensors (a layer's weight.grad and bias.grad) and return them. The family object, exported beside
// the kernels, names them: `{ naive: { forward, backward }, ts: { ... }, wasm: { ... } }` (no `wasm`:
// the family has no WebAssembly kernel and the 'wasm' backend runs its TypeScript pair).
// accumulating() gives a naive backward the dwInto/dbInto behaviour, so the naive text stays pure.
//
// The fallback rule, here and nowhere else (withFallback): the 'wasm' backend runs a family's wasm
// pair, except for a call
//   - with a float64 operand (WebAssembly SIMD is float32; gradient checks run in double precision),
//   - that the wasm build has no kernel for (the pair's `handles` says no: a conv with 1 < groups < C),
//   - that does not fit in wasm memory (the wasm pair throws a WasmMemoryError before writing
//     anything, see wasm/memory.ts),
// which runs the family's TypeScript pair instead: the same formulas. A wasm pair called directly
// insists: it throws on float64 operands or when the module is not loaded.

import { Tensor } from '../tensor.ts';
import { WasmMemoryError, getWasmKernels, wasmStatus } from './wasm/loader.ts';
import { type Workspace, createWorkspace } from './workspace.ts';

/** Which arithmetic a layer's kernels run: 'naive' (the formulas' plain loops, the test oracle), 'ts' (fast TypeScript, im2col + GEMM) or 'wasm' (WebAssembly SIMD, float32; float64 calls run the 'ts' code). */
export type Backend = 'naive' | 'ts' | 'wasm';

/** Every Backend name, slowest first: what setDefaultBackend, a layer's backend option and the CLI's --backend accept. */
export const BACKENDS: readonly Backend[] = ['naive', 'ts', 'wasm'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a kernel's own signature is kept as is
/** Any kernel function; a family keeps each kernel's own signature. */
export type KernelFn = (...args: any[]) => any;

/** A forward kernel and its backward. */
export interface KernelPair<Forward extends KernelFn, Backward extends KernelFn> {
  /** fooForward(x, ...parameters, opts?) -> { out, cache }. */
  forward: Forward;
  /** fooBackward(dy, cache, opts?) -> { dx, dw?, db? }. */
  backward: Backward;
}

/** A family's wasm pair: float32 only; `handles` says, per call, whether the wasm build has a kernel for it (default: always). */
export interface WasmPair<Forward extends KernelFn, Backward extends KernelFn> extends KernelPair<Forward, Backward> {
  /** Per call, whether the wasm build has a kernel for these arguments (false: the 'ts' pair runs it); absent: always. */
  handles?: { forward?: (...args: Parameters<Forward>) => boolean; backward?: (...args: Parameters<Backward>) => boolean };
}

/** A kernel family: its implementations by backend name (same signatures, same numbers within float rounding). */
export interface KernelFamily<Forward extends KernelFn, Backward extends KernelFn> {
  /** The plain loops of the formulas. */
  naive: KernelPair<Forward, Backward>;
  /** The fast kernels in TypeScript, any dtype. */
  ts: KernelPair<Forward, Backward>;
  /** The WebAssembly SIMD kernels, float32; absent when the family has none. */
  wasm?: WasmPair<Forward, Backward>;
}

/** A family resolved for one layer: the pair to call, the backend it runs, and that layer's workspace (undefined for 'naive'). */
export interface Kernels<Forward extends KernelFn, Backward extends KernelFn> extends KernelPair<Forward, Backward> {
  /** The backend the pair runs (the layer's, else the process default when it was resolved). */
  readonly backend: Backend;
  /** The layer's workspace of reused buffers, passed as opts.ws; undefined for 'naive'. */
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
 * backend; on 'wasm', the family's pair behind the fallback rule (withFallback). 'wasm' throws when
 * the wasm module cannot be used, saying why.
 */
export function resolveKernels<F extends KernelFn, B extends KernelFn>(family: KernelFamily<F, B>, backend: Backend = defaultBackend(), who = 'resolveKernels'): Kernels<F, B> {
  checkBackend(backend, who);
  if (backend === 'naive') return { ...family.naive, backend, ws: undefined };
  if (backend === 'ts') return { ...family.ts, backend, ws: createWorkspace() };
  if (!getWasmKernels()) {
    throw new Error(`${who}: the 'wasm' backend is unavailable (${wasmStatus()}); use 'ts', or load the module with initWasmKernels(bytes)`);
  }
  return { ...withFallback(family), backend, ws: createWorkspace() };
}

const wrapped = new WeakMap<object, KernelPair<KernelFn, KernelFn>>();

/**
 * The fallback rule (see the top of this file): `family`'s wasm pair where it can run the call, its
 * TypeScript pair otherwise (also when the wasm module is not loaded). What the 'wasm' backend runs,
 * and what a family's exported `...Fast` kernels are.
 */
export function withFallback<F extends KernelFn, B extends KernelFn>(family: KernelFamily<F, B>): KernelPair<F, B> {
  const { ts, wasm } = family;
  if (!wasm) return ts;
  let pair = wrapped.get(family) as KernelPair<F, B> | undefined;
  if (!pair) {
    pair = { forward: fallback(wasm.forward, ts.forward, wasm.handles?.forward), backward: fallback(wasm.backward, ts.backward, wasm.handles?.backward) };
    wrapped.set(family, pair);
  }
  return pair;
}

function fallback<K extends KernelFn>(wasmKernel: K, tsKernel: K, handles: ((...args: Parameters<K>) => boolean) | undefined): K {
  return ((...args: Parameters<K>) => {
    if (!getWasmKernels() || !allFloat32(args) || (handles && !handles(...args))) return tsKernel(...args);
    try {
      return wasmKernel(...args);
    } catch (e) {
      if (e instanceof WasmMemoryError) return tsKernel(...args); // thrown before anything was written
      throw e;
    }
  }) as K;
}

/**
 * Whether every operand of a kernel call is float32: the tensors among its arguments and, one level
 * down, among the fields of its plain-object arguments (a cache, the options), and a cache's `dtype`.
 */
function allFloat32(args: readonly unknown[]): boolean {
  for (const a of args) {
    if (a instanceof Tensor) {
      if (a.dtype !== 'float32') return false;
    } else if (a !== null && typeof a === 'object' && !ArrayBuffer.isView(a)) {
      for (const [key, v] of Object.entries(a)) {
        if (v instanceof Tensor ? v.dtype !== 'float32' : key === 'dtype' && v !== 'float32') return false;
      }
    }
  }
  return true;
}

/** Options every backward kernel accepts (the fast ones use them for speed; accumulating() gives them to a naive one). */
export interface BackwardOptions {
  /** Buffers reused between calls ('ts' and 'wasm'); default: none, every call allocates. */
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
