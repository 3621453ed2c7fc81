// The main entry in a browser bundle (package.json `exports`, condition "browser"): everything of
// src/index.ts that runs without Node: no file system, no worker threads, no PNG encoder.
export { Tensor, MAX_TENSOR_ELEMENTS, MAX_MODEL_VALUES, MAX_ACTIVATION_VALUES, type FloatArray, type DType, type NestedArray } from './tensor.ts';
export { createRng, initTensor, type Rng, type Initializer } from './rng.ts';
export { type Backend, BACKENDS, defaultBackend, setDefaultBackend } from './kernels/backend.ts';
export { initWasmKernels, initWasmKernelsAsync, wasmStatus } from './kernels/wasm/loader.ts';
export { Layer, makeParam, type Param, type LayerConfig, type LayerBuffer, type Activation } from './layers/layer.ts';
export { Conv2D, type Conv2DOptions } from './layers/conv2d.ts';
export { ReLU } from './layers/relu.ts';
export { MaxPool2D, type MaxPool2DOptions } from './layers/max-pool2d.ts';
export { Dense, type DenseOptions } from './layers/dense.ts';
export { Flatten } from './layers/flatten.ts';
export { AvgPool2D, type AvgPool2DOptions } from './layers/avg-pool2d.ts';
export { GlobalAvgPool2D } from './layers/global-avg-pool2d.ts';
export { Normalize, type NormalizeOptions } from './layers/normalize.ts';
export { createPictureModel, PICTURE_MODEL } from './train/picture-model.ts';
export { stratifiedSplit } from './train/split.ts';
export { pictureToInput, type PictureInputOptions } from './io/picture-input.ts';
export { Sequential, countParams } from './layers/sequential.ts';
export { toFullyConvolutional } from './layers/fully-convolutional.ts';
export { modelFromConfig, layerFromConfig, checkArchitecture, checkActivationBudget, MAX_LAYER_DEPTH, type FromConfigOptions } from './layers/from-config.ts';
export { BatchNorm2D, type BatchNorm2DOptions } from './layers/batch-norm2d.ts';
export { Dropout, type DropoutOptions } from './layers/dropout.ts';
export { Tanh } from './layers/tanh.ts';
export { Sigmoid } from './layers/sigmoid.ts';
export { Residual } from './layers/residual.ts';
export { softmaxCrossEntropy, softmax } from './kernels/softmax-xent.ts';
export { SGD, type SGDOptions } from './optim/sgd.ts';
export { Optimizer } from './optim/optimizer.ts';
export { Adam, AdamW, type AdamOptions } from './optim/adam.ts';
export { stepLR, exponentialLR, cosineAnnealingLR, linearLR, sequentialLR, warmupCosineLR, applySchedule, type Schedule } from './optim/schedules.ts';
export { gradCheck, relError, type GradCheckOptions, type GradCheckResult, type KinkEntry, type GradEntry, type AccumulationFailure } from './gradcheck.ts';
export { trainStep } from './train/step.ts';
export { evaluate, formatConfusion, argmaxRow, type Evaluation, type EvaluateOptions } from './train/metrics.ts';
export { randomAffine, randomElastic, randomShift, randomPicture, type PictureAugmentOptions, augmentByName, AUGMENT_NAMES, type AugmentName, type Augment, type AffineOptions, type ElasticOptions } from './train/augment.ts';
export {
  fit, fitAsync, trainingSteps, type FitOptions, type FitCallbacks, type TrainingControl, type TrainingStep, type TrainingStepsOptions,
  type History, type BatchInfo, type EpochInfo,
} from './train/fit.ts';
export { startWebThreads, serveWebThread, WebThreads, type WebThreadsOptions, type WebWorkerLike } from './train/web-threads.ts';
export { earlyStopping, restoreBest, type EarlyStopping, type EarlyStoppingOptions, type RestoreBest, type Monitor } from './train/callbacks.ts';
export type { PredictOptions } from './layers/predict.ts';
export { serializeModel, deserializeModel, MODEL_FORMAT, MODEL_VERSION, type ModelMetadata, type Snapshot, type EpochRecord } from './io/model-format.ts';
export { featureMaps, type FeatureMap } from './inspect/layer-outputs.ts';
export { confusionTableHtml, CONFUSION_CSS } from './inspect/confusion.ts';
export { divergingColor, greyColor, channelsColor, maxAbsOf, DIVERGING_CENTER, DIVERGING_NEGATIVE, DIVERGING_POSITIVE, type RGB } from './inspect/colormap.ts';
export { TrainingDivergedError } from './errors.ts';
export { type Dataset, type ByteImages, byteDataset, bytesOf, copyImage, imageRange, takeFirst } from './dataset.ts';
export { numericGradient } from './gradcheck.ts';
export { explainConv, explainRelu, explainPool, explainDense, explainSoftmax, explainChain, explainWhyConv, explainDenseAsConv, SEED_INPUT, SEED_KERNEL, type Explanation, type ExplainOptions } from './explain/index.ts';
export { applyPreprocess, checkPreprocess, type Preprocess } from './io/onnx/mean-std.ts';
export { preprocessDigit, type PreprocessResult } from './io/clean-picture.ts';
export { readNumber } from './io/read-number.ts';
export { drawHeatmap, CLASS_COLORS } from './io/read-number-draw.ts';
export {
  saveModelToIndexedDb, loadModelFromIndexedDb, listModelsInIndexedDb, deleteModelFromIndexedDb, loadModelFromUrl,
  type LoadedModel, type IndexedDbOptions, type IndexedDbFactory, type LoadFromUrlOptions, type FetchResponse,
} from './io/model-browser.ts';
