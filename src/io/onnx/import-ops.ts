// The op table of importOnnx: one entry per ONNX op type, each turning a node into a layer config
// (built with modelFromConfig when the walk ends) or into a change of how the values are laid out.
// A new layer is one more entry. The walk itself, from the graph's input to its output, is in import.ts.
//
// A residual block (two branches from one value, joined by an Add) is not an entry: the walk in
// import.ts reads each branch into a context of its own (ImportContext.branch) and joins them into a
// Residual spec.
//
// Two layout facts do the work for Keras files. Between the transposes the tensors are NCHW like
// ours; and a flatten of an NHWC tensor lists the values in H-W-C order where miniconv's Flatten
// lists them C-H-W, so the Dense layer after it gets its weight columns permuted to match.

import type { LayerConfig } from '../../layers/layer.ts';
import { modelFromConfig } from '../../layers/from-config.ts';
import { MAX_ACTIVATION_VALUES, shapeSize, shapeStr } from '../../tensor.ts';
import { Attributes, type ConstTensor, type NodeProto } from './proto.ts';

/** A layer to be: its config (as model files store it) and its weights, (F, C/G, KH, KW) or (OUT, IN). */
export interface LayerSpec {
  config: LayerConfig;
  weight?: Float32Array;
  bias?: Float32Array;
  /** Tensors that are not trained, by name: BatchNorm2D's runningMean and runningVar (C). */
  buffers?: Record<string, Float32Array>;
  /** A Sequential's layers (a residual branch of several layers). */
  layers?: LayerSpec[];
  /** A Residual's block, and its shortcut (null: the identity). */
  block?: LayerSpec;
  shortcut?: LayerSpec | null;
  /** Options that the built layer must report back (a layer that does not know one would drop it silently). */
  requires?: string[];
}

/** The state of the walk: the value it stands on and what is known about it. */
export class ImportContext {
  readonly specs: LayerSpec[] = [];
  /** The current value's shape with a batch of 1, logically NCHW (N, C, H, W) or (N, features). */
  shape: number[];
  /** How the current value's axes are stored in the ONNX graph: NCHW, or NHWC between Keras's transposes. */
  layout: 'NCHW' | 'NHWC' = 'NCHW';
  /**
   * Set after an NHWC tensor was flattened: flatOrder[k] is the ONNX position of miniconv's flat
   * position k (C-H-W order); the next Dense permutes its weight columns with it.
   */
  flatOrder: Int32Array | null = null;
  /** The layer whose output is the current value, if a constant Add may fold into its bias. */
  biasTarget: LayerSpec | null = null;
  /**
   * Set by GlobalAveragePool (its label): the ONNX value is (N, C, 1, 1) where miniconv's
   * GlobalAvgPool2D gives (N, C), so only a Flatten, Reshape or Squeeze may come next.
   */
  squeezeFrom: string | null = null;
  /** Notes about what was left out (a final Softmax, Dropout, Identity). */
  readonly dropped: string[] = [];
  /** How many residual branches this context is inside (0: the main path). */
  depth = 0;

  constructor(private readonly constants: Map<string, ConstTensor>, inputShape: number[], readonly consumers: (value: string) => NodeProto[]) {
    this.shape = inputShape;
  }

  /** Records a node that became no layer: `node 'softmax' (Softmax): why`. */
  note(who: string, why: string): void {
    this.dropped.push(`${who.replace(/^importOnnx: /, '')}: ${why}`);
  }

  /** A constant input of a node (initializer or Constant node), or an error naming the node. */
  constant(name: string | undefined, who: string, what: string): ConstTensor {
    const c = name ? this.constants.get(name) : undefined;
    if (!c) throw new Error(`${who}: its ${what} '${name ?? ''}' must be a constant (an initializer or a Constant node); miniconv imports fixed weights`);
    return c;
  }

  isConstant(name: string | undefined): boolean {
    return !!name && this.constants.has(name);
  }

  /** A context for one branch of a residual block: it starts where this one stands, with no layers. */
  branch(): ImportContext {
    const b = new ImportContext(this.constants, [...this.shape], this.consumers);
    b.layout = this.layout;
    b.depth = this.depth + 1;
    return b;
  }

