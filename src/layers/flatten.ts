// Flatten: (N, C, H, W) -> (N, C*H*W), in C-H-W order as in PyTorch. No copy: same data, new shape.

import type { Tensor } from '../tensor.ts';
import { shapeStr } from '../tensor.ts';
import { Layer, type LayerConfig } from './layer.ts';

/** (N, C, H, W) -> (N, C*H*W) (any (N, ...) -> (N, product)), in C-H-W order as PyTorch's Flatten; a view, no copy. No parameters. */
export class Flatten extends Layer {
  readonly type = 'Flatten';
  private inShape: readonly number[] | null = null;

  constructor(opts: { name?: string } = {}) {
    super();
    this.name = opts.name ?? '';
  }

  forwardView(x: Tensor): Tensor {
    const s = this.outputShape(x.shape);
    this.inShape = x.shape;
    return x.reshape(s);
  }

  backwardView(dy: Tensor): Tensor {
    const inShape = this.needCache(this.inShape);
    if (dy.size !== inShape.reduce((a, d) => a * d, 1)) {
      throw new Error(`${this.label}: dy ${shapeStr(dy.shape)} does not match the forward output [${inShape[0]}, ${dy.size / inShape[0]}]`);
    }
    return dy.reshape(inShape);
  }

  outputShape(s: readonly number[]): number[] {
    if (s.length < 2) throw new Error(`${this.label}: input must have a batch dimension and at least one more, got ${shapeStr(s)}`);
    return [s[0], s.slice(1).reduce((a, d) => a * d, 1)];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name };
  }
}
