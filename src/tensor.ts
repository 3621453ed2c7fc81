// A Tensor is a shape plus one flat typed array, in row-major (C) order.
// Images are NCHW: N = batch, C = channels, H = height, W = width.
// Features are [N, F]. Float32 is the working precision; Float64 is accepted
// everywhere so that gradient checks can run in double precision.

/** The typed array a Tensor stores its values in: Float32Array for float32, Float64Array for float64. */
export type FloatArray = Float32Array | Float64Array;
/** A tensor's element type: float32 (models, training) or float64 (gradient checks). */
export type DType = 'float32' | 'float64';

/** Nested number arrays, as written by hand: [[1, 2], [3, 4]]. */
export type NestedArray = number | NestedArray[];

/**
 * The most values one tensor may hold: 2^30 (1,073,741,824; 4 GiB as float32). Shapes are checked
 * against it before anything is allocated, so a mistyped size (a model file with `outChannels 1e9`,
 * `new Tensor([1e6, 1e6])`) gets an error naming the tensor and its size instead of the engine's
 * "Invalid typed array length" or an out-of-memory crash. It is also what the WebAssembly kernels'
 * 4 GiB memory can hold at most.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;

/**
 * Throws a RangeError naming `who` and `what` unless `shape` holds at most MAX_TENSOR_ELEMENTS values,
 * e.g. `Conv2D(conv2d_1): weight [1000000000, 1, 5, 5] would hold 25,000,000,000 values, above the maximum of 1,073,741,824 per tensor`.
 */
export function checkTensorSize(who: string, what: string, shape: readonly number[]): void {
  const n = shapeSize(shape);
  if (n > MAX_TENSOR_ELEMENTS) {
    throw new RangeError(`${who}: ${what} [${shape.join(', ')}] would hold ${n.toLocaleString('en-US')} values, above the maximum of ` +
      `${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')} per tensor (MAX_TENSOR_ELEMENTS)`);
  }
}

/**
 * The most values (parameters plus buffers, all float32) one model may hold: 2^28 (268,435,456;
 * 1 GiB, twice that with the gradients). Every layer constructor checks its own tensors against it,
 * and the loaders (model files, `--arch` files, the page, ONNX import) check the sum over every layer
 * at every depth before building anything (layers/from-config.ts): a 54 KB file declaring a
 * BatchNorm2D of 2^30 features is refused in a millisecond, not after 8 GB.
 */
export const MAX_MODEL_VALUES = 2 ** 28;

/**
 * The most activation values one input may produce through a model, every layer's output summed:
 * 2^26 (67,108,864; 256 MiB as float32 per image). Computed from the shapes before anything runs
 * (Layer.activationValues), by the loaders and by importOnnx: a model whose conv would output
 * 1024 x 496 x 496 is refused at load instead of allocating 2 GB at the first prediction. The zoo
 * models use well under 1% of it on their own inputs.
 */
export const MAX_ACTIVATION_VALUES = 2 ** 26;

/**
 * A typed array of n values, or a RangeError naming `who` when the engine cannot give one (n too large
 * for a typed array, or out of memory): miniconv's words instead of "Invalid typed array length" or
 * "Array buffer allocation failed".
 */
export function allocFloats(who: string, n: number, dtype: DType = 'float32'): FloatArray {
  try {
    return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  } catch (e) {
    const mb = (n * (dtype === 'float64' ? 8 : 4)) / 2 ** 20;
    throw new RangeError(`${who}: cannot allocate ${Number.isFinite(n) ? n.toLocaleString('en-US') : String(n)} ${dtype} values (${mb.toFixed(0)} MiB): ` +
      `${/allocation failed/i.test((e as Error).message) ? 'out of memory' : 'too many values for one array'}`);
  }
}

/**
 * An n-dimensional array: a shape and one flat typed array, row-major (the last dimension varies
 * fastest). Images are NCHW, (batch, channels, height, width); features are [N, F]. float32 by
 * default; float64 for gradient checks. Kernels and layers read and write `data` directly.
 */
export class Tensor {
  /** The dimensions, e.g. [N, C, H, W]; never changed after construction (reshape gives a new tensor). */
  readonly shape: readonly number[];
  /** The values, row-major: element [i, j] of a [R, C] tensor is data[i * C + j]. Length = product of the shape. */
  readonly data: FloatArray;

