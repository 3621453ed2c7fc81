// A standing fuzz test (issue 13, part 3), property-based with fast-check: random shapes and options for
// the layers' constructors and forward, mutated model files at deserializeModel, truncated and
// mutated PNG, JPEG and IDX bytes at the loaders. Each case must either work or throw miniconv's own
// error, and finish quickly. "miniconv's own error" is an Error whose message starts with the name of
// the component that refused the input (the layer, "loadModel:", "IDX:", the picture's name, ...):
// never a raw TypeError or RangeError from deep inside ("Cannot read properties of undefined",
// "Invalid typed array length", "build is not a function", pngjs's "waitng on finished stream").
//
// Issue 24 extended it to every layer type (BatchNorm2D, Dropout, Residual, the pools, grouped and
// dilated convs, nested in Residual and Sequential), to nested model files and `--arch` documents
// (sizes, depths, base64 data), to ONNX graphs built with the protobuf messages (mutated dims,
// attributes, initializers and graph shapes), and to picture headers; each case also has a memory
// budget (MEMORY_BUDGET: what the case left allocated).
//
// Fixed seed and run count in CI; a longer run on demand:
//   npm run fuzz -- --runs 5000 --seed 7
//   (or MINICONV_FUZZ_RUNS=5000 MINICONV_FUZZ_SEED=7 npx vitest run test/fuzz.test.ts)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeIdx, readIdxImages, readIdxLabels } from '../datasets/idx.ts';
import {
  AvgPool2D, BatchNorm2D, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D, type Layer, MaxPool2D, ReLU, Residual, Sequential, Sigmoid, Tanh, Tensor, createRng,
} from '../src/index.ts';
import { modelFromArchitecture } from '../src/layers/from-config.ts';
import { importOnnx } from '../src/io/onnx/import.ts';
import { type AttributeProto, type NodeProto, type TensorProto, AttributeType, floatTensor, int64, int64s, onnx, tensorValueInfo } from '../src/io/onnx/proto.ts';
import { decodePicture } from '../src/io/digit-image.ts';
import { deserializeModel, serializeModel } from '../src/io/model-format.ts';
import { preprocessDigit } from '../src/io/clean-picture.ts';

const RUNS = Number(process.env.MINICONV_FUZZ_RUNS ?? 60);
const SEED = Number(process.env.MINICONV_FUZZ_SEED ?? 13);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };
/** One case may take this long at most (a hang or a runaway allocation shows up as a slow case). */
const CASE_MS = 3000;
/** Each property's time limit in vitest: generous, since a long run on demand multiplies the cases. */
const TEST_MS = Math.max(60_000, RUNS * 100);

/** The engine's and libraries' own words, which must not reach a user even behind a component's name. */
const RAW = /Invalid typed array length|Array buffer allocation failed|is not a function|Cannot read propert|Cannot set propert|is not iterable|Maximum call stack|out of bounds|waitng|Cannot convert|Invalid array length/;

/** What one case may leave allocated (typed arrays and heap together): far below what the defects took (8.5 GB). */
const MEMORY_BUDGET = 1.5 * 2 ** 30;
const used = (): number => { const m = process.memoryUsage(); return m.arrayBuffers + m.heapUsed; };

