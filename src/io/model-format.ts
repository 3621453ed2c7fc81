// The model file format: one versioned JSON document holding the architecture (layer types and
// options), the weights (float32, base64) and the training metadata. Text in, text out: no file
// system here, so a browser page reads and writes the very same format (model-file.ts adds the disk).
//
// Loading validates everything (format, version, layer list, every shape and length) before it
// builds a model, and rejects anything else with an error.
//
// Versions: 1 held the weights only; 2 (this one) adds `buffers`, the tensors a layer keeps that are
// not trained (BatchNorm2D's running statistics), encoded like the weights. A version-1 file still
// loads: it has no buffers, and its layers (which all predate BatchNorm2D) need none.

import type { Layer, LayerConfig } from '../layers/layer.ts';
import { checkActivationBudget, checkArchitecture, modelFromConfig } from '../layers/from-config.ts';
import { BatchNorm2D } from '../layers/batch-norm2d.ts';
import { Residual } from '../layers/residual.ts';
import { Sequential } from '../layers/sequential.ts';
import { Tensor, shapeSize, shapeStr } from '../tensor.ts';

/** The `format` field of every model file: 'miniconv-model'; a file without it is not one. */
export const MODEL_FORMAT = 'miniconv-model';
/** The version this code writes: 2 (weights and buffers); versions MODEL_VERSION_MIN..MODEL_VERSION load. */
export const MODEL_VERSION = 2;
/** The oldest version this code reads. */
export const MODEL_VERSION_MIN = 1;

/** A saved copy of one parameter at one moment (e.g. first-layer kernels after each epoch). */
export interface Snapshot {
  /** When it was taken: 'init', 'epoch 1', ... */
  label: string;
  /** The parameter's name, e.g. 'conv2d_1.weight'. */
  param: string;
  /** A copy of its values then, in the parameter's shape. */
  value: Tensor;
}

/** One epoch of the training history a model file keeps (fit's EpochInfo without the throughput and the full evaluation). */
export interface EpochRecord {
  /** The epoch, 1-based. */
  epoch: number;
  /** Mean training loss over the epoch. */
  trainLoss: number;
  /** Fraction of training images classified right during the epoch, in [0, 1]. */
  trainAccuracy: number;
  /** Mean held-out loss after the epoch; absent when there was no held-out set. */
  testLoss?: number;
  /** Held-out accuracy after the epoch, in [0, 1]; absent when there was no held-out set. */
  testAccuracy?: number;
  /** Training time of the epoch, in seconds. */
  seconds: number;
}

/** What a model file records about how the model was made; every field optional, and further fields are kept as they are. */
export interface ModelMetadata {
  /** The seed the model was initialised and trained with. */
  seed?: number;
  /** How many epochs it was trained for. */
  epochs?: number;
  /** The mini-batch size it was trained with. */
  batchSize?: number;
  /** The optimiser's config() (name, lr, momentum, ...) and the schedule, as `miniconv train` writes it. */
  optimizer?: Record<string, unknown>;
  /** One record per trained epoch, in order. */
  history?: EpochRecord[];
  /** Confusion matrix on the test set after the last epoch. */
  confusion?: number[][];
  /** The name of the training set, e.g. 'mnist'. */
  dataset?: string;
  /** When the file was written, an ISO 8601 string (new Date().toISOString()). */
  date?: string;
  /** Copies of parameters taken during training (e.g. the first layer's kernels after each epoch). */
  snapshots?: Snapshot[];
  [key: string]: unknown;
}

interface EncodedTensor { shape: number[]; dtype: 'float32'; data: string }
interface ModelDocument {
  format: string;
  version: number;
  inputShape: number[];
  architecture: LayerConfig;
  weights: Record<string, EncodedTensor>;
  /** Version 2 on: every buffer of the model, by name. */
  buffers?: Record<string, EncodedTensor>;
  metadata: Omit<ModelMetadata, 'snapshots'> & { snapshots?: Array<{ label: string; param: string; value: EncodedTensor }> };
}

