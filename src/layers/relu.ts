// ReLU: no parameters; the arithmetic is in kernels/relu.ts.

import type { Tensor } from '../tensor.ts';
import { type ReluCache, reluBackwardNaive, reluForwardNaive } from '../kernels/relu.ts';
import { Layer, type LayerConfig } from './layer.ts';

export class ReLU extends Layer {
  readonly type = 'ReLU';
  private cache: ReluCache | null = null;

  constructor(opts: { name?: string } = {}) {
    super();
    this.name = opts.name ?? '';
  }

  forward(x: Tensor): Tensor {
    const { out, cache } = reluForwardNaive(x);
    this.cache = cache;
    return out;
  }

  backward(dy: Tensor): Tensor {
    return reluBackwardNaive(dy, this.needCache(this.cache)).dx;
  }

  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
