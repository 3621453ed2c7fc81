// MaxPool2D: no parameters; the arithmetic is in kernels/max-pool2d.ts.

import type { Tensor } from '../tensor.ts';
import { shapeStr } from '../tensor.ts';
import { type MaxPool2dCache, maxPool2dBackwardNaive, maxPool2dForwardNaive } from '../kernels/max-pool2d.ts';
import { maxPool2dBackwardFast, maxPool2dForwardFast } from '../kernels/max-pool2d-fast.ts';
import { createWorkspace } from '../kernels/workspace.ts';
import { Layer, type KernelChoice, type LayerConfig, intOption, kernelOption, rankError } from './layer.ts';

export interface MaxPool2DOptions {
  /** Window size (square). */
  size: number;
  /** Step between windows; default: the window size (non-overlapping windows, as in PyTorch). */
  stride?: number;
  kernels?: KernelChoice; // default 'fast'
  name?: string;
}

export class MaxPool2D extends Layer {
  readonly type = 'MaxPool2D';
  readonly size: number;
  readonly stride: number;
  readonly kernels: KernelChoice;
  private cache: MaxPool2dCache | null = null;
  private readonly ws = createWorkspace();

  constructor(opts: MaxPool2DOptions) {
    super();
    const who = `MaxPool2D${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { size, stride? }`);
    this.name = opts.name ?? '';
    this.size = intOption(who, 'size', opts.size, 1);
    this.stride = intOption(who, 'stride', opts.stride ?? this.size, 1);
    this.kernels = kernelOption(who, opts.kernels);
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const p = { size: this.size, stride: this.stride };
    const { out, cache } = this.kernels === 'naive' ? maxPool2dForwardNaive(x, p) : maxPool2dForwardFast(x, p, this.ws);
    this.cache = cache;
    return out;
  }

  backward(dy: Tensor): Tensor {
    const cache = this.needCache(this.cache);
    return (this.kernels === 'naive' ? maxPool2dBackwardNaive(dy, cache) : maxPool2dBackwardFast(dy, cache, this.ws)).dx;
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length !== 4) throw rankError(this.label, ['N', 'C', 'H', 'W'], s);
    const [N, C, H, W] = s;
    const K = this.size;
    if (H < K || W < K) throw new RangeError(`${this.label}: input ${H}x${W} ${shapeStr(s)} is smaller than the ${K}x${K} window; expected at least ${K}x${K}`);
    return [N, C, Math.floor((H - K) / this.stride) + 1, Math.floor((W - K) / this.stride) + 1];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, size: this.size, stride: this.stride };
  }
}
