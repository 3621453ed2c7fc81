// exportOnnx: a miniconv Sequential -> an ONNX model (protobuf bytes) that ONNX Runtime, PyTorch's
// onnx2torch, Netron or a phone app can open. No file system here (exportOnnxFile in file.ts adds it).
//
// The graph:  input (N, C, H, W) -> one or a few ONNX nodes per layer -> logits (N, classes)
//                                                                   \-> Softmax -> probs (N, classes)
// N is a symbolic dimension ('N'), so any batch size runs. Layouts need no conversion: miniconv's are
// ONNX's (NCHW images, Conv weight (F, C/G, KH, KW), Flatten in C-H-W order), and a Dense weight
// (OUT, IN) is Gemm's B with transB = 1, exactly as PyTorch's nn.Linear exports.
//
// The file is the inference form of the model, what model.eval() computes: BatchNorm2D normalises by
// its running statistics and Dropout is left out, whatever mode the model is in when exported.
// Containers become what they compute: a Sequential inside the model becomes its layers one after
// the other, a Residual its two branches from the same value joined by an Add (the identity
// shortcut is the value itself). Node and weight names follow the layer's path,
// `residual_1.block.conv2d_1`, as its parameters are named.
//
// One entry of LAYER_EXPORTERS per layer type: a new layer is one more entry.

import type { Layer, LayerConfig } from '../../layers/layer.ts';
import type { Sequential } from '../../layers/sequential.ts';
import { shapeStr } from '../../tensor.ts';
import { type AttributeProto, type NodeProto, type TensorProto, attr, floatTensor, int64, onnx, tensorValueInfo } from './proto.ts';
import { type Preprocess, checkPreprocess } from './mean-std.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from './opset.ts';
import { STD_FLOOR } from '../../kernels/normalize.ts';

export { ONNX_IR_VERSION, ONNX_OPSET } from './opset.ts';
export const ONNX_INPUT = 'input';
export const ONNX_LOGITS = 'logits';
export const ONNX_PROBS = 'probs';

/** What a layer's exporter gets: nodes and initializers go in here; value names come from fresh(). */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>([ONNX_INPUT, ONNX_LOGITS, ONNX_PROBS]);
  /** The path of the container being written, e.g. ['residual_1', 'block']: names start with it. */
  private readonly scope: string[] = [];

  /** A value name not used before: `conv2d_1.y`, then `conv2d_1.y_2`, ... */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** `name` inside the current container: `residual_1.block.name`. */
  private scoped(name: string): string {
    return [...this.scope, name].join('.');
  }

  /** Runs `write` with names inside container `name` (its nodes become `name.child`); returns what it returns. */
  within<T>(name: string, write: () => T): T {
    if (name) this.scope.push(name);
    try {
      return write();
    } finally {
      if (name) this.scope.pop();
    }
  }

  /** Adds a float32 initializer (a weight); returns its name. */
  weight(name: string, shape: readonly number[], values: ArrayLike<number>): string {
    const n = this.fresh(this.scoped(name));
    this.initializers.push(floatTensor(n, shape, values));
    return n;
  }

  /** Adds a node; returns the name of its (single) output. */
  node(opType: string, name: string, inputs: string[], attributes: AttributeProto[] = []): string {
    const full = this.scoped(name);
    const y = this.fresh(`${full}.y`);
    this.nodes.push(onnx.NodeProto.create({ opType, name: this.fresh(full), input: inputs, output: [y], attribute: attributes }));
    return y;
  }
}

/**
 * Writes one layer: its input value is `x`, its input shape `shape` (batch included); returns the
 * name of its output value. `emit` exports a nested layer (a Residual's block) the same way.
 */
export type LayerExporter = (layer: Layer, x: string, shape: readonly number[], g: GraphBuilder, emit: EmitLayer) => string;
export type EmitLayer = (layer: Layer, x: string, shape: readonly number[]) => string;

/** An option that is a number or a [height, width] pair, as a pair. */
function pair(v: unknown, fallback: number): [number, number] {
  if (v === undefined || v === null) return [fallback, fallback];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  return [Number(v), Number(v)];
}

/** The layer's value for a parameter (`weight`, `bias`) or buffer (`runningMean`), or null when it has none. */
function param(layer: Layer, suffix: string): { shape: readonly number[]; data: ArrayLike<number> } | null {
  const p = [...layer.params(), ...layer.buffers()].find((q) => q.name === suffix || q.name.endsWith(`.${suffix}`));
  return p ? { shape: p.value.shape, data: p.value.data } : null;
}

