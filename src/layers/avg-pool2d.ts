// AvgPool2D: no parameters; the formula is in kernels/avg-pool2d.ts (PyTorch's AvgPool2d, no padding).

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import type { AvgPool2dCache } from '../kernels/avg-pool2d.ts';
import { avgPool2dKernels } from '../kernels/avg-pool2d-fast.ts';
import { Layer, type LayerConfig, intOption, poolOutputShape } from './layer.ts';

/** Options of `new AvgPool2D(...)`: the window and its stride; see AvgPool2D. */
export interface AvgPool2DOptions {
  /** Window size (square), as PyTorch's kernel_size. */
  kernelSize: number;
  /** Step between windows; default: the window size (non-overlapping windows, as in PyTorch). */
  stride?: number;
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  /** The layer's name in parameter names, summaries and errors; default: `avgpool2d_<n>` given by the Sequential it is added to. */
  name?: string;
}

/** Average pooling over square windows, (N, C, H, W) -> (N, C, OH, OW) with OH = floor((H - kernelSize) / stride) + 1 (no padding, as PyTorch's AvgPool2d). No parameters. */
export class AvgPool2D extends Layer {
  readonly type = 'AvgPool2D';
  /** Window size (square), in pixels. */
  readonly kernelSize: number;
  /** Step between windows, in pixels (the window size unless given). */
  readonly stride: number;
  private cache: AvgPool2dCache | null = null;

  constructor(opts: AvgPool2DOptions) {
    super();
    const who = `AvgPool2D${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { kernelSize, stride? }`);
    this.name = opts.name ?? '';
    this.kernelSize = intOption(who, 'kernelSize', opts.kernelSize, 1);
    this.stride = intOption(who, 'stride', opts.stride ?? this.kernelSize, 1);
    this.setBackend(opts.backend);
  }

  /** (N, C, H, W) -> (N, C, OH, OW): each output the mean of its window (avgPool2dForwardNaive). */
  forwardView(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const k = this.kernels(avgPool2dKernels);
    const { out, cache } = k.forward(x, { kernelSize: this.kernelSize, stride: this.stride }, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  /** dy (N, C, OH, OW) -> dx (N, C, H, W): each window's dy shared equally by its pixels (avgPool2dBackwardNaive). */
  backwardView(dy: Tensor): Tensor {
    const k = this.kernels(avgPool2dKernels);
    return k.backward(dy, this.needCache(this.cache), { ws: k.ws }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    return poolOutputShape(this.label, s, this.kernelSize, this.stride);
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, kernelSize: this.kernelSize, stride: this.stride };
  }
}
