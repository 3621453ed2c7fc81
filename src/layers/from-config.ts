// Rebuilds a model from its config() (layer types and options), with zero weights: model files
// and worker threads use it, then fill in the weights.

import { AvgPool2D } from './avg-pool2d.ts';
import { Conv2D } from './conv2d.ts';
import { Dense } from './dense.ts';
import { Flatten } from './flatten.ts';
import { GlobalAvgPool2D } from './global-avg-pool2d.ts';
import type { Layer, LayerConfig } from './layer.ts';
import { MaxPool2D } from './max-pool2d.ts';
import { ReLU } from './relu.ts';
import { Sequential } from './sequential.ts';

const LAYER_BUILDERS: Record<string, (c: LayerConfig) => Layer> = {
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
  AvgPool2D: (c) => new AvgPool2D({ name: c.name as string, kernelSize: c.kernelSize as number, stride: c.stride as number }),
  GlobalAvgPool2D: (c) => new GlobalAvgPool2D({ name: c.name as string }),
};

/** Builds a Sequential from `model.config()` output; throws naming the layer for an unknown type or a bad option. */
export function modelFromConfig(config: LayerConfig): Sequential {
  if (!config || config.type !== 'Sequential' || !Array.isArray(config.layers)) {
    throw new Error(`modelFromConfig: expected a Sequential config with a layer list, got type ${JSON.stringify(config?.type)}`);
  }
  const layers = (config.layers as LayerConfig[]).map((c, i) => {
    const build = c && typeof c === 'object' ? LAYER_BUILDERS[c.type] : undefined;
    if (!build) throw new Error(`layer ${i} has unknown type ${JSON.stringify(c?.type)}, expected one of ${Object.keys(LAYER_BUILDERS).join(', ')}`);
    return build(c);
  });
  return new Sequential(layers, { name: typeof config.name === 'string' ? config.name : '' });
}