function encode(t: Tensor): EncodedTensor {
  const f32 = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  return { shape: [...t.shape], dtype: 'float32', data: bytesToBase64(new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength)) };
}

function decode(e: unknown, where: string, file: string): Tensor {
  const bad = (what: string) => new Error(`loadModel: ${file}: ${where} ${what}`);
  if (!e || typeof e !== 'object') throw bad('is missing or not an object');
  const { shape, dtype, data } = e as Partial<EncodedTensor>;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad('has no valid shape');
  if (dtype !== 'float32') throw bad(`has dtype ${String(dtype)}, expected float32`);
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || (data.endsWith('=') && data.length % 4 !== 0)) throw bad('has no base64 data');
  if (data.length % 4 === 1) throw bad(`has base64 data of ${data.length} characters, which no base64 text has (a length of 1 more than a multiple of 4); the file is corrupt`);
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(data);
  } catch {
    throw bad('has base64 data that does not decode; the file is corrupt');
  }
  const n = shapeSize(shape);
  if (bytes.length !== n * 4) {
    // A length that is not a multiple of 4 bytes is no whole number of float32 values: say bytes, not "70.5 values".
    throw bad(bytes.length % 4 === 0 ? `holds ${bytes.length / 4} values, expected ${n} for shape ${shapeStr(shape)}`
      : `holds ${bytes.length} bytes, not a whole number of float32 values (4 bytes each); expected ${n * 4} bytes (${n} values) for shape ${shapeStr(shape)}`);
  }
  const f32 = new Float32Array(n);
  new Uint8Array(f32.buffer).set(bytes);
  for (let i = 0; i < n; i++) if (!Number.isFinite(f32[i])) throw bad(`holds a non-finite value (${f32[i]}) at index ${i}`);
  return new Tensor(shape, f32);
}

/** Decodes the saved tensor of weight or buffer `name`, checking it has the shape of `like`, the model's own. */
function decodeAs(e: unknown, kind: 'weight' | 'buffer', name: string, like: Tensor, file: string): Tensor {
  const t = decode(e, `${kind} '${name}'`, file);
  if (shapeStr(t.shape) !== shapeStr(like.shape)) {
    throw new Error(`loadModel: ${file}: ${kind} '${name}' has shape ${shapeStr(t.shape)}, expected ${shapeStr(like.shape)}`);
  }
  return t;
}

/** Serialises a model (and its metadata) to the JSON text of a model file. */
export function serializeModel(model: Sequential, inputShape: readonly number[], metadata: ModelMetadata = {}): string {
  model.outputShape([1, ...inputShape]); // the architecture must accept the input shape it is saved with
  const weights: Record<string, EncodedTensor> = {};
  for (const p of model.params()) weights[p.name] = encode(p.value);
  const buffers: Record<string, EncodedTensor> = {};
  for (const b of model.buffers()) buffers[b.name] = encode(b.value);
  const { snapshots, ...rest } = metadata;
  const doc: ModelDocument = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    inputShape: [...inputShape],
    architecture: model.config(),
    weights,
    buffers,
    metadata: { ...rest, ...(snapshots ? { snapshots: snapshots.map((s) => ({ label: s.label, param: s.param, value: encode(s.value) })) } : {}) },
  };
  return JSON.stringify(doc);
}

/**
 * Parses and validates the text of a model file; builds the model only once everything checks out.
 * The model comes back in evaluation mode (model.eval(): running statistics, no dropout), ready to
 * predict; call model.train() to train it further.
 */
