// importOnnx: an ONNX model -> a miniconv Sequential with its weights, which eval, predict, inspect and
// summary then use as if it had been trained here. No file system here (importOnnxFile in file.ts).
//
// It reads what the common exporters write for a chain of layers and residual blocks:
//   PyTorch (torch.onnx.export, opsets 9-20): Conv with bias (dilations, group), Relu, Tanh, Sigmoid,
//     MaxPool, AveragePool, GlobalAveragePool, BatchNormalization (inference form), Flatten, or
//     Reshape with a constant shape, Gemm with transB = 1, Add joining a residual block; old
//     exporters also list the initializers as graph inputs.
//   Keras through tf2onnx: an NHWC input, Transpose(perm 0,3,1,2) before the convolutions and
//     Transpose(perm 0,2,3,1) after them, then Reshape, MatMul + Add and often a final Softmax.
//   Any exporter: a bias as a separate Add after Conv, Gemm or MatMul; Dense as MatMul + Add.
// The walk follows the path from the graph's input to its output, node by node, and hands each node
// to its entry in OP_IMPORTERS (import-ops.ts). Where a value goes to two nodes (a fork), the two
// paths must meet again at an Add: a residual block. Each branch is walked the same way (a branch
// may hold residual blocks of its own) and the Add becomes a Residual(block, shortcut), the shortcut
// the identity when one input of the Add is the fork's value itself. Anything else is an error
// naming the node, its op type and what is supported.
//
// Bounded and linear: at most MAX_ONNX_NODES nodes; the input's size is checked against the
// activation budget (MAX_ACTIVATION_VALUES) before anything is built from it; the consumers of every
// value are indexed once; the graph is put in topological order once (a cycle, even a node that reads
// its own output, is an error); a fork's join is found by walking only the block between them
// (findJoin), and residual blocks may nest at most MAX_LAYER_DEPTH / 2 deep (each is a Residual
// holding a Sequential). Measured (scripts/onnx-import-scaling.ts): 1,000 residual blocks in sequence,
// past 60 s before, and a 20,000-node chain, 9 s before, now import in well under a second each.

import type { Layer, LayerConfig } from '../../layers/layer.ts';
import { MAX_LAYER_DEPTH, checkActivationBudget, modelFromConfig } from '../../layers/from-config.ts';
import type { Residual } from '../../layers/residual.ts';
import type { Sequential } from '../../layers/sequential.ts';
import { MAX_ACTIVATION_VALUES, type Tensor, shapeSize, shapeStr } from '../../tensor.ts';
import { ImportContext, type LayerSpec, OP_IMPORTERS, perm } from './import-ops.ts';
import { Attributes, type ConstTensor, type GraphProto, type NodeProto, type TensorProto, DataType, onnx, readTensor, toNumber } from './proto.ts';
import { type Preprocess, checkPreprocess } from './mean-std.ts';

/** The ONNX opsets importOnnx reads, min to max inclusive (9 to 20); a model declaring another is refused, naming the range. */
export const IMPORT_OPSETS = { min: 9, max: 20 } as const;

/** The most nodes a graph may have: 100,000 (ResNet-152 has about 500; a 20,000-node chain imports in a fraction of a second). */
export const MAX_ONNX_NODES = 100_000;

/** The most nodes one value may go to (a residual block's fork goes to two or three). */
const MAX_BRANCHES = 30;

/** The deepest nesting of residual blocks: each is a Residual holding a Sequential, two levels of MAX_LAYER_DEPTH. */
const MAX_RESIDUAL_NESTING = Math.floor(MAX_LAYER_DEPTH / 2);

/** The ops a final Softmax may be: the model then outputs the logits, whose softmax is the file's output. */
const FINAL_SOFTMAX = new Set(['Softmax', 'LogSoftmax']);

/** Options of importOnnx(bytes, ...): the preprocessing and name to record with the model. */
export interface ImportOptions {
  /** The input normalisation the model expects, recorded with it (default: what the file's miniconv metadata says, if any). */
  preprocess?: Preprocess;
  /** The model's name (default: the graph's name). */
  name?: string;
}

