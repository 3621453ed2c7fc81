// The messages between the page (main thread: draws) and the training worker (computes).

import type { Evaluation } from 'miniconv';
import type { RunConfig } from './models.ts';
import type { BackpropReport, Activations } from './inspect-net.ts';
import type { ClassesRequest } from './own-classes.ts';

/**
 * What the current model reads and tells apart: the bundled digits (1 x 28 x 28, classes '0'..'9'),
 * or your own classes (C x 32 x 32, their names). Every panel follows it.
 */
export interface TaskInfo {
  kind: 'digits' | 'classes';
  classes: string[];
  inputShape: [number, number, number];
  /** Your classes: the epochs of the run (a digit run has no last epoch: null). */
  epochs: number | null;
}

/** A layer's kernels: weight (F, C, KH, KW) and the last batch's gradient of it. */
export interface KernelData {
  layer: string;
  shape: [number, number, number, number];
  weight: Float32Array;
  grad: Float32Array;
}

export type ToWorker =
  /**
   * threads: the URL's ?threads= (1 or 2), or null for as many as the page can use (2 where the device
   * has 2 cores or more); notIsolated: why the page is not cross-origin isolated, or null when it is.
   */
  | { type: 'init'; base: string; threads: number | null; notIsolated: string | null }
  | { type: 'reset'; config: RunConfig }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'layer2'; on: boolean }
  | { type: 'predict'; id: number; pixels: Float32Array }
  /** Read every digit written on the number pad (its RGBA pixels), as `miniconv read` does. */
  | { type: 'readNumber'; id: number; rgba: Uint8ClampedArray; width: number; height: number }
  /** fresh: on a new untrained net of the run's model and seed instead of the one being trained. */
  | { type: 'backprop'; id: number; pixels: Float32Array; label: number; lr: number; fresh?: boolean }
  /** Learning rate and momentum changed while a run goes on: from the next step, the run continues. */
  | { type: 'rates'; lr: number; momentum: number }
  /** The first held-out digits with their top-3 predictions, the most confident mistakes first. */
  | { type: 'gallery'; id: number }
  | { type: 'load'; text: string; file: string }
  /** Train a new net on your own classes (the "Your classes" panel): it becomes the current model, and the run starts. */
  | { type: 'classesTrain'; request: ClassesRequest }
  | { type: 'save' };

export interface Progress {
  type: 'progress';
  running: boolean;
  step: number;
  epoch: number;
  batch: number;
  batches: number;
  lr: number;
  /** One entry per training step since the last report. */
  steps: Array<{ step: number; loss: number; accuracy: number }>;
  imagesPerSec: number | null;
  /** Held-out loss/accuracy on the first digits of the test set, when measured since the last report. */
  heldOut: { step: number; loss: number; accuracy: number; count: number; epochEnd?: number } | null;
  kernels: KernelData[]; // the first conv layer, and the second when asked for
}

export type FromWorker =
  /** threads: how many threads train and why, for the status line ("2 threads (cross-origin isolated)"); task: what the current model reads. */
  | { type: 'ready'; backend: string; threads: string; trainCount: number; testCount: number; config: RunConfig; model: string; params: number; task: TaskInfo }
  /** A run on your classes trained its last epoch; the model holds the best held-out epoch's weights (restoreBest), scored in `test`. */
  | { type: 'classesDone'; bestEpoch: number; epochs: number; test: Evaluation }
  | Progress
  | { type: 'epoch'; epoch: number; step: number; seconds: number; test: Evaluation }
  | { type: 'snapshot'; label: string; step: number; weight: Float32Array; shape: [number, number, number, number] }
  | { type: 'prediction'; id: number; probs: Float32Array; activations: Activations }
  | { type: 'backprop'; id: number; report: BackpropReport }
  | NumberRead
  | { type: 'saved'; text: string }
  | { type: 'gallery'; id: number; step: number; count: number; items: GalleryItem[] }
  /** id: the predict or backprop request that failed, if it was one. */
  | { type: 'error'; message: string; id?: number };

/**
 * What the number pad read: the text, each digit with its probability and box [x, y, w, h] in pad
 * pixels, the warnings, and the heat map of the fully
 * convolutional network (RGBA; null with the reason when the model cannot be converted).
 */
export interface NumberRead {
  type: 'numberRead';
  id: number;
  text: string;
  digits: Array<{ digit: number; p: number; box: [number, number, number, number] }>;
  warnings: string[];
  heatmap: Uint8Array | null;
  heatmapError: string | null;
}

/** One held-out picture of the gallery: its pixels (the task's input shape), true label and three most probable classes. */
export interface GalleryItem { index: number; pixels: Float32Array; label: number; top: Array<{ k: number; p: number }> }
