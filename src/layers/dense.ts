// Dense (fully connected): owns a weight (O, I), as in PyTorch's nn.Linear, and a bias (O);
// the arithmetic is in kernels/dense.ts.

import { type Initializer, type Rng, initTensor } from '../rng.ts';
import { type Tensor, shapeStr } from '../tensor.ts';
import { type DenseCache, denseBackwardNaive, denseForwardNaive } from '../kernels/dense.ts';
import { Layer, type LayerConfig, type Param, addInto, intOption, makeParam, rankError } from './layer.ts';

export interface DenseOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean; // default true
  rng?: Rng;
  weightInit?: Initializer; // default 'heNormal' (fan in = inFeatures)
  biasInit?: Initializer; // default 'zeros'
  name?: string;
}

export class Dense extends Layer {
  readonly type = 'Dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Param; // (O, I)
  readonly bias: Param | null; // (O)
  private cache: DenseCache | null = null;

  constructor(opts: DenseOptions) {
    super();
    const who = `Dense${opts?.name ? `(${opts.name})` : ''}`;
    if (!opts || typeof opts !== 'object') throw new TypeError(`${who}: expected an options object { inFeatures, outFeatures, ... }`);
    this.name = opts.name ?? '';
    this.inFeatures = intOption(who, 'inFeatures', opts.inFeatures, 1);
    this.outFeatures = intOption(who, 'outFeatures', opts.outFeatures, 1);
    const fans = { fanIn: this.inFeatures, fanOut: this.outFeatures };
    this.weight = makeParam('weight', initTensor(opts.weightInit ?? 'heNormal', [this.outFeatures, this.inFeatures], fans, opts.rng, who));
    this.bias = opts.bias === false ? null : makeParam('bias', initTensor(opts.biasInit ?? 'zeros', [this.outFeatures], fans, opts.rng, who));
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const { out, cache } = denseForwardNaive(x, this.weight.value, this.bias?.value ?? null);
    this.cache = cache;
    return out;
  }

  backward(dy: Tensor): Tensor {
    const { dx, dw, db } = denseBackwardNaive(dy, this.needCache(this.cache));
    addInto(this.weight.grad, dw);
    if (this.bias && db) addInto(this.bias.grad, db);
    return dx;
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
