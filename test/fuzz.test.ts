// A standing fuzz test (issue 13, part 3), property-based with fast-check: random shapes and options for
// the layers' constructors and forward, mutated model files at deserializeModel, truncated and
// mutated PNG, JPEG and IDX bytes at the loaders. Each case must either work or throw miniconv's own
// error, and finish quickly. "miniconv's own error" is an Error whose message starts with the name of
// the component that refused the input (the layer, "loadModel:", "IDX:", the picture's name, ...):
// never a raw TypeError or RangeError from deep inside ("Cannot read properties of undefined",
// "Invalid typed array length", "build is not a function", pngjs's "waitng on finished stream").
//
// Fixed seed and run count in CI; a longer run on demand:
//   MINICONV_FUZZ_RUNS=5000 MINICONV_FUZZ_SEED=7 npx vitest run test/fuzz.test.ts
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeIdx, readIdxImages, readIdxLabels } from '../datasets/idx.ts';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';
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

/** Runs `f`; passes if it returns, or throws an Error whose message starts as `own` says and holds no raw engine words. */
function worksOrOwnError(f: () => unknown, own: RegExp): void {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof Error) || !own.test(e.message) || RAW.test(e.message)) {
      throw new Error(`not miniconv's own error: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    }
  }
  const ms = performance.now() - t0;
  if (ms > CASE_MS) throw new Error(`took ${Math.round(ms)} ms (more than ${CASE_MS} ms)`);
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
    fc.assert(fc.property(fc.constantFrom('Conv2D', 'Dense'), big, big, big, fc.constantFrom(0, 1, 1000, 100000), (type, a, b, c, pad) => {
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
