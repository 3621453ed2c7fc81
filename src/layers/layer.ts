// What every layer is. Three rules, stated here once:
//
// 1. Gradients. forward(x) caches what backward needs; backward(dy) returns dx = dL/dx and ADDS the
//    parameter gradients into param.grad (accumulate, like PyTorch; the optimizer's zeroGrad() clears them).
//
// 2. Who owns a result. forward() and backward() return tensors the caller owns: call conv.forward(x)
//    twice and you hold two separate results. forwardView() and backwardView() are the same passes
//    without that copy: their result may be this layer's reused buffer, valid until the layer's next
//    forwardView (resp. backwardView); containers (Sequential) chain layers through them so that
//    training copies nothing. A layer implements the two View methods; the base class adds the copies.
//
// 3. Which arithmetic. A layer names the kernel families it uses (this.kernels(conv2dKernels)) and
//    gets them resolved once for its backend, 'naive' | 'ts' | 'wasm' (src/kernels/backend.ts: the
//    default, and how to change it for a layer, a model or the process). No layer dispatches itself.
//
// Fusion: an elementwise activation layer (ReLU) declares `activation`; a layer that can apply that
// activation to its own output in the same pass says so in canFuse(). A container then runs the pair
// as forwardView(x, { fuse }) on the first and skips the second (forward and backward): see sequential.ts.
// Likewise, for inference only (evaluation mode), a pooling layer (MaxPool2D) declares `pooling`, and a
// layer that can pool its own output (after its fused activation, if any) says so in canFusePool():
// the container then runs forwardView(x, { fuse, pool }) and skips the pooling layer too.
//
// Modes, as in PyTorch: `training` is true from construction; model.eval() switches a model (every
// layer in it: containers pass the call on) to evaluation, model.train() back. Only the layers whose
// arithmetic differs read it (BatchNorm2D: batch or running statistics; Dropout: masks or identity).
//
// Buffers: tensors a layer keeps that are not trained (BatchNorm2D's running statistics). buffers()
// lists them by name, like params(); model files save both.

import { MAX_MODEL_VALUES, Tensor, checkTensorSize, shapeSize, shapeStr } from '../tensor.ts';

export { checkTensorSize };
import { type Backend, type KernelFamily, type KernelFn, type Kernels, checkBackend, defaultBackend, resolveKernels } from '../kernels/backend.ts';

/** An elementwise activation that a layer before it may apply in its own pass. */
export type Activation = 'relu';

/** A pooling that a layer before it may apply to its own output in an inference pass (what MaxPool2D declares). */
export interface Pooling {
  op: 'maxPool';
  /** The window is kernelSize x kernelSize. */
  kernelSize: number;
  stride: number;
}

/**
 * Options of forwardView: `fuse` asks the layer to apply that activation to its output too (only if
 * canFuse said yes); `pool` to pool its output after that (only if canFusePool said yes), in a pass
 * that no backward follows.
 */
export interface ForwardOptions {
  fuse?: Activation;
  pool?: Pooling;
}

/** A trainable tensor and the gradient accumulated for it. */
export interface Param {
  /** Its name within its layer ('weight', 'bias'); a Sequential's params() prefixes the layer's name ('conv2d_1.weight'). */
  name: string;
  /** The values the optimizer updates, in the layer's shape (Conv2D's weight: (OC, C/groups, KH, KW)). */
  value: Tensor;
  /** dLoss/dvalue, same shape and dtype as value: backward passes add to it, zeroGrad() sets it back to 0. */
  grad: Tensor;
}

/** A Param named `name` holding `value` (kept, not copied), with a zero gradient of the same shape and dtype. */
export function makeParam(name: string, value: Tensor): Param {
  return { name, value, grad: Tensor.zeros(value.shape, value.dtype) };
}

