// Rebuilds a model from its config() (layer types and options), with zero weights: model files
// and worker threads use it, then fill in the weights. Containers (Sequential, Residual) hold the
// configs of their layers, and are rebuilt by rebuilding those first (layerFromConfig is recursive).

import { AvgPool2D } from './avg-pool2d.ts';
import { Conv2D } from './conv2d.ts';
import { Dense } from './dense.ts';
import { Flatten } from './flatten.ts';
import { GlobalAvgPool2D } from './global-avg-pool2d.ts';
import type { Layer, LayerConfig } from './layer.ts';
import { MaxPool2D } from './max-pool2d.ts';
import { ReLU } from './relu.ts';
import { Sequential } from './sequential.ts';
import { BatchNorm2D } from './batch-norm2d.ts';
import { Dropout } from './dropout.ts';
import { Tanh } from './tanh.ts';
import { Sigmoid } from './sigmoid.ts';
import { Residual } from './residual.ts';
import { Normalize, type NormalizeOptions } from './normalize.ts';
import { type Rng, createRng, initTensor } from '../rng.ts';
import { shapeStr } from '../tensor.ts';

const LAYER_BUILDERS: Record<string, (c: LayerConfig, opts: FromConfigOptions, where: string) => Layer> = {
  Conv2D: (c) => new Conv2D({
    name: c.name as string, inChannels: c.inChannels as number, outChannels: c.outChannels as number,
    kernelSize: c.kernelSize as [number, number], stride: c.stride as number, padding: c.padding as number,
    // Files written before dilation and groups existed have neither: the defaults (1) are what they meant.
    dilation: c.dilation as number | undefined, groups: c.groups as number | undefined,
    bias: c.bias as boolean, weightInit: 'zeros', biasInit: 'zeros', winograd: c.winograd as boolean | undefined,
  }),
  Dense: (c) => new Dense({
    name: c.name as string, inFeatures: c.inFeatures as number, outFeatures: c.outFeatures as number,
    bias: c.bias as boolean, weightInit: 'zeros', biasInit: 'zeros',
  }),
  ReLU: (c) => new ReLU({ name: c.name as string }),
  MaxPool2D: (c) => new MaxPool2D({ name: c.name as string, kernelSize: c.kernelSize as number | undefined, size: c.size as number | undefined, stride: c.stride as number }),
  Flatten: (c) => new Flatten({ name: c.name as string }),
  BatchNorm2D: (c) => new BatchNorm2D({ name: c.name as string, numFeatures: c.numFeatures as number, eps: c.eps as number | undefined, momentum: c.momentum as number | undefined }),
  Dropout: (c, o) => new Dropout({ name: c.name as string, p: c.p as number | undefined, seed: c.seed as number | undefined, rng: o.rng }),
  Tanh: (c) => new Tanh({ name: c.name as string }),
  Sigmoid: (c) => new Sigmoid({ name: c.name as string }),
  Sequential: (c, o, where) => {
    if (!Array.isArray(c.layers)) throw new Error(`${where}: a Sequential config needs a layer list, got ${JSON.stringify(c.layers)}`);
    return new Sequential((c.layers as LayerConfig[]).map((l, i) => layerFromConfig(l, o, `${where}.layers[${i}]`)), { name: c.name as string });
  },
  Residual: (c, o, where) => new Residual(
    layerFromConfig(c.block as LayerConfig, o, `${where}.block`),
    c.shortcut == null ? null : layerFromConfig(c.shortcut as LayerConfig, o, `${where}.shortcut`),
    { name: c.name as string },
  ),
  AvgPool2D: (c) => new AvgPool2D({ name: c.name as string, kernelSize: c.kernelSize as number, stride: c.stride as number }),
  GlobalAvgPool2D: (c) => new GlobalAvgPool2D({ name: c.name as string }),
  Normalize: (c) => new Normalize({ name: c.name as string, mode: c.mode, mean: c.mean, std: c.std } as NormalizeOptions),
};

/** Options of layerFromConfig and modelFromConfig. */
export interface FromConfigOptions {
  /** Seeds a Dropout whose config has no seed (a hand-written architecture); configs from config() have one. */
  rng?: Rng;
}

