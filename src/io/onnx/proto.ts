// The ONNX protobuf messages, and the few conversions between them and plain arrays that both the
// exporter and the importer need.
//
// The messages come from `onnx-buf`: ONNX's onnx.proto (1.20) compiled by protoc-gen-es for the
// `@bufbuild/protobuf` runtime (ES modules, no dependency of its own, 64-bit integers as bigint: no
// `Long` type anywhere). Why that and not a hand-written encoder: every field number and wire type is
// the official schema's, the types catch a misspelt field at compile time, and unknown fields written
// by newer exporters are skipped on decoding, as protobuf requires. These types stay inside
// src/io/onnx: no public declaration of miniconv names them.
//
// Tensors: ONNX stores a tensor as `dims` plus its values either in a typed repeated field
// (float_data, int64_data, ...) or as little-endian bytes in raw_data. We write raw_data (the compact
// form every exporter uses) and read both.

import { type DescMessage, type MessageInitShape, type MessageShape, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProtoSchema,
  TensorProto_DataLocation, TensorProto_DataType, ValueInfoProtoSchema,
} from 'onnx-buf';

export type ModelProto = MessageShape<typeof ModelProtoSchema>;
export type GraphProto = MessageShape<typeof GraphProtoSchema>;
export type NodeProto = MessageShape<typeof NodeProtoSchema>;
export type TensorProto = MessageShape<typeof TensorProtoSchema>;
export type AttributeProto = MessageShape<typeof AttributeProtoSchema>;
export type ValueInfoProto = MessageShape<typeof ValueInfoProtoSchema>;

/** One message type: `create` from a partial init (nested plain objects allowed), `encode` to bytes, `decode` from them. */
interface MessageType<S extends DescMessage> {
  create(init?: MessageInitShape<S>): MessageShape<S>;
  encode(message: MessageInitShape<S>): Uint8Array;
  decode(bytes: Uint8Array): MessageShape<S>;
}

function messageType<S extends DescMessage>(schema: S): MessageType<S> {
  return {
    create: (init?: MessageInitShape<S>): MessageShape<S> => create(schema, init),
    encode: (message: MessageInitShape<S>): Uint8Array => toBinary(schema, create(schema, message)),
    decode: (bytes: Uint8Array): MessageShape<S> => fromBinary(schema, bytes),
  };
}

// Declared with their types named, so that the .d.ts stays small (inferred, it spelled out every
// message's fields again: 750 kB).
export const onnx: {
  ModelProto: MessageType<typeof ModelProtoSchema>;
  GraphProto: MessageType<typeof GraphProtoSchema>;
  NodeProto: MessageType<typeof NodeProtoSchema>;
  TensorProto: MessageType<typeof TensorProtoSchema>;
  AttributeProto: MessageType<typeof AttributeProtoSchema>;
  ValueInfoProto: MessageType<typeof ValueInfoProtoSchema>;
} = {
  ModelProto: messageType(ModelProtoSchema),
  GraphProto: messageType(GraphProtoSchema),
  NodeProto: messageType(NodeProtoSchema),
  TensorProto: messageType(TensorProtoSchema),
  AttributeProto: messageType(AttributeProtoSchema),
  ValueInfoProto: messageType(ValueInfoProtoSchema),
};

export const DataType = TensorProto_DataType;
export const AttributeType = AttributeProto_AttributeType;
export const DataLocation = TensorProto_DataLocation;

