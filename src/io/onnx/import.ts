// importOnnx: an ONNX model -> a miniconv Sequential with its weights, which eval, predict, inspect and
// summary then use as if it had been trained here. No file system here (importOnnxFile in file.ts).
//
// It reads what the common exporters write for a chain of layers:
//   PyTorch (torch.onnx.export, opsets 9-20): Conv with bias, Relu, MaxPool, Flatten, or Reshape with
//     a constant shape, Gemm with transB = 1; old exporters also list the initializers as graph inputs.
//   Keras through tf2onnx: an NHWC input, Transpose(perm 0,3,1,2) before the convolutions and
//     Transpose(perm 0,2,3,1) after them, then Reshape, MatMul + Add and often a final Softmax.
//   Any exporter: a bias as a separate Add after Conv, Gemm or MatMul; Dense as MatMul + Add.
// The walk follows the single path from the graph's input to its output, node by node; each node
// becomes a layer config (built with modelFromConfig at the end) or changes how the values are laid
// out. Anything else is an error naming the node, its op type and what is supported.
//
// Two layout facts do the work for Keras files. Between the transposes the tensors are NCHW like
// ours; and a flatten of an NHWC tensor lists the values in H-W-C order where miniconv's Flatten
// lists them C-H-W, so the Dense layer after it gets its weight columns permuted to match.
//
// One entry of OP_IMPORTERS per op type: a new layer is one more entry.

import type { LayerConfig } from '../../layers/layer.ts';
import { modelFromConfig } from '../../layers/from-config.ts';
import type { Sequential } from '../../layers/sequential.ts';
import { shapeStr } from '../../tensor.ts';
import { Attributes, type ConstTensor, type GraphProto, type NodeProto, type TensorProto, DataType, onnx, readTensor, toNumber } from './proto.ts';
import { type Preprocess, checkPreprocess } from './preprocess.ts';

export const IMPORT_OPSETS = { min: 9, max: 20 } as const;

/** A layer to be: its config (as model files store it) and its weights, (F, C/G, KH, KW) or (OUT, IN). */
interface LayerSpec {
  config: LayerConfig;
  weight?: Float32Array;
  bias?: Float32Array;
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
  /** Notes about what was left out (a final Softmax, Dropout, Identity). */
  readonly dropped: string[] = [];

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

const perm = (p: number[]) => p.join(',');
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

