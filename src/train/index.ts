// The training loop and what it needs, browser-safe (the threaded trainer, Node only, is parallel.ts).
export { trainStep, forwardBackward } from './step.ts';
export {
  fit, fitAsync, trainingSteps, type FitOptions, type FitCallbacks, type TrainingControl, type TrainingStep, type TrainingStepsOptions,
  type History, type BatchInfo, type EpochInfo,
} from './fit.ts';
export { earlyStopping, restoreBest, type EarlyStopping, type EarlyStoppingOptions, type RestoreBest, type Monitor } from './callbacks.ts';
export { evaluate, formatConfusion, argmaxRow, type Evaluation } from './metrics.ts';
export { randomAffine, randomElastic, randomShift, augmentByName, AUGMENT_NAMES, type AugmentName, type Augment, type AffineOptions, type ElasticOptions } from './augment.ts';
export { type Dataset, type ByteImages, byteDataset, bytesOf, copyImage, imageRange, takeFirst, imageSize } from '../dataset.ts';
export { type BatchTrainer, type ParallelTrainerFactory, registerParallelTrainer } from './parallel-factory.ts';
export { TrainingDivergedError } from '../errors.ts';