export function deserializeModel(text: string, file = 'model'): { model: Sequential; inputShape: number[]; metadata: ModelMetadata } {
  let doc: Partial<ModelDocument>;
  try {
    doc = JSON.parse(text) as Partial<ModelDocument>;
  } catch (e) {
    throw new Error(`loadModel: ${file} is not a miniconv model file: not valid JSON (${(e as Error).message}); it may be truncated`);
  }
  if (!doc || typeof doc !== 'object' || doc.format !== MODEL_FORMAT) {
    throw new Error(`loadModel: ${file} is not a miniconv model file (format ${JSON.stringify((doc as { format?: unknown })?.format)}, expected "${MODEL_FORMAT}")`);
  }
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version) || doc.version < MODEL_VERSION_MIN || doc.version > MODEL_VERSION) {
    throw new Error(`loadModel: ${file} has version ${JSON.stringify(doc.version)}; this miniconv reads versions ${MODEL_VERSION_MIN} to ${MODEL_VERSION}`);
  }
  const inputShape = doc.inputShape;
  if (!Array.isArray(inputShape) || inputShape.length < 1 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`loadModel: ${file} has no valid inputShape, expected e.g. [1, 28, 28]`);
  }
  const arch = doc.architecture;
  if (!arch || arch.type !== 'Sequential' || !Array.isArray(arch.layers) || arch.layers.length === 0) {
    throw new Error(`loadModel: ${file}: architecture must be a Sequential with a non-empty layer list`);
  }
  if (!doc.weights || typeof doc.weights !== 'object') throw new Error(`loadModel: ${file} has no weights`);
  if (doc.version >= 2 && (!doc.buffers || typeof doc.buffers !== 'object')) throw new Error(`loadModel: ${file} has no buffers (a version-2 file lists them, {} for none)`);
  const savedBuffers = doc.buffers ?? {};

  checkDeclaredSizes(arch, [doc.weights, savedBuffers], file);

  // Build the layers (their options are validated by the constructors), then check every shape.
  let model: Sequential;
  try {
    model = modelFromConfig(arch);
    model.outputShape([1, ...inputShape]);
  } catch (e) {
    throw new Error(`loadModel: ${file}: invalid architecture: ${(e as Error).message}`);
  }
  try {
    checkActivationBudget(model, inputShape);
  } catch (e) {
    throw new Error(`loadModel: ${file}: ${(e as Error).message}`);
  }
  const params = model.params();
  const names = new Set(params.map((p) => p.name));
  for (const key of Object.keys(doc.weights)) {
    if (!names.has(key)) throw new Error(`loadModel: ${file}: weight '${key}' belongs to no layer of the architecture`);
  }
  const values = params.map((p) => decodeAs(doc.weights![p.name], 'weight', p.name, p.value, file));
  const buffers = model.buffers();
  const bufferNames = new Set(buffers.map((b) => b.name));
  for (const key of Object.keys(savedBuffers)) {
    if (!bufferNames.has(key)) throw new Error(`loadModel: ${file}: buffer '${key}' belongs to no layer of the architecture`);
  }
  const bufferValues = buffers.map((b) => decodeAs(savedBuffers[b.name], 'buffer', b.name, b.value, file));
  const { snapshots: rawSnaps, ...meta } = (doc.metadata ?? {}) as ModelDocument['metadata'];
  const snapshots = Array.isArray(rawSnaps)
    ? rawSnaps.map((s, i) => ({ label: String(s?.label), param: String(s?.param), value: decode(s?.value, `snapshot ${i}`, file) }))
    : undefined;
  // Everything checked: only now fill the model.
  params.forEach((p, i) => p.value.data.set(values[i].data));
  buffers.forEach((b, i) => b.value.data.set(bufferValues[i].data));
  checkRunningStatistics(model, file);
  model.eval();
  return { model, inputShape: [...inputShape], metadata: { ...meta, ...(snapshots ? { snapshots } : {}) } };
}

