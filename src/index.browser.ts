// The main entry in a browser bundle (package.json `exports`, condition "browser"): everything of
// src/index.ts that runs without Node: no file system, no worker threads, no PNG encoder.
export { Tensor, type FloatArray, type DType, type NestedArray } from './tensor.ts';
export { createRng, initTensor, type Rng, type Initializer } from './rng.ts';
export { type Backend, BACKENDS, defaultBackend, setDefaultBackend } from './kernels/backend.ts';
export { initWasmKernels, initWasmKernelsAsync, wasmStatus } from './kernels/wasm/loader.ts';
export { Layer, type Param, type LayerConfig, type Activation } from './layers/layer.ts';
export { Conv2D, type Conv2DOptions } from './layers/conv2d.ts';
export { ReLU } from './layers/relu.ts';
export { MaxPool2D, type MaxPool2DOptions } from './layers/max-pool2d.ts';
export { Dense, type DenseOptions } from './layers/dense.ts';
export { Flatten } from './layers/flatten.ts';
export { Sequential, countParams } from './layers/sequential.ts';
export { modelFromConfig } from './layers/from-config.ts';
export { softmaxCrossEntropy, softmax } from './losses/softmax-cross-entropy.ts';
export { SGD, type SGDOptions } from './optim/sgd.ts';
export { gradCheck, relError, randn, awayFromZero, distinct, type GradCheckOptions, type GradCheckResult, type KinkEntry } from './gradcheck.ts';
export { trainStep } from './train/step.ts';
export { evaluate, formatConfusion, argmaxRow, type Evaluation } from './train/metrics.ts';
export { randomAffine, randomElastic, randomShift, type Augment, type AffineOptions, type ElasticOptions } from './train/augment.ts';
export { fit, fitAsync, type FitOptions, type History, type BatchInfo, type EpochInfo } from './train/fit.ts';
export { serializeModel, deserializeModel, MODEL_FORMAT, MODEL_VERSION, type ModelMetadata, type Snapshot, type EpochRecord } from './io/model-format.ts';
export { featureMaps, type FeatureMap } from './inspect/layer-outputs.ts';
export { divergingColor, greyColor, maxAbsOf, type RGB } from './inspect/colormap.ts';
export { TrainingDivergedError } from './errors.ts';
export { type Dataset, takeFirst } from './train/dataset.ts';
export { numericGradient } from './gradcheck.ts';
export { explainConv, SEED_INPUT, SEED_KERNEL, type Explanation, type ExplainOptions } from './explain/index.ts';