  MaxPool: (node, ctx, who) => {
    needNchw(ctx, who);
    const [, , H, W] = ctx.shape;
    if ((node.output ?? []).slice(1).some((o) => o && ctx.consumers(o).length > 0)) throw new Error(`${who}: its Indices output is used; miniconv's MaxPool2D gives only the values`);
    const a = new Attributes(node, who);
    const ks = a.ints('kernel_shape', []);
    if (ks.length !== 2 || ks[0] !== ks[1]) throw new Error(`${who}: kernel_shape [${ks.join(', ')}] is not a square 2-D window; miniconv's MaxPool2D has a square window`);
    const size = ks[0];
    const stride = sameTwo(a.ints('strides', [1, 1]), 'strides', who); // ONNX's default stride is 1, not the window
    const dilation = sameTwo(a.ints('dilations', [1, 1]), 'dilations', who);
    if (dilation !== 1) throw new Error(`${who}: dilations ${dilation} are not supported by MaxPool2D; expected 1`);
    const padding = symmetricPadding(a, who, H, W, [size, size], [stride, stride], [1, 1]);
    if (padding !== 0) throw new Error(`${who}: padding ${padding} is not supported by MaxPool2D; expected no padding`);
    // ceil_mode 1 keeps a partial last window; it gives the same output as ours when there is none.
    if (a.int('ceil_mode', 0) === 1 && ((H - size) % stride !== 0 || (W - size) % stride !== 0)) {
      throw new Error(`${who}: ceil_mode 1 keeps a partial window on this ${H}x${W} input; miniconv's MaxPool2D drops it (ceil_mode 0)`);
    }
    ctx.push({ config: { type: 'MaxPool2D', kernelSize: size, size, stride } }, who); // `size` is the option's older name
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
    if (!constName) throw new Error(`${who}: adds two computed values (a residual connection); this importer reads a chain of layers, where Add is a bias after Conv, Gemm or MatMul`);
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

/** The ops a final Softmax may be: the model then outputs the logits, whose softmax is the file's output. */
const FINAL_SOFTMAX = new Set(['Softmax', 'LogSoftmax']);

export interface ImportOptions {
  /** The input normalisation the model expects, recorded with it (default: what the file's miniconv metadata says, if any). */
  preprocess?: Preprocess;
  /** The model's name (default: the graph's name). */
  name?: string;
}

export interface ImportInfo {
  producer: string;
  irVersion: number;
  opset: number;
  /** The ONNX graph's input and output value names. */
  input: string;
  output: string;
  /** NHWC when the ONNX model takes NHWC input (Keras); the miniconv model always takes NCHW. */
  inputLayout: 'NCHW' | 'NHWC' | 'features';
  /** Nodes that became no layer, and why (e.g. a final Softmax). */
  dropped: string[];
}

export interface ImportResult {
  model: Sequential;
  /** One input without the batch, NCHW: [C, H, W] (or [features]). */
  inputShape: number[];
  preprocess?: Preprocess;
  info: ImportInfo;
}

type DecodedModel = ReturnType<typeof onnx.ModelProto.decode>;

function decodeModel(bytes: Uint8Array): DecodedModel {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new TypeError('importOnnx: expected the bytes of an .onnx file (a non-empty Uint8Array)');
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`importOnnx: not an ONNX model (the protobuf does not decode: ${(e as Error).message}); the file may be truncated or of another kind`);
  }
}

/**
 * Builds a miniconv model from an ONNX model of a chain of layers (see the header for what is read).
 * @param bytes the contents of an .onnx file
 * @returns the model (its weights filled), the input shape without the batch, NCHW, the
 *   preprocessing it expects, and what was read
 */
