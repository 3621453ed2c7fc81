// Rebuilds a model from its config() (layer types and options), with zero weights: model files
// and worker threads use it, then fill in the weights. Containers (Sequential, Residual) hold the
// configs of their layers, and are rebuilt by rebuilding those first (the build is recursive).
//
// Before anything is built, checkArchitecture walks the whole config (every layer at every depth,
// with a stack of its own, so no input can overflow the call stack): every type must be known,
// containers may nest at most MAX_LAYER_DEPTH deep, and the values the layers declare (parameters and
// buffers, from their size options) must fit MAX_MODEL_VALUES, each layer and all of them together.
// Model files, `--arch` files, the page and ONNX import all build through here, so a file cannot
// ask for gigabytes before an error, however deep it hides the size.

import { AvgPool2D } from './avg-pool2d.ts';
import { Conv2D } from './conv2d.ts';
import { Dense } from './dense.ts';
import { Flatten } from './flatten.ts';
import { GlobalAvgPool2D } from './global-avg-pool2d.ts';
import type { Layer, LayerConfig } from './layer.ts';
import { MAX_ACTIVATION_VALUES, MAX_MODEL_VALUES, shapeSize, shapeStr } from '../tensor.ts';
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
    return new Sequential((c.layers as LayerConfig[]).map((l, i) => buildLayer(l, o, `${where}.layers[${i}]`)), { name: c.name as string });
  },
  Residual: (c, o, where) => new Residual(
    buildLayer(c.block as LayerConfig, o, `${where}.block`),
    c.shortcut == null ? null : buildLayer(c.shortcut as LayerConfig, o, `${where}.shortcut`),
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
 * The deepest nesting of containers an architecture may have: 64. A layer inside 64 containers (a
 * Sequential in a Residual in a Sequential...) is fine, one inside 65 is refused before anything is
 * built. The zoo's deepest model nests 3; a file nested 10,000 deep gets this error, not "Maximum
 * call stack size exceeded".
 */
export const MAX_LAYER_DEPTH = 64;

/** What a layer's config declares, as checkArchitecture reports it to its caller. */
export interface DeclaredLayer {
  /** e.g. 'layer 0.block.layers[1]' */
  where: string;
  type: string;
  /** The values its parameters and buffers would hold (an upper bound when its options are invalid: the constructor then refuses them). */
  values: number;
  /** Its size options above 1, e.g. ['numFeatures 1073741824'], for messages. */
  sizes: string[];
}

/** The options that size a layer's tensors, listed in messages. */
const SIZE_KEYS = ['inChannels', 'outChannels', 'kernelSize', 'inFeatures', 'outFeatures', 'numFeatures'];

/** A size option as a number for the bound: a valid one as is, anything else 1 (the constructor refuses it). */
const size = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.max(1, Math.abs(v)) : 1);

/** The values a layer of config `c` would hold (parameters and buffers); 0 for layers without tensors. */
function declaredValues(c: LayerConfig): number {
  switch (c.type) {
    case 'Conv2D': {
      const ks = Array.isArray(c.kernelSize) ? c.kernelSize : [c.kernelSize, c.kernelSize];
      const C = size(c.inChannels), F = size(c.outChannels), G = c.groups;
      const g = typeof G === 'number' && Number.isInteger(G) && G >= 1 && C % G === 0 ? G : 1;
      return F * (C / g) * size(ks[0]) * size(ks[1]) + (c.bias === false ? 0 : F);
    }
    case 'Dense': return size(c.outFeatures) * size(c.inFeatures) + (c.bias === false ? 0 : size(c.outFeatures));
    case 'BatchNorm2D': return 4 * size(c.numFeatures); // weight, bias, runningMean, runningVar
    default: return 0;
  }
}

/**
 * Checks an architecture without building it (see the header): known types, at most MAX_LAYER_DEPTH
 * containers deep, every layer's declared values and their sum within MAX_MODEL_VALUES. `onLayer`
 * sees each layer first (a model file compares it with the weights it holds). Errors name the
 * layer by its path, e.g. `layer 0.block.layers[1] (BatchNorm2D) would hold ...`.
 * @param config a Sequential's config (model.config() output)
 */
export function checkArchitecture(config: LayerConfig, onLayer?: (d: DeclaredLayer) => void): void {
  const layers = Array.isArray(config?.layers) ? (config.layers as LayerConfig[]) : [];
  walkArchitecture(layers.map((c, i) => ({ c, where: `layer ${i}`, depth: 1 })).reverse(), onLayer);
}