  /** Adds a layer: builds it once from its config to check the options and to compute its output shape. */
  push(spec: LayerSpec, who: string): LayerSpec {
    let out: number[];
    try {
      const layer = modelFromConfig({ type: 'Sequential', layers: [spec.config] }).layers[0];
      // An option this miniconv's layer does not know (e.g. groups, before Conv2D had it) would be dropped silently.
      const built = layer.config();
      for (const key of spec.requires ?? []) {
        if (JSON.stringify(built[key]) !== JSON.stringify(spec.config[key])) {
          throw new Error(`${key} ${JSON.stringify(spec.config[key])} is not supported by this miniconv's ${spec.config.type}`);
        }
      }
      out = layer.outputShape(this.shape);
      // Checked here, before a later step (a flatten's index, the next layer) sizes anything by it.
      if (shapeSize(out) > MAX_ACTIVATION_VALUES) {
        throw new RangeError(`its output ${shapeStr(['N', ...out.slice(1)])} would hold ${shapeSize(out).toLocaleString('en-US')} values per image, ` +
          `above the activation budget of ${MAX_ACTIVATION_VALUES.toLocaleString('en-US')} (MAX_ACTIVATION_VALUES)`);
      }
    } catch (e) {
      throw new Error(`${who}: ${(e as Error).message}`);
    }
    this.specs.push(spec);
    this.shape = out;
    return spec;
  }
}

/**
 * Reads one node whose one computed input is the walk's current value (its other inputs are
 * constants). Returns the layer that made the node's output when a constant Add after it may fold
 * into that layer's bias.
 */
export type OpImporter = (node: NodeProto, ctx: ImportContext, who: string) => LayerSpec | void;

/** A permutation as text, `0,3,1,2`, to compare. */
export const perm = (p: number[]) => p.join(',');
const prod = (a: readonly number[]) => a.reduce((s, d) => s * d, 1);

function needRank(ctx: ImportContext, rank: number, who: string, what: string): void {
  if (ctx.shape.length !== rank) {
    throw new Error(`${who}: receives ${shapeStr(['N', ...ctx.shape.slice(1)])}, expected ${what}`);
  }
}

function needNchw(ctx: ImportContext, who: string): void {
  needRank(ctx, 4, who, 'images (N, C, H, W)');
  if (ctx.layout !== 'NCHW') throw new Error(`${who}: receives an NHWC tensor; ONNX convolutions and pools take NCHW, expected a Transpose (perm 0,3,1,2) before it`);
}

/** pads [top, left, bottom, right] (or auto_pad) -> one padding for every side, as Conv2D has. */
function symmetricPadding(a: Attributes, who: string, H: number, W: number, K: [number, number], S: [number, number], D: [number, number]): number {
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return 0;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // Output ceil(H / stride); the padding needed for that, split between the two sides.
    const total = [H, W].map((size, i) => Math.max(0, (Math.ceil(size / S[i]) - 1) * S[i] + (K[i] - 1) * D[i] + 1 - size));
    if (total[0] !== total[1] || total[0] % 2 !== 0) {
      throw new Error(`${who}: auto_pad ${autoPad} needs a total padding of ${total[0]} (height) and ${total[1]} (width) here, which equal padding on every side cannot give; miniconv pads every side equally`);
    }
    return total[0] / 2;
  }
  if (autoPad !== 'NOTSET') throw new Error(`${who}: auto_pad ${autoPad} is not supported; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER`);
  const pads = a.ints('pads', [0, 0, 0, 0]);
  if (pads.length !== 4 || pads.some((p) => p !== pads[0])) {
    throw new Error(`${who}: pads [${pads.join(', ')}] are not the same on every side; miniconv pads every side equally`);
  }
  return pads[0];
}

function sameTwo(v: number[], name: string, who: string): number {
  if (v.length !== 2 || v[0] !== v[1]) throw new Error(`${who}: ${name} [${v.join(', ')}] differ between height and width; miniconv supports one ${name.replace(/s$/, '')} for both`);
  return v[0];
}

/**
 * A MaxPool's or AveragePool's window as miniconv's pools have it: square, one stride, no padding,
 * no dilation, a partial last window dropped. `layer` names the miniconv layer in errors.
 */