/**
 * Builds any layer, containers included, from its config(); `where` names it in errors
 * (e.g. 'layer 3.block.layers[1]'). Throws for an unknown type or a bad option.
 */
export function layerFromConfig(c: LayerConfig, opts: FromConfigOptions = {}, where = 'layer'): Layer {
  const build = c && typeof c === 'object' && Object.hasOwn(LAYER_BUILDERS, c.type) ? LAYER_BUILDERS[c.type] : undefined;
  if (!build) throw new Error(`${where} has unknown type ${JSON.stringify(c?.type)}, expected one of ${Object.keys(LAYER_BUILDERS).join(', ')}`);
  return build(c, opts, where);
}

/** Builds a Sequential from `model.config()` output; throws naming the layer for an unknown type or a bad option. */
export function modelFromConfig(config: LayerConfig, opts: FromConfigOptions = {}): Sequential {
  if (!config || config.type !== 'Sequential' || !Array.isArray(config.layers)) {
    throw new Error(`modelFromConfig: expected a Sequential config with a layer list, got type ${JSON.stringify(config?.type)}`);
  }
  const layers = (config.layers as LayerConfig[]).map((c, i) => layerFromConfig(c, opts, `layer ${i}`));
  return new Sequential(layers, { name: typeof config.name === 'string' ? config.name : '' });
}

/**
 * A user's own network from an architecture document, in the model files' format without the weights:
 *   { "inputShape": [1, 28, 28], "architecture": { "type": "Sequential", "layers": [ { "type": "Conv2D", ... }, ... ] } }
 * (examples/arch-small-cnn.json). Weights of rank 2 and more (conv kernels, dense matrices) start
 * He-normal from `seed` (fan in = the product of all but the first dimension), biases at zero, batch
 * norm at gamma 1 and beta 0. The input shape must be `inputShape` (the data's) and the output
 * (N, `classes`). Throws an Error naming `where` and what was wrong.
 */
export function modelFromArchitecture(doc: unknown, seed: number, expect: { inputShape: readonly number[]; classes: number }, where = 'architecture'): Sequential {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${where}: expected a JSON object { "inputShape": [1, 28, 28], "architecture": { "type": "Sequential", "layers": [...] } }`);
  const d = doc as { inputShape?: unknown; architecture?: unknown };
  const inputShape = d.inputShape;
  if (inputShape !== undefined) {
    const ok = Array.isArray(inputShape) && inputShape.length === expect.inputShape.length && inputShape.every((v, i) => v === expect.inputShape[i]);
    if (!ok) throw new Error(`${where}: inputShape is ${JSON.stringify(inputShape)}, but the data's images are ${JSON.stringify(expect.inputShape)}`);
  }
  const arch = d.architecture as { type?: unknown; layers?: unknown } | undefined;
  if (!arch || typeof arch !== 'object' || arch.type !== 'Sequential' || !Array.isArray(arch.layers) || arch.layers.length === 0) {
    throw new Error(`${where}: "architecture" must be { "type": "Sequential", "layers": [ ...layer configs... ] } with at least one layer`);
  }
  const rng = createRng(`arch-${seed}`);
  let model: Sequential;
  try {
    model = modelFromConfig(arch as Parameters<typeof modelFromConfig>[0], { rng });
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  let y: number[];
  try {
    y = model.outputShape([1, ...expect.inputShape]);
  } catch (e) {
    throw new Error(`${where}: the layers do not fit a ${shapeStr(['N', ...expect.inputShape])} input: ${(e as Error).message}`);
  }
  if (y.length !== 2 || y[1] !== expect.classes) {
    throw new Error(`${where}: the network's output is ${shapeStr(['N', ...y.slice(1)])}, expected [N, ${expect.classes}], one score per class: end with a Dense layer of ${expect.classes} outputs`);
  }
  for (const p of model.params()) {
    if (p.value.shape.length < 2) continue;
    const fanIn = p.value.size / p.value.shape[0];
    p.value.data.set(initTensor('heNormal', p.value.shape, { fanIn, fanOut: p.value.shape[0] }, rng, `${where} ${p.name}`).data);
  }
  return model;
}
