// Sequential: layers applied in order; backward runs them in reverse.
//
// One shortcut, for speed only: a Conv2D directly followed by a ReLU, both on the fast kernels, runs
// as one fused step. The conv applies the ReLU to its output as it writes it (conv2dForwardFast's
// { relu: true }), and its backward passes the gradient back through that ReLU first; the ReLU
// layer's own forward and backward are then skipped. The numbers are exactly those of running the
// two layers one after the other; what is saved is a pass over the activations each way (and on the
// wasm path their copies in and out of wasm memory). Layer by layer, e.g. featureMaps() in
// inspect/, nothing is fused: the ReLU layer is still there and still works on its own.

import { Tensor, shapeStr } from '../tensor.ts';
import { Conv2D } from './conv2d.ts';
import { Layer, type LayerConfig, type Param } from './layer.ts';
import { ReLU } from './relu.ts';

export class Sequential extends Layer {
  readonly type = 'Sequential';
  readonly layers: readonly Layer[];

  /** Layers without a name get a Keras-style one (conv2d_1, relu_2, ...); parameter names become `layer.weight`. */
  constructor(layers: Layer[], opts: { name?: string } = {}) {
    super();
    if (!Array.isArray(layers) || layers.length === 0) throw new TypeError('Sequential: expected a non-empty array of layers');
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new TypeError(`Sequential: item ${i} is not a layer (got ${l === null ? 'null' : typeof l})`);
    });
    this.name = opts.name ?? '';
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (const l of layers) {
      const n = (counts.get(l.type) ?? 0) + 1;
      counts.set(l.type, n);
      if (!l.name) l.name = `${l.type.toLowerCase()}_${n}`;
      if (seen.has(l.name)) throw new Error(`Sequential: two layers are named '${l.name}'; names must be unique`);
      seen.add(l.name);
      for (const p of l.params()) p.name = `${l.name}.${p.name.split('.').pop()}`;
    }
    this.layers = [...layers];
    this.fusedRelu = this.layers.map((l, i) => {
      const next = this.layers[i + 1];
      return l instanceof Conv2D && next instanceof ReLU && l.kernels === 'fast' && next.kernels === 'fast';
    });
  }

  /** fusedRelu[i]: layer i is a Conv2D that applies layer i+1, a ReLU, itself (see the header). */
  private readonly fusedRelu: readonly boolean[];

  /**
   * Runs the layers in order. The intermediate activations live in the layers' reused buffers;
   * the returned output is a fresh copy, yours to keep.
   */
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      if (this.fusedRelu[i]) h = (this.layers[i++] as Conv2D).forward(h, { relu: true }); // and skip the ReLU
      else h = this.layers[i].forward(h);
    }
    return h.clone();
  }

  /** Runs the layers' backward passes in reverse; returns dL/dx of the model's input. */
  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (!this.isFusedAway(i)) g = this.layers[i].backward(g);
    }
    return g;
  }

  /** The backward pass for training: every parameter gradient, but not dL/dx of the input. */
  override backwardParamsOnly(dy: Tensor): void {
    let g = dy;
    for (let i = this.layers.length - 1; i > 0; i--) {
      if (!this.isFusedAway(i)) g = this.layers[i].backward(g);
    }
    this.layers[0].backwardParamsOnly(g);
  }

  /** Layer i is a ReLU that the Conv2D before it applies (forward and backward): skip it. */
  private isFusedAway(i: number): boolean {
    return i > 0 && this.fusedRelu[i - 1];
  }

  outputShape(s: readonly number[]): number[] {
    let shape = [...s];
    for (const l of this.layers) shape = l.outputShape(shape);
    return shape;
  }

  override params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, layers: this.layers.map((l) => l.config()) };
  }

  /**
   * A Keras-style table: each layer's name and type, output shape and parameter count, then the total.
   * @param inputShape the shape of one input, without the batch dimension, e.g. [1, 28, 28]
   * @param print also write the table to the console (default true)
   */
  summary(inputShape: readonly number[], print = true): string {
    const rows: string[][] = [['Layer (type)', 'Output shape', 'Params']];
    let shape = [1, ...inputShape];
    let total = 0;
    for (const l of this.layers) {
      shape = l.outputShape(shape);
      const count = l.params().reduce((a, p) => a + p.value.size, 0);
      total += count;
      rows.push([`${l.name} (${l.type})`, shapeStr(['N', ...shape.slice(1)]), count.toLocaleString('en-US')]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('   ');
    const rule = '-'.repeat(widths.reduce((a, w) => a + w, 0) + 6);
    const text = [
      `Input: ${shapeStr(['N', ...inputShape])}`,
      rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
      `Total params: ${total.toLocaleString('en-US')}`,
    ].join('\n');
    if (print) console.log(text);
    return text;
  }
}

export function countParams(model: Layer): number {
  return model.params().reduce((a, p) => a + p.value.size, 0);
}