/** What importOnnx read from the file besides the layers: who wrote it, its versions, its value names and what it left out. */
export interface ImportInfo {
  /** The file's producer_name and producer_version, e.g. 'pytorch 2.1.0' ('unknown' when absent). */
  producer: string;
  /** The file's ONNX IR version (ir_version). */
  irVersion: number;
  /** The default-domain ONNX opset the model declares, within IMPORT_OPSETS. */
  opset: number;
  /** The ONNX graph's input and output value names. */
  input: string;
  /** The name of the value the miniconv model's output stands for (the logits; a dropped final Softmax's input). */
  output: string;
  /** NHWC when the ONNX model takes NHWC input (Keras); the miniconv model always takes NCHW. */
  inputLayout: 'NCHW' | 'NHWC' | 'features';
  /** Nodes that became no layer, and why (e.g. a final Softmax). */
  dropped: string[];
}

/** What importOnnx returns: the model, its input shape and preprocessing, and what was read. */
export interface ImportResult {
  /** The model with the file's weights, in evaluation mode (call model.train() to train it further). */
  model: Sequential;
  /** One input without the batch, NCHW: [C, H, W] (or [features]). */
  inputShape: number[];
  /** The input normalisation the model expects: the option, else the file's miniconv.preprocess metadata; absent when neither says. */
  preprocess?: Preprocess;
  /** What was read from the file besides the layers. */
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
 * @returns the model (its weights filled, in evaluation mode as loadModel gives a model: call
 *   model.train() to train it further), the input shape without the batch, NCHW, the
 *   preprocessing it expects, and what was read
 */
export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const proto = decodeModel(bytes);
  const graph: GraphProto | null | undefined = proto.graph;
  if (!graph || !graph.node || graph.node.length === 0) throw new Error('importOnnx: the file holds no ONNX graph (or an empty one); expected an .onnx model file');
  if (graph.node.length > MAX_ONNX_NODES) {
    throw new Error(`importOnnx: the graph has ${graph.node.length} nodes, more than the ${MAX_ONNX_NODES} this importer reads (MAX_ONNX_NODES)`);
  }
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
  // Who reads each value, indexed once (a node reading a value twice is listed once).
  const readers = new Map<string, NodeProto[]>();
  for (const nd of nodes) {
    for (const v of new Set(nd.input ?? [])) {
      if (!v) continue;
      const list = readers.get(v);
      if (list) list.push(nd); else readers.set(v, [nd]);
    }
  }
  const none: NodeProto[] = [];
  const consumers = (value: string): NodeProto[] => readers.get(value) ?? none;
  const producer = new Map<string, NodeProto>();
  for (const nd of nodes) for (const o of nd.output ?? []) if (o) producer.set(o, nd);
  const order = topologicalOrder(nodes, producer, consumers, labels);

  // The one real input (old PyTorch exports also list every initializer as an input).
  const inputs = (graph.input ?? []).filter((v) => !constants.has(v.name ?? ''));
  if (inputs.length !== 1) throw new Error(`importOnnx: the graph has ${inputs.length} inputs that are not initializers (${inputs.map((v) => v.name).join(', ')}); expected one`);
  const input = inputs[0];
  const inputName = input.name ?? '';
  const tensorType = input.type?.value.case === 'tensorType' ? input.type.value.value : undefined;
  if (!tensorType || tensorType.elemType !== DataType.FLOAT) {
    throw new Error(`importOnnx: input '${inputName}' is not a float tensor (type ${DataType[tensorType?.elemType ?? 0] ?? '?'}); expected FLOAT`);
  }
  const dims = (tensorType.shape?.dim ?? []).map((d, i) => {
    if (i === 0) return 1; // the batch: any size, often symbolic
    const v = d.value.case === 'dimValue' ? toNumber(d.value.value, `importOnnx: input '${inputName}' dim ${i}`) : 0;
    if (!(v > 0)) throw new Error(`importOnnx: input '${inputName}' has no fixed size at dim ${i} (${(d.value.case === 'dimParam' && d.value.value) || '?'}); miniconv needs fixed sizes except the batch`);
    return v;
  });
  if (dims.length !== 4 && dims.length !== 2) throw new Error(`importOnnx: input '${inputName}' has rank ${dims.length}; expected (N, C, H, W), (N, H, W, C) or (N, features)`);
  if (shapeSize(dims) > MAX_ACTIVATION_VALUES) {
    throw new Error(`importOnnx: input '${inputName}' ${shapeStr(['N', ...dims.slice(1)])} would hold ${shapeSize(dims).toLocaleString('en-US')} values per image, ` +
      `above the activation budget of ${MAX_ACTIVATION_VALUES.toLocaleString('en-US')} (MAX_ACTIVATION_VALUES)`);
  }
  for (const [v, nd] of producer) {
    if (v === inputName) throw new Error(`${labels.get(nd)}: computes '${v}', the graph's input; an ONNX graph assigns each value once`);
  }

