// Conv2D: owns a weight (F, C, KH, KW) and a bias (F); the arithmetic is in kernels/conv2d.ts.

import { type Rng, type Initializer, initTensor } from '../rng.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import { type Conv2dCache, conv2dBackwardNaive, conv2dForwardNaive, convOutSize } from '../kernels/conv2d.ts';
import { conv2dBackwardFast, conv2dForwardFast } from '../kernels/conv2d-fast.ts';
import { reluBackwardNaive, reluForwardNaive } from '../kernels/relu.ts';
import { createWorkspace } from '../kernels/workspace.ts';
import { Layer, type KernelChoice, type LayerConfig, type Param, addInto, intOption, kernelOption, makeParam, rankError } from './layer.ts';

export interface Conv2DOptions {
  inChannels: number;
  outChannels: number;
  /** Square kernel size, or [KH, KW]. */
  kernelSize: number | [number, number];
  stride?: number; // default 1
  padding?: number; // default 0 (zeros on every side)
  bias?: boolean; // default true
  /** Needed by the random initialisers. */
  rng?: Rng;
  weightInit?: Initializer; // default 'heNormal' (fan in = C*KH*KW)
  biasInit?: Initializer; // default 'zeros'
  kernels?: KernelChoice; // default 'fast'
  name?: string;
}

export class Conv2D extends Layer {
  readonly type = 'Conv2D';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: number;
  readonly padding: number;
  readonly weight: Param; // (F, C, KH, KW)
  readonly bias: Param | null; // (F)
  readonly kernels: KernelChoice;
  private cache: Conv2dCache | null = null;
  /** The output of the last forward when it applied a fused ReLU (its backward needs it), else null. */
  private reluOutput: Tensor | null = null;
  private readonly ws = createWorkspace(); // the fast kernels' reusable buffers

  constructor(opts: Conv2DOptions) {
    super();
    const who = `Conv2D${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { inChannels, outChannels, kernelSize, ... }`);
    this.name = opts.name ?? '';
    this.inChannels = intOption(who, 'inChannels', opts.inChannels, 1);
    this.outChannels = intOption(who, 'outChannels', opts.outChannels, 1);
    const ks = Array.isArray(opts.kernelSize) ? opts.kernelSize : [opts.kernelSize, opts.kernelSize];
    this.kernelSize = [intOption(who, 'kernelSize', ks[0], 1), intOption(who, 'kernelSize', ks[1], 1)];
    this.stride = intOption(who, 'stride', opts.stride ?? 1, 1);
    this.padding = intOption(who, 'padding', opts.padding ?? 0, 0);
    this.kernels = kernelOption(who, opts.kernels);
    const [KH, KW] = this.kernelSize;
    const wShape = [this.outChannels, this.inChannels, KH, KW];
    const fans = { fanIn: this.inChannels * KH * KW, fanOut: this.outChannels * KH * KW };
    this.weight = makeParam('weight', initTensor(opts.weightInit ?? 'heNormal', wShape, fans, opts.rng, who));
    this.bias = opts.bias === false ? null : makeParam('bias', initTensor(opts.biasInit ?? 'zeros', [this.outChannels], fans, opts.rng, who));
  }

  /**
   * (N, C, H, W) -> (N, F, OH, OW). With the fast kernels the output is valid until the next forward.
   * opts.relu: also apply a ReLU, max(0, .), in the same pass; backward then passes dy back through
   * that ReLU first. Sequential asks for this when a ReLU layer follows (see sequential.ts).
   */
  forward(x: Tensor, opts: { relu?: boolean } = {}): Tensor {
    this.outputShape(x.shape);
    const relu = opts.relu === true;
    const w = this.weight.value, b = this.bias?.value ?? null, p = { stride: this.stride, padding: this.padding };
    const naive = this.kernels === 'naive';
    const r = naive ? conv2dForwardNaive(x, w, b, p) : conv2dForwardFast(x, w, b, p, this.ws, { relu });
    this.cache = r.cache;
    const out = relu && naive ? reluForwardNaive(r.out).out : r.out; // the fast kernel has applied it
    this.reluOutput = relu ? out : null;
    return out;
  }

  /** dy (N, F, OH, OW) -> dx (N, C, H, W); adds dL/dW and dL/db into weight.grad and bias.grad. */
  backward(dy: Tensor): Tensor {
    return this.backwardInto(dy, true) as Tensor;
  }

  override backwardParamsOnly(dy: Tensor): void {
    this.backwardInto(dy, false);
  }

  private backwardInto(dy: Tensor, computeDx: boolean): Tensor | null {
    const cache = this.needCache(this.cache);
    const reluOutput = this.reluOutput ?? undefined; // set: dy is the gradient after the fused ReLU
    if (this.kernels === 'naive') {
      const g = reluOutput ? reluBackwardNaive(dy, { x: reluOutput }).dx : dy;
      const { dx, dw, db } = conv2dBackwardNaive(g, cache);
      addInto(this.weight.grad, dw);
      if (this.bias && db) addInto(this.bias.grad, db);
      return dx;
    }
    return conv2dBackwardFast(dy, cache, {
      ws: this.ws, computeDx, dwInto: this.weight.grad, dbInto: this.bias?.grad ?? null, reluOutput,
    }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    const [KH, KW] = this.kernelSize;
    const P = this.padding;
    if (s.length !== 4) throw rankError(this.label, ['N', 'C', 'H', 'W'], s);
    const [N, C, H, W] = s;
    if (C !== this.inChannels) throw new Error(`${this.label}: input has ${C} channels ${shapeStr(s)}, expected ${this.inChannels}`);
    if (H + 2 * P < KH || W + 2 * P < KW) {
      throw new RangeError(`${this.label}: input ${H}x${W} ${shapeStr(s)} with padding ${P} is smaller than the ${KH}x${KW} kernel; expected at least ${KH - 2 * P}x${KW - 2 * P}`);
    }
    return [N, this.outChannels, convOutSize(H, KH, this.stride, P), convOutSize(W, KW, this.stride, P)];
  }

  override params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  config(): LayerConfig {
    return {
      type: this.type, name: this.name, inChannels: this.inChannels, outChannels: this.outChannels,
      kernelSize: [...this.kernelSize], stride: this.stride, padding: this.padding, bias: this.bias !== null,
    };
  }
}
