// The types of the inspection report's options and result (report.ts builds it, report-html.ts
// writes the page): here, below both, so that neither imports the other for them.

import type { ModelMetadata } from '../io/model-file.ts';
import type { Sequential } from '../layers/sequential.ts';
import type { Dataset } from '../dataset.ts';
import type { WrongDigit } from './report-numbers.ts';

/** The one input whose feature maps the report shows. */
export interface ReportDigit {
  /** One image, C*H*W values in 0..1, laid out like the model's input shape. */
  pixels: Float32Array;
  /** Where it came from, e.g. 'test digit #0' or 'my-seven.png'. */
  source: string;
  /** Its true class, when known. */
  label?: number;
}

export interface ReportOptions {
  model: Sequential;
  /** One input's shape without the batch dimension, e.g. [1, 28, 28]. */
  inputShape: readonly number[];
  metadata?: ModelMetadata;
  /** The page's heading, e.g. the model file's name. */
  title: string;
  digit: ReportDigit;
  /** A labelled test set in the model's input shape (the bundled digits), for the confusion matrix and the mistakes. */
  testSet?: { set: Dataset; name: string } | null;
  /** How many confidently wrong test images to show (default 10). */
  wrongCount?: number;
}

export interface ConfusionResult {
  /** confusion[true][predicted] */
  matrix: number[][];
  /** A sentence saying which data the matrix counts. */
  source: string;
  /** 'computed' on `testSet` now, or 'recorded' in the model file at the end of training. */
  origin: 'computed' | 'recorded';
}

export interface Report {
  html: string;
  /** The PNG figures the page embeds, under the file names a caller should use. */
  files: Array<{ name: string; data: Buffer }>;
  /** The model's class probabilities for the report's digit (null if the model does not output (1, classes)). */
  prediction: { predicted: number; probs: number[] } | null;
  confusion: ConfusionResult | null;
  /** Accuracy and mean loss of the computed test pass (null when no test set was evaluated). */
  test: { accuracy: number; loss: number; count: number } | null;
  wrong: WrongDigit[];
}
