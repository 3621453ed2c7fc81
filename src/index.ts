// miniconv's public face (the package's main entry, `import { ... } from 'miniconv'`): what a user
// needs to build, train, check, save and look at a network. Two more entries sit beside it:
//   miniconv/kernels   the kernel functions themselves (naive and fast pairs, workspaces, the wasm loader)
//   miniconv/digits    the digit application: the default model, its training defaults, the preprocessing
//   miniconv/onnx      ONNX export and import (its own entry, so that a bundle without it has no protobuf code)
//   miniconv/testing   the seeded float64 inputs of the gradient checks
// and miniconv/datasets loads the bundled digits and MNIST IDX files. In a browser bundle this entry
// is src/index.browser.ts: the same minus what needs Node (files, threads, PNG encoding).
// Everything of the browser entry, named (test/exports.test.ts checks each entry's list):
export {
  Tensor, MAX_TENSOR_ELEMENTS, MAX_MODEL_VALUES, MAX_ACTIVATION_VALUES, type FloatArray, type DType, type NestedArray, createRng, initTensor, type Rng,
  type Initializer, type Backend, BACKENDS, defaultBackend, setDefaultBackend, initWasmKernels, initWasmKernelsAsync,
  wasmStatus, Layer, makeParam, type Param, type LayerConfig, type LayerBuffer, type Activation, Conv2D,
  type Conv2DOptions, ReLU, MaxPool2D, type MaxPool2DOptions, Dense, type DenseOptions, Flatten, AvgPool2D,
  type AvgPool2DOptions, GlobalAvgPool2D, Normalize, type NormalizeOptions, createPictureModel, PICTURE_MODEL, stratifiedSplit, pictureToInput,
  type PictureInputOptions, Sequential, countParams, toFullyConvolutional, modelFromConfig, layerFromConfig,
  checkArchitecture, checkActivationBudget, MAX_LAYER_DEPTH,
  type FromConfigOptions, BatchNorm2D, type BatchNorm2DOptions, Dropout, type DropoutOptions, Tanh, Sigmoid, Residual,
  softmaxCrossEntropy, softmax, SGD, type SGDOptions, Optimizer, Adam, AdamW, type AdamOptions, stepLR, exponentialLR,
  cosineAnnealingLR, linearLR, sequentialLR, warmupCosineLR, applySchedule, type Schedule, gradCheck, relError,
  type GradCheckOptions, type GradCheckResult, type KinkEntry, type GradEntry, type AccumulationFailure, trainStep,
  evaluate, formatConfusion, argmaxRow, type Evaluation, type EvaluateOptions, randomAffine, randomElastic, randomShift,
  randomPicture, type PictureAugmentOptions, augmentByName, AUGMENT_NAMES, type AugmentName, type Augment, type AffineOptions, type ElasticOptions, fit, fitAsync,
  trainingSteps, type FitOptions, type FitCallbacks, type TrainingControl, type TrainingStep, type TrainingStepsOptions,
  type History, type BatchInfo, type EpochInfo, earlyStopping, restoreBest, type EarlyStopping, type EarlyStoppingOptions,
  type RestoreBest, type Monitor, type PredictOptions, serializeModel, deserializeModel, MODEL_FORMAT, MODEL_VERSION,
  type ModelMetadata, type Snapshot, type EpochRecord, featureMaps, type FeatureMap, divergingColor, greyColor, channelsColor, maxAbsOf,
  DIVERGING_CENTER, DIVERGING_NEGATIVE, DIVERGING_POSITIVE, confusionTableHtml, CONFUSION_CSS,
  type RGB, TrainingDivergedError, type Dataset, type ByteImages, byteDataset, bytesOf, copyImage, imageRange, takeFirst,
  numericGradient, explainConv, explainRelu, explainPool, explainDense, explainSoftmax, explainChain, explainWhyConv,
  explainDenseAsConv, SEED_INPUT, SEED_KERNEL, type Explanation, type ExplainOptions, applyPreprocess, checkPreprocess,
  type Preprocess, preprocessDigit, type PreprocessResult, readNumber, drawHeatmap, CLASS_COLORS, saveModelToIndexedDb, loadModelFromIndexedDb,
  listModelsInIndexedDb, deleteModelFromIndexedDb, loadModelFromUrl, type LoadedModel, type IndexedDbOptions,
  type IndexedDbFactory, type LoadFromUrlOptions, type FetchResponse, startWebThreads, serveWebThread, WebThreads,
  type WebThreadsOptions, type WebWorkerLike,
} from './index.browser.ts';
import './kernels/winograd.ts'; // plugs Winograd into the conv family (kernels/winograd-pass.ts), for Conv2D({ winograd: true })
import './train/parallel.ts'; // registers the threaded trainer that fit({ threads }) uses (worker_threads)
export { saveModel, loadModel, writeFileAtomic } from './io/model-file.ts';
export { readDigitPng, digitToPng } from './io/digit-image.ts';
export {
  renderKernelsPng, renderKernelGridPng, renderFeatureMapsPng, renderModelFeatureMapsPng,
  kernelsToAnsi, weightsToAnsi, type KernelPngOptions, type KernelGridOptions, type FeatureMapPngOptions, type KernelsAnsiOptions,
} from './inspect/index.ts';
export { readDigit, readPicture, decodePicture, MAX_PICTURE_PIXELS } from './io/digit-image.ts';
export { prepareModelDestination, checkModelDestination, saveTrainedModel, ModelSaveError } from './io/model-file.ts';
export { readRegularFile } from './io/safe-read.ts';
