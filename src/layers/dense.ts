// Dense (fully connected): owns a weight (OUT, IN), as in PyTorch's nn.Linear, and a bias (OUT);
// the arithmetic is in kernels/dense.ts.

import { type Initializer, type Rng, initTensor } from '../rng.ts';
import { type Tensor, shapeStr } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import type { DenseCache } from '../kernels/dense.ts';
import { denseKernels } from '../kernels/dense-fast.ts';
import { Layer, type LayerConfig, type Param, checkDy, checkLayerValues, checkTensorSize, intOption, makeParam, rankError } from './layer.ts';

export interface DenseOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean; // default true
  rng?: Rng;
  weightInit?: Initializer; // default 'heNormal' (fan in = inFeatures)
  biasInit?: Initializer; // default 'zeros'
  /** 'naive' | 'ts' | 'wasm'; default: the process default (see kernels/backend.ts). */
  backend?: Backend;
  name?: string;
}

export class Dense extends Layer {
  readonly type = 'Dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Param; // (OUT, IN)
  readonly bias: Param | null; // (OUT)
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
