// The backend choice (src/kernels/backend.ts) and the layer contract (src/layers/layer.ts):
//   - every layer gives the same numbers on 'naive', 'ts' and 'wasm', forward and backward;
//   - the choice is made for a layer, a model or the process, in one documented way each;
//   - forward()/backward() return tensors the caller owns; the View passes may share a buffer.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, type Layer, MaxPool2D, ReLU, Sequential, createRng } from '../src/index.ts';
import { type Backend, checkBackend, defaultBackend, resolveKernels, setDefaultBackend, withFallback } from '../src/kernels/backend.ts';
import { conv2dKernels } from '../src/kernels/conv2d-fast.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { modelFromConfig } from '../src/layers/from-config.ts';
import { expectSameOnEveryBackend, rand } from './helpers.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);
afterEach(() => setDefaultBackend(undefined));

const LAYERS: Array<{ name: string; make: (b: Backend) => Layer; x: number[] }> = [
  { name: 'Conv2D 3x3 s2 p1', make: (backend) => new Conv2D({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, rng: createRng(1), biasInit: 'heNormal', backend }), x: [2, 3, 9, 8] },
  { name: 'Dense', make: (backend) => new Dense({ inFeatures: 12, outFeatures: 5, rng: createRng(2), biasInit: 'heNormal', backend }), x: [3, 12] },
  { name: 'ReLU', make: (backend) => new ReLU({ backend }), x: [2, 3, 4, 5] },
  { name: 'MaxPool2D 2/2', make: (backend) => new MaxPool2D({ kernelSize: 2, backend }), x: [2, 3, 6, 7] },
  { name: 'Flatten', make: () => new Flatten(), x: [2, 3, 2, 2] },
  {
    name: 'Sequential conv-relu-pool-flatten-dense (fused pair)',
    make: (backend) => {
      const rng = createRng(3);
      return new Sequential([
        new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
        new Flatten(), new Dense({ inFeatures: 3 * 4 * 4, outFeatures: 4, rng }),
      ]).setBackend(backend);
    },
    x: [2, 1, 8, 8],
  },
];

describe.each(LAYERS)('$name gives the same numbers on every backend', ({ make, x: shape }) => {
  it('forward, dx and every parameter gradient agree with naive (float32, relative 1e-5)', () => {
    expectSameOnEveryBackend(make, shape);
  });
});

