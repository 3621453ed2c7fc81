// Tanh: no parameters; the formula is in kernels/tanh.ts. (No fusion: a Conv2D applies only a fused
// ReLU; see layer.ts, Fusion.)

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { type TanhCache, tanhKernels } from '../kernels/tanh.ts';
import { Layer, type LayerConfig } from './layer.ts';

/** tanh(x) elementwise; any shape in, same shape out. No parameters. */
export class Tanh extends Layer {
  readonly type = 'Tanh';
  private cache: TanhCache | null = null;

  constructor(opts: { name?: string; backend?: Backend } = {}) {
    super();
    this.name = opts.name ?? '';
    this.setBackend(opts.backend);
  }

  forwardView(x: Tensor): Tensor {
    const k = this.kernels(tanhKernels);
    const { out, cache } = k.forward(x, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  backwardView(dy: Tensor): Tensor {
    const k = this.kernels(tanhKernels);
    return k.backward(dy, this.needCache(this.cache), { ws: k.ws }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