  // Keras files take NHWC and transpose it first.
  const first = consumers(inputName);
  const nhwc = dims.length === 4 && first.length === 1 && first[0].opType === 'Transpose' &&
    perm(new Attributes(first[0], labels.get(first[0])!).ints('perm', [])) === '0,3,1,2';
  const shape = nhwc ? [1, dims[3], dims[1], dims[2]] : dims;
  const ctx = new ImportContext(constants, shape, consumers);
  ctx.layout = nhwc ? 'NHWC' : 'NCHW';

  // Walk the graph from the input to an output, reading residual blocks where it forks.
  const outputs = new Set((graph.output ?? []).map((v) => v.name ?? ''));
  const visited = new Set<NodeProto>();

  /**
   * The join of a fork: the first node, in topological order, that every branch (each node of
   * `next`) reaches. Takes the nodes in topological order from the branches' first nodes, each with
   * the set of branches that reach it (a bit mask: a node's set is complete once it is taken, since
   * every node before it is taken first), and stops at the first one all reach: only the nodes
   * between the fork and its join are visited. null when no node is reached by all.
   */
  const findJoin = (next: NodeProto[]): NodeProto | null => {
    const all = 2 ** next.length - 1; // next.length <= MAX_BRANCHES
    const reachedBy = new Map<NodeProto, number>();
    const heap = new MinHeap<NodeProto>((nd) => order.get(nd)!);
    next.forEach((nd, k) => { reachedBy.set(nd, (reachedBy.get(nd) ?? 0) | (1 << k)); heap.push(nd); });
    for (let nd = heap.pop(); nd; nd = heap.pop()) {
      const mask = reachedBy.get(nd)!;
      if (mask === all) return nd;
      for (const o of nd.output ?? []) {
        for (const c of o ? consumers(o) : none) {
          const seen = reachedBy.get(c);
          if (seen === undefined) { reachedBy.set(c, mask); heap.push(c); } else reachedBy.set(c, seen | mask);
        }
      }
    }
    return null;
  };

  /** The nodes that `value` is computed from, back to (not past) the value `from`. */
  const ancestors = (value: string, from: string): Set<NodeProto> => {
    const seen = new Set<NodeProto>();
    const todo = [value];
    while (todo.length > 0) {
      const v = todo.pop()!;
      const nd = v === from ? undefined : producer.get(v);
      if (!nd || seen.has(nd)) continue;
      seen.add(nd);
      todo.push(...(nd.input ?? []).filter((i) => i && !constants.has(i)));
    }
    return seen;
  };

