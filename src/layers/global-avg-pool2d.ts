// GlobalAvgPool2D: (N, C, H, W) -> (N, C), each channel's mean; no parameters. Put before the last
// Dense layer (instead of Flatten) and the model accepts inputs of any size. The formula is in
// kernels/global-avg-pool2d.ts.

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { type GlobalAvgPool2dCache, globalAvgPool2dDims, globalAvgPool2dKernels } from '../kernels/global-avg-pool2d.ts';
import { Layer, type LayerConfig, rankError } from './layer.ts';

/** (N, C, H, W) -> (N, C): the mean of each channel over all its H*W pixels (PyTorch's AdaptiveAvgPool2d(1) followed by a flatten). No parameters. */
export class GlobalAvgPool2D extends Layer {
  readonly type = 'GlobalAvgPool2D';
  private cache: GlobalAvgPool2dCache | null = null;

  constructor(opts: { name?: string; backend?: Backend } = {}) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`GlobalAvgPool2D: expected an options object { name?, backend? } or nothing, got ${String(opts)}`);
    this.name = opts.name ?? '';
    this.setBackend(opts.backend);
  }

  forwardView(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const k = this.kernels(globalAvgPool2dKernels);
    const { out, cache } = k.forward(x, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  backwardView(dy: Tensor): Tensor {
    const k = this.kernels(globalAvgPool2dKernels);
    return k.backward(dy, this.needCache(this.cache), { ws: k.ws }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length !== 4) throw rankError(this.label, ['N', 'C', 'H', 'W'], s);
    globalAvgPool2dDims(s, this.label);
    return [s[0], s[1]];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
