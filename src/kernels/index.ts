// The package entry `miniconv/kernels`: the pure kernel functions, for readers and for tests. Each
// family has a naive forward/backward pair (the formulas as plain loops) and a fast pair with the same
// contract (workspaces, im2col + GEMM, WebAssembly SIMD for float32), and a `*Kernels` family object
// that a layer resolves its backend into. Named one by one: the helpers the fast kernels share among
// themselves (workspace slots, wasm handles, gradient accumulation) stay private. The fast families
// name their TypeScript and WebAssembly pairs too (`*Ts`, `*Wasm`); `*Fast` runs the one that fits.
export { type Conv2dParams, type Conv2dCache, convOutSize, conv2dDims, conv2dForwardNaive, conv2dBackwardNaive, checkConvOptions } from './conv2d.ts';
export { type MaxPool2dParams, type MaxPool2dCache, maxPool2dDims, maxPool2dForwardNaive, maxPool2dBackwardNaive } from './max-pool2d.ts';
export { type AvgPool2dParams, type AvgPool2dCache, avgPool2dDims, avgPool2dForwardNaive, avgPool2dBackwardNaive } from './avg-pool2d.ts';
export {
  type GlobalAvgPool2dCache, globalAvgPool2dDims, globalAvgPool2dForwardNaive, globalAvgPool2dBackwardNaive,
  globalAvgPool2dForwardFast, globalAvgPool2dBackwardFast, globalAvgPool2dKernels,
} from './global-avg-pool2d.ts';
export { type ReluCache, reluForwardNaive, reluBackwardNaive } from './relu.ts';
export { type DenseCache, denseDims, denseForwardNaive, denseBackwardNaive } from './dense.ts';
export { type Labels, softmax, softmaxCrossEntropy } from './softmax-xent.ts';
export { type BatchNorm2dParams, type BatchNorm2dCache, batchNorm2dDims, batchNorm2dForwardNaive, batchNorm2dBackwardNaive } from './batch-norm2d.ts';
export { type DropoutParams, type DropoutCache, dropoutForwardNaive, dropoutBackwardNaive, dropoutForwardFast, dropoutBackwardFast, dropoutKernels } from './dropout.ts';
export { type TanhCache, tanhForwardNaive, tanhBackwardNaive, tanhForwardFast, tanhBackwardFast, tanhKernels } from './tanh.ts';
export { type SigmoidCache, sigmoid, sigmoidForwardNaive, sigmoidBackwardNaive, sigmoidForwardFast, sigmoidBackwardFast, sigmoidKernels } from './sigmoid.ts';
export { addForwardNaive, addBackwardNaive, addForwardFast, addKernels } from './add.ts';
export {
  type NormalizeParams, type NormalizeCache, STD_FLOOR, normalizeDims, normalizeForwardNaive, normalizeBackwardNaive,
  normalizeForwardFast, normalizeBackwardFast, normalizeKernels,
} from './normalize.ts';
// The fast kernels: same results as the naive ones, with workspaces and WebAssembly SIMD (float32).
export { gemmNaive, gemm, gemmWasm } from './gemm.ts';
export {
  type Conv2dForwardOptions, type Conv2dBackwardOptions, type Conv2dGrads, conv2dForwardFast, conv2dBackwardFast, im2col, col2im, conv2dKernels,
  conv2dForwardTs, conv2dBackwardTs, conv2dForwardWasm, conv2dBackwardWasm,
} from './conv2d-fast.ts';
export {
  maxPool2dForwardFast, maxPool2dBackwardFast, maxPool2dKernels, maxPool2dForwardTs, maxPool2dBackwardTs, maxPool2dForwardWasm, maxPool2dBackwardWasm,
} from './max-pool2d-fast.ts';
export { avgPool2dForwardFast, avgPool2dBackwardFast, avgPool2dKernels } from './avg-pool2d-fast.ts';
export {
  type DenseBackwardOptions, denseForwardFast, denseBackwardFast, denseKernels, denseForwardTs, denseBackwardTs, denseForwardWasm, denseBackwardWasm,
} from './dense-fast.ts';
export {
  type ReluFastOptions, reluForwardFast, reluBackwardFast, reluKernels, reluForwardTs, reluBackwardTs, reluForwardWasm, reluBackwardWasm,
} from './relu-fast.ts';
export { batchNorm2dForwardFast, batchNorm2dBackwardFast, batchNorm2dKernels } from './batch-norm2d-fast.ts';
export { type Workspace, createWorkspace } from './workspace.ts';
export { getWasmKernels, initWasmKernels, initWasmKernelsAsync, wasmStatus } from './wasm/loader.ts';
export {
  type Backend, BACKENDS, type KernelFn, type KernelPair, type WasmPair, type KernelFamily, type Kernels, type BackwardOptions,
  setDefaultBackend, defaultBackend, checkBackend, resolveKernels, withFallback,
} from './backend.ts';
