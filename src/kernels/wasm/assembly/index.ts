// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// The entry point of miniconv's WebAssembly kernels: everything exported here is callable from
// ../loader.ts. The module has no allocator and no garbage collector (asc --runtime stub): the
// TypeScript side owns the linear memory and hands every function byte addresses into it.

export { gemm, gemmScratchBytes } from './gemm';
export { maxPool2dForward, maxPool2dBackward, maxPoolValues } from './pool';
export { reluForward, reluBackward } from './relu';
export { conv2dForward, conv2dBackward, conv2dForwardScratch, conv2dBackwardScratch, conv2dForwardPooled, conv2dForwardPooledScratch } from './conv';
export { winogradF2Weights, winogradF2Forward, winogradF2WeightGrad } from './winograd';
export { depthwiseForward, depthwiseBackward, depthwiseForwardScratch, depthwiseBackwardScratch } from './depthwise';

/** 1 if this build uses relaxed SIMD (fused multiply-add, see madd in ./conv.ts), else 0. */
export function relaxedSimd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}

/** The first byte the module's own static data does not use: the TypeScript side allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}
