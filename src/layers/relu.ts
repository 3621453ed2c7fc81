// ReLU: no parameters; the arithmetic is in kernels/relu.ts.

import type { Tensor } from '../tensor.ts';
import { type ReluCache, reluBackwardNaive, reluForwardNaive } from '../kernels/relu.ts';
import { reluBackwardFast, reluForwardFast } from '../kernels/relu-fast.ts';
import { createWorkspace } from '../kernels/workspace.ts';
import { Layer, type KernelChoice, type LayerConfig, kernelOption } from './layer.ts';

export class ReLU extends Layer {
  readonly type = 'ReLU';
  readonly kernels: KernelChoice;
  private cache: ReluCache | null = null;
  private readonly ws = createWorkspace();

  constructor(opts: { name?: string; kernels?: KernelChoice } = {}) {
    super();
    this.name = opts.name ?? '';
    this.kernels = kernelOption('ReLU', opts.kernels);
  }

  forward(x: Tensor): Tensor {
    const { out, cache } = this.kernels === 'naive' ? reluForwardNaive(x) : reluForwardFast(x, { ws: this.ws });
    this.cache = cache;
    return out;
  }

  backward(dy: Tensor): Tensor {
    const cache = this.needCache(this.cache);
    return (this.kernels === 'naive' ? reluBackwardNaive(dy, cache) : reluBackwardFast(dy, cache, { ws: this.ws })).dx;
  }

  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
