// What every layer is: forward(x) caches what backward needs; backward(dy) returns dL/dx and
// ADDS the parameter gradients into param.grad (accumulate, like PyTorch; the optimiser's
// zeroGrad() clears them).

import { Tensor, shapeStr } from '../tensor.ts';

/** A trainable tensor and the gradient accumulated for it. */
export interface Param {
  name: string;
  value: Tensor;
  grad: Tensor;
}

export function makeParam(name: string, value: Tensor): Param {
  return { name, value, grad: Tensor.zeros(value.shape, value.dtype) };
}

/**
 * Which kernels a layer runs: 'fast' (default: im2col + GEMM, WebAssembly SIMD for float32, buffers
 * reused between calls) or 'naive' (the plain loops of the formulas, for reading and as the oracle).
 * Both compute the same numbers; see src/kernels/.
 */
export type KernelChoice = 'fast' | 'naive';

export function kernelOption(who: string, value: unknown): KernelChoice {
  if (value === undefined) return 'fast';
  if (value !== 'fast' && value !== 'naive') throw new RangeError(`${who}: kernels must be 'fast' or 'naive', got ${JSON.stringify(value)}`);
  return value;
}

/** The options a layer was built with, enough to build it again (model files store these). */
export interface LayerConfig {
  type: string;
  [option: string]: unknown;
}

export abstract class Layer {
  abstract readonly type: string;
  /** A name unique within a model (Sequential assigns one if the user gave none). */
  name = '';

  abstract forward(x: Tensor): Tensor;
  abstract backward(dy: Tensor): Tensor;
  /** The output shape (batch included) for an input shape; throws on a shape the layer cannot take. */
  abstract outputShape(inputShape: readonly number[]): number[];
  abstract config(): LayerConfig;

  params(): Param[] {
    return [];
  }

  /**
   * Like backward(dy), but only the parameter gradients are wanted: a network's first layer has no
   * use for dL/dx, and a conv layer saves a third of its backward pass by skipping it.
   */
  backwardParamsOnly(dy: Tensor): void {
    this.backward(dy);
  }

  /** `Conv2D(conv2d_1)`: how errors name the layer. */
  protected get label(): string {
    return this.name ? `${this.type}(${this.name})` : this.type;
  }

  /** The input remembered by forward, or an error if backward came first. */
  protected needCache<T>(cache: T | null): T {
    if (cache === null) throw new Error(`${this.label}: backward called before forward`);
    return cache;
  }
}

/** Checks that an option is an integer >= min, throwing a RangeError that names layer and option. */
export function intOption(who: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${who}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** `Conv2D(conv2d_1): input must be rank 4 (N, C, H, W), but got rank 3 [1, 28, 28]` */
export function rankError(who: string, dims: string[], shape: readonly number[]): Error {
  return new Error(`${who}: input must be rank ${dims.length} (${dims.join(', ')}), but got rank ${shape.length} ${shapeStr(shape)}`);
}

/** grad += delta, element by element (gradients accumulate across backward calls). */
export function addInto(grad: Tensor, delta: Tensor): void {
  const g = grad.data, d = delta.data;
  for (let i = 0; i < g.length; i++) g[i] += d[i];
}