function poolWindow(node: NodeProto, ctx: ImportContext, who: string, layer: string): { size: number; stride: number } {
  const [, , H, W] = ctx.shape;
  const a = new Attributes(node, who);
  const ks = a.ints('kernel_shape', []);
  if (ks.length !== 2 || ks[0] !== ks[1]) throw new Error(`${who}: kernel_shape [${ks.join(', ')}] is not a square 2-D window; miniconv's ${layer} has a square window`);
  const size = ks[0];
  const stride = sameTwo(a.ints('strides', [1, 1]), 'strides', who); // ONNX's default stride is 1, not the window
  const dilation = sameTwo(a.ints('dilations', [1, 1]), 'dilations', who);
  if (dilation !== 1) throw new Error(`${who}: dilations ${dilation} are not supported by ${layer}; expected 1`);
  const padding = symmetricPadding(a, who, H, W, [size, size], [stride, stride], [1, 1]);
  if (padding !== 0) throw new Error(`${who}: padding ${padding} is not supported by ${layer}; expected no padding`);
  // ceil_mode 1 keeps a partial last window; it gives the same output as ours when there is none.
  if (a.int('ceil_mode', 0) === 1 && ((H - size) % stride !== 0 || (W - size) % stride !== 0)) {
    throw new Error(`${who}: ceil_mode 1 keeps a partial window on this ${H}x${W} input; miniconv's ${layer} drops it (ceil_mode 0)`);
  }
  return { size, stride };
}

/**
 * The shortest decimal that is the same float32 as `f`: an ONNX float attribute holds 1e-5 as
 * 9.99999974738e-6; this gives back 1e-5, so that a model's eps survives a round trip exactly.
 */
export function shortestDecimal(f: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === Math.fround(f)) return d;
  }
  return f;
}

/**
 * A Dense weight (OUT, IN), times `scale`, from B as Gemm or MatMul holds it: (IN, OUT) when `inOut`
 * (MatMul, Gemm with transB 0), else (OUT, IN); column k is B's column order[k] after an NHWC flatten.
 */
function denseWeight(b: Float32Array, IN: number, OUT: number, inOut: boolean, order: Int32Array | null, scale: number): Float32Array {
  const w = new Float32Array(OUT * IN); // (OUT, IN)
  for (let o = 0; o < OUT; o++) {
    for (let k = 0; k < IN; k++) {
      const src = order ? order[k] : k;
      w[o * IN + k] = scale * (inOut ? b[src * OUT + o] : b[o * IN + src]);
    }
  }
  return w;
}

/** A bias vector of length F from a constant that broadcasts along axis 1 of a rank-`rank` value. */
function channelVector(c: ConstTensor, F: number, rank: number): Float32Array | null {
  if (!c.floats || c.dims.length > rank) return null;
  const off = rank - c.dims.length;
  let perChannel = false;
  for (let j = 0; j < c.dims.length; j++) {
    const axis = off + j;
    if (c.dims[j] === 1) continue;
    if (axis === 1 && c.dims[j] === F) perChannel = true;
    else return null;
  }
  return perChannel ? Float32Array.from(c.floats) : new Float32Array(F).fill(c.floats[0]);
}

/** Flatten (N, C, H, W) -> (N, C*H*W); after an NHWC tensor, remember the H-W-C order for the next Dense. */
function flatten(ctx: ImportContext, who: string): void {
  ctx.squeezeFrom = null;
  if (ctx.shape.length === 2) return; // already (N, features)
  needRank(ctx, 4, who, 'images (N, C, H, W) or features (N, F)');
  const [, C, H, W] = ctx.shape;
  if (ctx.layout === 'NHWC') {
    const order = new Int32Array(C * H * W);
    for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) order[(c * H + i) * W + j] = (i * W + j) * C + c;
    ctx.flatOrder = order;
    ctx.layout = 'NCHW';
  }
  ctx.push({ config: { type: 'Flatten' } }, who);
}

const passThrough = (name: string): OpImporter => (node, ctx, who) => {
  if ((node.output ?? []).slice(1).some((o) => o && ctx.consumers(o).length > 0)) throw new Error(`${who}: only its first output may be used`);
  ctx.note(who, name);
};

