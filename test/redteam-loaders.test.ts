// Issue 24, the loaders' part: defects 2, 3, 4, 5, 6, 8, the ONNX self-loop and the per-model
// activation budget of 10. Each test reproduces a defect the second red-team pass found; each failed
// on the code before its fix (the test names carry the defect number, for the closing note).
import { describe, expect, it } from 'vitest';
import {
  BatchNorm2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, MAX_ACTIVATION_VALUES, MAX_LAYER_DEPTH, MAX_MODEL_VALUES, ReLU, Residual, Sequential, createRng,
} from '../src/index.ts';
import { deserializeModel, serializeModel } from '../src/io/model-format.ts';
import { allocFloats } from '../src/tensor.ts';
import { importOnnx } from '../src/io/onnx/import.ts';
import { MAX_ONNX_NODES } from '../src/io/onnx/import.ts';
import { type NodeProto, type TensorProto, AttributeType, DataType, floatTensor, int64, int64s, onnx, tensorValueInfo } from '../src/io/onnx/proto.ts';
import { modelFromArchitecture } from '../src/layers/from-config.ts';

// ---- small ONNX builders (the library's own protobuf messages) ----
function node(opType: string, input: string[], output: string[], ints: Record<string, number[]> = {}): NodeProto {
  return onnx.NodeProto.create({ opType, input, output, attribute: Object.entries(ints).map(([name, v]) => onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: int64s(v) })) });
}
function onnxFile(nodes: NodeProto[], input: Array<number | string>, output: string, inits: TensorProto[] = [], inputName = 'x'): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: int64(8), opsetImport: [{ domain: '', version: int64(17) }], producerName: 'test',
    graph: { name: 'g', node: nodes, initializer: inits, input: [tensorValueInfo(inputName, input)], output: [tensorValueInfo(output, ['N'])] },
  });
}
/** `blocks` residual blocks in sequence on (N, 1, 4, 4): each x -> Relu -> Add(x, relu(x)). */
function residualChain(blocks: number): Uint8Array {
  const nodes: NodeProto[] = [];
  let x = 'x';
  for (let i = 0; i < blocks; i++) {
    nodes.push(node('Relu', [x], [`r${i}`]), node('Add', [`r${i}`, x], [`a${i}`]));
    x = `a${i}`;
  }
  nodes.push(node('Flatten', [x], ['y']));
  return onnxFile(nodes, ['N', 1, 4, 4], 'y');
}
/** Residual blocks nested `depth` deep: at each level v_d -> Relu -> v_{d+1}, the next level, and Add(its result, v_d). */
function nestedResiduals(depth: number): Uint8Array {
  const nodes: NodeProto[] = [];
  for (let d = 0; d < depth; d++) nodes.push(node('Relu', [`v${d}`], [`v${d + 1}`]));
  let y = `v${depth}`;
  for (let d = depth - 1; d >= 0; d--) { nodes.push(node('Add', [y, `v${d}`], [`add${d}`])); y = `add${d}`; }
  nodes.push(node('Flatten', [y], ['y']));
  return onnxFile(nodes, ['N', 1, 4, 4], 'y', [], 'v0');
}
function reluChain(n: number): Uint8Array {
  const nodes = Array.from({ length: n }, (_, i) => node('Relu', [i === 0 ? 'x' : `v${i - 1}`], [`v${i}`]));
  nodes.push(node('Flatten', [`v${n - 1}`], ['y']));
  return onnxFile(nodes, ['N', 1, 2, 2], 'y');
}
/** x (N, 4) -> Gemm(W, b) -> y, W and b given. */
function gemmFile(w: TensorProto, b: TensorProto): Uint8Array {
  const gemm = onnx.NodeProto.create({ opType: 'Gemm', input: ['x', 'W', 'b'], output: ['y'], attribute: [onnx.AttributeProto.create({ name: 'transB', type: AttributeType.INT, i: int64(1) })] });
  return onnxFile([gemm], ['N', 4], 'y', [w, b]);
}

