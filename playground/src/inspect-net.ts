// What the draw and backprop panels show about one digit, computed by miniconv's own layers and
// naive kernels (no second copy of the maths):
//   - activations(): the output of every layer for the digit (the layers' own forward, one at a time);
//   - backpropOnDigit(): one SGD step on the digit, stage by stage, with the textbook kernels of
//     src/kernels/ in float64 (conv2dBackwardNaive: dW as the correlation of x with dy, dX as a
//     transposed convolution; maxPool2dBackwardNaive: dy routed to each window's argmax; ...).
//
// Glossary: N = 1 (one digit), C channels, H, W input size, F filters, OH, OW output size.

import { conv2dBackwardNaive, conv2dForwardNaive } from '../../src/kernels/conv2d.ts';
import { denseBackwardNaive, denseForwardNaive } from '../../src/kernels/dense.ts';
import { maxPool2dBackwardNaive, maxPool2dForwardNaive } from '../../src/kernels/max-pool2d.ts';
import { reluBackwardNaive, reluForwardNaive } from '../../src/kernels/relu.ts';
import { softmax, softmaxCrossEntropy } from '../../src/kernels/softmax-xent.ts';
import { Conv2D } from '../../src/layers/conv2d.ts';
import { Dense } from '../../src/layers/dense.ts';
import { Flatten } from '../../src/layers/flatten.ts';
import type { Layer } from '../../src/layers/layer.ts';
import { MaxPool2D } from '../../src/layers/max-pool2d.ts';
import { ReLU } from '../../src/layers/relu.ts';
import type { Sequential } from '../../src/layers/sequential.ts';
import { Tensor } from '../../src/tensor.ts';

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
}

/** Every layer's output for one (1, 1, 28, 28) input, and the softmax of the last. */
export function activations(model: Sequential, x: Tensor): { probs: Float32Array; activations: Activations } {
  const layers: LayerActivation[] = [];
  const convWeights: Record<string, Plain> = {};
  let h = x;
  let lastConv: string | null = null;
  for (const l of model.layers) {
    h = l.forward(h).clone(); // a fast kernel's output lives in the layer's buffer: keep a copy
    if (l instanceof Conv2D) {
      lastConv = l.name;
      convWeights[l.name] = plain(l.weight.value);
    }
    const spatial = h.rank === 4;
    layers.push({ layer: l.name, type: l.type, madeBy: spatial ? lastConv : null, y: plain(h) });
  }
  if (h.rank !== 2) throw new Error(`playground: the model's output has shape [${h.shape.join(', ')}], expected (1, classes)`);
  return { probs: Float32Array.from(softmax(h).data), activations: { layers, convWeights } };
}

/** One layer's part of the step: what went in and out, the gradient that came down and the ones it made. */
export interface BackpropStage {
  layer: string;
  type: string;
  /** Stride, padding, window size: what the picture needs to redo the layer's arithmetic on hover. */
  options: Record<string, number>;
  x: Plain<Float64Array>;
  y: Plain<Float64Array>;
  dy: Plain<Float64Array>;
  dx: Plain<Float64Array>;
  w?: Plain<Float64Array>;
  dw?: Plain<Float64Array>;
  db?: Plain<Float64Array>;
  /** MaxPool2D: flat index into x of each window's maximum, (1, C, OH, OW). */
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
  /** The first Conv2D's kernels before and after the step. */
  kernelsBefore: Plain<Float64Array> | null;
  kernelsAfter: Plain<Float64Array> | null;
}

/**
 * One plain SGD step (w -= lr * dw, no momentum) on one digit with its true label, on a copy of the
 * model's weights (the model itself is not changed), layer by layer with the naive kernels in float64.
 */