/**
 * Before any layer is built (and allocates its weights), for every layer at every depth
 * (checkArchitecture): a plain known type, at most MAX_LAYER_DEPTH containers deep, and declared
 * sizes that fit the values the file holds. Every parameter and buffer is stored in the file, so a
 * layer declaring far more values than it stores (outChannels 1e9 in a 1 MB file, a BatchNorm2D
 * of 2^30 features inside a Residual in a 54 KB file) is corrupt: refused before it allocates.
 */
function checkDeclaredSizes(arch: LayerConfig, stores: Array<Record<string, unknown>>, file: string): void {
  let stored = 0; // float32 values in the file: 3 base64 characters per 4 bytes, 4 bytes per value
  for (const store of stores) {
    for (const w of Object.values(store)) {
      const data = (w as Partial<EncodedTensor> | null)?.data;
      if (typeof data === 'string') stored += (data.length * 3) / 16;
    }
  }
  const limit = 1024 * stored + 1e6; // generous: only a corrupt file comes near it
  try {
    checkArchitecture(arch, ({ where, type, values, sizes }) => {
      if (!(values <= limit)) {
        throw new Error(`${where} (${type}) declares sizes (${sizes.join(', ')}) far beyond the ${Math.round(stored)} weight values the file holds; the file is corrupt`);
      }
    });
  } catch (e) {
    throw new Error(`loadModel: ${file}: invalid architecture: ${(e as Error).message}`);
  }
}

/** The layers of a model that hold no others, at every depth. */
function leafLayers(layer: Layer, out: Layer[] = []): Layer[] {
  if (layer instanceof Sequential) for (const l of layer.layers) leafLayers(l, out);
  else if (layer instanceof Residual) { leafLayers(layer.block, out); if (layer.shortcut) leafLayers(layer.shortcut, out); }
  else out.push(layer);
  return out;
}

/** A BatchNorm2D divides by sqrt(runningVar + eps) in evaluation mode: that must be > 0 (the values are finite: decode checked). */
function checkRunningStatistics(model: Sequential, file: string): void {
  for (const layer of leafLayers(model)) {
    if (!(layer instanceof BatchNorm2D)) continue;
    const v = layer.runningVar.data;
    for (let i = 0; i < v.length; i++) {
      if (!(v[i] + layer.eps > 0)) {
        throw new Error(`loadModel: ${file}: buffer '${layer.buffers()[1].name}' holds ${v[i]} at index ${i}; a running variance plus eps (${layer.eps}) must be > 0; the file is corrupt`);
      }
    }
  }
}

// base64 out by hand into one buffer of ASCII codes, read back as one string: 1.2 MB of garbage
// for the default model's weights, where String.fromCharCode(...chunk) + btoa made about 70 MB (an
// iterator result per byte, then the binary strings), which `npm start`'s peak memory paid for at
// the save (issue 27). The same text as btoa (test/model-format-v2.test.ts). In atob, back.
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_CODES = Uint8Array.from(BASE64, (c) => c.charCodeAt(0));
const PAD = 0x3d; // '='

/** The standard base64 (RFC 4648, with '=' padding) of `bytes`: btoa's text, without its binary string. */
export function bytesToBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(4 * Math.ceil(bytes.length / 3));
  let o = 0, i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = BASE64_CODES[v >> 18];
    out[o++] = BASE64_CODES[(v >> 12) & 63];
    out[o++] = BASE64_CODES[(v >> 6) & 63];
    out[o++] = BASE64_CODES[v & 63];
  }
  if (i < bytes.length) { // 1 or 2 bytes left: 2 or 3 characters, then padding
    const two = i + 1 < bytes.length;
    const v = (bytes[i] << 16) | (two ? bytes[i + 1] << 8 : 0);
    out[o++] = BASE64_CODES[v >> 18];
    out[o++] = BASE64_CODES[(v >> 12) & 63];
    out[o++] = two ? BASE64_CODES[(v >> 6) & 63] : PAD;
    out[o++] = PAD;
  }
  return new TextDecoder().decode(out); // ASCII is UTF-8
}

function base64ToBytes(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