/** A tensor a layer keeps that is not trained (BatchNorm2D's runningMean): saved in model files beside the params. */
export interface LayerBuffer {
  /** Its name within its layer ('runningMean'); prefixed by the layer's name in a Sequential. */
  name: string;
  /** The values, in the layer's shape (BatchNorm2D's: (C)). */
  value: Tensor;
}

/** The options a layer was built with, enough to build it again (model files store these). */
export interface LayerConfig {
  /** The layer's class name ('Conv2D', 'ReLU', ...), which picks the constructor when a model file is read. */
  type: string;
  [option: string]: unknown;
}

/**
 * The base of every layer: a forward pass, a backward pass that returns dL/dx and adds the parameter
 * gradients into each param.grad (accumulating, as PyTorch does), its parameters, and the options
 * that rebuild it. Subclasses implement forwardView, backwardView, outputShape and config.
 */
export abstract class Layer {
  /** The layer's class name as model files store it, e.g. 'Conv2D'. */
  abstract readonly type: string;
  /** A name unique within a model (Sequential assigns one if the user gave none). */
  name = '';
  /** Set by an elementwise activation layer: the layer before it may apply it (see the header). */
  readonly activation?: Activation;
  /** Set by a pooling layer: the layer before it (or before its activation) may apply it in an inference pass (see the header). */
  readonly pooling?: Pooling;
  /** true: training mode (the default); false: evaluation mode. Set with train() and eval(). */
  training = true;

  /** The backend this layer was given (undefined: the process default, resolved on first use). */
  private ownBackend: Backend | undefined;
  /** The kernel families this layer uses, resolved for its backend (re-resolved when that changes). */
  private readonly resolved = new Map<KernelFamily<KernelFn, KernelFn>, Kernels<KernelFn, KernelFn>>();

  /** The pass: a result that may be this layer's reused buffer (see the header, rule 2). */
  abstract forwardView(x: Tensor, opts?: ForwardOptions): Tensor;
  /** The backward pass, with a result that may be this layer's reused buffer (rule 2). */
  abstract backwardView(dy: Tensor): Tensor;
  /** The output shape (batch included) for an input shape; throws on a shape the layer cannot take. */
  abstract outputShape(inputShape: readonly number[]): number[];
  /** The options this layer was built with, plus its type and name: enough to build it again (model files store this). */
  abstract config(): LayerConfig;

  /** y = layer(x), a tensor you own. */
  forward(x: Tensor): Tensor {
    return this.forwardView(x).clone();
  }

  /** dx = dL/dx for dy = dL/dy (a tensor you own); adds the parameter gradients into param.grad. */
  backward(dy: Tensor): Tensor {
    return this.backwardView(dy).clone();
  }

  /**
   * Like backward(dy), but only the parameter gradients are wanted: a network's first layer has no
   * use for dL/dx, and a conv layer saves a third of its backward pass by skipping it.
   */
  backwardParamsOnly(dy: Tensor): void {
    this.backwardView(dy);
  }

  /** The trainable tensors with their gradients, in a fixed order (weight, then bias); [] for a layer without any. */
  params(): Param[] {
    return [];
  }

  /**
   * For a layer with kinks (ReLU at 0, max-pool at ties): the choices its last forward made (which
   * units were on, which input won each window), so that gradCheck can tell a step that crossed a
   * kink. null for a smooth layer.
   */
  kinkState(): Int32Array | null {
    return null;
  }

  /** The tensors this layer keeps that are not trained (see the header); none by default. */
  buffers(): LayerBuffer[] {
    return [];
  }

  /** Training mode (mode true, the default) or evaluation mode (false); a container passes it on. Returns the layer. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`${this.label}: train(mode) takes true or false, got ${String(mode)}`);
    this.training = mode;
    return this;
  }

  /**
   * Makes this layer draw its random numbers (if it has any: Dropout) from stream `stream` of its
   * seed, so that the replicas of a model on other threads (ParallelTrainer: stream = the worker's
   * number) draw masks of their own instead of the main thread's. Containers pass it on.
   */
  useRandomStream(_stream: number): void {}

