// Sequential: layers applied in order; backward runs them in reverse.
//
// Fusion, for speed only: when a layer's canFuse(next.activation) says yes (Conv2D followed by a
// ReLU), the pair runs as one step: forwardView(h, { fuse: 'relu' }) on the first, which applies the
// activation as it writes its output and passes dy back through it first in backward; the activation
// layer's own passes are skipped. The numbers are exactly those of the two layers one after the
// other; what is saved is a pass over the activations each way (and on the wasm path their copies in
// and out of wasm memory). Sequential knows no layer class: the layers declare what they can fuse
// (layer.ts). Layer by layer, e.g. featureMaps() in inspect/, nothing is fused.
//
// In evaluation mode (model.eval(): evaluate(), predictions, the threads' predict) a pooling layer
// that follows (MaxPool2D after Conv2D + ReLU) is fused too, when the layer before says canFusePool:
// forwardView(h, { fuse: 'relu', pool }) pools each image's output while it is still in cache, and
// writes only the pooled activation (measured: bench/inference-profile.ts). Such a pass keeps
// nothing for backward; if a backward (or kinkState) follows anyway, as PyTorch allows in
// evaluation mode, the forward is first run again unfused from the same input, which gives the same
// numbers bit for bit (the layers' caches already require that input to be unchanged).

import type { Tensor } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { Layer, type LayerBuffer, type LayerConfig, type Param } from './layer.ts';
import { summaryTable } from './summary-table.ts';
import { type PredictOptions, predict } from './predict.ts';

/**
 * A chain of layers run one after another: forward in order, backward in reverse. It is itself a
 * Layer (so a Residual block can hold one); `model.params()` lists every layer's parameters, and
 * `train()`/`eval()` switch every layer's mode.
 */
export class Sequential extends Layer {
  readonly type = 'Sequential';
  /** The layers, in the order the forward pass runs them. */
  readonly layers: readonly Layer[];

