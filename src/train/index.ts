export { trainStep } from './step.ts';
export { fit, fitAsync, type FitOptions, type History, type BatchInfo, type EpochInfo } from './fit.ts';
export { evaluate, formatConfusion, argmaxRow, type Evaluation } from './metrics.ts';
export { randomAffine, randomElastic, randomShift, type Augment, type AffineOptions, type ElasticOptions } from './augment.ts';