/** checkArchitecture's walk, from the layers on `stack` (the last one first). */
function walkArchitecture(stack: Array<{ c: LayerConfig; where: string; depth: number }>, onLayer?: (d: DeclaredLayer) => void): void {
  const children = (c: LayerConfig, where: string, depth: number): void => {
    if (c.type === 'Sequential' && Array.isArray(c.layers)) {
      for (let i = c.layers.length - 1; i >= 0; i--) stack.push({ c: c.layers[i] as LayerConfig, where: `${where}.layers[${i}]`, depth });
    } else if (c.type === 'Residual') {
      if (c.shortcut != null) stack.push({ c: c.shortcut as LayerConfig, where: `${where}.shortcut`, depth });
      stack.push({ c: c.block as LayerConfig, where: `${where}.block`, depth });
    }
  };
  let total = 0;
  while (stack.length > 0) {
    const { c, where, depth } = stack.pop()!;
    const type = c && typeof c === 'object' ? c.type : undefined;
    if (typeof type !== 'string' || !Object.hasOwn(LAYER_BUILDERS, type)) {
      throw new Error(`${where} has unknown type ${JSON.stringify(type) ?? 'undefined'}, expected one of ${Object.keys(LAYER_BUILDERS).join(', ')}`);
    }
    if (depth > MAX_LAYER_DEPTH) throw new Error(`${where} is nested more than ${MAX_LAYER_DEPTH} containers deep (MAX_LAYER_DEPTH)`);
    const values = declaredValues(c);
    const sizes: string[] = [];
    for (const key of SIZE_KEYS) {
      for (const n of Array.isArray(c[key]) ? (c[key] as unknown[]) : [c[key]]) if (typeof n === 'number' && Math.abs(n) > 1) sizes.push(`${key} ${n}`);
    }
    onLayer?.({ where, type, values, sizes });
    if (values > MAX_MODEL_VALUES) {
      throw new RangeError(`${where} (${type}) would hold ${values.toLocaleString('en-US')} values; a model may hold at most ${MAX_MODEL_VALUES.toLocaleString('en-US')} (MAX_MODEL_VALUES)`);
    }
    total += values;
    if (total > MAX_MODEL_VALUES) {
      throw new RangeError(`the layers would hold ${total.toLocaleString('en-US')} values together; a model may hold at most ${MAX_MODEL_VALUES.toLocaleString('en-US')} (MAX_MODEL_VALUES); ${where} (${type}) goes over it`);
    }
    children(c, where, depth + 1);
  }
}

function buildLayer(c: LayerConfig, opts: FromConfigOptions, where: string): Layer {
  const build = c && typeof c === 'object' && Object.hasOwn(LAYER_BUILDERS, c.type) ? LAYER_BUILDERS[c.type] : undefined;
  if (!build) throw new Error(`${where} has unknown type ${JSON.stringify(c?.type)}, expected one of ${Object.keys(LAYER_BUILDERS).join(', ')}`);
  return build(c, opts, where);
}

/**
 * Builds any layer, containers included, from its config(); `where` names it in errors
 * (e.g. 'layer 3.block.layers[1]'). Throws for an unknown type, a bad option, or sizes and depths
 * beyond the limits (checkArchitecture), before building anything.
 */
export function layerFromConfig(c: LayerConfig, opts: FromConfigOptions = {}, where = 'layer'): Layer {
  walkArchitecture([{ c, where, depth: 1 }]);
  return buildLayer(c, opts, where);
}

/** Builds a Sequential from `model.config()` output; throws naming the layer for an unknown type or a bad option, before building anything (checkArchitecture). */
export function modelFromConfig(config: LayerConfig, opts: FromConfigOptions = {}): Sequential {
  if (!config || config.type !== 'Sequential' || !Array.isArray(config.layers)) {
    throw new Error(`modelFromConfig: expected a Sequential config with a layer list, got type ${JSON.stringify(config?.type)}`);
  }
  checkArchitecture(config);
  const layers = (config.layers as LayerConfig[]).map((c, i) => buildLayer(c, opts, `layer ${i}`));
  return new Sequential(layers, { name: typeof config.name === 'string' ? config.name : '' });
}

/**
 * Checks the activation budget (MAX_ACTIVATION_VALUES) of `model` on one input of `inputShape`
 * (without the batch) from the shapes alone, before anything runs: every layer's output summed
 * (Layer.activationValues). Throws an Error naming the input, the total, and the largest layer.
 */
export function checkActivationBudget(model: Sequential, inputShape: readonly number[]): void {
  const x = [1, ...inputShape];
  const total = model.activationValues(x);
  if (total <= MAX_ACTIVATION_VALUES) return;
  let shape = x, largest = { size: -1, at: '' };
  model.layers.forEach((l, i) => {
    shape = l.outputShape(shape);
    if (shapeSize(shape) > largest.size) largest = { size: shapeSize(shape), at: `layer ${i} (${l.type}) alone gives ${shapeStr(shape)}` };
  });
  throw new RangeError(`the activations of one input ${shapeStr(inputShape)} would hold ${total.toLocaleString('en-US')} values (${largest.at}), ` +
    `above the activation budget of ${MAX_ACTIVATION_VALUES.toLocaleString('en-US')} per image (MAX_ACTIVATION_VALUES); make the layers smaller`);
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
  try {
    checkActivationBudget(model, expect.inputShape);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  for (const p of model.params()) {
    if (p.value.shape.length < 2) continue;
    const fanIn = p.value.size / p.value.shape[0];
    p.value.data.set(initTensor('heNormal', p.value.shape, { fanIn, fanOut: p.value.shape[0] }, rng, `${where} ${p.name}`).data);
  }
  return model;
}