  /**
   * @param shape dimensions, each a non-negative integer
   * @param data  Float32Array or Float64Array (kept, not copied), or number[] (copied to float32);
   *              omitted: zeros. Its length must equal the product of the shape.
   */
  constructor(shape: readonly number[], data?: FloatArray | ArrayLike<number>) {
    if (!Array.isArray(shape)) throw new TypeError(`Tensor: shape must be an array of integers, got ${String(shape)}`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new RangeError(`Tensor: shape must hold non-negative integers, got [${shape.join(', ')}]`);
      }
    }
    checkTensorSize('Tensor', 'shape', shape);
    const size = shapeSize(shape);
    let arr: FloatArray;
    if (data === undefined) arr = allocFloats('Tensor', size) as Float32Array;
    else if (data instanceof Float32Array || data instanceof Float64Array) arr = data;
    else arr = Float32Array.from(data as ArrayLike<number>);
    if (arr.length !== size) {
      throw new RangeError(
        `Tensor: data length ${arr.length} does not match shape [${shape.join(', ')}], which needs ${size} values`,
      );
    }
    this.shape = Object.freeze([...shape]);
    this.data = arr;
  }

  /** The number of values: the product of the shape. */
  get size(): number { return this.data.length; }
  /** The number of dimensions (4 for an NCHW batch of images). */
  get rank(): number { return this.shape.length; }
  /** 'float32' or 'float64', from the type of `data`. */
  get dtype(): DType { return this.data instanceof Float64Array ? 'float64' : 'float32'; }

  /** A tensor of zeros of the given shape and dtype (default 'float32'). */
  static zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkTensorSize('Tensor.zeros', 'shape', shape);
    const n = shapeSize(shape);
    return new Tensor(shape, allocFloats('Tensor.zeros', n, dtype));
  }

  /** Builds a tensor from nested arrays; the shape is read off the nesting. */
  static from(nested: NestedArray, dtype: DType = 'float32'): Tensor {
    const shape: number[] = [];
    let level: NestedArray = nested;
    while (Array.isArray(level)) { shape.push(level.length); level = level[0] as NestedArray; }
    const flat: number[] = [];
    const walk = (v: NestedArray, depth: number): void => {
      if (depth === shape.length) {
        if (typeof v !== 'number') throw new TypeError('Tensor.from: expected a number at the innermost level');
        flat.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new RangeError(`Tensor.from: ragged array at depth ${depth}: expected length ${shape[depth]}`);
      }
      for (const item of v) walk(item, depth + 1);
    };
    walk(nested, 0);
    return new Tensor(shape, dtype === 'float64' ? Float64Array.from(flat) : Float32Array.from(flat));
  }

  /** Same data, new shape (no copy). One dimension may be -1. */
  reshape(shape: readonly number[]): Tensor {
    const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    return new Tensor(resolved, this.data);
  }

  /** A copy with its own data (same shape and dtype). */
  clone(): Tensor { return new Tensor(this.shape, this.data.slice()); }

  /** A copy in the given precision. */
  to(dtype: DType): Tensor {
    return new Tensor(this.shape, dtype === 'float64' ? Float64Array.from(this.data) : Float32Array.from(this.data));
  }

  /** Nested number arrays, the inverse of Tensor.from. */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A compact printout: every value for small tensors, the first few for large ones. */
  toString(): string {
    const head = `Tensor[${this.shape.join(', ')}] ${this.dtype}`;
    if (this.size <= 64) {
      const fmt = (v: NestedArray): string =>
        Array.isArray(v) ? `[${v.map(fmt).join(', ')}]` : String(Number((v as number).toPrecision(5)));
      return `${head} ${fmt(this.toArray())}`;
    }
    const first = Array.from(this.data.subarray(0, 8), (v) => Number(v.toPrecision(5)));
    return `${head} [${first.join(', ')}, ... ${this.size - 8} more]`;
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** A typed array of the same precision as `like`. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return allocFloats('allocLike', n, like instanceof Float64Array ? 'float64' : 'float32');
}

/** Throws `who: name must have shape [..], got [..]` unless t has exactly that shape. */
export function checkShape(who: string, name: string, t: Tensor, expected: readonly number[]): void {
  if (t.rank !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${who}: ${name} must have shape ${shapeStr(expected)}, got ${shapeStr(t.shape)}`);
  }
}
