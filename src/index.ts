// miniconv's public face: everything a user, an example or a test needs.
export { Tensor, type FloatArray, type DType, type NestedArray } from './tensor.ts';
export { createRng, initTensor, type Rng, type Initializer } from './rng.ts';
export { Layer, type Param, type LayerConfig } from './layers/layer.ts';
export { Conv2D, type Conv2DOptions } from './layers/conv2d.ts';
export { ReLU } from './layers/relu.ts';
export { MaxPool2D, type MaxPool2DOptions } from './layers/max-pool2d.ts';
export { Dense, type DenseOptions } from './layers/dense.ts';
export { Flatten } from './layers/flatten.ts';
export { Sequential, countParams } from './layers/sequential.ts';
export { softmaxCrossEntropy, softmax } from './losses/softmax-cross-entropy.ts';
export { SGD, type SGDOptions } from './optim/sgd.ts';
export { gradCheck, relError, type GradCheckOptions, type GradCheckResult } from './gradcheck.ts';
export * as kernels from './kernels/index.ts';
export { fit, fitAsync, evaluate, formatConfusion, randomAffine, randomElastic, randomShift, type Augment, type FitOptions, type History, type Evaluation } from './train/index.ts';
export { ParallelTrainer } from './train/parallel.ts';
export { createDigitModel, DIGIT_DEFAULTS } from './train/digit-model.ts';
export { saveModel, loadModel, type ModelMetadata } from './io/model-file.ts';
export { modelFromConfig } from './layers/from-config.ts';
