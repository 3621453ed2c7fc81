// Shared by the ONNX tests: building ONNX files by hand the way the common exporters lay them out
// (with the same protobuf messages the library uses), running them in ONNX Runtime, and comparing.

import * as ort from 'onnxruntime-node';
import { loadDigits } from '../datasets/mnist.ts';
import { Tensor, createRng, type Sequential } from '../src/index.ts';
import { type AttributeProto, type NodeProto, type TensorProto, AttributeType, DataType, floatTensor, int64, int64s, onnx, tensorValueInfo } from '../src/io/onnx/proto.ts';

/** Attribute values: an integer is INT, an integer array INTS, a string STRING, { f } FLOAT, { floats } FLOATS. */
export type AttrValue = number | number[] | string | { f: number } | { floats: number[] };

function toAttribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: int64(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: int64s(v) });
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(v) });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: v.f });
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats: v.floats });
}

export function node(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}, name = ''): NodeProto {
  return onnx.NodeProto.create({ opType, input, output, name, attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)) });
}

/** A float initializer with seeded values (scaled like He init, so activations stay moderate). */
export function randomWeight(name: string, dims: number[], seed: string, fanIn = dims.slice(1).reduce((a, d) => a * d, 1)): TensorProto {
  const rng = createRng(seed);
  const n = dims.reduce((a, d) => a * d, 1);
  const std = Math.sqrt(2 / Math.max(1, fanIn));
  return floatTensor(name, dims, Float32Array.from({ length: n }, () => rng.normal() * std));
}

/** float values written in float_data rather than raw_data (as some exporters do). */
export function floatDataTensor(name: string, dims: number[], values: number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims: int64s(dims), dataType: DataType.FLOAT, floatData: values });
}

/** An INT64 tensor (a Reshape's shape), in int64_data. */
export function int64Tensor(name: string, values: number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims: [int64(values.length)], dataType: DataType.INT64, int64Data: int64s(values) });
}

/** A Constant node holding an INT64 vector as raw little-endian bytes (how PyTorch writes a Reshape's shape). */
export function int64Constant(output: string, values: number[], name = ''): NodeProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  const t = onnx.TensorProto.create({ dims: [int64(values.length)], dataType: DataType.INT64, rawData: raw });
  return onnx.NodeProto.create({ opType: 'Constant', input: [], output: [output], name, attribute: [{ name: 'value', type: AttributeType.TENSOR, t }] });
}

export interface GraphSpec {
  nodes: NodeProto[];
  initializers?: TensorProto[];
  input: { name: string; dims: Array<number | string> };
  outputs: Array<{ name: string; dims: Array<number | string> }>;
  opset: number;
  irVersion?: number;
  producer?: [string, string];
  /** Old PyTorch exports (keep_initializers_as_inputs=True) also list every initializer as a graph input. */
  initializersAsInputs?: boolean;
  metadata?: Record<string, string>;
}

/** Encodes a graph as the bytes of an .onnx file. */
export function buildOnnx(spec: GraphSpec): Uint8Array {
  const inits = spec.initializers ?? [];
  const inputs = [tensorValueInfo(spec.input.name, spec.input.dims)];
  if (spec.initializersAsInputs) for (const t of inits) inputs.push(tensorValueInfo(t.name, t.dims.map(Number)));
  const ir = spec.irVersion ?? (spec.opset <= 9 ? 4 : spec.opset <= 10 ? 5 : spec.opset <= 11 ? 6 : spec.opset <= 14 ? 7 : 8);
  return onnx.ModelProto.encode({
    irVersion: int64(ir),
    opsetImport: [{ domain: '', version: int64(spec.opset) }],
    producerName: spec.producer?.[0] ?? 'test',
    producerVersion: spec.producer?.[1] ?? '0',
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'test-graph',
      node: spec.nodes,
      initializer: inits,
      input: inputs,
      output: spec.outputs.map((o) => tensorValueInfo(o.name, o.dims)),
    },
  });
}

/** Runs an ONNX model in ONNX Runtime on one float input; returns every output's values and dims. */
export async function runOrt(bytes: Uint8Array, inputName: string, data: Float32Array, dims: number[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
    const out: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const [k, v] of Object.entries(result)) out[k] = { data: v.data as Float32Array, dims: [...v.dims] };
    return out;
  } finally {
    await session.release();
  }
}

/** The model's logits on a batch of images, run in batches of 200. */
export function forwardAll(model: Sequential, images: Float32Array, itemShape: number[]): Float32Array {
  const per = itemShape.reduce((a, d) => a * d, 1);
  const count = images.length / per;
  const parts: Float32Array[] = [];
  for (let start = 0; start < count; start += 200) {
    const n = Math.min(200, count - start);
    parts.push(Float32Array.from(model.forward(new Tensor([n, ...itemShape], images.subarray(start * per, (start + n) * per))).data));
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** How many rows of two (N, classes) arrays have the same argmax. */
export function argmaxAgreement(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): number {
  const argmax = (d: ArrayLike<number>, n: number) => {
    let best = 0;
    for (let k = 1; k < classes; k++) if (d[n * classes + k] > d[n * classes + best]) best = k;
    return best;
  };
  let same = 0;
  for (let n = 0; n < a.length / classes; n++) if (argmax(a, n) === argmax(b, n)) same++;
  return same;
}

/** Row-wise softmax of (N, classes) logits, in float64 then rounded. */
export function softmaxRows(logits: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let n = 0; n < logits.length / classes; n++) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[n * classes + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[n * classes + k] - max);
    for (let k = 0; k < classes; k++) out[n * classes + k] = Math.exp(logits[n * classes + k] - max) / sum;
  }
  return out;
}

/** NCHW images (N, C, H, W) -> NHWC (N, H, W, C), as a Keras model takes them. */
export function toNhwc(x: Float32Array, N: number, C: number, H: number, W: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    y[((n * H + i) * W + j) * C + c] = x[((n * C + c) * H + i) * W + j];
  }
  return y;
}

let testDigits: { images: Float32Array; labels: Uint8Array; count: number } | null = null;
/** The 2,000 held-out digits (datasets/mnist.ts loadDigits().test), loaded once. */
export function heldOutDigits(): { images: Float32Array; labels: Uint8Array; count: number } {
  testDigits ??= loadDigits().test;
  return testDigits;
}
