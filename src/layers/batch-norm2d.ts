// BatchNorm2D: owns a weight (C) (gamma, starts at 1) and a bias (C) (beta, starts at 0), and two
// buffers, runningMean (C) (starts at 0) and runningVar (C) (starts at 1), as PyTorch's BatchNorm2d.
// Training mode normalises by the batch's statistics and updates the running ones; evaluation mode
// (model.eval()) normalises by the running ones. The arithmetic is in kernels/batch-norm2d.ts.

import { Tensor, shapeStr } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import type { BatchNorm2dCache } from '../kernels/batch-norm2d.ts';
import { batchNorm2dKernels } from '../kernels/batch-norm2d-fast.ts';
import { Layer, type LayerBuffer, type LayerConfig, type Param, checkLayerValues, intOption, makeParam, rankError } from './layer.ts';

/** Options of `new BatchNorm2D(...)`: the channel count and the normalisation constants; see BatchNorm2D. */
export interface BatchNorm2DOptions {
  /** C, the channels of the input. */
  numFeatures: number;
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Weight of each new batch in the running statistics, in [0, 1]; default 0.1 (PyTorch's convention). */
  momentum?: number;
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  /** The layer's name in parameter names, summaries and errors; default: `batchnorm2d_<n>` given by the Sequential it is added to. */
  name?: string;
}

/** Batch normalisation over (N, C, H, W), per channel (as PyTorch's BatchNorm2d): y = weight * (x - mean) / sqrt(var + eps) + bias, with the batch's statistics in training mode (which also update runningMean / runningVar) and the running ones in evaluation mode. Same shape out. */
export class BatchNorm2D extends Layer {
  readonly type = 'BatchNorm2D';
  /** C, the number of channels it normalises. */
  readonly numFeatures: number;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps: number;
  /** Weight of each new batch in the running statistics, in [0, 1] (default 0.1). */
  readonly momentum: number;
  /** (C): gamma, the per-channel scale, starts at 1. */
  readonly weight: Param; // (C) gamma
  /** (C): beta, the per-channel shift, starts at 0. */
  readonly bias: Param; // (C) beta
  private readonly meanBuffer: LayerBuffer; // (C)
  private readonly varBuffer: LayerBuffer; // (C)
  private cache: BatchNorm2dCache | null = null;

  constructor(opts: BatchNorm2DOptions) {
    super();
    const who = `BatchNorm2D${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { numFeatures, eps?, momentum? }`);
    this.name = opts.name ?? '';
    this.numFeatures = intOption(who, 'numFeatures', opts.numFeatures, 1);
    const eps = opts.eps ?? 1e-5, momentum = opts.momentum ?? 0.1;
    if (typeof eps !== 'number' || !(eps > 0 && eps < Infinity)) throw new RangeError(`${who}: eps must be a finite number > 0, got ${String(eps)}`);
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new RangeError(`${who}: momentum must be a number in [0, 1], got ${String(momentum)}`);
    this.eps = eps;
    this.momentum = momentum;
    this.setBackend(opts.backend);
    const C = this.numFeatures;
    checkLayerValues(who, [['weight', [C]], ['bias', [C]], ['runningMean', [C]], ['runningVar', [C]]]); // (C) each, before allocating
    this.weight = makeParam('weight', new Tensor([C], new Float32Array(C).fill(1)));
    this.bias = makeParam('bias', Tensor.zeros([C]));
    this.meanBuffer = { name: 'runningMean', value: Tensor.zeros([C]) };
    this.varBuffer = { name: 'runningVar', value: new Tensor([C], new Float32Array(C).fill(1)) };
  }

  /** (C): the running mean, updated by every forward pass in training mode. */
  get runningMean(): Tensor {
    return this.meanBuffer.value;
  }

  /** (C): the running (unbiased) variance, likewise. */
  get runningVar(): Tensor {
    return this.varBuffer.value;
  }

  /** (N, C, H, W) -> (N, C, H, W): batchNorm2dForwardNaive in kernels/batch-norm2d.ts has the formulas. */
  forwardView(x: Tensor): Tensor {
    const [N, , H, W] = this.outputShape(x.shape);
    if (this.training && N * H * W < 2) {
      throw new Error(`${this.label}: training mode needs more than one value per channel to take a variance, got input ${shapeStr(x.shape)} (N*H*W = ${N * H * W}); use a larger batch, or eval()`);
    }
    const k = this.kernels(batchNorm2dKernels);
    const p = { training: this.training, eps: this.eps, momentum: this.momentum, runningMean: this.runningMean, runningVar: this.runningVar };
    const { out, cache } = k.forward(x, this.weight.value, this.bias.value, p, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  /**
   * dy (N, C, H, W) -> dx; adds dL/dw and dL/db into weight.grad and bias.grad. In training mode the
   * gradient flows through the batch mean and variance too (batchNorm2dBackwardNaive, with its derivation).
   */
  backwardView(dy: Tensor): Tensor {
    return this.backwardPass(dy, true) as Tensor;
  }

  override backwardParamsOnly(dy: Tensor): void {
    this.backwardPass(dy, false);
  }

  private backwardPass(dy: Tensor, computeDx: boolean): Tensor | null {
    const cache = this.needCache(this.cache);
    const k = this.kernels(batchNorm2dKernels);
    return k.backward(dy, cache, { ws: k.ws, computeDx, dwInto: this.weight.grad, dbInto: this.bias.grad }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length !== 4) throw rankError(this.label, ['N', 'C', 'H', 'W'], s);
    if (s[1] !== this.numFeatures) throw new Error(`${this.label}: input has ${s[1]} channels ${shapeStr(s)}, expected ${this.numFeatures}`);
    return [...s];
  }

  override params(): Param[] {
    return [this.weight, this.bias];
  }

  override buffers(): LayerBuffer[] {
    return [this.meanBuffer, this.varBuffer];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum };
  }
}
