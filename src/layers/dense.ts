// Dense (fully connected): owns a weight (O, I), as in PyTorch's nn.Linear, and a bias (O);
// the arithmetic is in kernels/dense.ts.

import { type Initializer, type Rng, initTensor } from '../rng.ts';
import { type Tensor, shapeStr } from '../tensor.ts';
import { type DenseCache, denseBackwardNaive, denseForwardNaive } from '../kernels/dense.ts';
import { denseBackwardFast, denseForwardFast } from '../kernels/dense-fast.ts';
import { createWorkspace } from '../kernels/workspace.ts';
import { Layer, type KernelChoice, type LayerConfig, type Param, addInto, intOption, kernelOption, makeParam, rankError } from './layer.ts';

export interface DenseOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean; // default true
  rng?: Rng;
  weightInit?: Initializer; // default 'heNormal' (fan in = inFeatures)
  biasInit?: Initializer; // default 'zeros'
  kernels?: KernelChoice; // default 'fast'
  name?: string;
}

export class Dense extends Layer {
  readonly type = 'Dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Param; // (O, I)
  readonly bias: Param | null; // (O)
  readonly kernels: KernelChoice;
  private cache: DenseCache | null = null;
  private readonly ws = createWorkspace(); // the fast kernels' reusable buffers

  constructor(opts: DenseOptions) {
    super();
    const who = `Dense${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { inFeatures, outFeatures, ... }`);
    this.name = opts.name ?? '';
    this.inFeatures = intOption(who, 'inFeatures', opts.inFeatures, 1);
    this.outFeatures = intOption(who, 'outFeatures', opts.outFeatures, 1);
    this.kernels = kernelOption(who, opts.kernels);
    const fans = { fanIn: this.inFeatures, fanOut: this.outFeatures };
    this.weight = makeParam('weight', initTensor(opts.weightInit ?? 'heNormal', [this.outFeatures, this.inFeatures], fans, opts.rng, who));
    this.bias = opts.bias === false ? null : makeParam('bias', initTensor(opts.biasInit ?? 'zeros', [this.outFeatures], fans, opts.rng, who));
  }

  /** (N, I) -> (N, O). With the fast kernels the output is valid until the next forward. */
  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const w = this.weight.value, b = this.bias?.value ?? null;
    const { out, cache } = this.kernels === 'naive' ? denseForwardNaive(x, w, b) : denseForwardFast(x, w, b, this.ws);
    this.cache = cache;
    return out;
  }

  /** dy (N, O) -> dx (N, I); adds dL/dW and dL/db into weight.grad and bias.grad. */
  backward(dy: Tensor): Tensor {
    return this.backwardInto(dy, true) as Tensor;
  }

  override backwardParamsOnly(dy: Tensor): void {
    this.backwardInto(dy, false);
  }

  private backwardInto(dy: Tensor, computeDx: boolean): Tensor | null {
    const cache = this.needCache(this.cache);
    if (this.kernels === 'naive') {
      const { dx, dw, db } = denseBackwardNaive(dy, cache);
      addInto(this.weight.grad, dw);
      if (this.bias && db) addInto(this.bias.grad, db);
      return dx;
    }
    return denseBackwardFast(dy, cache, { ws: this.ws, computeDx, dwInto: this.weight.grad, dbInto: this.bias?.grad ?? null }).dx;
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length !== 2) throw rankError(this.label, ['N', 'I'], s);
    if (s[1] !== this.inFeatures) throw new Error(`${this.label}: input has ${s[1]} features ${shapeStr(s)}, expected ${this.inFeatures}`);
    return [s[0], this.outFeatures];
  }

  override params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}