  /**
   * Reads a residual block: value `x` goes to the nodes `next`, whose paths meet at an Add. Walks
   * each branch into a context of its own, adds a Residual spec to `ctx`, returns the Add's output.
   */
  const fork = (ctx: ImportContext, x: string, next: NodeProto[]): string => {
    if (ctx.depth >= MAX_RESIDUAL_NESTING) {
      throw new Error(`importOnnx: residual blocks nested more than ${MAX_RESIDUAL_NESTING} deep (at value '${x}'); a model nests at most ${MAX_LAYER_DEPTH} containers (MAX_LAYER_DEPTH), two per residual block`);
    }
    const list = `value '${x}' goes to ${next.length} nodes (${next.map((nd) => labels.get(nd)).join(', ')})`;
    if (next.some((nd) => nd.opType === 'Shape')) {
      throw new Error(`importOnnx: ${list} (a Shape node: a reshape computed at run time; in PyTorch use nn.Flatten or x.view(-1, features)); this importer reads a chain of layers and residual blocks`);
    }
    const notResidual = (why: string) => new Error(`importOnnx: ${list}${why}; this importer reads a chain of layers and residual blocks (two branches from one value, joined by an Add)`);
    if (next.length > MAX_BRANCHES) throw notResidual(` (more than ${MAX_BRANCHES})`);
    // The join: the first node, in topological order, that every branch reaches.
    const join = findJoin(next);
    if (!join) throw notResidual('');
    const joinWho = labels.get(join)!;
    const ins = (join.input ?? []).filter(Boolean);
    if (join.opType !== 'Add' || ins.length !== 2 || ins.some((v) => constants.has(v))) {
      throw notResidual(`, which meet at ${joinWho}, not at an Add of two computed values`);
    }
    if (ctx.flatOrder || ctx.squeezeFrom) throw notResidual(', right after a flatten that needs a Dense or Flatten next');
    if (ins[0] === x && ins[1] === x) throw new Error(`${joinWho}: adds '${x}' to itself; miniconv reads an Add of two computed values as the join of a residual block's two branches`);
    // Each first node belongs to the branch of the Add input it leads to.
    const before = ins.map((v) => ancestors(v, x));
    const groups: NodeProto[][] = [[], []];
    for (const nd of next) {
      if (nd === join) continue; // the identity: x itself is an input of the Add
      const side = before.map((b) => b.has(nd));
      if (side[0] === side[1]) {
        throw notResidual(side[0] ? `: ${labels.get(nd)} leads to both inputs of ${joinWho}` : `: ${labels.get(nd)} leads to ${joinWho} by no input`);
      }
      groups[side[0] ? 0 : 1].push(nd);
    }
    // Walk the two branches: input 0 of the Add is the block (PyTorch's `out += identity`), unless it is the identity.
    const branches = ins.map((v, k) => {
      if (v === x) return null;
      if (groups[k].length === 0) throw notResidual(`: input '${v}' of ${joinWho} does not come from '${x}'`);
      const sub = ctx.branch();
      const end = walk(sub, x, join, groups[k]);
      if (end !== v) throw notResidual(`: a branch reaches ${joinWho} as '${end}', expected '${v}'`);
      if (sub.flatOrder || sub.squeezeFrom) throw new Error(`${joinWho}: a branch ends in a flatten that needs a Dense or Flatten next`);
      return sub;
    });
    const [block, shortcut] = branches[0] ? [branches[0], branches[1]] : [branches[1]!, null];
    const shortcutLayout = shortcut ? shortcut.layout : ctx.layout; // the identity: x's own layout
    if (shortcutLayout !== block.layout) throw new Error(`${joinWho}: adds an ${block.layout} value to an ${shortcutLayout} one; expected both branches in the same layout`);
    const asLayer = (specs: LayerSpec[]): LayerSpec | null => {
      if (specs.length === 0) return null; // only Identity or Dropout nodes: the identity
      if (specs.length === 1) return specs[0];
      return { config: { type: 'Sequential', layers: specs.map((sp) => sp.config) }, layers: specs };
    };
    let blockSpec = asLayer(block.specs);
    let shortcutSpec = shortcut ? asLayer(shortcut.specs) : null;
    if (!blockSpec) [blockSpec, shortcutSpec] = [shortcutSpec, null];
    if (!blockSpec) throw new Error(`${joinWho}: adds '${x}' to itself (both branches are the identity); miniconv reads an Add of two computed values as the join of a residual block`);
    ctx.layout = block.layout;
    ctx.push({ config: { type: 'Residual', block: blockSpec.config, shortcut: shortcutSpec?.config ?? null }, block: blockSpec, shortcut: shortcutSpec }, joinWho);
    ctx.biasTarget = null;
    visited.add(join);
    const y = join.output?.[0];
    if (!y) throw new Error(`${joinWho}: has no output`);
    return y;
  };