/** Runs `f`; passes if it returns, or throws an Error whose message starts as `own` says and holds no raw engine words; within CASE_MS and MEMORY_BUDGET. */
function worksOrOwnError(f: () => unknown, own: RegExp): void {
  const t0 = performance.now(), m0 = used();
  let result: unknown;
  try {
    result = f();
  } catch (e) {
    if (!(e instanceof Error) || !own.test(e.message) || RAW.test(e.message)) {
      throw new Error(`not miniconv's own error: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    }
  }
  const ms = performance.now() - t0, grew = used() - m0;
  if (ms > CASE_MS) throw new Error(`took ${Math.round(ms)} ms (more than ${CASE_MS} ms)`);
  if (grew > MEMORY_BUDGET) throw new Error(`left ${(grew / 2 ** 20).toFixed(0)} MiB allocated (more than ${MEMORY_BUDGET / 2 ** 20} MiB)`);
  void result;
}

/** Option values a user or a corrupt file might give: good small integers and every kind of bad. */
const optionValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null, true, [2], {}) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const shape = fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 0, maxLength: 5 });

const layerOwn = /^(Conv2D|Dense|MaxPool2D|ReLU|Flatten|Sequential|Tensor)\b/;

describe('fuzz: layers', () => {
  it('constructors and forward on random options and shapes', () => {
    const rng = createRng(SEED);
    fc.assert(fc.property(
      fc.constantFrom('Conv2D', 'Dense', 'MaxPool2D', 'ReLU', 'Flatten'),
      fc.record({ a: optionValue, b: optionValue, c: optionValue, d: optionValue, e: optionValue }),
      shape,
      (type, o, xShape) => {
        worksOrOwnError(() => {
          const layer =
            type === 'Conv2D' ? new Conv2D({ inChannels: o.a, outChannels: o.b, kernelSize: o.c, stride: o.d, padding: o.e, rng } as never)
            : type === 'Dense' ? new Dense({ inFeatures: o.a, outFeatures: o.b, rng } as never)
            : type === 'MaxPool2D' ? new MaxPool2D({ size: o.a, stride: o.b } as never)
            : type === 'ReLU' ? new ReLU() : new Flatten();
          const x = new Tensor(xShape, Float32Array.from({ length: xShape.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i)));
          const y = layer.forward(x);
          layer.backward(new Tensor([...y.shape], new Float32Array(y.size).fill(0.5)));
        }, layerOwn);
      },
    ), params);
  }, TEST_MS);
});

describe('fuzz: layer sizes and dy (issue 13: checked before allocating, dy named by the layer)', () => {
  // Small sizes, or sizes whose weight or output exceeds MAX_TENSOR_ELEMENTS whatever the others: those
  // must be refused by the layer, naming it, before an allocation; never "Invalid typed array length"
  // or an out-of-memory. (Sizes in between are legitimate work, and slow: not a fuzz case.)
  const big = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(2e9, 2 ** 31, 2 ** 40));

  it('huge channels, features, kernels and padding', () => {
    const rng = createRng(SEED);
    fc.assert(fc.property(fc.constantFrom('Conv2D', 'Dense'), big, big, big, fc.constantFrom(0, 1, 100, 100000), (type, a, b, c, pad) => {
      worksOrOwnError(() => {
        const layer = type === 'Conv2D'
          ? new Conv2D({ inChannels: 1, outChannels: a, kernelSize: Math.min(c, 5), padding: pad, rng, weightInit: 'zeros' })
          : new Dense({ inFeatures: a, outFeatures: b, rng, weightInit: 'zeros' });
        // Only small inputs: the layer's weight or output is what may be huge.
        if (layer instanceof Conv2D) layer.forward(new Tensor([1, 1, 6, 6]));
        else if (a <= 8) layer.forward(new Tensor([2, a]));
      }, /^(Conv2D|Dense)\b.*(would hold [\d,]+ values, above the maximum|smaller than)/);
    }), { ...params, numRuns: Math.min(RUNS, 40) });
  }, TEST_MS);

  it('a dy of the wrong shape names the layer and says dy', () => {
    const rng = createRng(SEED);
    fc.assert(fc.property(fc.constantFrom('Conv2D', 'Dense', 'MaxPool2D', 'ReLU'), shape, (type, dyShape) => {
      const layer = type === 'Conv2D' ? new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng })
        : type === 'Dense' ? new Dense({ inFeatures: 36, outFeatures: 3, rng })
        : type === 'MaxPool2D' ? new MaxPool2D({ kernelSize: 2 }) : new ReLU();
      const y = layer.forward(type === 'Dense' ? new Tensor([2, 36]) : new Tensor([2, 1, 6, 6]));
      const same = dyShape.length === y.rank && dyShape.every((d, i) => d === y.shape[i]);
      const dy = new Tensor(dyShape);
      if (same) expect(() => layer.backward(dy)).not.toThrow();
      else expect(() => layer.backward(dy)).toThrow(new RegExp(`^${type}: dy must have the shape of the last output \\[${y.shape.join(', ')}\\], got`));
    }), params);
  }, TEST_MS);
});

describe('fuzz: model files at deserializeModel', () => {
  const rng = createRng(1);
  const model = new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
    new Flatten(), new Dense({ inFeatures: 2 * 4 * 4, outFeatures: 3, rng }),
  ]);
  const good = serializeModel(model, [1, 8, 8], { seed: 1 });
  const own = /^loadModel: /;

  it('truncated at any byte, or with any byte replaced', () => {
    fc.assert(fc.property(fc.nat({ max: good.length }), fc.nat({ max: good.length - 1 }), fc.integer({ min: 32, max: 126 }), (cut, at, ch) => {
      worksOrOwnError(() => deserializeModel(good.slice(0, cut), 'm.json'), own);
      worksOrOwnError(() => deserializeModel(good.slice(0, at) + String.fromCharCode(ch) + good.slice(at + 1), 'm.json'), own);
    }), params);
  }, TEST_MS);

  /** Every path to a value in a JSON tree. */
  const paths = (v: unknown, at: Array<string | number> = []): Array<Array<string | number>> =>
    v && typeof v === 'object' ? [at, ...Object.entries(v).flatMap(([k, c]) => paths(c, [...at, Array.isArray(v) ? Number(k) : k]))] : [at];
  const doc = JSON.parse(good);
  // Base64 weight data is left out: any string there is covered by the byte mutations above.
  const allPaths = paths(doc).filter((p) => p.length > 0 && p.at(-1) !== 'data');
  const weird = fc.oneof(
    fc.integer({ min: -3, max: 40 }), fc.constantFrom(0, -1, 0.5, 1e9, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e300),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'Conv2D', 'Dense', '', 'x'), fc.constant(null), fc.boolean(),
    fc.constantFrom([], {}, [1], [3, 3], [-1, 2], { type: 'ReLU' }),
  );

  it('any value in the document replaced by a strange one', () => {
    fc.assert(fc.property(fc.constantFrom(...allPaths), weird, (path, value) => {
      const d = structuredClone(doc);
      let node = d;
      for (const k of path.slice(0, -1)) node = node[k];
      node[path.at(-1)!] = value;
      worksOrOwnError(() => deserializeModel(JSON.stringify(d), 'm.json'), own);
    }), params);
  }, TEST_MS);
});

describe('fuzz: pictures at decodePicture and preprocessDigit', () => {
  const W = 24, H = 20, rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) { rgba.fill(i % W > 8 && i % W < 14 ? 20 : 235, 4 * i, 4 * i + 3); rgba[4 * i + 3] = 255; }
  const png = new PNG({ width: W, height: H });
  png.data.set(rgba);
  const files = {
    png: new Uint8Array(PNG.sync.write(png)),
    jpg: new Uint8Array(jpeg.encode({ data: Buffer.from(rgba), width: W, height: H }, 80).data),
  };
  for (const [kind, bytes] of Object.entries(files)) {
    it(`${kind}: truncated, bytes replaced, bytes inserted`, () => {
      const own = new RegExp(`^(fuzz\\.${kind}( |:)|no such file)`);
      fc.assert(fc.property(
        fc.nat({ max: bytes.length }),
        fc.array(fc.record({ at: fc.nat({ max: bytes.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (cut, edits) => {
          const mutated = Uint8Array.from(bytes);
          for (const { at, value } of edits) mutated[at] = value;
          for (const b of [bytes.subarray(0, cut), mutated]) {
            worksOrOwnError(() => {
              const pic = decodePicture(b, `fuzz.${kind}`);
              preprocessDigit(pic.rgba, pic.width, pic.height, { source: `fuzz.${kind}` });
            }, own);
          }
        },
      ), params);
    }, TEST_MS);
  }
});

describe('fuzz: IDX files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'miniconv-fuzz-idx-'));
  const set = { images: Float32Array.from({ length: 3 * 784 }, (_, i) => (i % 7) / 7), labels: Uint8Array.from([1, 7, 3]), count: 3, shape: [1, 28, 28] as [number, number, number] };
  const { images, labels } = encodeIdx(set);
  for (const [kind, bytes, read] of [['images', images, readIdxImages], ['labels', labels, readIdxLabels]] as const) {
    it(`${kind}: truncated, header and bytes replaced`, () => {
      fc.assert(fc.property(
        fc.nat({ max: bytes.length }),
        fc.array(fc.record({ at: fc.nat({ max: Math.min(bytes.length - 1, 40) }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (cut, edits) => {
          const mutated = Buffer.from(bytes);
          for (const { at, value } of edits) mutated[at] = value;
          for (const [name, b] of [['cut', bytes.subarray(0, cut)], ['mutated', mutated]] as const) {
            const file = join(dir, `${kind}-${name}`);
            writeFileSync(file, b);
            worksOrOwnError(() => read(file), /^IDX: /);
          }
        },
      ), params);
    }, TEST_MS);
  }
});

// ---- issue 24: every layer type, nested files, --arch, ONNX graphs, picture headers ----

/** Sizes: mostly small, sometimes beyond every budget (those must be refused, naming the layer, before allocating). */
const size = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 20, 2 ** 30, 1e12, -3, 2.5, Number.NaN) });
const anyLayerOwn = /^(Conv2D|Dense|MaxPool2D|AvgPool2D|GlobalAvgPool2D|BatchNorm2D|Dropout|ReLU|Tanh|Sigmoid|Flatten|Sequential|Residual|Tensor)\b/;
const LAYER_TYPES = ['Conv2D', 'Dense', 'MaxPool2D', 'AvgPool2D', 'GlobalAvgPool2D', 'BatchNorm2D', 'Dropout', 'ReLU', 'Tanh', 'Sigmoid', 'Flatten'] as const;

describe('fuzz: every layer type, alone and nested in Residual and Sequential (issue 24)', () => {
  const options = fc.record({ a: size, b: size, c: size, d: size, e: size, dilation: size, groups: size, p: fc.constantFrom(0, 0.5, 1, -1, 2, Number.NaN, undefined) });
  const build = (type: typeof LAYER_TYPES[number], o: Record<string, unknown>, rng: ReturnType<typeof createRng>): Layer => {
    switch (type) {
      case 'Conv2D': return new Conv2D({ inChannels: o.a, outChannels: o.b, kernelSize: o.c, stride: o.d, padding: o.e, dilation: o.dilation, groups: o.groups, rng, weightInit: 'zeros' } as never);
      case 'Dense': return new Dense({ inFeatures: o.a, outFeatures: o.b, rng, weightInit: 'zeros' } as never);
      case 'MaxPool2D': return new MaxPool2D({ kernelSize: o.c, stride: o.d } as never);
      case 'AvgPool2D': return new AvgPool2D({ kernelSize: o.c, stride: o.d } as never);
      case 'GlobalAvgPool2D': return new GlobalAvgPool2D();
      case 'BatchNorm2D': return new BatchNorm2D({ numFeatures: o.a, momentum: o.p } as never);
      case 'Dropout': return new Dropout({ p: o.p, rng } as never);
      case 'ReLU': return new ReLU();
      case 'Tanh': return new Tanh();
      case 'Sigmoid': return new Sigmoid();
      default: return new Flatten();
    }
  };
  it('constructors, forward (training and evaluation) and backward on random options, shapes and nesting', () => {
    const rng = createRng(SEED);
    fc.assert(fc.property(
      fc.constantFrom(...LAYER_TYPES), options, fc.constantFrom('alone', 'residual', 'sequential', 'residual+shortcut'), shape, fc.boolean(),
      (type, o, nest, xShape, training) => {
        worksOrOwnError(() => {
          const inner = build(type, o, rng);
          const layer = nest === 'alone' ? inner
            : nest === 'sequential' ? new Sequential([inner, new ReLU()])
            : nest === 'residual' ? new Residual(new Sequential([inner]))
            : new Residual(inner, build(type, o, rng));
          layer.train(training);
          if (xShape.reduce((p, d) => p * d, 1) > 4096) return;
          const x = new Tensor(xShape, Float32Array.from({ length: xShape.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i)));
          const y = layer.forward(x);
          layer.backward(new Tensor([...y.shape], new Float32Array(y.size).fill(0.5)));
        }, anyLayerOwn);
      },
    ), params);
  }, TEST_MS);
});

/** A model using every layer type, nested: the base of the model-file and --arch mutations. */
function everyLayerModel(): Sequential {
  const rng = createRng(5);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }),
    new Residual(new Sequential([
      new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 2, dilation: 2, groups: 2, rng }), new BatchNorm2D({ numFeatures: 4 }), new ReLU(), new Dropout({ p: 0.2, rng }),
    ]), new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 1, rng })),
    new MaxPool2D({ kernelSize: 2 }), new AvgPool2D({ kernelSize: 2 }), new Tanh(), new Sigmoid(),
    new Residual(new Sequential([new Flatten(), new Dense({ inFeatures: 16, outFeatures: 16, rng })]), new Flatten()),
    new Dense({ inFeatures: 16, outFeatures: 3, rng }),
  ]);
}

/** Every path to a value in a JSON tree (leaving out base64 data, mutated on its own). */
const jsonPaths = (v: unknown, at: Array<string | number> = []): Array<Array<string | number>> =>
  v && typeof v === 'object' ? [at, ...Object.entries(v).flatMap(([k, c]) => (k === 'data' ? [] : jsonPaths(c, [...at, Array.isArray(v) ? Number(k) : k])))] : [at];
const strange = fc.oneof(
  fc.integer({ min: -3, max: 40 }), fc.constantFrom(0, -1, 0.5, 2 ** 20, 2 ** 30, 2 ** 31, 1e12, Number.MAX_SAFE_INTEGER, 1e300),
  fc.constantFrom('__proto__', 'constructor', 'Residual', 'Sequential', 'BatchNorm2D', 'Dropout', 'AvgPool2D', 'GlobalAvgPool2D', ''), fc.constant(null), fc.boolean(),
  fc.constantFrom([], {}, [1], [3, 3], { type: 'ReLU' }, { type: 'Residual', block: { type: 'BatchNorm2D', numFeatures: 2 ** 30 } }, { type: 'Sequential', layers: [] }),
);
function setPath(doc: any, path: Array<string | number>, value: unknown): void {
  let node = doc;
  for (const k of path.slice(0, -1)) node = node[k];
  node[path.at(-1)!] = value;
}
/** Text of `layer` wrapped in `depth` Sequentials, written as text (JSON.stringify cannot nest deeply). */
const wrapped = (layerJson: string, depth: number): string => '{"type":"Sequential","layers":['.repeat(depth) + layerJson + ']}'.repeat(depth);

describe('fuzz: nested model files and --arch documents (issue 24)', () => {
  const model = everyLayerModel();
  const good = serializeModel(model, [1, 8, 8], { seed: 1 });
  const doc = JSON.parse(good);
  const archPaths = jsonPaths(doc.architecture).map((p) => ['architecture', ...p]).filter((p) => p.length > 1);
  const dataKeys = [...Object.keys(doc.weights).map((k) => ['weights', k]), ...Object.keys(doc.buffers).map((k) => ['buffers', k])];
  const base64ish = fc.string({ unit: fc.constantFrom(...'AB+/=*-_ \n'.split('')), maxLength: 40 });

  it('model files: any value at any depth replaced, base64 data replaced, a layer wrapped up to 10,000 deep', () => {
    fc.assert(fc.property(
      fc.constantFrom(...archPaths), strange, fc.constantFrom(...dataKeys), base64ish, fc.nat({ max: 3 }), fc.constantFrom(0, 1, 10, 63, 64, 65, 500, 10_000),
      (path, value, [store, key], data, which, depth) => {
        const d = structuredClone(doc);
        if (which === 0) setPath(d, path, value);
        if (which === 1) d[store][key].data = data;
        let text = JSON.stringify(d);
        if (which === 2) {
          const layers = d.architecture.layers;
          const k = depth % layers.length;
          text = JSON.stringify({ ...d, architecture: { ...d.architecture, layers: layers.map((l: unknown, i: number) => (i === k ? 'WRAP' : l)) } })
            .replace('"WRAP"', wrapped(JSON.stringify(layers[k]), depth));
        }
        if (which === 3) setPath(d, path, value);
        worksOrOwnError(() => {
          const { model: m, inputShape } = deserializeModel(which === 3 ? JSON.stringify(d) : text, 'm.json');
          m.forward(new Tensor([2, ...inputShape]));
        }, /^loadModel: /);
      },
    ), params);
  }, TEST_MS);

  it('--arch documents: any value at any depth replaced, a layer wrapped deep', () => {
    fc.assert(fc.property(fc.constantFrom(...archPaths), strange, fc.constantFrom(0, 2, 64, 65, 10_000), fc.boolean(), (path, value, depth, wrap) => {
      const d = { inputShape: [1, 8, 8], architecture: structuredClone(doc.architecture) };
      let text: string;
      if (wrap) {
        const layers = d.architecture.layers;
        text = JSON.stringify({ ...d, architecture: { ...d.architecture, layers: ['WRAP', ...layers.slice(1)] } }).replace('"WRAP"', wrapped(JSON.stringify(layers[0]), depth));
      } else {
        setPath(d, path, value);
        text = JSON.stringify(d);
      }
      worksOrOwnError(() => {
        const m = modelFromArchitecture(JSON.parse(text), 1, { inputShape: [1, 8, 8], classes: 3 }, '--arch a.json');
        m.forward(new Tensor([2, 1, 8, 8]));
      }, /^--arch a\.json: /);
    }), params);
  }, TEST_MS);
});

describe('fuzz: ONNX graphs built with the protobuf messages (issue 24)', () => {
  const ints = (name: string, v: number[]): AttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: int64s(v) });
  const int = (name: string, v: number): AttributeProto => onnx.AttributeProto.create({ name, type: AttributeType.INT, i: int64(v) });
  const nd = (opType: string, input: string[], output: string[], attribute: AttributeProto[] = []): NodeProto => onnx.NodeProto.create({ opType, input, output, attribute, name: output[0] });
  const w = (name: string, dims: number[]): TensorProto => floatTensor(name, dims, Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => Math.cos(i) * 0.3));
  /** x (N, 1, 8, 8) -> conv -> relu -> grouped dilated conv -> batch norm -> + relu (a residual block) -> max pool -> average pool -> flatten -> gemm. */
  const base = () => ({
    input: ['N', 1, 8, 8] as Array<number | string>,
    nodes: [
      nd('Conv', ['x', 'w1', 'b1'], ['c1'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
      nd('Relu', ['c1'], ['r1']),
      nd('Conv', ['r1', 'w2'], ['c2'], [ints('kernel_shape', [3, 3]), ints('pads', [2, 2, 2, 2]), ints('dilations', [2, 2]), int('group', 2)]),
      nd('BatchNormalization', ['c2', 's', 'bb', 'm', 'v'], ['bn']),
      nd('Add', ['bn', 'r1'], ['a']),
      nd('MaxPool', ['a'], ['p'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
      nd('AveragePool', ['p'], ['q'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
      nd('Flatten', ['q'], ['f']),
      nd('Gemm', ['f', 'w3', 'b3'], ['y'], [int('transB', 1)]),
    ],
    inits: [w('w1', [4, 1, 3, 3]), w('b1', [4]), w('w2', [4, 2, 3, 3]), w('s', [4]), w('bb', [4]), w('m', [4]), floatTensor('v', [4], [1, 1, 1, 1]), w('w3', [3, 16]), w('b3', [3])],
  });
  const encode = (g: ReturnType<typeof base>): Uint8Array => onnx.ModelProto.encode({
    irVersion: int64(8), opsetImport: [{ domain: '', version: int64(17) }],
    graph: { name: 'g', node: g.nodes, initializer: g.inits, input: [tensorValueInfo('x', g.input)], output: [tensorValueInfo('y', ['N', 3])] },
  });

  it('the unmutated graph imports and runs (the base of the mutations is valid)', () => {
    const r = importOnnx(encode(base()));
    expect(r.model.forward(new Tensor([1, 1, 8, 8])).shape).toEqual([1, 3]);
  });

  const big = fc.constantFrom(0, -1, 1, 2, 3, 7, 1000, 2 ** 15, 2 ** 20, 2 ** 31, 2 ** 40);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('input dim' as const), at: fc.nat({ max: 3 }), value: big }),
    fc.record({ kind: fc.constant('attribute' as const), at: fc.nat({ max: 8 }), attr: fc.nat({ max: 3 }), k: fc.nat({ max: 3 }), value: big }),
    fc.record({ kind: fc.constant('initializer dims' as const), at: fc.nat({ max: 8 }), k: fc.nat({ max: 3 }), value: big }),
    fc.record({ kind: fc.constant('initializer value' as const), at: fc.nat({ max: 8 }), value: fc.constantFrom(Number.NaN, Infinity, -Infinity, -5, 1e38) }),
    fc.record({ kind: fc.constant('initializer bytes' as const), at: fc.nat({ max: 8 }), cut: fc.nat({ max: 64 }) }),
    fc.record({ kind: fc.constant('graph' as const), at: fc.nat({ max: 8 }), to: fc.nat({ max: 8 }), how: fc.constantFrom('remove', 'duplicate', 'self-loop', 'cycle', 'rewire', 'op', 'swap') }),
  );

  it('mutated dims, attributes, initializers and graph shapes: imports and runs, or importOnnx\'s own error', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      const g = base();
      for (const m of mutations) {
        if (m.kind === 'input dim') g.input[m.at] = m.value;
        else if (m.kind === 'attribute') {
          const a = g.nodes[m.at % g.nodes.length].attribute?.[m.attr];
          if (a?.ints?.length) a.ints[m.k % a.ints.length] = BigInt(m.value); else if (a) a.i = BigInt(m.value);
        } else if (m.kind === 'initializer dims') {
          const t = g.inits[m.at];
          if (t.dims.length) t.dims[m.k % t.dims.length] = BigInt(m.value); else t.dims = [BigInt(m.value)];
        } else if (m.kind === 'initializer value') {
          const t = g.inits[m.at];
          new DataView(t.rawData!.buffer, t.rawData!.byteOffset).setFloat32(0, m.value, true);
        } else if (m.kind === 'initializer bytes') {
          const t = g.inits[m.at];
          t.rawData = t.rawData!.slice(0, m.cut);
        } else {
          const at = m.at % g.nodes.length, to = m.to % g.nodes.length; // an earlier mutation may have removed nodes
          const n = g.nodes[at], other = g.nodes[to];
          if (m.how === 'remove') g.nodes.splice(at, 1);
          else if (m.how === 'duplicate') g.nodes.splice(at, 0, onnx.NodeProto.create({ ...n, name: `${n.name}_copy` }));
          else if (m.how === 'self-loop') n.input = [n.output![0], ...(n.input ?? []).slice(1)];
          else if (m.how === 'cycle') n.input = [other.output![0], ...(n.input ?? []).slice(1)];
          else if (m.how === 'rewire') other.input = [n.output![0], ...(other.input ?? []).slice(1)];
          else if (m.how === 'op') n.opType = ['Relu', 'Add', 'Conv', 'Flatten', 'Transpose', 'Reshape', 'MatMul', 'Softmax', 'Loop'][m.to];
          else [g.nodes[at], g.nodes[to]] = [other, n];
        }
      }
      worksOrOwnError(() => {
        const r = importOnnx(encode(g));
        r.model.forward(new Tensor([1, ...r.inputShape]));
      }, /^importOnnx: /);
    }), params);
  }, TEST_MS);
});

describe('fuzz: picture headers that declare any size (issue 24)', () => {
  const W = 24, H = 20;
  const png = new PNG({ width: W, height: H });
  png.data.fill(200);
  const bytes = new Uint8Array(PNG.sync.write(png));
  it('png: IHDR width and height replaced by any 32-bit value', () => {
    fc.assert(fc.property(fc.nat(), fc.nat(), (width, height) => {
      const b = Uint8Array.from(bytes);
      const view = new DataView(b.buffer);
      view.setUint32(16, width >>> 0);
      view.setUint32(20, height >>> 0);
      worksOrOwnError(() => {
        const pic = decodePicture(b, 'hdr.png');
        preprocessDigit(pic.rgba, pic.width, pic.height, { source: 'hdr.png' });
      }, /^hdr\.png( |:)/);
    }), params);
  }, TEST_MS);
});

describe('cases the fuzzer found, kept as plain tests', () => {
  const rng = createRng(2);
  const good = JSON.parse(serializeModel(new Sequential([new Flatten(), new Dense({ inFeatures: 16, outFeatures: 3, rng })]), [1, 4, 4]));
  it('a model file declaring outChannels 1e9 or kernelSize 2^53 is refused before anything is allocated, naming the layer', () => {
    const huge = structuredClone(good);
    huge.architecture.layers[1].outFeatures = 1e9;
    expect(() => deserializeModel(JSON.stringify(huge), 'huge.json')).toThrow(
      /^loadModel: huge\.json: invalid architecture: layer 1 \(Dense\) declares sizes \(inFeatures 16, outFeatures 1000000000\) far beyond the 51 weight values the file holds; the file is corrupt$/);
  });
  it('a layer type named __proto__ is an unknown type, not "build is not a function"', () => {
    const proto = structuredClone(good);
    proto.architecture.layers[0].type = '__proto__';
    expect(() => deserializeModel(JSON.stringify(proto), 'p.json')).toThrow('loadModel: p.json: invalid architecture: layer 0 has unknown type "__proto__"');
  });
  it('a JPEG whose Huffman table index is corrupt says so in words', () => {
    const W = 24, H = 20, rgba = new Uint8Array(W * H * 4).fill(200);
    const bytes = new Uint8Array(jpeg.encode({ data: Buffer.from(rgba), width: W, height: H }, 80).data);
    // Find the DHT marker and give its first table an out-of-range index.
    let dht = -1;
    for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xc4) { dht = i; break; }
    bytes[dht + 4] = 0x15;
    let message = '';
    try { decodePicture(bytes, 'bad.jpg'); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/^bad\.jpg is not a readable JPEG photo: /);
    expect(message).not.toMatch(RAW);
  });
});
