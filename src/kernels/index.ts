// The pure kernels, for readers and for tests: naive forward/backward pairs (and fast ones beside them).
export * from './conv2d.ts';
export * from './max-pool2d.ts';
export * from './avg-pool2d.ts';
export * from './global-avg-pool2d.ts';
export * from './normalize.ts';
export * from './relu.ts';
export * from './dense.ts';
export * from './softmax-xent.ts';
// The fast kernels: same results as the naive ones, with workspaces and WebAssembly SIMD (float32).
export * from './gemm.ts';
export * from './conv2d-fast.ts';
export * from './max-pool2d-fast.ts';
export * from './avg-pool2d-fast.ts';
export * from './dense-fast.ts';
export * from './relu-fast.ts';
export * from './workspace.ts';
export { getWasmKernels, initWasmKernels, initWasmKernelsAsync, wasmStatus } from './wasm/loader.ts';
export * from './backend.ts';
export * from './batch-norm2d.ts';
export * from './batch-norm2d-fast.ts';
export * from './dropout.ts';
export * from './tanh.ts';
export * from './sigmoid.ts';
export * from './add.ts';