  /**
   * Walks from value `start`: to `join` (a branch of a residual block; returns the value that enters
   * it) or, when join is null, to a graph output (returns its name). `only`: at `start`, follow only
   * these nodes (the branch's own first nodes).
   */
  const walk = (ctx: ImportContext, start: string, join: NodeProto | null, only: NodeProto[] | null): string => {
    let x = start;
    for (let first = true; ; first = false) {
      let next = consumers(x).filter((nd) => !visited.has(nd));
      if (first && only) next = next.filter((nd) => only.includes(nd));
      if (join && next.includes(join)) {
        if (next.length === 1) return x;
        throw new Error(`importOnnx: value '${x}' goes to ${labels.get(join)} and on to ${next.filter((nd) => nd !== join).map((nd) => labels.get(nd)).join(', ')}; a residual branch must end at the Add that joins it`);
      }
      if (!join && outputs.has(x)) {
        if (ctx.squeezeFrom) throw new Error(`importOnnx: the graph outputs the (N, C, 1, 1) value of ${ctx.squeezeFrom}; expected a Flatten after it`);
        // Done, unless more follows; a Softmax to a second output (miniconv's own `probs`) may.
        const heads = next.filter((nd) => FINAL_SOFTMAX.has(nd.opType ?? '') && outputs.has(nd.output?.[0] ?? ''));
        heads.forEach((nd) => { visited.add(nd); ctx.note(labels.get(nd)!, `a second output, the softmax of '${x}'`); });
        if (next.length === heads.length) return x;
      }
      if (next.length === 0) throw new Error(`importOnnx: value '${x}' leads nowhere: no node uses it and it is not a graph output`);
      if (ctx.squeezeFrom && next.some((nd) => !AFTER_GLOBAL_POOL.has(nd.opType ?? ''))) {
        const nd = next.find((n) => !AFTER_GLOBAL_POOL.has(n.opType ?? ''))!;
        throw new Error(`${labels.get(nd)}: follows ${ctx.squeezeFrom}, whose (N, C, 1, 1) output miniconv's GlobalAvgPool2D gives as (N, C); expected a Flatten, Reshape or Squeeze between them`);
      }
      if (next.length > 1) {
        x = fork(ctx, x, next);
        continue;
      }
      const node = next[0];
      visited.add(node);
      const who = labels.get(node)!;
      const op = node.opType ?? '';
      const y = node.output?.[0];
      if (!y) throw new Error(`${who}: has no output`);
      if (!join && FINAL_SOFTMAX.has(op) && outputs.has(y) && consumers(y).length === 0) {
        if (ctx.shape.length !== 2) throw new Error(`${who}: a softmax over ${shapeStr(['N', ...ctx.shape.slice(1)])}; expected (N, classes)`);
        const axis = new Attributes(node, who).int('axis', opset >= 13 ? -1 : 1);
        if (axis !== 1 && axis !== -1) throw new Error(`${who}: axis ${axis}; expected the class axis (1 or -1)`);
        ctx.note(who, `the final ${op}; the model outputs the logits, whose ${op === 'Softmax' ? 'softmax' : 'log-softmax'} is the file's output`);
        return y;
      }
      const importer = OP_IMPORTERS[op];
      if (!importer) {
        throw new Error(`${who}: op type ${op} is not supported; supported: ${[...Object.keys(OP_IMPORTERS), 'Constant', 'Softmax/LogSoftmax (last)'].join(', ')}`);
      }
      if ((node.input ?? []).filter((v) => v && !ctx.isConstant(v)).some((v) => v !== x)) {
        throw new Error(`${who}: takes a computed value other than '${x}' (${(node.input ?? []).join(', ')}); this importer reads a chain of layers and residual blocks`);
      }
      ctx.biasTarget = importer(node, ctx, who) ?? null;
      x = y;
    }
  };

  // A miniconv export that starts with a Normalize layer (export.ts): that layer from its record, and
  // the walk from the value its nodes end in (the nodes before it are the layer's).
  let start = inputName;
  const normalizeRecord = (proto.metadataProps ?? []).find((e) => e.key === 'miniconv.normalize')?.value;
  if (normalizeRecord) {
    let rec: { config?: LayerConfig; output?: string };
    try { rec = JSON.parse(normalizeRecord); } catch { rec = {}; }
    if (rec.config?.type !== 'Normalize' || typeof rec.output !== 'string' || !producer.has(rec.output)) {
      throw new Error(`importOnnx: the file's metadata miniconv.normalize is invalid (${normalizeRecord.slice(0, 80)}); expected { config: a Normalize layer's config, output: a value of the graph }`);
    }
    const before = [producer.get(rec.output)!];
    for (let k = 0; k < before.length; k++) {
      visited.add(before[k]);
      for (const v of before[k].input ?? []) {
        const p = producer.get(v);
        if (p && !visited.has(p) && !before.includes(p)) before.push(p);
      }
    }
    ctx.specs.push({ config: { ...rec.config, name: '' } });
    start = rec.output;
  }
  const x = walk(ctx, start, null, null);
  const leftover = nodes.filter((nd) => !visited.has(nd));
  if (leftover.length > 0) {
    throw new Error(`importOnnx: ${leftover.map((nd) => labels.get(nd)).join(', ')} ${leftover.length === 1 ? 'is' : 'are'} not on the path from input '${inputName}' to output '${x}'; this importer reads a chain of layers and residual blocks`);
  }
  if (ctx.flatOrder) throw new Error(`importOnnx: the graph flattens an NHWC tensor and outputs it without a Dense layer; miniconv would list the values in another order`);
  if (ctx.specs.length === 0) throw new Error('importOnnx: the graph has no layers miniconv can build');