describe('choosing the backend', () => {
  it('the default is the fastest available: wasm here', () => {
    expect(defaultBackend()).toBe('wasm');
    expect(new ReLU().backend).toBe('wasm');
  });

  it('for the process: setDefaultBackend, which a layer with its own choice ignores', () => {
    setDefaultBackend('ts');
    expect(new ReLU().backend).toBe('ts');
    expect(new ReLU({ backend: 'naive' }).backend).toBe('naive');
    setDefaultBackend(undefined);
    expect(new ReLU().backend).toBe('wasm');
  });

  it('for a model: setBackend reaches every layer; for a layer: the option or setBackend', () => {
    const model = new Sequential([new Flatten(), new Dense({ inFeatures: 4, outFeatures: 2, rng: createRng(0) }), new ReLU()]);
    model.setBackend('naive');
    expect(model.layers.map((l) => l.backend)).toEqual(['naive', 'naive', 'naive']);
    model.layers[1].setBackend('ts');
    expect(model.layers[1].backend).toBe('ts');
  });

  it('a layer resolves its kernels once, and again after setBackend', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(4) });
    const x = rand([1, 1, 5, 5], 'once');
    const y1 = conv.forward(x);
    conv.setBackend('naive');
    const y2 = conv.forward(x);
    for (let i = 0; i < y1.size; i++) expect(y2.data[i]).toBeCloseTo(y1.data[i], 5);
    expect(conv.backend).toBe('naive');
  });

  // The reproduced bug of issue 26: a layer without a backend of its own resolved the process default
  // once and kept those kernels, so after setDefaultBackend it reported the new default while running
  // the old kernels. What ran is told apart by where the output lives: the ts kernels reuse their
  // workspace's buffer, the naive ones allocate on every call, wasm's output is in wasm memory.
  it("a layer following the default runs the default's kernels after setDefaultBackend, and reports them", () => {
    const conv = new Conv2D({ inChannels: 8, outChannels: 4, kernelSize: 5, padding: 2, rng: createRng(6), biasInit: 'heNormal' });
    const x = rand([2, 8, 9, 9], 'default-change');
    const naiveBits = Array.from(conv2dKernels.naive.forward(x, conv.weight.value, conv.bias!.value, { stride: 1, padding: 2 }).out.data);

    setDefaultBackend('ts');
    const first = conv.forwardView(x);
    expect(conv.forwardView(x), 'the ts workspace reuses its output').toBe(first);

    setDefaultBackend('naive');
    expect(conv.backend).toBe('naive');
    const second = conv.forwardView(x);
    expect(Array.from(second.data), 'the naive kernels ran').toEqual(naiveBits);
    expect(second).not.toBe(first);
    expect(conv.forwardView(x), 'naive allocates every call').not.toBe(second);

    setDefaultBackend(undefined); // back to wasm: the output lives in wasm memory (the relaxed build)
    expect(conv.backend).toBe('wasm');
    const wasm = getWasmKernels()!;
    expect(wasm.shared).toBe(true);
    expect(wasm.addressOf(conv.forwardView(x).data)).not.toBeNull();
    setDefaultBackend('ts');
    expect(wasm.addressOf(conv.forwardView(x).data), 'ts after wasm: an ordinary array').toBeNull();
  });

  it('resolveKernels gives the family for a backend, with its own workspace on the fast ones', () => {
    expect(resolveKernels(conv2dKernels, 'naive').ws).toBeUndefined();
    const a = resolveKernels(conv2dKernels, 'wasm'), b = resolveKernels(conv2dKernels, 'wasm');
    expect(a.ws).toBeDefined();
    expect(a.ws).not.toBe(b.ws);
    expect(a.forward).toBe(withFallback(conv2dKernels).forward); // the wasm pair behind the fallback rule
    expect(resolveKernels(conv2dKernels, 'ts').forward).toBe(conv2dKernels.ts.forward);
  });

  it('a bad name is a RangeError naming the layer and the three choices', () => {
    expect(() => new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 1, backend: 'fast' as Backend, name: 'c' }))
      .toThrow("Conv2D(c): backend must be 'naive', 'ts', 'wasm', got \"fast\"");
    expect(() => setDefaultBackend('gpu' as Backend)).toThrow(/setDefaultBackend: backend must be/);
    expect(() => checkBackend(undefined, 'x')).toThrow(RangeError);
  });
});

describe('who owns a result (layer.ts, rule 2)', () => {
  it.each<Backend>(['naive', 'ts', 'wasm'])('conv.forward(x) twice gives two separate results (%s)', (backend) => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng: createRng(5), backend });
    const x1 = rand([1, 1, 4, 4], 'a'), x2 = rand([1, 1, 4, 4], 'b');
    const y1 = conv.forward(x1);
    const before = Array.from(y1.data);
    const y2 = conv.forward(x2);
    expect(y2.data).not.toBe(y1.data);
    expect(Array.from(y1.data)).toEqual(before);
    const dx1 = conv.backward(rand([...y2.shape], 'd1'));
    const dx1Copy = Array.from(dx1.data);
    conv.backward(rand([...y2.shape], 'd2'));
    expect(Array.from(dx1.data)).toEqual(dx1Copy);
  });

  it('forwardView may hand back the layer buffer, overwritten by the next forwardView (fast backends)', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng: createRng(5), backend: 'ts' });
    const v1 = conv.forwardView(rand([1, 1, 4, 4], 'a'));
    const v2 = conv.forwardView(rand([1, 1, 4, 4], 'b'));
    expect(v2.data).toBe(v1.data); // the documented price of the View passes
  });

  it("Sequential's forward returns a tensor the caller owns", () => {
    const model = new Sequential([new Flatten(), new Dense({ inFeatures: 4, outFeatures: 3, rng: createRng(6) })]);
    const y1 = model.forward(rand([2, 1, 2, 2], 'p'));
    const keep = Array.from(y1.data);
    model.forward(rand([2, 1, 2, 2], 'q'));
    expect(Array.from(y1.data)).toEqual(keep);
  });
});

describe('MaxPool2D takes kernelSize, as PyTorch; old model files say size', () => {
  it('a config with size (model files before kernelSize) builds the same layer', () => {
    const model = modelFromConfig({ type: 'Sequential', layers: [{ type: 'MaxPool2D', name: 'p', size: 3, stride: 2 }] });
    const pool = model.layers[0] as MaxPool2D;
    expect(pool.kernelSize).toBe(3);
    expect(pool.config()).toEqual({ type: 'MaxPool2D', name: 'p', kernelSize: 3, stride: 2 });
  });
});
