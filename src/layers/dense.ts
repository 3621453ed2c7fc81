// Dense (fully connected): owns a weight (OUT, IN), as in PyTorch's nn.Linear, and a bias (OUT);
// the arithmetic is in kernels/dense.ts.

import { type Initializer, type Rng, initTensor } from '../rng.ts';
import { type Tensor, shapeStr } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import type { DenseCache } from '../kernels/dense.ts';
import { denseKernels } from '../kernels/dense-fast.ts';
import { Layer, type LayerConfig, type Param, checkDy, checkLayerValues, checkTensorSize, intOption, makeParam, rankError } from './layer.ts';

/** The options of `new Dense(...)`: PyTorch's Linear arguments. */
export interface DenseOptions {
  /** IN: features of each input row (for images, C*H*W after a Flatten). */
  inFeatures: number;
  /** OUT: features of each output row (the classes, for the last layer). */
  outFeatures: number;
  /** Whether the layer adds a bias per output feature; default true. */
  bias?: boolean;
  /** The seeded generator the random initialisers draw from (createRng(seed)). */
  rng?: Rng;
  /** How the weight starts; default 'heNormal' (fan in = inFeatures). */
  weightInit?: Initializer;
  /** How the bias starts; default 'zeros'. */
  biasInit?: Initializer;
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  /** The layer's name in the model (default: assigned by Sequential, e.g. 'fc1'). */
  name?: string;
}

/** A fully connected layer: (N, IN) -> (N, OUT), y = x W^T + b, with W of shape (OUT, IN) as in PyTorch. */
export class Dense extends Layer {
  readonly type = 'Dense';
  /** IN, the features of an input row. */
  readonly inFeatures: number;
  /** OUT, the features of an output row. */
  readonly outFeatures: number;
  /** W, (OUT, IN), and its gradient. */
  readonly weight: Param;
  /** b, (OUT), and its gradient; null when built with bias: false. */
  readonly bias: Param | null;
  private cache: DenseCache | null = null;

  constructor(opts: DenseOptions) {
    super();
    const who = `Dense${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { inFeatures, outFeatures, ... }`);
    this.name = opts.name ?? '';
    this.inFeatures = intOption(who, 'inFeatures', opts.inFeatures, 1);
    this.outFeatures = intOption(who, 'outFeatures', opts.outFeatures, 1);
    this.setBackend(opts.backend);
    const fans = { fanIn: this.inFeatures, fanOut: this.outFeatures };
    checkLayerValues(who, [['weight', [this.outFeatures, this.inFeatures]], ...(opts.bias === false ? [] : [['bias', [this.outFeatures]] as const])]);
    this.weight = makeParam('weight', initTensor(opts.weightInit ?? 'heNormal', [this.outFeatures, this.inFeatures], fans, opts.rng, who));
    this.bias = opts.bias === false ? null : makeParam('bias', initTensor(opts.biasInit ?? 'zeros', [this.outFeatures], fans, opts.rng, who));
  }

  /** (N, IN) -> (N, OUT): the formula is denseForwardNaive in kernels/dense.ts. */
  forwardView(x: Tensor): Tensor {
    checkTensorSize(this.label, 'output', this.outputShape(x.shape));
    const k = this.kernels(denseKernels);
    const { out, cache } = k.forward(x, this.weight.value, this.bias?.value ?? null, { ws: k.ws });
    this.cache = cache;
    return out;
  }

  /** dy (N, OUT) -> dx (N, IN); adds dL/dw and dL/db into weight.grad and bias.grad (denseBackwardNaive). */
  backwardView(dy: Tensor): Tensor {
    return this.backwardPass(dy, true) as Tensor;
  }

  override backwardParamsOnly(dy: Tensor): void {
    this.backwardPass(dy, false);
  }

  private backwardPass(dy: Tensor, computeDx: boolean): Tensor | null {
    const cache = this.needCache(this.cache);
    checkDy(this.label, dy, this.outputShape(cache.x.shape));
    const k = this.kernels(denseKernels);
    return k.backward(dy, cache, { ws: k.ws, computeDx, dwInto: this.weight.grad, dbInto: this.bias?.grad ?? null }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length !== 2) throw rankError(this.label, ['N', 'IN'], s);
    if (s[1] !== this.inFeatures) throw new Error(`${this.label}: input has ${s[1]} features ${shapeStr(s)}, expected ${this.inFeatures}`);
    return [s[0], this.outFeatures];
  }

  /** Multiply-adds per image: IN * OUT (the bias add is not counted). */
  override macs(inputShape: readonly number[]): number {
    this.outputShape(inputShape);
    return this.inFeatures * this.outFeatures;
  }

  override params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}