function needParam(layer: Layer, suffix: string): { shape: readonly number[]; data: ArrayLike<number> } {
  const p = param(layer, suffix);
  if (!p) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.type}) has no ${suffix}`);
  return p;
}

/** A container's children, read from its config's shape (export.ts knows no layer class, only Layer). */
function child(layer: Layer, key: 'block' | 'shortcut' | 'layers'): unknown {
  return (layer as unknown as Record<string, unknown>)[key];
}

/** The ONNX form of each layer type that has one, by LayerConfig.type (Conv2D, Dense, ReLU, ...): exportOnnx refuses a model with any other layer, naming it. */
export const LAYER_EXPORTERS: Record<string, LayerExporter> = {
  // y = Conv(x, w, b): pads [top, left, bottom, right], weight (F, C/G, KH, KW).
  Conv2D: (layer, x, _shape, g) => {
    const c: LayerConfig = layer.config();
    const [KH, KW] = pair(c.kernelSize, 1);
    const [SH, SW] = pair(c.stride, 1);
    const [PH, PW] = pair(c.padding, 0);
    const [DH, DW] = pair(c.dilation, 1);
    const group = Number(c.groups ?? 1);
    const w = needParam(layer, 'weight');
    const b = param(layer, 'bias');
    const inputs = [x, g.weight(`${layer.name}.weight`, w.shape, w.data)];
    if (b) inputs.push(g.weight(`${layer.name}.bias`, b.shape, b.data));
    return g.node('Conv', layer.name, inputs, [
      attr.ints('kernel_shape', [KH, KW]), attr.ints('strides', [SH, SW]), attr.ints('pads', [PH, PW, PH, PW]),
      attr.ints('dilations', [DH, DW]), attr.int('group', group),
    ]);
  },
  ReLU: (layer, x, _shape, g) => g.node('Relu', layer.name, [x]),
  // miniconv pools without padding and drops a partial last window (floor), i.e. ceil_mode 0.
  MaxPool2D: (layer, x, _shape, g) => {
    const c = layer.config();
    const [KH, KW] = pair(c.kernelSize ?? c.size, 1);
    const [SH, SW] = pair(c.stride, KH);
    const [PH, PW] = pair(c.padding, 0);
    return g.node('MaxPool', layer.name, [x], [
      attr.ints('kernel_shape', [KH, KW]), attr.ints('strides', [SH, SW]), attr.ints('pads', [PH, PW, PH, PW]),
    ]);
  },
  // (N, C, H, W) -> (N, C*H*W): ONNX's Flatten with axis 1 keeps the batch, C-H-W order like ours.
  Flatten: (layer, x, _shape, g) => g.node('Flatten', layer.name, [x], [attr.int('axis', 1)]),
  // y = x w^T + b: Gemm with transB = 1 takes the (OUT, IN) weight as it is.
  Dense: (layer, x, _shape, g) => {
    const w = needParam(layer, 'weight');
    const b = param(layer, 'bias');
    const inputs = [x, g.weight(`${layer.name}.weight`, w.shape, w.data)];
    if (b) inputs.push(g.weight(`${layer.name}.bias`, b.shape, b.data));
    return g.node('Gemm', layer.name, inputs, [attr.float('alpha', 1), attr.float('beta', 1), attr.int('transB', 1)]);
  },
  // Square window, no padding, partial last window dropped (ceil_mode 0): AvgPool2D's output size.
  // Without padding count_include_pad changes nothing: every window holds KH*KW pixels.
  AvgPool2D: (layer, x, _shape, g) => {
    const c = layer.config();
    const K = Number(c.kernelSize);
    const S = Number(c.stride ?? K);
    return g.node('AveragePool', layer.name, [x], [
      attr.ints('kernel_shape', [K, K]), attr.ints('strides', [S, S]), attr.ints('pads', [0, 0, 0, 0]), attr.int('ceil_mode', 0),
    ]);
  },
  // (N, C, H, W) -> GlobalAveragePool -> (N, C, 1, 1) -> Flatten -> (N, C), GlobalAvgPool2D's output.
  GlobalAvgPool2D: (layer, x, _shape, g) => {
    const pooled = g.node('GlobalAveragePool', layer.name, [x]);
    return g.node('Flatten', `${layer.name}.flatten`, [pooled], [attr.int('axis', 1)]);
  },
  // Inference form: y = (x - runningMean) / sqrt(runningVar + eps) * weight + bias, per channel.
  // ONNX's momentum weighs the old running value (PyTorch writes 1 - its momentum; so do we); it
  // matters only to a runtime that trains.
  BatchNorm2D: (layer, x, _shape, g) => {
    const c = layer.config();
    const inputs = [x, ...(['weight', 'bias', 'runningMean', 'runningVar'] as const).map((k) => {
      const p = needParam(layer, k);
      return g.weight(`${layer.name}.${k}`, p.shape, p.data);
    })];
    return g.node('BatchNormalization', layer.name, inputs, [attr.float('epsilon', Number(c.eps ?? 1e-5)), attr.float('momentum', 1 - Number(c.momentum ?? 0.1))]);
  },
  // The input normalisation (layers/normalize.ts) as nodes, so that a runtime applies it as miniconv does.
  //   dataset: z = (x - mean) / std, per channel: Sub and Div by (1, C, 1, 1) constants.
  //   image:   m = ReduceMean(x over H, W); d = x - m; s = Max(Sqrt(ReduceMean(d * d)), STD_FLOOR);
  //            b = ReduceMean(x * border) * P / (border pixels), border a (1, 1, H, W) mask of the outer
  //            rows and columns; z = d / s * Where(b > m, -1, 1).
  Normalize: (layer, x, shape, g) => {
    const c = layer.config() as LayerConfig & { mode: string; mean?: number[]; std?: number[] };
    const C = shape[1];
    if (c.mode === 'dataset') {
      const centred = g.node('Sub', `${layer.name}.sub`, [x, g.weight(`${layer.name}.mean`, [1, C, 1, 1], c.mean!)]);
      return g.node('Div', layer.name, [centred, g.weight(`${layer.name}.std`, [1, C, 1, 1], c.std!)]);
    }
    const [H, W] = [shape[2], shape[3]];
    const axes = [attr.ints('axes', [2, 3]), attr.int('keepdims', 1)];
    const m = g.node('ReduceMean', `${layer.name}.mean`, [x], axes);
    const d = g.node('Sub', `${layer.name}.centre`, [x, m]);
    const sd = g.node('Sqrt', `${layer.name}.sd`, [g.node('ReduceMean', `${layer.name}.var`, [g.node('Mul', `${layer.name}.square`, [d, d])], axes)]);
    const s = g.node('Max', `${layer.name}.floor`, [sd, g.weight(`${layer.name}.std_floor`, [1], [STD_FLOOR])]);
    const mask = new Float32Array(H * W);
    for (let j = 0; j < H * W; j++) { const ih = Math.floor(j / W), iw = j % W; mask[j] = ih === 0 || iw === 0 || ih === H - 1 || iw === W - 1 ? 1 : 0; }
    const borderCount = 2 * W + 2 * (H - 2);
    const masked = g.node('Mul', `${layer.name}.border`, [x, g.weight(`${layer.name}.border_mask`, [1, 1, H, W], mask)]);
    const b = g.node('Mul', `${layer.name}.border_mean`, [g.node('ReduceMean', `${layer.name}.border_sum`, [masked], axes), g.weight(`${layer.name}.border_scale`, [1], [(H * W) / borderCount])]);
    const sign = g.node('Where', `${layer.name}.polarity`, [g.node('Greater', `${layer.name}.light_border`, [b, m]),
      g.weight(`${layer.name}.minus_one`, [1], [-1]), g.weight(`${layer.name}.plus_one`, [1], [1])]);
    return g.node('Mul', layer.name, [g.node('Div', `${layer.name}.scale`, [d, s]), sign]);
  },
  // The identity at inference: no node, the value goes on as it is.
  Dropout: (_layer, x) => x,
  Tanh: (layer, x, _shape, g) => g.node('Tanh', layer.name, [x]),
  Sigmoid: (layer, x, _shape, g) => g.node('Sigmoid', layer.name, [x]),
  // Its layers one after the other, named inside the container: `sequential_1.conv2d_1`.
  Sequential: (layer, x, shape, g, emit) => g.within(layer.name, () => {
    let y = x;
    let s = shape;
    for (const l of child(layer, 'layers') as Layer[]) {
      y = emit(l, y, s);
      s = l.outputShape(s);
    }
    return y;
  }),
  // y = block(x) + shortcut(x): both branches start from x, an Add joins them; the identity shortcut is x.
  Residual: (layer, x, shape, g, emit) => g.within(layer.name, () => {
    const block = child(layer, 'block') as Layer;
    const shortcut = child(layer, 'shortcut') as Layer | null;
    const yBlock = emit(block, x, shape);
    const yShortcut = shortcut ? emit(shortcut, x, shape) : x;
    return g.node('Add', 'add', [yBlock, yShortcut]);
  }),
};

/** Options of exportOnnx(model, inputShape, ...): the graph's name, the preprocessing and producer version to record. */
export interface ExportOptions {
  /** The graph's name (default: the model's name, or 'miniconv'). */
  graphName?: string;
  /**
   * The input normalisation the model expects (from its model file's metadata), recorded in the
   * ONNX model's metadata_props as `miniconv.preprocess` so that importOnnx restores it. The graph
   * itself still expects normalised input.
   */
  preprocess?: Preprocess;
  /** producer_version (default '0.1.0'). */
  producerVersion?: string;
}

/**
 * Converts a model to ONNX (opset 13, IR version 7) with a symbolic batch dimension.
 * Outputs: `logits` (N, classes), what model.forward returns, and `probs`, their softmax.
 * @param model a Sequential of layers that have an ONNX form (see LAYER_EXPORTERS)
 * @param inputShape one input without the batch dimension, e.g. [1, 28, 28]
 * @returns the bytes of an .onnx file
 */
export function exportOnnx(model: Sequential, inputShape: readonly number[], opts: ExportOptions = {}): Uint8Array {
  if (!model || !Array.isArray((model as Partial<Sequential>).layers)) throw new TypeError('exportOnnx: expected a Sequential model');
  if (!Array.isArray(inputShape) || inputShape.length < 1 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`exportOnnx: inputShape must be one input's shape without the batch, positive integers such as [1, 28, 28], got ${JSON.stringify(inputShape)}`);
  }
  const outShape = model.outputShape([1, ...inputShape]); // throws, naming the layer, if the shapes do not fit
  if (outShape.length !== 2) {
    throw new Error(`exportOnnx: the model's output is ${shapeStr(['N', ...outShape.slice(1)])}, expected logits (N, classes); end the model with a Dense layer`);
  }
  const g = new GraphBuilder();
  const emit: EmitLayer = (layer, x, shape) => {
    const exporter = LAYER_EXPORTERS[layer.type];
    if (!exporter) {
      throw new Error(`exportOnnx: layer '${layer.name}' has type ${layer.type}, which has no ONNX form here; supported: ${Object.keys(LAYER_EXPORTERS).join(', ')}`);
    }
    return exporter(layer, x, shape, g, emit);
  };
  let x = ONNX_INPUT;
  let shape: readonly number[] = [1, ...inputShape];
  let normalized: { config: LayerConfig; output: string } | null = null; // a first Normalize layer, for importOnnx
  for (const [i, layer] of model.layers.entries()) {
    x = emit(layer, x, shape);
    shape = layer.outputShape(shape);
    if (i === 0 && layer.type === 'Normalize') normalized = { config: layer.config(), output: x };
  }
  // Name the last value `logits`: rename the output of the node that made it, or copy the input.
  const last = g.nodes.find((nd) => nd.output?.[0] === x);
  if (last) last.output = [ONNX_LOGITS];
  else g.nodes.push(onnx.NodeProto.create({ opType: 'Identity', name: 'logits', input: [x], output: [ONNX_LOGITS] }));
  g.nodes.push(onnx.NodeProto.create({ opType: 'Softmax', name: 'softmax', input: [ONNX_LOGITS], output: [ONNX_PROBS], attribute: [attr.int('axis', 1)] }));

  const classes = outShape[1];
  const metadataProps = opts.preprocess
    ? [{ key: 'miniconv.preprocess', value: JSON.stringify(checkPreprocess(opts.preprocess, inputShape[0], 'exportOnnx: preprocess')) }]
    : [];
  // The nodes of a first Normalize layer are not a chain of layers importOnnx reads: the record says
  // which layer they are and which value they end in, so that it rebuilds the layer and walks on from there.
  if (normalized) metadataProps.push({ key: 'miniconv.normalize', value: JSON.stringify(normalized) });
  return onnx.ModelProto.encode({
    irVersion: int64(ONNX_IR_VERSION),
    opsetImport: [{ domain: '', version: int64(ONNX_OPSET) }],
    producerName: 'miniconv',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: `A miniconv Sequential (${model.layers.map((l) => l.type).join(' -> ')}); input ${shapeStr(['N', ...inputShape])}, logits and softmax probabilities (N, ${classes}).`,
    metadataProps,
    graph: {
      name: opts.graphName ?? (model.name || 'miniconv'),
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorValueInfo(ONNX_INPUT, ['N', ...inputShape])],
      output: [tensorValueInfo(ONNX_LOGITS, ['N', classes]), tensorValueInfo(ONNX_PROBS, ['N', classes])],
    },
  });
}
