// Sigmoid: no parameters; the formula is in kernels/sigmoid.ts. (No fusion: a Conv2D applies only a fused
// ReLU; see layer.ts, Fusion.)

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { type SigmoidCache, sigmoidKernels } from '../kernels/sigmoid.ts';
import { Layer, type LayerConfig } from './layer.ts';

/** 1 / (1 + exp(-x)) elementwise; any shape in, same shape out. No parameters. */
export class Sigmoid extends Layer {
  readonly type = 'Sigmoid';
  private cache: SigmoidCache | null = null;

  constructor(opts: { name?: string; backend?: Backend } = {}) {
    super();
    this.name = opts.name ?? '';
    this.setBackend(opts.backend);
  }

  forwardView(x: Tensor): Tensor {
    const k = this.kernels(sigmoidKernels);
    const { out, cache } = k.forward(x, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  backwardView(dy: Tensor): Tensor {
    const k = this.kernels(sigmoidKernels);
    return k.backward(dy, this.needCache(this.cache), { ws: k.ws }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