  /**
   * Layers without a name get a Keras-style one (conv2d_1, relu_2, ...); parameter names become
   * `layer.weight` (and `outer.inner.weight` for a container inside this one: see prefixNames).
   */
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
    }
    for (const l of layers) l.prefixNames(l.name);
    this.layers = [...layers];
    this.fused = this.layers.map(() => false);
  }

  /**
   * Class probabilities (N, classes) for a batch x (N, ...input shape), as Keras's model.predict:
   * softmax of the logits, in evaluation mode, options.batchSize inputs at a time (default 256);
   * the model's training mode is put back afterwards. A tensor you own.
   */
  predict(x: Tensor, opts: PredictOptions = {}): Tensor {
    return predict(this, x, opts);
  }

  /** fused[i]: in the last forward, layer i applied layer i+1 (an activation) itself (see the header). */
  private fused: boolean[];
  /** The input of the last forward if it fused a pooling layer (an inference pass), else null (see the header). */
  private pooledInput: Tensor | null = null;

  /**
   * Runs the layers in order, fusing the pairs that allow it (and, in evaluation mode, a pooling
   * layer after them); the result may be the last layer's buffer.
   */
  forwardView(x: Tensor): Tensor {
    return this.run(x, !this.training);
  }

  private run(x: Tensor, poolFusion: boolean): Tensor {
    let h = x, pooled = false;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i], act = this.layers[i + 1]?.activation;
      const fuse = act !== undefined && layer.canFuse(act) ? act : undefined;
      const after = fuse ? i + 2 : i + 1; // the layer after the pair, or after this one
      const pooling = poolFusion ? this.layers[after]?.pooling : undefined;
      const pool = pooling !== undefined && layer.canFusePool(pooling) ? pooling : undefined;
      this.fused[i] = fuse !== undefined;
      if (fuse || pool) h = layer.forwardView(h, { fuse, pool });
      else h = layer.forwardView(h);
      if (fuse) this.fused[++i] = false; // the activation layer is skipped
      if (pool) { this.fused[++i] = false; pooled = true; } // and the pooling layer
    }
    this.pooledInput = pooled ? x : null;
    return h;
  }

  /** After an inference pass that fused a pooling layer: the same forward again, unfused, so that backward has its caches. */
  private unfuseLastForward(): void {
    if (this.pooledInput) this.run(this.pooledInput, false);
  }

  /** Runs the layers' backward passes in reverse; returns dL/dx of the model's input. */
  backwardView(dy: Tensor): Tensor {
    this.unfuseLastForward();
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (!this.isFusedAway(i)) g = this.layers[i].backwardView(g);
    }
    return g;
  }

  /** The backward pass for training: every parameter gradient, but not dL/dx of the input. */
  override backwardParamsOnly(dy: Tensor): void {
    this.unfuseLastForward();
    let g = dy;
    for (let i = this.layers.length - 1; i > 0; i--) {
      if (!this.isFusedAway(i)) g = this.layers[i].backwardView(g);
    }
    this.layers[0].backwardParamsOnly(g);
  }

  /** Layer i is an activation that the layer before it applied in the last forward: skip it. */
  private isFusedAway(i: number): boolean {
    return i > 0 && this.fused[i - 1];
  }

  /** The choices of every layer that ran in the last forward (a fused-away activation's are its partner's). */
  override kinkState(): Int32Array | null {
    this.unfuseLastForward();
    const parts = this.layers.flatMap((l, i) => (this.isFusedAway(i) ? [] : [l.kinkState()])).filter((p) => p !== null);
    if (parts.length === 0) return null;
    const all = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  }

  /** Runs every layer (and this container) on `backend` (undefined: the process default). */
  override setBackend(backend: Backend | undefined): this {
    super.setBackend(backend);
    for (const l of this.layers) l.setBackend(backend);
    return this;
  }

  /** Passes the mode to every layer (see layer.ts, Modes). */
  override useRandomStream(stream: number): void {
    for (const l of this.layers) l.useRandomStream(stream);
  }

  override holdRandomness(hold: boolean): void {
    for (const l of this.layers) l.holdRandomness(hold);
  }

  override train(mode = true): this {
    super.train(mode);
    for (const l of this.layers) l.train(mode);
    return this;
  }

  /** Names each layer's params and buffers by its path from here: `prefix.layer.weight`. */
  override prefixNames(prefix: string): void {
    for (const l of this.layers) l.prefixNames(prefix ? `${prefix}.${l.name}` : l.name);
  }

  outputShape(s: readonly number[]): number[] {
    let shape = [...s];
    for (const l of this.layers) shape = l.outputShape(shape);
    return shape;
  }

  override params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  override buffers(): LayerBuffer[] {
    return this.layers.flatMap((l) => l.buffers());
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, layers: this.layers.map((l) => l.config()) };
  }

  /** Activation values of a pass: the sum over the layers, each at the shape the layer before hands it. */
  override activationValues(inputShape: readonly number[]): number {
    return this.sumOverLayers(inputShape, (l, shape) => l.activationValues(shape));
  }

  /** Multiply-adds per image: the sum over the layers, each at the shape the layer before hands it. */
  override macs(inputShape: readonly number[]): number {
    return this.sumOverLayers(inputShape, (l, shape) => l.macs(shape));
  }

  /** The sum of `f` over the layers, each called with the shape the layer before hands it. */
  private sumOverLayers(inputShape: readonly number[], f: (layer: Layer, shape: number[]) => number): number {
    let shape = [...inputShape], total = 0;
    for (const l of this.layers) {
      total += f(l, shape);
      shape = l.outputShape(shape);
    }
    return total;
  }

  /**
   * A Keras-style table: each layer's name and type, output shape, parameter count and multiply-adds
   * per image (Layer.macs: weights used once each per output; pooling and activations count 0), the
   * layers inside a container (a Residual's block and shortcut) indented under it, then the totals
   * (summary-table.ts).
   * @param inputShape the shape of one input, without the batch dimension, e.g. [1, 28, 28]
   * @param print also write the table to the console (default true)
   */
  summary(inputShape: readonly number[], print = true): string {
    const text = summaryTable(this, inputShape);
    if (print) console.log(text);
    return text;
  }
}

/** The number of trainable scalars in a model: the sum of the sizes of its params() (buffers such as running statistics not counted). */
export function countParams(model: Layer): number {
  return model.params().reduce((a, p) => a + p.value.size, 0);
}