export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const proto = decodeModel(bytes);
  const graph: GraphProto | null | undefined = proto.graph;
  if (!graph || !graph.node || graph.node.length === 0) throw new Error('importOnnx: the file holds no ONNX graph (or an empty one); expected an .onnx model file');
  const opsetEntry = (proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? toNumber(opsetEntry.version, 'importOnnx: opset') : 0;
  if (opset < IMPORT_OPSETS.min || opset > IMPORT_OPSETS.max) {
    throw new Error(`importOnnx: the model uses ONNX opset ${opset || '(none declared)'}; supported: ${IMPORT_OPSETS.min} to ${IMPORT_OPSETS.max} (re-export with e.g. torch.onnx.export(..., opset_version=17))`);
  }

  // Constants: initializers and Constant nodes.
  const constants = new Map<string, ConstTensor>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', readTensor(t, `importOnnx: initializer '${t.name}'`));
  const nodes: NodeProto[] = [];
  graph.node.forEach((nd, i) => {
    const who = nodeLabel(nd, i);
    if (nd.domain && nd.domain !== 'ai.onnx') throw new Error(`${who}: op domain '${nd.domain}' is not supported; expected the standard ONNX ops`);
    if (nd.opType === 'Constant') {
      constants.set(nd.output?.[0] ?? '', constantNodeValue(nd, who));
    } else nodes.push(nd);
  });
  const labels = new Map(graph.node.map((nd, i) => [nd, nodeLabel(nd, i)]));
  const consumers = (value: string) => nodes.filter((nd) => (nd.input ?? []).includes(value));

  // The one real input (old PyTorch exports also list every initializer as an input).
  const inputs = (graph.input ?? []).filter((v) => !constants.has(v.name ?? ''));
  if (inputs.length !== 1) throw new Error(`importOnnx: the graph has ${inputs.length} inputs that are not initializers (${inputs.map((v) => v.name).join(', ')}); expected one`);
  const input = inputs[0];
  const inputName = input.name ?? '';
  const tensorType = input.type?.tensorType;
  if (!tensorType || tensorType.elemType !== DataType.FLOAT) {
    throw new Error(`importOnnx: input '${inputName}' is not a float tensor (type ${DataType[tensorType?.elemType ?? 0] ?? '?'}); expected FLOAT`);
  }
  const dims = (tensorType.shape?.dim ?? []).map((d, i) => {
    if (i === 0) return 1; // the batch: any size, often symbolic
    const v = toNumber(d.dimValue, `importOnnx: input '${inputName}' dim ${i}`);
    if (!(v > 0)) throw new Error(`importOnnx: input '${inputName}' has no fixed size at dim ${i} (${d.dimParam || '?'}); miniconv needs fixed sizes except the batch`);
    return v;
  });
  if (dims.length !== 4 && dims.length !== 2) throw new Error(`importOnnx: input '${inputName}' has rank ${dims.length}; expected (N, C, H, W), (N, H, W, C) or (N, features)`);

  // Keras files take NHWC and transpose it first.
  const first = consumers(inputName);
  const nhwc = dims.length === 4 && first.length === 1 && first[0].opType === 'Transpose' &&
    perm(new Attributes(first[0], labels.get(first[0])!).ints('perm', [])) === '0,3,1,2';
  const shape = nhwc ? [1, dims[3], dims[1], dims[2]] : dims;
  const ctx = new ImportContext(constants, shape, consumers);
  ctx.layout = nhwc ? 'NHWC' : 'NCHW';

  // Walk the chain from the input to an output.
  const outputs = new Set((graph.output ?? []).map((v) => v.name ?? ''));
  const visited = new Set<NodeProto>();
  let x = inputName;
  for (;;) {
    const next = consumers(x).filter((nd) => !visited.has(nd));
    if (outputs.has(x)) {
      // Done, unless more follows; a Softmax to a second output (miniconv's own `probs`) may.
      const heads = next.filter((nd) => FINAL_SOFTMAX.has(nd.opType ?? '') && outputs.has(nd.output?.[0] ?? ''));
      heads.forEach((nd) => { visited.add(nd); ctx.note(labels.get(nd)!, `a second output, the softmax of '${x}'`); });
      if (next.length === heads.length) break;
    }
    if (next.length === 0) throw new Error(`importOnnx: value '${x}' leads nowhere: no node uses it and it is not a graph output`);
    if (next.length > 1) {
      const hint = next.some((nd) => nd.opType === 'Shape') ? ' (a Shape node: a reshape computed at run time; in PyTorch use nn.Flatten or x.view(-1, features))' : '';
      throw new Error(`importOnnx: value '${x}' goes to ${next.length} nodes (${next.map((nd) => labels.get(nd)).join(', ')})${hint}; this importer reads a chain of layers`);
    }
    const node = next[0];
    visited.add(node);
    const who = labels.get(node)!;
    const op = node.opType ?? '';
    const y = node.output?.[0];
    if (!y) throw new Error(`${who}: has no output`);
    if (FINAL_SOFTMAX.has(op) && outputs.has(y) && consumers(y).length === 0) {
      if (ctx.shape.length !== 2) throw new Error(`${who}: a softmax over ${shapeStr(['N', ...ctx.shape.slice(1)])}; expected (N, classes)`);
      const axis = new Attributes(node, who).int('axis', opset >= 13 ? -1 : 1);
      if (axis !== 1 && axis !== -1) throw new Error(`${who}: axis ${axis}; expected the class axis (1 or -1)`);
      ctx.note(who, `the final ${op}; the model outputs the logits, whose ${op === 'Softmax' ? 'softmax' : 'log-softmax'} is the file's output`);
      x = y;
      break;
    }
    const importer = OP_IMPORTERS[op];
    if (!importer) {
      throw new Error(`${who}: op type ${op} is not supported; supported: ${[...Object.keys(OP_IMPORTERS), 'Constant', 'Softmax/LogSoftmax (last)'].join(', ')}`);
    }
    if ((node.input ?? []).filter((v) => v && !ctx.isConstant(v)).some((v) => v !== x)) {
      throw new Error(`${who}: takes a computed value other than '${x}' (${(node.input ?? []).join(', ')}); this importer reads a chain of layers`);
    }
    ctx.biasTarget = importer(node, ctx, who) ?? null;
    x = y;
  }
  const leftover = nodes.filter((nd) => !visited.has(nd));
  if (leftover.length > 0) {
    throw new Error(`importOnnx: ${leftover.map((nd) => labels.get(nd)).join(', ')} ${leftover.length === 1 ? 'is' : 'are'} not on the path from input '${inputName}' to output '${x}'; this importer reads a chain of layers`);
  }
  if (ctx.flatOrder) throw new Error(`importOnnx: the graph flattens an NHWC tensor and outputs it without a Dense layer; miniconv would list the values in another order`);
  if (ctx.specs.length === 0) throw new Error('importOnnx: the graph has no layers miniconv can build');

  // Build the model, then fill in the weights.
  const config: LayerConfig = { type: 'Sequential', name: opts.name ?? (graph.name || ''), layers: ctx.specs.map((s) => s.config) };
  const model = modelFromConfig(config);
  model.layers.forEach((layer, i) => {
    for (const p of layer.params()) {
      const key = p.name.split('.').pop() as 'weight' | 'bias';
      const values = ctx.specs[i][key];
      if (!values || values.length !== p.value.size) throw new Error(`importOnnx: layer ${layer.name}: ${key} has ${values?.length ?? 0} values, expected ${p.value.size}`);
      p.value.data.set(values);
    }
  });

  const inputShape = shape.slice(1);
  const fromFile = (proto.metadataProps ?? []).find((e) => e.key === 'miniconv.preprocess')?.value;
  let preprocess: Preprocess | undefined;
  if (opts.preprocess) preprocess = checkPreprocess(opts.preprocess, inputShape[0], 'importOnnx: preprocess');
  else if (fromFile) {
    try {
      preprocess = checkPreprocess(JSON.parse(fromFile), inputShape[0], 'importOnnx: metadata miniconv.preprocess');
    } catch (e) {
      throw new Error(`importOnnx: the file's metadata miniconv.preprocess is invalid: ${(e as Error).message}`);
    }
  }
  return {
    model,
    inputShape,
    ...(preprocess ? { preprocess } : {}),
    info: {
      producer: [proto.producerName, proto.producerVersion].filter(Boolean).join(' ') || 'unknown',
      irVersion: toNumber(proto.irVersion, 'importOnnx: ir_version'),
      opset,
      input: inputName,
      output: x,
      inputLayout: dims.length === 2 ? 'features' : nhwc ? 'NHWC' : 'NCHW',
      dropped: ctx.dropped,
    },
  };
}

function nodeLabel(nd: NodeProto, i: number): string {
  return `importOnnx: node ${nd.name ? `'${nd.name}'` : `#${i}`} (${nd.opType})`;
}

/** A Constant node's value: `value` (a tensor), or value_float(s) / value_int(s) from opset 12. */
function constantNodeValue(nd: NodeProto, who: string): ConstTensor {
  const a = new Attributes(nd, who);
  const t: TensorProto | null = a.tensor('value');
  if (t) return readTensor(t, who);
  if (a.has('value_ints')) { const ints = a.ints('value_ints', []); return { dims: [ints.length], ints }; }
  if (a.has('value_int')) return { dims: [], ints: [a.int('value_int', 0)] };
  if (a.has('value_floats')) {
    const v = (nd.attribute ?? []).find((x) => x.name === 'value_floats')?.floats ?? [];
    return { dims: [v.length], floats: Float32Array.from(v) };
  }
  if (a.has('value_float')) return { dims: [], floats: Float32Array.of(a.float('value_float', 0)) };
  throw new Error(`${who}: has none of value, value_float(s), value_int(s) (got ${a.names().join(', ') || 'no attributes'}); sparse and string constants are not supported`);
}