  /**
   * hold true: every forward pass from now on draws the same random numbers (Dropout: one mask),
   * until holdRandomness(false) gives the layer its own stream back where it was. gradCheck holds
   * them, so that finite differences compare passes through one and the same mask. Containers pass it on.
   */
  holdRandomness(_hold: boolean): void {}

  /** Evaluation mode: the same as train(false). Returns the layer. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Names this layer's params and buffers `prefix.weight`, `prefix.runningMean`, ... (a container
   * calls it with each child's path, e.g. 'residual_1.block.conv2d_1'; a container overrides it to
   * pass the paths on). Names are rebuilt from the path every time, so it can be called again.
   */
  prefixNames(prefix: string): void {
    for (const t of [...this.params(), ...this.buffers()]) {
      const own = t.name.split('.').pop() as string;
      t.name = prefix ? `${prefix}.${own}` : own;
    }
  }

  /**
   * Multiply-adds per image for an input of `inputShape` (batch included; the count is per image):
   * what `summary` shows. A layer with weights counts one per weight use (Conv2D, Dense). The
   * default, 0, is for layers that multiply nothing: activations, reshapes, and pooling, whose
   * comparisons and adds are not counted (as in the MobileNet and ResNet papers' tables).
   * Throws, like outputShape, on a shape the layer cannot take.
   */
  macs(inputShape: readonly number[]): number {
    this.outputShape(inputShape);
    return 0;
  }

  /**
   * The activation values one pass over `inputShape` (batch included) produces in this layer: its
   * output's size by default; a container sums its layers' (what the activation budget,
   * MAX_ACTIVATION_VALUES, is checked against before a model runs). Throws like outputShape.
   */
  activationValues(inputShape: readonly number[]): number {
    return shapeSize(this.outputShape(inputShape));
  }

  /** Whether forwardView(x, { fuse: activation }) can apply `activation` in this layer's own pass. */
  canFuse(_activation: Activation): boolean {
    return false;
  }

  /**
   * Whether forwardView(x, { pool }) can also apply `pool` to its output (after its fused activation,
   * if any), in a pass that no backward follows (a container asks only in evaluation mode).
   */
  canFusePool(_pool: Pooling): boolean {
    return false;
  }

  /** The backend this layer's kernels run (its own, else the process default). */
  get backend(): Backend {
    return this.ownBackend ?? defaultBackend();
  }

  /** Runs this layer on `backend` from its next pass on (undefined: the process default). Returns the layer. */
  setBackend(backend: Backend | undefined): this {
    this.ownBackend = checkBackend(backend, this.label, true);
    this.resolved.clear();
    return this;
  }

  /**
   * The kernels of `family` for this layer's backend, resolved on first use (with this layer's own
   * workspace), and again whenever the backend changes: a layer that follows the process default runs
   * the default of the moment, so that `backend` always names the kernels that run.
   */
  protected kernels<F extends KernelFn, B extends KernelFn>(family: KernelFamily<F, B>): Kernels<F, B> {
    const backend = this.backend;
    let k = this.resolved.get(family) as Kernels<F, B> | undefined;
    if (!k || k.backend !== backend) {
      k = resolveKernels(family, backend, this.label);
      this.resolved.set(family, k);
    }
    return k;
  }

  /** `Conv2D(conv2d_1)`: how errors name the layer. */
  protected get label(): string {
    return this.name ? `${this.type}(${this.name})` : this.type;
  }

  /** The input remembered by forward, or an error if backward came first. */
  protected needCache<T>(cache: T | null): T {
    if (cache === null) throw new Error(`${this.label}: backward called before forward`);
    return cache;
  }

  /** Throws when asked to fuse an activation this layer cannot apply (a container checks canFuse first). */
  protected checkFuse(opts: ForwardOptions | undefined): Activation | undefined {
    const fuse = opts?.fuse;
    if (fuse !== undefined && !this.canFuse(fuse)) throw new Error(`${this.label}: cannot apply a fused ${fuse}`);
    return fuse;
  }

