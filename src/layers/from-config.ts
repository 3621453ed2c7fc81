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
import type { Rng } from '../rng.ts';

const LAYER_BUILDERS: Record<string, (c: LayerConfig, opts: FromConfigOptions, where: string) => Layer> = {
  Conv2D: (c) => new Conv2D({
    name: c.name as string, inChannels: c.inChannels as number, outChannels: c.outChannels as number,
    kernelSize: c.kernelSize as [number, number], stride: c.stride as number, padding: c.padding as number,
    // Files written before dilation and groups existed have neither: the defaults (1) are what they meant.
    dilation: c.dilation as number | undefined, groups: c.groups as number | undefined,
    bias: c.bias as boolean, weightInit: 'zeros', biasInit: 'zeros',
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
