// ReLU: no parameters; the formula is in kernels/relu.ts. It declares itself an `activation`, so the
// layer before it may apply it in its own pass (see layer.ts, Fusion).

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import type { ReluCache } from '../kernels/relu.ts';
import { reluKernels } from '../kernels/relu-fast.ts';
import { Layer, type LayerConfig, checkDy, reluPattern } from './layer.ts';

/** max(0, x) elementwise; any shape in, same shape out (the gradient at exactly 0 is 0, as in PyTorch). No parameters; a Conv2D before it may apply it fused in an inference pass (see layer.ts, Fusion). */
export class ReLU extends Layer {
  readonly type = 'ReLU';
  override readonly activation = 'relu' as const;
  private cache: ReluCache | null = null;

  constructor(opts: { name?: string; backend?: Backend } = {}) {
    super();
    this.name = opts.name ?? '';
    this.setBackend(opts.backend);
  }

  forwardView(x: Tensor): Tensor {
    const k = this.kernels(reluKernels);
    const { out, cache } = k.forward(x, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  backwardView(dy: Tensor): Tensor {
    const cache = this.needCache(this.cache);
    checkDy(this.label, dy, cache.y.shape);
    const k = this.kernels(reluKernels);
    return k.backward(dy, cache, { ws: k.ws }).dx;
  }

  override kinkState(): Int32Array | null {
    return this.cache ? reluPattern(this.cache.y) : null;
  }

  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
