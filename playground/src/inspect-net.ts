// What the draw and backprop panels show about one digit, computed by miniconv's own layers (no
// second copy of the maths, no list of layer classes):
//   - activations(): the output of every layer for the digit (the layers' own forward, one at a time);
//   - backpropOnDigit(): one SGD step on the digit, stage by stage, through the layers' own forward
//     and backward passes, on a float64 copy of the model on the naive backend (the textbook kernels
//     of src/kernels/: conv2d's dW as the correlation of x with dy, dX as a transposed convolution,
//     with every option, dilation and groups included; max-pool's dy routed to each window's argmax).
//
// Glossary: N = 1 (one digit), C channels, H, W input size, F filters, OH, OW output size.

import { type Layer, type Sequential, Tensor, modelFromConfig, softmax, softmaxCrossEntropy } from 'miniconv';

/** A tensor as plain data that a worker message can carry. */
export interface Plain<T extends Float32Array | Float64Array = Float32Array> { shape: number[]; data: T }

export interface LayerActivation {
  layer: string;
  type: string;
  /** For a Conv2D, ReLU or MaxPool2D output channel: the Conv2D whose filters made the channel. */
  madeBy: string | null;
  y: Plain; // (1, ...) the layer's output
}

export interface Activations {
  layers: LayerActivation[];
  /** Weights of every Conv2D, by layer name: (F, C, KH, KW). */
  convWeights: Record<string, Plain>;
  /** Stride, padding, dilation and groups of every Conv2D, by layer name; its bias too (F). */
  convOptions: Record<string, { stride: number; padding: number; dilation: number; groups: number; bias: Float32Array | null }>;
}

/**
 * Every layer's output for one (1, C, H, W) input, and the softmax of the last, in evaluation mode
 * as model.predict (BatchNorm on its running statistics, Dropout off: one picture is no batch); the
 * model's mode is restored afterwards.
 */
export function activations(model: Sequential, x: Tensor): { probs: Float32Array; activations: Activations } {
  const wasTraining = model.training;
  model.eval();
  try {
    return layerOutputs(model, x);
  } finally {
    if (wasTraining) model.train();
  }
}

function layerOutputs(model: Sequential, x: Tensor): { probs: Float32Array; activations: Activations } {
  const layers: LayerActivation[] = [];
  const convWeights: Record<string, Plain> = {};
  const convOptions: Activations['convOptions'] = {};
  let h = x;
  let lastConv: string | null = null;
  for (const l of model.layers) {
    h = l.forward(h).clone(); // a fast kernel's output lives in the layer's buffer: keep a copy
    if (l.type === 'Conv2D') {
      lastConv = l.name;
      convWeights[l.name] = plain(l.params()[0].value);
      const o = numericOptions(l), bias = l.params().find((p) => p.name === `${l.name}.bias`);
      convOptions[l.name] = { stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1, groups: o.groups ?? 1, bias: bias ? Float32Array.from(bias.value.data) : null };
    }
    const spatial = h.rank === 4;
    layers.push({ layer: l.name, type: l.type, madeBy: spatial ? lastConv : null, y: plain(h) });
  }
  if (h.rank !== 2) throw new Error(`playground: the model's output has shape [${h.shape.join(', ')}], expected (1, classes)`);
  return { probs: Float32Array.from(softmax(h).data), activations: { layers, convWeights, convOptions } };
}

/** One layer's part of the step: what went in and out, the gradient that came down and the ones it made. */
export interface BackpropStage {
  layer: string;
  type: string;
  /** The layer's numeric options (stride, padding, dilation, groups, window size): what the picture needs to redo its arithmetic on hover. */
  options: Record<string, number>;
  x: Plain<Float64Array>;
  y: Plain<Float64Array>;
  dy: Plain<Float64Array>;
  dx: Plain<Float64Array>;
  w?: Plain<Float64Array>;
  dw?: Plain<Float64Array>;
  db?: Plain<Float64Array>;
  /** A layer with kinks (MaxPool2D: flat index into x of each window's maximum, (1, C, OH, OW)): its Layer.kinkState(). */
  argmax?: Int32Array;
}

export interface BackpropReport {
  label: number;
  lr: number;
  loss: number;
  lossAfter: number;
  probs: Float64Array; // before the step
  probsAfter: Float64Array;
  /** dL/dlogits = probs - onehot(label): the softmax cross-entropy gradient. */
  dlogits: Float64Array;
  stages: BackpropStage[]; // in forward order
  /** The first Conv2D's kernels before and after the step (its layer name in kernelsLayer). */
  kernelsLayer: string | null;
  kernelsBefore: Plain<Float64Array> | null;
  kernelsAfter: Plain<Float64Array> | null;
  /** The largest |gradient| over every weight and bias: how far the step can move anything (lr times it). */
  maxGrad: number;
  /** The net was already sure of the true label (P >= CONFIDENT): the step barely changes anything. */
  confident: boolean;
  /** The class with the highest probability other than the true label (the one to try instead). */
  runnerUp: number;
  /** Other digits (held-out ones) through the same step: their pixels, labels and probabilities before and after. */
  others: { pixels: Float32Array; labels: number[]; before: Float64Array; after: Float64Array } | null;
}

/** P(true label) from which one step on the digit moves the weights by too little to see. */
export const CONFIDENT = 0.999;

