// Conv2D: owns a weight (F, C/G, KH, KW) and a bias (F); the arithmetic is in kernels/conv2d.ts.
// groups G and dilation as in PyTorch: groups = inChannels is a depthwise convolution.

import { type Rng, type Initializer, initTensor } from '../rng.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { type Conv2dCache, checkConvOptions, convOutSize } from '../kernels/conv2d.ts';
import { conv2dKernels } from '../kernels/conv2d-fast.ts';
import {
  type Activation, type ForwardOptions, Layer, type LayerConfig, type Param, type Pooling, checkDy, checkLayerValues, checkTensorSize, intOption, makeParam,
  poolOutputShape, rankError, reluPattern,
} from './layer.ts';

/** The options of `new Conv2D(...)`: PyTorch's Conv2d arguments. */
export interface Conv2DOptions {
  /** C: channels of the input (1 for grey digits, 3 for RGB). */
  inChannels: number;
  /** F: number of filters, the channels of the output. */
  outChannels: number;
  /** Square kernel size, or [KH, KW]. */
  kernelSize: number | [number, number];
  /** Step of the kernel over the input, in pixels; default 1. OH = floor((H + 2*padding - dilation*(KH-1) - 1) / stride) + 1. */
  stride?: number;
  /** Zeros added on every side of the input, in pixels; default 0. */
  padding?: number;
  /** Spacing of the kernel's taps (a dilated, or atrous, convolution); default 1. */
  dilation?: number;
  /** Channel groups: inChannels and outChannels must both be multiples; inChannels = depthwise. Default 1. */
  groups?: number;
  /** Whether the layer adds a bias per filter; default true. */
  bias?: boolean;
  /** The seeded generator the random initialisers draw from (createRng(seed)); needed unless both initialisers are constant. */
  rng?: Rng;
  /** How the weight starts; default 'heNormal' (fan in = C/groups * KH * KW). */
  weightInit?: Initializer;
  /** How the bias starts; default 'zeros'. */
  biasInit?: Initializer;
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  /**
   * Run this conv by Winograd F(2x2,3x3) (kernels/winograd.ts) when it is 3x3, stride 1, dilation 1,
   * groups 1, padding <= 2, on the fast backends, and its shape is one where Winograd pays (the cost
   * model winogradPays: about 16 channels and more in and out); otherwise ignored. Default false: the
   * float32 results differ from the default path's in the last bits, so a seed would no longer give
   * the same trained bits.
   */
  winograd?: boolean;
  /** The layer's name in the model (default: assigned by Sequential, e.g. 'conv1'). */
  name?: string;
}

/**
 * A 2-D convolution over NCHW images: (N, C, H, W) -> (N, F, OH, OW), with
 * out[n,f,i,j] = b[f] + sum over c, u, v of x[n, c, i*stride + u*dilation - padding, j*stride + v*dilation - padding] * w[f, c, u, v].
 * The weight is (F, C/groups, KH, KW), as in PyTorch. See src/kernels/conv2d.ts for the formulas.
 */
export class Conv2D extends Layer {
  readonly type = 'Conv2D';
  /** C, the input channels. */
  readonly inChannels: number;
  /** F, the filters (output channels). */
  readonly outChannels: number;
  /** [KH, KW], in pixels. */
  readonly kernelSize: [number, number];
  /** Step of the kernel, in pixels. */
  readonly stride: number;
  /** Zeros on every side, in pixels. */
  readonly padding: number;
  /** Spacing of the kernel's taps (1: adjacent). */
  readonly dilation: number;
  /** Channel groups (C: depthwise). */
  readonly groups: number;
  /** The filters, (F, C/groups, KH, KW), and their gradient. */
  readonly weight: Param;
  /** One value per filter, (F), and its gradient; null when built with bias: false. */
  readonly bias: Param | null;
  private cache: Conv2dCache | null = null;
  /** The output of the last forward when it applied a fused ReLU (its backward needs it), else null. */
  private reluOutput: Tensor | null = null;
  /** Whether the last forward pooled its output (an inference pass: it keeps nothing for backward). */
  private pooled = false;
  /** Run by Winograd where it applies (see Conv2DOptions.winograd); may be switched between passes. */
  winograd: boolean;
  /** Whether the last forward asked for Winograd (its backward must match it). */
  private forwardWinograd = false;