/** An int64 field as the runtime gives it (a bigint) -> a JS number, checked to be exact. */
export function toNumber(v: bigint | number | null | undefined, what: string): number {
  if (v === null || v === undefined) return 0;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what}: ${String(v)} is not an integer that fits in a double`);
  return n;
}

/** Integers as int64 field values. */
export const int64 = (n: number): bigint => BigInt(n);
export const int64s = (ns: readonly number[]): bigint[] => ns.map((n) => BigInt(n));

/** The value of a constant tensor: float32 values, or int64/int32 values as numbers. */
export interface ConstTensor {
  dims: number[];
  floats?: Float32Array;
  ints?: number[];
}

/** Sane limits, checked before anything is allocated (a corrupt file must not ask for 2^40 floats). */
const MAX_TENSOR_VALUES = 1 << 28;

/** Reads a TensorProto (initializer or Constant value) into plain arrays. `who` names it in errors. */
export function readTensor(t: TensorProto, who: string): ConstTensor {
  const dims = t.dims.map((d) => toNumber(d, `${who}: dims`));
  if (dims.some((d) => d < 0)) throw new RangeError(`${who}: dims [${dims.join(', ')}] has a negative size`);
  const n = dims.reduce((a, d) => a * d, 1);
  if (n > MAX_TENSOR_VALUES) throw new RangeError(`${who}: dims [${dims.join(', ')}] hold ${n} values, more than the ${MAX_TENSOR_VALUES} this reader accepts`);
  if (t.dataLocation === DataLocation.EXTERNAL) {
    throw new Error(`${who}: the values are stored in an external file; save the ONNX model with its weights inside (onnx.save(..., save_as_external_data=False))`);
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const expectBytes = (size: number) => {
    if (raw!.length !== n * size) throw new Error(`${who}: raw_data holds ${raw!.length} bytes, expected ${n * size} for dims [${dims.join(', ')}]`);
  };
  const expectCount = (count: number, field: string) => {
    if (count !== n) throw new Error(`${who}: ${field} holds ${count} values, expected ${n} for dims [${dims.join(', ')}]`);
  };
  // Every count is checked before the values are allocated, and every weight must be a finite float32.
  const finite = (floats: Float32Array, source?: ArrayLike<number>): Float32Array => {
    for (let i = 0; i < floats.length; i++) {
      if (Number.isFinite(floats[i])) continue;
      const v = source ? source[i] : floats[i];
      throw new Error(`${who}: holds a non-finite value (${Number.isFinite(v) ? `${floats[i]} as float32` : String(v)}) at index ${i}; a trained model's weights are finite numbers`);
    }
    return floats;
  };
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (view) expectBytes(4); else expectCount(t.floatData?.length ?? 0, 'float_data');
      const floats = new Float32Array(n);
      if (view) { for (let i = 0; i < n; i++) floats[i] = view.getFloat32(4 * i, true); } else floats.set(t.floatData!);
      return { dims, floats: finite(floats) };
    }
    case DataType.DOUBLE: {
      if (view) expectBytes(8); else expectCount(t.doubleData?.length ?? 0, 'double_data');
      const doubles = view ? Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true)) : Float64Array.from(t.doubleData!);
      return { dims, floats: finite(Float32Array.from(doubles), doubles) };
    }
    case DataType.INT64: {
      let ints: number[];
      if (view) {
        expectBytes(8);
        ints = Array.from({ length: n }, (_, i) => {
          const v = view.getBigInt64(8 * i, true);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${who}: value ${v} does not fit in a double`);
          return Number(v);
        });
      } else {
        expectCount(t.int64Data.length, 'int64_data');
        ints = t.int64Data.map((v) => toNumber(v, who));
      }
      return { dims, ints };
    }
    case DataType.INT32: {
      let ints: number[];
      if (view) { expectBytes(4); ints = Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true)); }
      else { expectCount(t.int32Data.length, 'int32_data'); ints = [...t.int32Data]; }
      return { dims, ints };
    }
    default: {
      const name = DataType[t.dataType] ?? String(t.dataType);
      throw new Error(`${who}: data type ${name} is not supported; expected FLOAT or DOUBLE (weights) or INT64/INT32 (shapes)`);
    }
  }
}

/** A float32 initializer, values as little-endian raw_data. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return onnx.TensorProto.create({ name, dims: int64s(dims), dataType: DataType.FLOAT, rawData: bytes });
}

/** Attributes: `ints('strides', [1, 1])`, `int('group', 1)`, `float('alpha', 1)`. */
export const attr = {
  int: (name: string, i: number): AttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.INT, i: int64(i) }),
  ints: (name: string, ints: readonly number[]): AttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: int64s(ints) }),
  float: (name: string, f: number): AttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f }),
};

/** Reads a node's attributes by name, with defaults; a wrong attribute type is an error naming the node. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  constructor(node: NodeProto, private readonly who: string) {
    for (const a of node.attribute) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    if (a.type !== AttributeType.INT) throw this.typeError(name, a, 'INT');
    return toNumber(a.i, `${this.who}: attribute ${name}`);
  }

  ints(name: string, fallback: number[]): number[] {
    const a = this.byName.get(name);
    if (!a) return fallback;
    if (a.type !== AttributeType.INTS) throw this.typeError(name, a, 'INTS');
    return a.ints.map((v) => toNumber(v, `${this.who}: attribute ${name}`));
  }

  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    if (a.type !== AttributeType.FLOAT) throw this.typeError(name, a, 'FLOAT');
    return a.f;
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    if (!a) return fallback;
    if (a.type !== AttributeType.STRING) throw this.typeError(name, a, 'STRING');
    return new TextDecoder().decode(a.s);
  }

  tensor(name: string): TensorProto | null {
    const a = this.byName.get(name);
    if (!a) return null;
    if (a.type !== AttributeType.TENSOR || !a.t) throw this.typeError(name, a, 'TENSOR');
    return a.t;
  }

  private typeError(name: string, a: AttributeProto, expected: string): Error {
    return new Error(`${this.who}: attribute ${name} has type ${AttributeType[a.type] ?? a.type}, expected ${expected}`);
  }
}

/** A float tensor's type with a shape; a string dimension is symbolic (the batch, 'N'). */
export function tensorValueInfo(name: string, dims: ReadonlyArray<number | string>): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType: DataType.FLOAT,
          shape: { dim: dims.map((d) => ({ value: typeof d === 'string' ? { case: 'dimParam' as const, value: d } : { case: 'dimValue' as const, value: int64(d) } })) },
        },
      },
    },
  });
}