/**
 * One plain SGD step (w -= lr * dw, no momentum) on one digit with its true label, on a float64 copy
 * of the model on the naive backend (the model itself is not changed), in evaluation mode (Dropout
 * off, BatchNorm on its running statistics: one digit is no batch). Each stage is one layer of the
 * model's list, run by the layer's own forward and backward; a container (Residual) is one stage.
 */
export function backpropOnDigit(model: Sequential, x: Tensor, label: number, lr: number, others?: { x: Tensor; labels: ArrayLike<number> }): BackpropReport {
  if (!(Number.isInteger(label) && label >= 0 && label <= 9)) throw new RangeError(`backprop: the true label must be a digit 0..9, got ${label}`);
  if (!(Number.isFinite(lr) && lr > 0 && lr <= 10)) throw new RangeError(`backprop: the learning rate must be a number in (0, 10], got ${lr}`);
  const copy = float64Copy(model);
  const x64 = x.to('float64');

  const othersBefore = others ? Float64Array.from(softmax(copy.forward(others.x.to('float64'))).data) : null;
  const before = forwardStages(copy, x64);
  const { loss, grad: dlogits } = softmaxCrossEntropy(before.logits, [label]);
  for (const p of copy.params()) p.grad.data.fill(0);
  const stages: BackpropStage[] = [];
  let dy = dlogits;
  for (let i = copy.layers.length - 1; i >= 0; i--) {
    const l = copy.layers[i], step = before.steps[i];
    const dx = l.backward(dy);
    // The layer's own weight and bias (a container's are its children's: not shown as one stage's).
    const weight = l.params().find((p) => p.name === `${l.name}.weight`), bias = l.params().find((p) => p.name === `${l.name}.bias`);
    stages.unshift({
      layer: l.name, type: l.type, options: numericOptions(l), x: plain64(step.x), y: plain64(step.y), dy: plain64(dy), dx: plain64(dx),
      ...(weight ? { w: plain64(weight.value), dw: plain64(weight.grad) } : {}), ...(bias ? { db: plain64(bias.grad) } : {}),
      ...(step.kinks ? { argmax: step.kinks } : {}),
    });
    dy = dx;
  }
  const firstConv = copy.layers.find((l) => l.type === 'Conv2D');
  const kernels = () => (firstConv ? plain64(firstConv.params()[0].value) : null);
  const kernelsBefore = kernels();
  let maxGrad = 0;
  for (const p of copy.params()) for (let k = 0; k < p.grad.size; k++) maxGrad = Math.max(maxGrad, Math.abs(p.grad.data[k]));
  // The step: every parameter (those inside containers too) moves against its gradient.
  for (const p of copy.params()) for (let k = 0; k < p.value.size; k++) p.value.data[k] -= lr * p.grad.data[k];
  const after = forwardStages(copy, x64);
  const probs = Float64Array.from(softmax(before.logits).data);
  let runnerUp = label === 0 ? 1 : 0;
  for (let k = 0; k < probs.length; k++) if (k !== label && probs[k] > probs[runnerUp]) runnerUp = k;
  return {
    label, lr, loss,
    lossAfter: softmaxCrossEntropy(after.logits, [label]).loss,
    probs,
    probsAfter: Float64Array.from(softmax(after.logits).data),
    dlogits: Float64Array.from(dlogits.data),
    stages,
    kernelsLayer: firstConv?.name ?? null,
    kernelsBefore,
    kernelsAfter: kernels(),
    maxGrad,
    confident: probs[label] >= CONFIDENT,
    runnerUp,
    others: others && othersBefore ? {
      pixels: Float32Array.from(others.x.data), labels: Array.from(others.labels),
      before: othersBefore, after: Float64Array.from(softmax(copy.forward(others.x.to('float64'))).data),
    } : null,
  };
}

/** The model rebuilt from its config, with its params and buffers in float64, on the naive kernels, in evaluation mode. */
export function float64Copy(model: Sequential): Sequential {
  const copy = modelFromConfig(model.config());
  const from = [...model.params(), ...model.buffers()], to = [...copy.params(), ...copy.buffers()];
  if (from.length !== to.length) throw new Error(`backprop: the copy of ${model.name || 'the model'} has ${to.length} tensors, the model ${from.length}`);
  to.forEach((t, i) => {
    t.value = from[i].value.to('float64');
    if ('grad' in t) t.grad = Tensor.zeros(t.value.shape, 'float64');
  });
  return copy.setBackend('naive').eval();
}

interface Stage { x: Tensor; y: Tensor; kinks: Int32Array | null }

/** The forward pass layer by layer (so nothing is fused), keeping each layer's input and output. */
function forwardStages(model: Sequential, x: Tensor): { logits: Tensor; steps: Stage[] } {
  const steps: Stage[] = [];
  let h = x;
  for (const l of model.layers) {
    const y = l.forward(h);
    steps.push({ x: h, y, kinks: l.type === 'MaxPool2D' ? l.kinkState() : null });
    h = y;
  }
  return { logits: h, steps };
}

/** A layer's numeric options from its config: numbers as they are, a square [k, k] as k. */
function numericOptions(l: Layer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(l.config())) {
    if (typeof v === 'number') out[k] = v;
    else if (Array.isArray(v) && v.length > 0 && v.every((e) => e === v[0] && typeof e === 'number')) out[k] = v[0] as number;
  }
  return out;
}

function plain(t: Tensor): Plain {
  return { shape: [...t.shape], data: Float32Array.from(t.data) };
}

function plain64(t: Tensor): Plain<Float64Array> {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}