/** How importOnnx turns each ONNX op type it supports (Conv, Gemm, MatMul, Relu, MaxPool, ...) into a miniconv layer or a note; any other op is an error naming it. */
export const OP_IMPORTERS: Record<string, OpImporter> = {
  Conv: (node, ctx, who) => {
    needNchw(ctx, who);
    const [, C, H, W] = ctx.shape;
    const a = new Attributes(node, who);
    const w = ctx.constant(node.input?.[1], who, 'weight');
    if (!w.floats || w.dims.length !== 4) throw new Error(`${who}: weight has dims [${w.dims.join(', ')}], expected 4 (F, C/group, KH, KW) float values; miniconv imports 2-D convolutions`);
    const [F, CG, KH, KW] = w.dims;
    const group = a.int('group', 1);
    if (CG * group !== C) throw new Error(`${who}: weight [${w.dims.join(', ')}] with group ${group} takes ${CG * group} channels, but the input has ${C}`);
    const ks = a.ints('kernel_shape', [KH, KW]);
    if (perm(ks) !== perm([KH, KW])) throw new Error(`${who}: kernel_shape [${ks.join(', ')}] does not match the weight's [${KH}, ${KW}]`);
    const stride = sameTwo(a.ints('strides', [1, 1]), 'strides', who);
    const dilation = sameTwo(a.ints('dilations', [1, 1]), 'dilations', who);
    const padding = symmetricPadding(a, who, H, W, [KH, KW], [stride, stride], [dilation, dilation]);
    const hasBias = !!node.input?.[2];
    const config: LayerConfig = { type: 'Conv2D', inChannels: C, outChannels: F, kernelSize: [KH, KW], stride, padding, bias: hasBias };
    // Only when used, so that a Conv2D without these options still imports plain convolutions.
    const requires: string[] = [];
    if (dilation !== 1) { config.dilation = dilation; requires.push('dilation'); }
    if (group !== 1) { config.groups = group; requires.push('groups'); }
    const spec: LayerSpec = { config, weight: w.floats, requires };
    if (hasBias) {
      const b = ctx.constant(node.input![2], who, 'bias');
      if (!b.floats || prod(b.dims) !== F || b.dims.length !== 1) throw new Error(`${who}: bias has dims [${b.dims.join(', ')}], expected [${F}]`);
      spec.bias = b.floats;
    }
    return ctx.push(spec, who);
  },

  Relu: (_node, ctx, who) => { ctx.push({ config: { type: 'ReLU' } }, who); },
  Tanh: (_node, ctx, who) => { ctx.push({ config: { type: 'Tanh' } }, who); },
  Sigmoid: (_node, ctx, who) => { ctx.push({ config: { type: 'Sigmoid' } }, who); },

  MaxPool: (node, ctx, who) => {
    needNchw(ctx, who);
    if ((node.output ?? []).slice(1).some((o) => o && ctx.consumers(o).length > 0)) throw new Error(`${who}: its Indices output is used; miniconv's MaxPool2D gives only the values`);
    const { size, stride } = poolWindow(node, ctx, who, 'MaxPool2D');
    ctx.push({ config: { type: 'MaxPool2D', kernelSize: size, size, stride } }, who); // `size` is the option's older name
  },

  // Without padding every window holds size*size pixels, so count_include_pad changes nothing.
  AveragePool: (node, ctx, who) => {
    needNchw(ctx, who);
    const { size, stride } = poolWindow(node, ctx, who, 'AvgPool2D');
    ctx.push({ config: { type: 'AvgPool2D', kernelSize: size, stride } }, who);
  },

  // (N, C, H, W) -> (N, C, 1, 1) in ONNX, (N, C) in miniconv: the Flatten (or Reshape, Squeeze) after it is then nothing to do.
  GlobalAveragePool: (_node, ctx, who) => {
    needNchw(ctx, who);
    ctx.push({ config: { type: 'GlobalAvgPool2D' } }, who);
    ctx.squeezeFrom = who;
  },

  // Squeeze of GlobalAveragePool's (N, C, 1, 1) to (N, C): axes 2 and 3 (an input from opset 13, an attribute before).
  Squeeze: (node, ctx, who) => {
    if (!ctx.squeezeFrom) throw new Error(`${who}: Squeeze is read only right after GlobalAveragePool (to (N, C)); here it receives ${shapeStr(['N', ...ctx.shape.slice(1)])}`);
    const axes = node.input?.[1] ? ctx.constant(node.input[1], who, 'axes').ints ?? [] : new Attributes(node, who).ints('axes', [2, 3]);
    const norm = axes.map((v) => (v < 0 ? v + 4 : v)).sort();
    if (perm(norm) !== '2,3') throw new Error(`${who}: axes [${axes.join(', ')}] after GlobalAveragePool; expected [2, 3] (keep N and C)`);
    ctx.squeezeFrom = null;
  },

  // Inference form: y = (x - mean) / sqrt(var + epsilon) * scale + B, per channel.
  BatchNormalization: (node, ctx, who) => {
    needRank(ctx, 4, who, 'images (N, C, H, W); miniconv has BatchNorm2D, not a batch norm over features');
    if (ctx.layout !== 'NCHW') throw new Error(`${who}: receives an NHWC tensor; expected NCHW (channels on axis 1), a Transpose (perm 0,3,1,2) before it`);
    const C = ctx.shape[1];
    const a = new Attributes(node, who);
    if (a.int('training_mode', 0) !== 0) throw new Error(`${who}: training_mode 1 normalises by the batch; expected the inference form (export the model in eval mode)`);
    if ((node.output ?? []).slice(1).some((o) => o && ctx.consumers(o).length > 0)) throw new Error(`${who}: its running-statistics outputs are used; miniconv reads BatchNormalization in inference form (one output)`);
    const [scale, b, mean, variance] = (['scale', 'B', 'input_mean', 'input_var'] as const).map((what, k) => {
      const t = ctx.constant(node.input?.[k + 1], who, what);
      if (!t.floats || t.dims.length !== 1 || t.dims[0] !== C) throw new Error(`${who}: ${what} has dims [${t.dims.join(', ')}], expected [${C}] float values (one per channel)`);
      return t.floats;
    });
    const eps = shortestDecimal(a.float('epsilon', 1e-5));
    const negative = variance.findIndex((v) => !(v + eps > 0));
    if (negative >= 0) throw new Error(`${who}: input_var[${negative}] is ${variance[negative]}; a variance plus epsilon must be > 0`);
    // ONNX's momentum weighs the old running value, miniconv's (PyTorch's) the new batch.
    const momentum = a.has('momentum') ? Number((1 - shortestDecimal(a.float('momentum', 0.9))).toPrecision(12)) : undefined;
    ctx.push({
      config: { type: 'BatchNorm2D', numFeatures: C, eps, ...(momentum === undefined ? {} : { momentum }) },
      weight: scale, bias: b, buffers: { runningMean: mean, runningVar: variance },
    }, who);
  },

  Flatten: (node, ctx, who) => {
    const axis = new Attributes(node, who).int('axis', 1);
    if (axis !== 1) throw new Error(`${who}: axis ${axis} is not supported; expected 1 (keep the batch, flatten the rest)`);
    flatten(ctx, who);
  },

  // Reshape to (N, features): a flatten written with a constant shape, e.g. [-1, 1568], [0, -1] or [1, -1].
  Reshape: (node, ctx, who) => {
    const shapeInput = node.input?.[1];
    if (!ctx.isConstant(shapeInput)) {
      throw new Error(`${who}: its shape '${shapeInput ?? ''}' is computed at run time; expected a constant shape such as [-1, features] (in PyTorch use nn.Flatten or x.view(-1, features))`);
    }
    const target = ctx.constant(shapeInput, who, 'shape').ints;
    const features = prod(ctx.shape.slice(1));
    // [batch, features] with batch -1 (inferred), 0 (copied) or the exporter's fixed batch, and
    // features given or -1 (then the batch must not be -1 too).
    const ok = !!target && target.length === 2 && Number.isInteger(target[0]) && target[0] >= -1 &&
      (target[1] === features || (target[1] === -1 && target[0] !== -1));
    if (!target || !ok) {
      throw new Error(`${who}: reshape to [${target?.join(', ') ?? '?'}] from ${shapeStr(['N', ...ctx.shape.slice(1)])} is not supported; expected a flatten to (N, ${features}) such as [-1, ${features}] or [0, -1]`);
    }
    if (target[0] === 0 && new Attributes(node, who).int('allowzero', 0) === 1) throw new Error(`${who}: allowzero 1 with a 0 in the shape makes an empty tensor; expected a flatten`);
    flatten(ctx, who);
  },

  // y = alpha * A B' + beta * C, with B' = B^T when transB = 1 (PyTorch's nn.Linear writes that).
  Gemm: (node, ctx, who) => {
    needRank(ctx, 2, who, 'features (N, F); put a Flatten before it');
    const a = new Attributes(node, who);
    if (a.int('transA', 0) !== 0) throw new Error(`${who}: transA 1 is not supported; expected the input as A (transA 0)`);
    const transB = a.int('transB', 0) === 1;
    const b = ctx.constant(node.input?.[1], who, 'weight B');
    const IN = ctx.shape[1];
    if (!b.floats || b.dims.length !== 2 || b.dims[transB ? 1 : 0] !== IN) {
      throw new Error(`${who}: weight B has dims [${b.dims.join(', ')}], expected ${transB ? `[OUT, ${IN}] (transB 1)` : `[${IN}, OUT] (transB 0)`} float values`);
    }
    const OUT = b.dims[transB ? 0 : 1];
    const spec: LayerSpec = {
      config: { type: 'Dense', inFeatures: IN, outFeatures: OUT, bias: !!node.input?.[2] },
      weight: denseWeight(b.floats, IN, OUT, !transB, ctx.flatOrder, a.float('alpha', 1)),
    };
    if (node.input?.[2]) {
      const c = ctx.constant(node.input[2], who, 'bias C');
      const v = channelVector(c, OUT, 2);
      if (!v) throw new Error(`${who}: bias C has dims [${c.dims.join(', ')}], expected [${OUT}] or [1, ${OUT}]`);
      const beta = a.float('beta', 1);
      spec.bias = v.map((x) => beta * x);
    }
    ctx.flatOrder = null;
    return ctx.push(spec, who);
  },

  // y = A B with B (IN, OUT) constant: a Dense without bias (an Add after it brings the bias).
  MatMul: (node, ctx, who) => {
    needRank(ctx, 2, who, 'features (N, F); put a Flatten before it');
    if (ctx.isConstant(node.input?.[0])) throw new Error(`${who}: the constant is the left operand; expected input x weight`);
    const b = ctx.constant(node.input?.[1], who, 'weight');
    const IN = ctx.shape[1];
    if (!b.floats || b.dims.length !== 2 || b.dims[0] !== IN) throw new Error(`${who}: weight has dims [${b.dims.join(', ')}], expected [${IN}, OUT] float values`);
    const OUT = b.dims[1];
    const spec: LayerSpec = { config: { type: 'Dense', inFeatures: IN, outFeatures: OUT, bias: false }, weight: denseWeight(b.floats, IN, OUT, true, ctx.flatOrder, 1) };
    ctx.flatOrder = null;
    return ctx.push(spec, who);
  },

  // x + b right after a Conv, Gemm or MatMul: that layer's bias.
  Add: (node, ctx, who) => {
    const [p, q] = node.input ?? [];
    const constName = ctx.isConstant(q) ? q : ctx.isConstant(p) ? p : null;
    if (!constName) throw new Error(`${who}: adds '${p}' to itself; miniconv reads an Add as a bias after Conv, Gemm or MatMul, or as the join of a residual block's two branches`);
    const target = ctx.biasTarget;
    if (!target) throw new Error(`${who}: adds a constant that does not follow a Conv, Gemm or MatMul; miniconv reads a constant Add only as such a layer's bias`);
    const F = target.config.type === 'Conv2D' ? (target.config.outChannels as number) : (target.config.outFeatures as number);
    const c = ctx.constant(constName, who, 'addend');
    const v = channelVector(c, F, ctx.shape.length);
    if (!v) throw new Error(`${who}: the constant has dims [${c.dims.join(', ')}], which is not a per-channel bias of ${shapeStr(['N', ...ctx.shape.slice(1)])}; expected e.g. ${ctx.shape.length === 4 ? `[1, ${F}, 1, 1]` : `[${F}]`}`);
    const bias = target.bias ?? new Float32Array(F);
    target.bias = bias.map((x, f) => x + v[f]);
    target.config.bias = true;
    return target; // a second Add would fold in too
  },

  // Keras/tf2onnx: NHWC <-> NCHW around the convolutions.
  Transpose: (node, ctx, who) => {
    const p = perm(new Attributes(node, who).ints('perm', []));
    if (ctx.shape.length === 4 && ctx.layout === 'NHWC' && p === '0,3,1,2') ctx.layout = 'NCHW';
    else if (ctx.shape.length === 4 && ctx.layout === 'NCHW' && p === '0,2,3,1') ctx.layout = 'NHWC';
    else if (ctx.shape.length === 2 && p === '0,1') { /* nothing to do */ }
    else {
      throw new Error(`${who}: perm [${p}] on a ${ctx.layout} ${shapeStr(['N', ...ctx.shape.slice(1)])} value is not supported; expected NHWC -> NCHW (0,3,1,2) before convolutions and NCHW -> NHWC (0,2,3,1) after them`);
    }
  },

  Identity: passThrough('Identity, nothing to do'),
  Dropout: passThrough('Dropout, which does nothing at inference'),
};