  /** Throws when asked to pool in a way this layer cannot (a container checks canFusePool first). */
  protected checkPool(opts: ForwardOptions | undefined): Pooling | undefined {
    const pool = opts?.pool;
    if (pool !== undefined && !this.canFusePool(pool)) {
      throw new Error(`${this.label}: cannot apply a fused ${pool.op} ${pool.kernelSize}x${pool.kernelSize} stride ${pool.stride}`);
    }
    return pool;
  }
}

/** The on/off pattern of a ReLU output: 1 where y > 0 (the kinkState of ReLU, and of a layer that applied a fused ReLU). */
export function reluPattern(y: Tensor): Int32Array {
  const on = new Int32Array(y.size);
  for (let i = 0; i < y.size; i++) on[i] = y.data[i] > 0 ? 1 : 0;
  return on;
}

/**
 * A layer constructor's size check, before it allocates: each of its tensors (parameters and buffers,
 * by name and shape) within MAX_TENSOR_ELEMENTS, and all of them together within MAX_MODEL_VALUES.
 * Throws a RangeError naming the layer: `BatchNorm2D: its parameters and buffers would hold
 * 4,294,967,296 values, above the maximum of 268,435,456 per model (MAX_MODEL_VALUES)`.
 */
export function checkLayerValues(who: string, tensors: ReadonlyArray<readonly [string, readonly number[]]>): void {
  let total = 0;
  for (const [name, shape] of tensors) {
    checkTensorSize(who, name, shape);
    total += shapeSize(shape);
  }
  if (total > MAX_MODEL_VALUES) {
    throw new RangeError(`${who}: its parameters and buffers would hold ${total.toLocaleString('en-US')} values, above the maximum of ` +
      `${MAX_MODEL_VALUES.toLocaleString('en-US')} per model (MAX_MODEL_VALUES)`);
  }
}

/** Checks that an option is an integer >= min, throwing a RangeError that names layer and option. */
export function intOption(who: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${who}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** (N, C, H, W) -> (N, C, OH, OW) of a KH x KH pooling window moving by `stride` (no padding), or an error naming the layer. */
export function poolOutputShape(who: string, s: readonly number[], KH: number, stride: number): number[] {
  if (s.length !== 4) throw rankError(who, ['N', 'C', 'H', 'W'], s);
  const [N, C, H, W] = s;
  if (H < KH || W < KH) throw new RangeError(`${who}: input ${H}x${W} ${shapeStr(s)} is smaller than the ${KH}x${KH} window; expected at least ${KH}x${KH}`);
  return [N, C, Math.floor((H - KH) / stride) + 1, Math.floor((W - KH) / stride) + 1];
}

/** `Conv2D(conv2d_1): input must be rank 4 (N, C, H, W), but got rank 3 [1, 28, 28]` */
export function rankError(who: string, dims: string[], shape: readonly number[]): Error {
  return new Error(`${who}: input must be rank ${dims.length} (${dims.join(', ')}), but got rank ${shape.length} ${shapeStr(shape)}`);
}

/**
 * Checks the upstream gradient a layer's backward is handed: `dy` must have the shape of the layer's
 * last output. `Conv2D(conv2d_1): dy must have the shape of the last output [2, 8, 28, 28], got [2, 8, 14, 14]`.
 */
export function checkDy(who: string, dy: Tensor, yShape: readonly number[]): void {
  if (!(dy instanceof Tensor)) throw new TypeError(`${who}: backward(dy) takes a Tensor, got ${dy === null ? 'null' : typeof dy}`);
  if (dy.rank !== yShape.length || dy.shape.some((d, i) => d !== yShape[i])) {
    throw new Error(`${who}: dy must have the shape of the last output ${shapeStr(yShape)}, got ${shapeStr(dy.shape)}`);
  }
}