/** Runs f; returns the error it threw (or fails the test) and how long it took. */
function thrown(f: () => unknown): { error: Error; ms: number } {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    return { error: e as Error, ms: performance.now() - t0 };
  }
  throw new Error('expected an error, got none');
}
const RAW = /Invalid typed array length|Array buffer allocation failed|Maximum call stack|not correctly encoded|Failed to execute|is not a function|Cannot read propert/;

// ---- model files ----
const rng = createRng(3);
/** A model with a BatchNorm2D inside a Residual's Sequential block, on [1, 4, 4]. */
function nestedModelDoc(): Record<string, any> {
  const model = new Sequential([
    new Residual(new Sequential([new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: 1, rng }), new BatchNorm2D({ numFeatures: 1 })])),
    new Flatten(), new Dense({ inFeatures: 16, outFeatures: 3, rng }),
  ]);
  return JSON.parse(serializeModel(model, [1, 4, 4]));
}

describe('defect 2: every layer at every depth is size-checked before anything is allocated', () => {
  it('defect 2: new BatchNorm2D({ numFeatures: 1e12 }) throws miniconv\'s RangeError, not "Invalid typed array length"', () => {
    const { error } = thrown(() => new BatchNorm2D({ numFeatures: 1e12 }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/^BatchNorm2D: .*1,000,000,000,000.* above the maximum/);
  });

  it('defect 2: new BatchNorm2D({ numFeatures: 2 ** 30 }) (four 4 GiB tensors) is refused by the per-layer budget before allocating', () => {
    const { error, ms } = thrown(() => new BatchNorm2D({ numFeatures: 2 ** 30 }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/^BatchNorm2D: its parameters and buffers would hold 4,294,967,296 values, above the maximum of [\d,]+ per model \(MAX_MODEL_VALUES\)/);
    expect(ms).toBeLessThan(1000);
  });

  it('defect 2: Conv2D (grouped, dilated) and Dense constructors refuse sizes beyond the per-layer budget with their own RangeError', () => {
    for (const f of [
      () => new Conv2D({ inChannels: 2 ** 14, outChannels: 2 ** 14, kernelSize: 2, groups: 1, dilation: 3, weightInit: 'zeros' }),
      () => new Conv2D({ inChannels: 2 ** 20, outChannels: 2 ** 20, kernelSize: 3, groups: 2 ** 12, weightInit: 'zeros' }),
      () => new Dense({ inFeatures: 2 ** 15, outFeatures: 2 ** 14, weightInit: 'zeros' }),
    ]) {
      const { error, ms } = thrown(f);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(/^(Conv2D|Dense): .*above the maximum of [\d,]+ (per model \(MAX_MODEL_VALUES\)|per tensor)/);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('defect 2: a model file whose BatchNorm2D inside a Residual declares numFeatures 2^30 is refused at load, naming the nested layer', () => {
    const doc = nestedModelDoc();
    doc.architecture.layers[0].block.layers[1].numFeatures = 2 ** 30;
    const { error, ms } = thrown(() => deserializeModel(JSON.stringify(doc), 'nested.json'));
    expect(error.message).toMatch(/^loadModel: nested\.json: invalid architecture: layer 0\.block\.layers\[1\] \(BatchNorm2D\) declares sizes \(numFeatures 1073741824\) far beyond the \d+ weight values the file holds; the file is corrupt$/);
    expect(ms).toBeLessThan(1000);
  });

  it('defect 2: an --arch file (modelFromArchitecture, also the page) with a huge layer nested in a Residual is refused before allocating', () => {
    const arch = {
      inputShape: [1, 4, 4],
      architecture: {
        type: 'Sequential', layers: [
          { type: 'Residual', block: { type: 'Sequential', layers: [{ type: 'BatchNorm2D', numFeatures: 2 ** 29 }] } },
          { type: 'Flatten' }, { type: 'Dense', inFeatures: 16, outFeatures: 10 },
        ],
      },
    };
    const { error, ms } = thrown(() => modelFromArchitecture(arch, 1, { inputShape: [1, 4, 4], classes: 10 }, '--arch a.json'));
    expect(error.message).toMatch(/^--arch a\.json: layer 0\.block\.layers\[0\] \(BatchNorm2D\) would hold 2,147,483,648 values; a model may hold at most [\d,]+ \(MAX_MODEL_VALUES\)/);
    expect(ms).toBeLessThan(1000);
  });

  it('defect 2: many layers each under the per-layer budget are refused together by the per-model budget', () => {
    const layers = Array.from({ length: 40 }, () => ({ type: 'BatchNorm2D', numFeatures: 2 ** 22 }));
    const arch = { architecture: { type: 'Sequential', layers: [...layers, { type: 'Flatten' }, { type: 'Dense', inFeatures: 4, outFeatures: 10 }] } };
    const { error } = thrown(() => modelFromArchitecture(arch, 1, { inputShape: [1, 2, 2], classes: 10 }, 'a.json'));
    expect(error.message).toMatch(/^a\.json: the layers would hold [\d,]+ values together; a model may hold at most [\d,]+ \(MAX_MODEL_VALUES\)/);
  });
});

describe('defect 3: ONNX import validates sizes before building any index array', () => {
  it('defect 3: input [N, 32768, 32768, 1] -> Transpose, Transpose, Flatten is refused at once, naming the input (was 30 s and 4.29 GB)', () => {
    const bytes = onnxFile([
      node('Transpose', ['x'], ['t1'], { perm: [0, 3, 1, 2] }), node('Transpose', ['t1'], ['t2'], { perm: [0, 2, 3, 1] }), node('Flatten', ['t2'], ['y']),
    ], ['N', 32768, 32768, 1], 'y');
    const { error, ms } = thrown(() => importOnnx(bytes));
    expect(error.message).toMatch(/^importOnnx: input 'x' \[N, 32768, 32768, 1\] would hold 1,073,741,824 values per image, above the activation budget of [\d,]+ \(MAX_ACTIVATION_VALUES\)/);
    expect(ms).toBeLessThan(1000);
  });

  it('defect 3: width 2^20 gives miniconv\'s error, not "Invalid typed array length"', () => {
    const bytes = onnxFile([
      node('Transpose', ['x'], ['t1'], { perm: [0, 3, 1, 2] }), node('Transpose', ['t1'], ['t2'], { perm: [0, 2, 3, 1] }), node('Flatten', ['t2'], ['y']),
    ], ['N', 2 ** 20, 2 ** 20, 1], 'y');
    const { error } = thrown(() => importOnnx(bytes));
    expect(error.message).toMatch(/^importOnnx: input 'x' .* above the activation budget/);
    expect(error.message).not.toMatch(RAW);
  });
});

describe('defect 4: ONNX import is linear in the graph; depth and node count are capped', () => {
  // Not a speed target (bench/ measures those): a guard that the import does not take minutes, as it did.
  it('defect 4: 1,000 residual blocks in sequence (was past 60 s) and a 20,000-node chain (was 9 s) import', () => {
    const r = importOnnx(residualChain(1000));
    expect(r.model.layers.length).toBe(1001);
    expect(r.model.layers[0].type).toBe('Residual');
    const c = importOnnx(reluChain(20_000));
    expect(c.model.layers.length).toBe(20_001);
  }, 30_000);

  it('defect 4: residuals nested 800 deep (was 77 s) are refused at once with the nesting limit', () => {
    const { error, ms } = thrown(() => importOnnx(nestedResiduals(800)));
    expect(error.message).toMatch(new RegExp(`^importOnnx: residual blocks nested more than ${Math.floor(MAX_LAYER_DEPTH / 2)} deep`));
    expect(ms).toBeLessThan(2000);
  });

  it('defect 4: residuals nested 10 deep still import', () => {
    const r = importOnnx(nestedResiduals(10));
    expect(r.model.layers[0].type).toBe('Residual');
  });

  it('defect 4: a graph of more than MAX_ONNX_NODES nodes is refused before the walk, with the count', () => {
    const { error } = thrown(() => importOnnx(reluChain(MAX_ONNX_NODES + 1)));
    expect(error.message).toBe(`importOnnx: the graph has ${MAX_ONNX_NODES + 2} nodes, more than the ${MAX_ONNX_NODES} this importer reads (MAX_ONNX_NODES)`);
  }, 30_000);
});

describe('defect 5: NaN and Inf initializers are refused at import, naming the initializer', () => {
  for (const [what, bad] of [['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY], ['-Infinity', Number.NEGATIVE_INFINITY]] as const) {
    it(`defect 5: a ${what} in raw_data is refused, naming the initializer and the index`, () => {
      const w = floatTensor('fc.weight', [2, 4], [0, 1, 2, 3, 4, bad, 6, 7]);
      const { error } = thrown(() => importOnnx(gemmFile(w, floatTensor('fc.bias', [2], [0, 0]))));
      expect(error.message).toBe(`importOnnx: initializer 'fc.weight': holds a non-finite value (${what}) at index 5; a trained model's weights are finite numbers`);
    });
  }
  it('defect 5: a NaN in float_data and in a DOUBLE tensor is refused too', () => {
    const f = onnx.TensorProto.create({ name: 'b1', dims: int64s([2]), dataType: DataType.FLOAT, floatData: [0, Number.NaN] });
    expect(() => importOnnx(gemmFile(floatTensor('W', [2, 4], new Float32Array(8)), f))).toThrow(/^importOnnx: initializer 'b1': holds a non-finite value \(NaN\) at index 1/);
    const d = onnx.TensorProto.create({ name: 'b2', dims: int64s([2]), dataType: DataType.DOUBLE, doubleData: [1e300, 0] });
    expect(() => importOnnx(gemmFile(floatTensor('W', [2, 4], new Float32Array(8)), d))).toThrow(/^importOnnx: initializer 'b2': holds a non-finite value \(Infinity as float32\) at index 0/);
  });
});

describe('defect 6: the model loader validates BatchNorm2D running statistics', () => {
  /** The doc with runningVar of the nested BatchNorm2D set to `v`. */
  function withVar(v: number): string {
    const doc = nestedModelDoc();
    const key = Object.keys(doc.buffers).find((k) => k.endsWith('runningVar'))!;
    const bytes = new Uint8Array(new Float32Array([v]).buffer);
    doc.buffers[key].data = btoa(String.fromCharCode(...bytes));
    return JSON.stringify(doc);
  }
  it('defect 6: a negative running variance is refused at load, naming the buffer and the value', () => {
    expect(() => deserializeModel(withVar(-0.5), 'neg.json')).toThrow(
      /^loadModel: neg\.json: buffer 'residual_1\.block\.batchnorm2d_1\.runningVar' holds -0\.5 at index 0; a running variance plus eps \(0\.00001\) must be > 0/);
  });
  it('defect 6: runningVar = -2 eps is refused; 0 is accepted (eps keeps it positive)', () => {
    expect(() => deserializeModel(withVar(-2e-5), 'eps.json')).toThrow(/running variance plus eps/);
    expect(() => deserializeModel(withVar(0), 'zero.json')).not.toThrow();
  });
});

describe('defect 8: raw engine messages never reach users', () => {
  function withData(data: string): string {
    const doc = nestedModelDoc();
    doc.weights['dense_1.bias'].data = data;
    return JSON.stringify(doc);
  }
  it('defect 8: base64 weight data whose length leaves 1 mod 4 names the file and the weight', () => {
    const { error } = thrown(() => deserializeModel(withData('AAAAAAAAAAAAAAAAA'), 'b64.json'));
    expect(error.message).toBe("loadModel: b64.json: weight 'dense_1.bias' has base64 data of 17 characters, which no base64 text has (a length of 1 more than a multiple of 4); the file is corrupt");
  });
  it('defect 8: base64 weight data with a bad character or misplaced padding names the file and the weight', () => {
    expect(() => deserializeModel(withData('AAAA*AAAAAAAAAAA'), 'c.json')).toThrow(/^loadModel: c\.json: weight 'dense_1\.bias' has no base64 data/);
    const { error } = thrown(() => deserializeModel(withData('AAA=AAAAAAAAAAAA'), 'p.json'));
    expect(error.message).toMatch(/^loadModel: p\.json: weight 'dense_1\.bias' /);
    expect(error.message).not.toMatch(RAW);
  });
  it('defect 8: a typed array the engine cannot give is miniconv\'s RangeError naming who asked, not "Invalid typed array length"', () => {
    const { error } = thrown(() => allocFloats('Tensor.zeros', 2 ** 33));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Tensor.zeros: cannot allocate 8,589,934,592 float32 values (32768 MiB): too many values for one array');
  });
  it('defect 8: a model file nested 10,000 deep is refused before recursing, with the documented limit', () => {
    // Written as text: JSON.stringify itself cannot nest 10,000 deep.
    const arch = '{"type":"Sequential","layers":['.repeat(10_001) + '{"type":"ReLU"}' + ']}'.repeat(10_001);
    const text = JSON.stringify({ ...nestedModelDoc(), architecture: 'ARCH' }).replace('"ARCH"', arch);
    const { error } = thrown(() => deserializeModel(text, 'deep.json'));
    expect(error.message).toBe(`loadModel: deep.json: invalid architecture: layer 0${'.layers[0]'.repeat(MAX_LAYER_DEPTH)} is nested more than ${MAX_LAYER_DEPTH} containers deep (MAX_LAYER_DEPTH)`);
  });
});

describe('defect 10 (loaders): an ONNX self-loop, and the per-model activation budget', () => {
  it('defect 10: an ONNX self-loop (Relu a -> a) is an error, not two ReLUs', () => {
    const { error } = thrown(() => importOnnx(onnxFile([node('Relu', ['a'], ['a']), node('Flatten', ['a'], ['y'])], ['N', 1, 2, 2], 'y', [], 'a')));
    expect(error.message).toMatch(/^importOnnx: node #0 \(Relu\): is part of a cycle \(it reads 'a', which it computes itself\); an ONNX graph has no cycles/);
  });

  it('defect 10: a cycle of two nodes is an error too', () => {
    const { error } = thrown(() => importOnnx(onnxFile([node('Relu', ['x', 'b'], ['a']), node('Relu', ['a'], ['b']), node('Flatten', ['b'], ['y'])], ['N', 1, 2, 2], 'y')));
    expect(error.message).toMatch(/is part of a cycle/);
  });

  /** A model file on [1, 28, 28] whose conv's activations are 1024 x 496 x 496 (padding 234). */
  function bigActivations(): string {
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 1, padding: 1, rng }), new ReLU(), new GlobalAvgPool2D(), new Dense({ inFeatures: 4, outFeatures: 10, rng }),
    ]);
    const doc = JSON.parse(serializeModel(model, [1, 28, 28]));
    const c = doc.architecture.layers[0];
    c.outChannels = 1024;
    c.padding = 234;
    doc.architecture.layers[3].inFeatures = 1024;
    // Weights of the declared size, so that only the activations are out of bounds.
    const zeros = (n: number) => btoa(String.fromCharCode(...new Uint8Array(n * 4)));
    doc.weights['conv2d_1.weight'] = { shape: [1024, 1, 1, 1], dtype: 'float32', data: zeros(1024) };
    doc.weights['conv2d_1.bias'] = { shape: [1024], dtype: 'float32', data: zeros(1024) };
    doc.weights['dense_1.weight'] = { shape: [10, 1024], dtype: 'float32', data: zeros(10240) };
    return JSON.stringify(doc);
  }

  it('defect 10: a model whose activations would be 1024x496x496 is refused at load (predict, eval, summary, the page) before running', () => {
    const { error, ms } = thrown(() => deserializeModel(bigActivations(), 'wide.json'));
    expect(error.message).toMatch(new RegExp(`^loadModel: wide\\.json: the activations of one input \\[1, 28, 28\\] would hold [\\d,]+ values \\(layer 0 \\(Conv2D\\) alone gives \\[1, 1024, 496, 496\\]\\), above the activation budget of ${MAX_ACTIVATION_VALUES.toLocaleString('en-US')} per image \\(MAX_ACTIVATION_VALUES\\)`));
    expect(ms).toBeLessThan(2000);
  });

  it('defect 10: the budget is documented by its constants and leaves the zoo models far inside it', () => {
    expect(MAX_ACTIVATION_VALUES).toBe(2 ** 26);
    expect(MAX_MODEL_VALUES).toBe(2 ** 28);
    expect(MAX_LAYER_DEPTH).toBe(64);
  });
});