  // Build the model, then fill in the weights.
  const config: LayerConfig = { type: 'Sequential', name: opts.name ?? (graph.name || ''), layers: ctx.specs.map((s) => s.config) };
  let model: Sequential;
  try {
    model = modelFromConfig(config);
  } catch (e) {
    throw new Error(`importOnnx: ${(e as Error).message}`);
  }
  const inputShape = shape.slice(1);
  try {
    checkActivationBudget(model, inputShape);
  } catch (e) {
    throw new Error(`importOnnx: ${(e as Error).message}`);
  }
  model.layers.forEach((layer, i) => fillLayer(layer, ctx.specs[i]));
  model.eval(); // an imported model is a trained one, ready to predict, as loadModel gives it

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

/** The ops that may follow GlobalAveragePool: they take its (N, C, 1, 1) to the (N, C) of GlobalAvgPool2D, or pass it on. */
const AFTER_GLOBAL_POOL = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

/** Copies a spec's weights, biases and buffers into the layer built from its config (into a container's layers too). */
function fillLayer(layer: Layer, spec: LayerSpec): void {
  if (spec.layers) {
    (layer as Sequential).layers.forEach((l, i) => fillLayer(l, spec.layers![i]));
    return;
  }
  if (spec.block) {
    const r = layer as Residual;
    fillLayer(r.block, spec.block);
    if (spec.shortcut && r.shortcut) fillLayer(r.shortcut, spec.shortcut);
    return;
  }
  const tensors: Array<[string, Tensor, Float32Array | undefined]> = [
    ...layer.params().map((p): [string, Tensor, Float32Array | undefined] => {
      const key = p.name.split('.').pop() as 'weight' | 'bias';
      return [key, p.value, spec[key]];
    }),
    ...layer.buffers().map((b): [string, Tensor, Float32Array | undefined] => {
      const key = b.name.split('.').pop()!;
      return [key, b.value, spec.buffers?.[key]];
    }),
  ];
  for (const [key, t, values] of tensors) {
    if (!values || values.length !== t.size) throw new Error(`importOnnx: layer ${layer.name}: ${key} has ${values?.length ?? 0} values, expected ${t.size}`);
    t.data.set(values);
  }
}

/**
 * The nodes in a topological order (Kahn's algorithm), as a map node -> position; throws naming a
 * node on a cycle (a node that reads its own output, or a loop of several), which ONNX forbids.
 */
function topologicalOrder(nodes: NodeProto[], producer: Map<string, NodeProto>, consumers: (v: string) => NodeProto[], labels: Map<NodeProto, string>): Map<NodeProto, number> {
  const indegree = new Map<NodeProto, number>();
  for (const nd of nodes) {
    let n = 0;
    for (const v of new Set(nd.input ?? [])) if (v && producer.has(v)) n++;
    indegree.set(nd, n);
  }
  const order = new Map<NodeProto, number>();
  const ready = nodes.filter((nd) => indegree.get(nd) === 0);
  while (ready.length > 0) {
    const nd = ready.pop()!;
    order.set(nd, order.size);
    for (const o of nd.output ?? []) {
      for (const c of o ? consumers(o) : []) {
        const left = indegree.get(c)! - 1;
        indegree.set(c, left);
        if (left === 0) ready.push(c);
      }
    }
  }
  if (order.size === nodes.length) return order;
  // Some nodes wait on each other: follow unfinished inputs back until a node repeats; it is on a cycle.
  const waitsOn = (n: NodeProto): string => (n.input ?? []).find((v) => v && producer.has(v) && !order.has(producer.get(v)!))!;
  let nd = nodes.find((n) => !order.has(n))!;
  const seen = new Set<NodeProto>();
  while (!seen.has(nd)) {
    seen.add(nd);
    nd = producer.get(waitsOn(nd))!;
  }
  const reads = waitsOn(nd), from = producer.get(reads)!;
  throw new Error(`${labels.get(nd)}: is part of a cycle (${from === nd ? `it reads '${reads}', which it computes itself` : `it reads '${reads}' of ${labels.get(from)!.replace(/^importOnnx: /, '')}, which depends on it in turn`}); ` +
    'an ONNX graph has no cycles: every value is computed before it is used');
}

/** A binary min-heap keyed by `key` (the topological position): findJoin takes the nodes in that order. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly key: (item: T) => number) {}
  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.key(a[parent]) <= this.key(a[i])) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.key(a[l]) < this.key(a[m])) m = l;
        if (r < a.length && this.key(a[r]) < this.key(a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
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
