// toFullyConvolutional: a classifier's dense layers are convolutions. A Dense layer that reads the
// flattened (C, H, W) map computes, for each output o,
//   y[o] = b[o] + sum_c sum_i sum_j w[o, c*H*W + i*W + j] * x[c, i, j]
// which is a Conv2D with OUT filters of size C x H x W, no padding, at its one position: the dense
// weight (OUT, C*H*W), read in Flatten's C-H-W order, IS the conv weight (OUT, C, H, W). The dense
// layers after it read a vector (1x1 map), so they are 1x1 convolutions, and the activations between
// them work element by element on a map as on a vector. Global average pooling of the (C, H, W) map
// the classifier saw is an H x W average pool at stride 1.
//
// On a larger picture the converted network slides the whole classifier over it in one pass: output
// position (i, j) is the classifier's logits for the crop whose top-left corner is (i*S, j*S), S the
// product of the strides before the dense part (4 for the digit model: two 2x2 max-pools), sharing
// every convolution of the overlapping crops. Exactly so where the crop is a whole input to the
// classifier: in a network without padding, at every position; with padding (every zoo model), the
// classifier pads each crop with zeros where the big picture has its neighbours, so the two agree
// wherever those neighbours within the padding's reach are blank, and differ a little elsewhere.
//
// Letters: C, H, W the map the first dense layer flattened; OUT a dense layer's outputs.

import type { Tensor } from '../tensor.ts';
import { defaultBackend } from '../kernels/backend.ts';
import { AvgPool2D } from './avg-pool2d.ts';
import { Conv2D } from './conv2d.ts';
import { Dense } from './dense.ts';
import { layerFromConfig } from './from-config.ts';
import type { Layer } from './layer.ts';
import { Sequential } from './sequential.ts';

/** Layers that work element by element, so the same on a (N, F) vector and a (N, F, 1, 1)... (N, F, H, W) map. */
const ELEMENTWISE = new Set(['ReLU', 'Tanh', 'Sigmoid', 'Dropout']);

/** A copy of a layer (any type, containers included) with its own arrays: rebuilt from its config, then its params and buffers copied. */
function copyLayer(layer: Layer): Layer {
  const copy = layerFromConfig(layer.config());
  const from = [...layer.params().map((p) => p.value), ...layer.buffers().map((b) => b.value)];
  const to = [...copy.params().map((p) => p.value), ...copy.buffers().map((b) => b.value)];
  from.forEach((t, k) => to[k].data.set(t.data));
  return copy;
}

/** A Conv2D doing what `dense` does to a (C, H, W) map flattened in C-H-W order: weights copied, not shared. */
function denseAsConv(dense: Dense, C: number, H: number, W: number, name: string): Conv2D {
  const conv = new Conv2D({
    name, inChannels: C, outChannels: dense.outFeatures, kernelSize: [H, W], bias: dense.bias !== null, weightInit: 'zeros', biasInit: 'zeros',
  });
  conv.weight.value.data.set(dense.weight.value.data); // (OUT, C*H*W) = (OUT, C, H, W), the same order
  if (dense.bias && conv.bias) conv.bias.value.data.set(dense.bias.value.data);
  return conv;
}

/**
 * The fully convolutional twin of a classifier: Flatten + Dense (and GlobalAvgPool2D + Dense) replaced
 * by equivalent Conv2D layers (the first dense a conv with the kernel size of the map it flattened,
 * the next ones 1x1), sharing no arrays with `model`. On an input of `inputShape` it gives the
 * model's logits as a (N, classes, 1, 1) map; on a larger input, a (N, classes, OH, OW) map of the
 * classifier's logits at every stride-spaced position (see the header for where that is exact).
 * The copy is in the model's mode (train or eval), and on the model's backend when it was given one.
 * @param inputShape one input without the batch dimension, default [1, 28, 28]
 * @throws Error naming the layer when a dense layer does not read a spatial map (a model whose input
 * is already a vector), sits inside a container, or follows a layer that mixes positions after the flatten.
 */
export function toFullyConvolutional(model: Sequential, inputShape: readonly number[] = [1, 28, 28]): Sequential {
  if (!(model instanceof Sequential)) throw new TypeError('toFullyConvolutional: expected a Sequential model');
  if (inputShape.length !== 3) {
    throw new RangeError(`toFullyConvolutional: inputShape must be [C, H, W] (one picture, no batch dimension), got [${inputShape.join(', ')}]`);
  }
  const out: Layer[] = [];
  let shape = [1, ...inputShape]; // (N, C, H, W) before the dense part; (N, F) once flattened
  let flat: [number, number, number] | null = null; // the (C, H, W) map a Flatten or global pool took away
  let convs = 0;
  for (const layer of model.layers) {
    const who = `toFullyConvolutional: layer '${layer.name}' (${layer.type})`;
    if (layer.type === 'Flatten' && shape.length === 4) {
      flat = [shape[1], shape[2], shape[3]];
    } else if (layer.type === 'GlobalAvgPool2D') {
      const [, C, H, W] = shape;
      // The mean over the whole H x W map is an H x W average pool; at stride 1 it slides on a larger map.
      if (H !== W) throw new Error(`${who}: the map it averages is ${H}x${W}; only square maps convert (AvgPool2D windows are square)`);
      out.push(new AvgPool2D({ name: layer.name, kernelSize: H, stride: 1 }));
      flat = [C, 1, 1];
    } else if (layer instanceof Dense) {
      if (!flat) {
        throw new Error(`${who} reads ${shape.length === 2 ? 'a vector that was never a map' : `a ${shape.length}-D input`}; ` +
          'only a dense layer after a Flatten or GlobalAvgPool2D of a (C, H, W) map can become a convolution');
      }
      const [C, H, W] = flat;
      out.push(denseAsConv(layer, C, H, W, `${layer.name}_conv${++convs}`));
      flat = [layer.outFeatures, 1, 1];
    } else if (flat) {
      if (!ELEMENTWISE.has(layer.type)) {
        throw new Error(`${who} comes after the flatten and is not element by element (expected Dense, ${[...ELEMENTWISE].join(', ')}); it has no convolutional equivalent here`);
      }
      out.push(copyLayer(layer));
    } else {
      if (hasDense(layer)) {
        throw new Error(`${who} holds a dense layer inside a container; only dense layers of the model's own list convert`);
      }
      out.push(copyLayer(layer));
    }
    shape = layer.outputShape(shape);
  }
  if (!flat) throw new Error('toFullyConvolutional: the model has no Flatten or GlobalAvgPool2D followed by Dense: nothing to convert (it may already be fully convolutional)');
  const fcn = new Sequential(out, { name: model.name });
  fcn.train(model.training);
  if (model.backend !== defaultBackend()) fcn.setBackend(model.backend);
  return fcn;
}

function hasDense(layer: Layer): boolean {
  if (layer instanceof Dense) return true;
  const inner = (layer as unknown as { layers?: readonly Layer[]; block?: Layer; shortcut?: Layer | null });
  return (inner.layers ?? []).some(hasDense) || (inner.block ? hasDense(inner.block) : false) || (inner.shortcut ? hasDense(inner.shortcut) : false);
}

/** The K logits at position (i, j) of image n of a fully convolutional map (N, K, OH, OW). */
export function logitsAt(map: Tensor, n: number, i: number, j: number): Float32Array {
  const [, K, OH, OW] = map.shape;
  const v = new Float32Array(K);
  for (let k = 0; k < K; k++) v[k] = map.data[((n * K + k) * OH + i) * OW + j];
  return v;
}
