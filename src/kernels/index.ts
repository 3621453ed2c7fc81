// The pure kernels, for readers and for tests: naive forward/backward pairs (and fast ones beside them).
export * from './conv2d.ts';
export * from './max-pool2d.ts';
export * from './relu.ts';
export * from './dense.ts';
export * from './softmax-xent.ts';