  constructor(opts: Conv2DOptions) {
    super();
    const who = `Conv2D${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { inChannels, outChannels, kernelSize, ... }`);
    this.name = opts.name ?? '';
    this.inChannels = intOption(who, 'inChannels', opts.inChannels, 1);
    this.outChannels = intOption(who, 'outChannels', opts.outChannels, 1);
    const ks = Array.isArray(opts.kernelSize) ? opts.kernelSize : [opts.kernelSize, opts.kernelSize];
    this.kernelSize = [intOption(who, 'kernelSize', ks[0], 1), intOption(who, 'kernelSize', ks[1], 1)];
    // The one check of the conv options (kernels/conv2d.ts), as the kernels, explain and the page's explorer run it.
    const checked = checkConvOptions(who, {
      stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups: opts.groups,
      channels: this.inChannels, filters: this.outChannels, names: { channels: 'inChannels', filters: 'outChannels' },
    });
    this.stride = checked.stride;
    this.padding = checked.padding;
    this.dilation = checked.dilation;
    this.groups = checked.groups;
    const G = this.groups;
    this.setBackend(opts.backend);
    if (opts.winograd !== undefined && typeof opts.winograd !== 'boolean') throw new TypeError(`${who}: winograd must be true or false, got ${JSON.stringify(opts.winograd)}`);
    this.winograd = opts.winograd ?? false;
    const [KH, KW] = this.kernelSize;
    const wShape = [this.outChannels, this.inChannels / G, KH, KW];
    checkLayerValues(who, [['weight', wShape], ...(opts.bias === false ? [] : [['bias', [this.outChannels]] as const])]);
    // A filter sees C/G channels, and a channel feeds F/G filters: PyTorch's fans for a grouped conv.
    const fans = { fanIn: (this.inChannels / G) * KH * KW, fanOut: (this.outChannels / G) * KH * KW };
    this.weight = makeParam('weight', initTensor(opts.weightInit ?? 'heNormal', wShape, fans, opts.rng, who));
    this.bias = opts.bias === false ? null : makeParam('bias', initTensor(opts.biasInit ?? 'zeros', [this.outChannels], fans, opts.rng, who));
  }

  /**
   * (N, C, H, W) -> (N, F, OH, OW). The arithmetic, and the formulas, are in kernels/conv2d.ts
   * (conv2dForwardNaive); the fast backends run conv2d-fast.ts. opts.fuse 'relu' also applies a ReLU
   * in the same pass; backward then passes dy back through that ReLU first. opts.pool (inference
   * only) also max-pools the output, (N, F, POH, POW): no backward can follow such a pass.
   */
  forwardView(x: Tensor, opts?: ForwardOptions): Tensor {
    const yShape = this.outputShape(x.shape);
    checkTensorSize(this.label, 'output', yShape);
    const relu = this.checkFuse(opts) === 'relu';
    const pool = this.checkPool(opts);
    if (pool) poolOutputShape(this.label, yShape, pool.kernelSize, pool.stride); // the window must fit the output
    const k = this.kernels(conv2dKernels);
    const p = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    const kernelPool = pool ? { kernelSize: pool.kernelSize, stride: pool.stride } : undefined;
    const winograd = this.winograd;
    const { out, cache } = k.forward(x, this.weight.value, this.bias?.value ?? null, p, { ws: k.ws, relu, pool: kernelPool, winograd });
    this.forwardWinograd = winograd;
    this.pooled = pool !== undefined;
    this.cache = this.pooled ? null : cache;
    this.reluOutput = relu && !this.pooled ? out : null;
    return out;
  }

  /**
   * dy (N, F, OH, OW) -> dx (N, C, H, W); adds dL/dw and dL/db into weight.grad and bias.grad.
   * The maths is conv2dBackwardNaive in kernels/conv2d.ts; the default backend runs conv2dBackwardFast.
   */
  backwardView(dy: Tensor): Tensor {
    return this.backwardPass(dy, true) as Tensor;
  }

  override backwardParamsOnly(dy: Tensor): void {
    this.backwardPass(dy, false);
  }

  /** Smooth, unless its last forward applied a fused ReLU: then that ReLU's on/off pattern. */
  override kinkState(): Int32Array | null {
    return this.reluOutput ? reluPattern(this.reluOutput) : null;
  }

  override canFuse(activation: Activation): boolean {
    return activation === 'relu';
  }

  /** Max-pooling, on every backend (conv2dForwardFast's opts.pool; the wasm path pools each image in cache). */
  override canFusePool(pool: Pooling): boolean {
    return pool.op === 'maxPool';
  }

  private backwardPass(dy: Tensor, computeDx: boolean): Tensor | null {
    if (this.pooled) {
      throw new Error(`${this.label}: backward after a forward that pooled its output (an inference pass keeps nothing for backward); run forwardView without opts.pool first`);
    }
    const cache = this.needCache(this.cache);
    checkDy(this.label, dy, this.outputShape(cache.x.shape));
    const k = this.kernels(conv2dKernels);
    return k.backward(dy, cache, {
      ws: k.ws, computeDx, dwInto: this.weight.grad, dbInto: this.bias?.grad ?? null, reluOutput: this.reluOutput ?? undefined,
      winograd: this.forwardWinograd,
    }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    const [KH, KW] = this.kernelSize;
    const P = this.padding, D = this.dilation;
    if (s.length !== 4) throw rankError(this.label, ['N', 'C', 'H', 'W'], s);
    const [N, C, H, W] = s;
    if (C !== this.inChannels) throw new Error(`${this.label}: input has ${C} channels ${shapeStr(s)}, expected ${this.inChannels}`);
    const spanH = D * (KH - 1) + 1, spanW = D * (KW - 1) + 1; // the kernel's extent, taps D apart
    if (H + 2 * P < spanH || W + 2 * P < spanW) {
      const kernel = D > 1 ? `${KH}x${KW} kernel dilated ${D} (spanning ${spanH}x${spanW})` : `${KH}x${KW} kernel`;
      throw new RangeError(`${this.label}: input ${H}x${W} ${shapeStr(s)} with padding ${P} is smaller than the ${kernel}; expected at least ${Math.max(1, spanH - 2 * P)}x${Math.max(1, spanW - 2 * P)}`);
    }
    return [N, this.outChannels, convOutSize(H, KH, this.stride, P, D), convOutSize(W, KW, this.stride, P, D)];
  }

  override params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  config(): LayerConfig {
    return {
      type: this.type, name: this.name, inChannels: this.inChannels, outChannels: this.outChannels,
      kernelSize: [...this.kernelSize], stride: this.stride, padding: this.padding, dilation: this.dilation,
      groups: this.groups, bias: this.bias !== null,
      ...(this.winograd ? { winograd: true } : {}), // only when on: a default model's config (and file) stays as it was
    };
  }

  /**
   * Multiply-adds per image: each of the F*OH*OW outputs is a dot product over the C/G*KH*KW taps
   * of its group (padding taps counted, as Keras and the papers count them; the bias add is not).
   */
  override macs(inputShape: readonly number[]): number {
    const [, F, OH, OW] = this.outputShape(inputShape);
    const [KH, KW] = this.kernelSize;
    return F * OH * OW * (this.inChannels / this.groups) * KH * KW;
  }
}