export function backpropOnDigit(model: Sequential, x: Tensor, label: number, lr: number): BackpropReport {
  if (!(Number.isInteger(label) && label >= 0 && label <= 9)) throw new RangeError(`backprop: the true label must be a digit 0..9, got ${label}`);
  if (!(Number.isFinite(lr) && lr > 0 && lr <= 10)) throw new RangeError(`backprop: the learning rate must be a number in (0, 10], got ${lr}`);
  const params = new Map<string, Tensor>(); // layer.weight / layer.bias in float64, the copy the step changes
  for (const l of model.layers) for (const p of l.params()) params.set(p.name, new Tensor(p.value.shape, Float64Array.from(p.value.data)));

  const before = forwardNaive(model.layers, params, to64(x));
  const { loss, grad: dlogits } = softmaxCrossEntropy(before.logits, [label]);
  const stages: BackpropStage[] = [];
  let dy = dlogits;
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const step = before.steps[i];
    const { dx, dw, db } = step.backward(dy);
    stages.unshift({
      layer: step.layer.name, type: step.layer.type, options: step.options, x: plain64(step.x), y: plain64(step.y), dy: plain64(dy), dx: plain64(dx),
      ...(step.w ? { w: plain64(step.w) } : {}), ...(dw ? { dw: plain64(dw) } : {}), ...(db ? { db: plain64(db) } : {}),
      ...(step.argmax ? { argmax: step.argmax } : {}),
    });
    dy = dx;
  }
  const firstConv = model.layers.find((l) => l instanceof Conv2D) as Conv2D | undefined;
  const kernelsBefore = firstConv ? plain64(params.get(firstConv.weight.name)!) : null;
  // The step: every parameter moves against its gradient.
  for (const s of stages) {
    const l = model.layers.find((m) => m.name === s.layer)!;
    for (const p of l.params()) {
      const g = p.name.endsWith('.bias') ? s.db : s.dw;
      const w = params.get(p.name)!.data;
      if (!g) continue;
      for (let k = 0; k < w.length; k++) w[k] -= lr * g.data[k];
    }
  }
  const after = forwardNaive(model.layers, params, to64(x));
  return {
    label, lr, loss,
    lossAfter: softmaxCrossEntropy(after.logits, [label]).loss,
    probs: Float64Array.from(softmax(before.logits).data),
    probsAfter: Float64Array.from(softmax(after.logits).data),
    dlogits: Float64Array.from(dlogits.data),
    stages,
    kernelsBefore,
    kernelsAfter: firstConv ? plain64(params.get(firstConv.weight.name)!) : null,
  };
}

interface NaiveStep {
  layer: Layer;
  options: Record<string, number>;
  x: Tensor;
  y: Tensor;
  w?: Tensor;
  argmax?: Int32Array;
  backward(dy: Tensor): { dx: Tensor; dw?: Tensor; db?: Tensor };
}

/** The forward pass with the naive kernels, remembering for each layer how to run its backward. */
function forwardNaive(layers: readonly Layer[], params: Map<string, Tensor>, x: Tensor): { logits: Tensor; steps: NaiveStep[] } {
  const steps: NaiveStep[] = [];
  let h = x;
  for (const l of layers) {
    const xIn = h;
    let step: NaiveStep;
    if (l instanceof Conv2D) {
      const w = params.get(l.weight.name)!, b = l.bias ? params.get(l.bias.name)! : null;
      const r = conv2dForwardNaive(xIn, w, b, { stride: l.stride, padding: l.padding });
      step = {
        layer: l, options: { stride: l.stride, padding: l.padding }, x: xIn, y: r.out, w,
        backward: (dy) => { const g = conv2dBackwardNaive(dy, r.cache); return { dx: g.dx, dw: g.dw, db: g.db ?? undefined }; },
      };
    } else if (l instanceof Dense) {
      const w = params.get(l.weight.name)!, b = l.bias ? params.get(l.bias.name)! : null;
      const r = denseForwardNaive(xIn, w, b);
      step = {
        layer: l, options: {}, x: xIn, y: r.out, w,
        backward: (dy) => { const g = denseBackwardNaive(dy, r.cache); return { dx: g.dx, dw: g.dw, db: g.db ?? undefined }; },
      };
    } else if (l instanceof ReLU) {
      const r = reluForwardNaive(xIn);
      step = { layer: l, options: {}, x: xIn, y: r.out, backward: (dy) => ({ dx: reluBackwardNaive(dy, r.cache).dx }) };
    } else if (l instanceof MaxPool2D) {
      const r = maxPool2dForwardNaive(xIn, { kernelSize: l.kernelSize, stride: l.stride });
      step = {
        layer: l, options: { kernelSize: l.kernelSize, stride: l.stride }, x: xIn, y: r.out, argmax: r.cache.argmax,
        backward: (dy) => ({ dx: maxPool2dBackwardNaive(dy, r.cache).dx }),
      };
    } else if (l instanceof Flatten) {
      const y = new Tensor([xIn.shape[0], xIn.size / xIn.shape[0]], xIn.data);
      step = { layer: l, options: {}, x: xIn, y, backward: (dy) => ({ dx: new Tensor(xIn.shape, dy.data) }) };
    } else {
      throw new Error(`backprop: layer ${l.name} is a ${l.type}; this panel knows Conv2D, ReLU, MaxPool2D, Flatten and Dense`);
    }
    steps.push(step);
    h = step.y;
  }
  return { logits: h, steps };
}

function to64(t: Tensor): Tensor {
  return new Tensor(t.shape, Float64Array.from(t.data));
}

function plain(t: Tensor): Plain {
  return { shape: [...t.shape], data: Float32Array.from(t.data) };
}

function plain64(t: Tensor): Plain<Float64Array> {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}
