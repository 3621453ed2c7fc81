// MaxPool2D: no parameters; the formula is in kernels/max-pool2d.ts.

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import type { MaxPool2dCache } from '../kernels/max-pool2d.ts';
import { maxPool2dKernels } from '../kernels/max-pool2d-fast.ts';
import { Layer, type LayerConfig, type Pooling, checkDy, intOption, poolOutputShape } from './layer.ts';

/** Options of `new MaxPool2D(...)`: the window and its stride; see MaxPool2D. */
export interface MaxPool2DOptions {
  /** Window size (square), as PyTorch's kernel_size. */
  kernelSize?: number;
  /** The old name of kernelSize, still read from model files written before it. */
  size?: number;
  /** Step between windows; default: the window size (non-overlapping windows, as in PyTorch). */
  stride?: number;
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  /** The layer's name in parameter names, summaries and errors; default: `maxpool2d_<n>` given by the Sequential it is added to. */
  name?: string;
}

/** Max pooling over square windows, (N, C, H, W) -> (N, C, OH, OW) with OH = floor((H - kernelSize) / stride) + 1 (no padding, as PyTorch's MaxPool2d); backward sends each window's dy to the input that won it. No parameters. */
export class MaxPool2D extends Layer {
  readonly type = 'MaxPool2D';
  /** Window size (square), in pixels. */
  readonly kernelSize: number;
  /** Step between windows, in pixels (the window size unless given). */
  readonly stride: number;
  /** What a layer before it may apply in an inference pass instead of this layer (see layer.ts, Fusion). */
  override readonly pooling: Pooling;
  private cache: MaxPool2dCache | null = null;

  constructor(opts: MaxPool2DOptions) {
    super();
    const who = `MaxPool2D${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { kernelSize, stride? }`);
    if (opts.kernelSize !== undefined && opts.size !== undefined && opts.kernelSize !== opts.size) {
      throw new RangeError(`${who}: kernelSize ${opts.kernelSize} and size ${opts.size} disagree; give kernelSize only (size is its old name)`);
    }
    this.name = opts.name ?? '';
    this.kernelSize = intOption(who, 'kernelSize', opts.kernelSize ?? opts.size, 1);
    this.stride = intOption(who, 'stride', opts.stride ?? this.kernelSize, 1);
    this.pooling = { op: 'maxPool', kernelSize: this.kernelSize, stride: this.stride };
    this.setBackend(opts.backend);
  }

  forwardView(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const k = this.kernels(maxPool2dKernels);
    const { out, cache } = k.forward(x, { kernelSize: this.kernelSize, stride: this.stride }, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  backwardView(dy: Tensor): Tensor {
    const cache = this.needCache(this.cache);
    checkDy(this.label, dy, this.outputShape(cache.inShape));
    const k = this.kernels(maxPool2dKernels);
    return k.backward(dy, cache, { ws: k.ws }).dx;
  }

  /** Which input won each window (a step that changes a winner crossed a tie). */
  override kinkState(): Int32Array | null {
    return this.cache ? this.cache.argmax.slice() : null;
  }

  outputShape(s: readonly number[]): number[] {
    return poolOutputShape(this.label, s, this.kernelSize, this.stride);
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, kernelSize: this.kernelSize, stride: this.stride };
  }
}
