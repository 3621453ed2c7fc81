// 2-D convolution, the family: its three implementations by backend name (see backend.ts), and the
// fast pair that training uses.
//   naive  conv2dForwardNaive / conv2dBackwardNaive (conv2d.ts): the formulas, the test oracle
//   ts     conv2dForwardTs / conv2dBackwardTs (conv2d-ts.ts): im2col + GEMM, and a direct depthwise
//          kernel; any dtype
//   wasm   conv2dForwardWasm / conv2dBackwardWasm (conv2d-wasm.ts): WebAssembly SIMD, float32, for
//          groups 1 with dilation 1 and for depthwise (conv2dWasmHandles)
// conv2dForwardFast / conv2dBackwardFast are the wasm pair behind backend.ts's one fallback rule
// (float64, a call the wasm build has no kernel for, or one that does not fit in wasm memory: the
// TypeScript pair): what the 'wasm' backend runs. Every implementation takes the same options (a
// workspace, a fused ReLU, a fused max pool for inference: conv2d-pool.ts) and gives the same numbers
// within float rounding; every backward accepts every forward's cache.
//
// A new implementation (another algorithm for some configurations) is a pair with these signatures;
// it plugs in here, and the rule for which calls it takes goes beside conv2dWasmHandles.

import type { Tensor } from '../tensor.ts';
import { type Conv2dCache, type Conv2dParams, conv2dBackwardNaive, conv2dForwardNaive } from './conv2d.ts';
import { type KernelFamily, accumulating, withFallback } from './backend.ts';
import { reluBackwardNaive, reluForwardNaive } from './relu.ts';
import { maxPool2dForwardNaive } from './max-pool2d.ts';
import { type Conv2dBackwardOptions, conv2dBackwardTs, conv2dForwardTs } from './conv2d-ts.ts';
import { conv2dBackwardWasm, conv2dForwardWasm, conv2dWasmHandles } from './conv2d-wasm.ts';

export { type Conv2dBackwardOptions, type Conv2dForwardOptions, type Conv2dGrads, col2im, conv2dBackwardTs, conv2dForwardTs, im2col } from './conv2d-ts.ts';
export { conv2dBackwardWasm, conv2dForwardWasm } from './conv2d-wasm.ts';

type Conv2dForward = typeof conv2dForwardTs;
type Conv2dBackward = typeof conv2dBackwardTs; // overloaded: dx is a Tensor unless computeDx may be false

/**
 * The conv family for the backends (see backend.ts). The naive pair does a fused ReLU the plain way,
 * with the ReLU's own naive kernels after the conv (forward) and before it (backward), and a fused
 * pool with the naive max pool, so that every backend honours the same options.
 */
export const conv2dKernels: KernelFamily<Conv2dForward, Conv2dBackward> = {
  naive: {
    forward(x, w, b, p, opts = {}) {
      const r = conv2dForwardNaive(x, w, b, p);
      const y = opts.relu ? reluForwardNaive(r.out).out : r.out;
      return { out: opts.pool ? maxPool2dForwardNaive(y, opts.pool).out : y, cache: r.cache };
    },
    backward: ((dy: Tensor, cache: Conv2dCache, opts: Conv2dBackwardOptions = {}) => {
      const g = opts.reluOutput ? reluBackwardNaive(dy, { y: opts.reluOutput }).dx : dy;
      return accumulating(conv2dBackwardNaive)(g, cache, opts);
    }) as Conv2dBackward,
  },
  ts: { forward: conv2dForwardTs, backward: conv2dBackwardTs },
  wasm: { forward: conv2dForwardWasm, backward: conv2dBackwardWasm, handles: conv2dWasmHandles },
};

/**
 * The fast pair: y and the gradients as conv2dForwardNaive / conv2dBackwardNaive compute them, on the
 * wasm kernels where they can run, else the TypeScript ones (see the top of this file). Arguments and
 * options: conv2dForwardTs's and conv2dBackwardTs's.
 */
export const conv2dForwardFast: typeof conv2dForwardTs = withFallback(conv2dKernels).forward;
/** The fast backward: wasm where it can run, else conv2dBackwardTs (see conv2dForwardFast). */
export const conv2dBackwardFast: typeof conv2dBackwardTs = withFallback(conv2dKernels).backward;
