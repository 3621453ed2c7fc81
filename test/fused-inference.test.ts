// Inference fuses Conv2D + ReLU + MaxPool2D (evaluation mode only): the numbers must not change.
//   - A Sequential in evaluation mode gives, bit for bit, what its layers give one by one, on every
//     backend, for the reference network of the bench, the default digit model and odd shapes
//     (odd sizes, overlapping and skipping windows, windows wider than four outputs or not, NaN);
//   - the MaxPool2D layer really is skipped (the conv pools), and in training mode it is not;
//   - a backward (or kinkState) after an evaluation-mode forward gives what it gives after a
//     training-mode forward (the forward is run again unfused first);
//   - conv2dForwardFast({ pool }) equals conv2dForwardFast then maxPool2dForwardFast, bit for bit, on
//     the wasm gather path, the depthwise path and the TypeScript path; a bad window is refused;
//   - evaluate()'s batch size: the measured default, and a bad one refused.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU, Sequential, Tensor, createRng, softmaxCrossEntropy } from '../src/index.ts';
import { createDigitModel } from '../src/digits.ts';
import { EVAL_BATCH_SIZE, evaluate } from '../src/train/metrics.ts';
import { conv2dForwardFast, conv2dKernels } from '../src/kernels/conv2d-fast.ts';
import { maxPool2dKernels } from '../src/kernels/max-pool2d-fast.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { type Backend, BACKENDS } from '../src/kernels/backend.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { impl, rand, shapeName } from './helpers.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

/** The bits of a float32 tensor: equal bits means equal values, NaN and -0 included. */
const bits = (t: Tensor) => Array.from(new Int32Array(Float32Array.from(t.data).buffer));

/** Each layer's own forward, in order: nothing fused. */
function layerByLayer(model: Sequential, x: Tensor): Tensor {
  let h = x;
  for (const l of model.layers) h = l.forward(h);
  return h;
}

interface Case {
  name: string;
  input: number[];
  make: (backend: Backend) => Sequential;
}

const conv = (o: { inChannels: number; outChannels: number; kernelSize: number; stride?: number; padding?: number; groups?: number; dilation?: number }, backend: Backend, seed: number) =>
  new Conv2D({ ...o, rng: createRng(seed), biasInit: 'heNormal', backend });

const cases: Case[] = [
  {
    name: 'reference network (conv 5x5x8, pool 2, conv 5x5x16, pool 3, dense 10)',
    input: [5, 1, 28, 28],
    make: (backend) => new Sequential([
      conv({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2 }, backend, 1), new ReLU(), new MaxPool2D({ kernelSize: 2, stride: 2 }),
      conv({ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 2 }, backend, 2), new ReLU(), new MaxPool2D({ kernelSize: 3, stride: 3 }),
      new Flatten(), new Dense({ inFeatures: 256, outFeatures: 10, rng: createRng(3), backend }),
    ]),
  },
  { name: 'default digit model', input: [3, 1, 28, 28], make: (backend) => createDigitModel(4, { backend }) },
  {
    name: 'odd sizes: 13x11, pool 2 (drops the last row and column), then 3x3 stride 2 (overlapping), no ReLU before a pool',
    input: [2, 3, 13, 11],
    make: (backend) => new Sequential([
      conv({ inChannels: 3, outChannels: 5, kernelSize: 3, padding: 1 }, backend, 5), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      conv({ inChannels: 5, outChannels: 9, kernelSize: 2, padding: 1 }, backend, 6), new MaxPool2D({ kernelSize: 3, stride: 2 }),
    ]),
  },
  {
    name: 'stride-2 conv, pool 3 stride 3 on 9x17 (OW >= 4), pool 2 stride 3 (skipping)',
    input: [3, 2, 19, 35],
    make: (backend) => new Sequential([
      conv({ inChannels: 2, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }, backend, 7), new ReLU(), new MaxPool2D({ kernelSize: 3, stride: 3 }),
      conv({ inChannels: 4, outChannels: 3, kernelSize: 1 }, backend, 8), new ReLU(), new MaxPool2D({ kernelSize: 2, stride: 3 }),
    ]),
  },
  {
    name: 'depthwise, grouped and dilated convs (the paths without the wasm gather kernel)',
    input: [2, 4, 15, 15],
    make: (backend) => new Sequential([
      conv({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, groups: 4 }, backend, 9), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
      conv({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 2, groups: 2, dilation: 2 }, backend, 10), new ReLU(), new MaxPool2D({ kernelSize: 3 }),
    ]),
  },
];

describe.each(BACKENDS.map((backend) => ({ backend })))('fused inference, $backend backend', ({ backend }) => {
  for (const c of cases) {
    it(`${c.name}: x=${shapeName(c.input)}, evaluation mode equals the layers one by one, bit for bit`, () => {
      const x = rand(c.input, `x-${c.name}`);
      const model = c.make(backend).eval(), plain = c.make(backend);
      const pools = model.layers.filter((l) => l instanceof MaxPool2D);
      const spies = pools.map((p) => vi.spyOn(p, 'forwardView'));
      const y = model.forward(x);
      for (const s of spies) expect(s, 'the MaxPool2D layer is fused away').not.toHaveBeenCalled();
      expect(bits(y)).toEqual(bits(layerByLayer(plain, x)));
      // A second pass reuses the buffers: the same bits again.
      expect(bits(model.forward(x))).toEqual(bits(y));
      // In training mode nothing is pooled inside the conv: the pool layers run.
      model.train();
      expect(bits(model.forward(x))).toEqual(bits(y));
      for (const s of spies) expect(s).toHaveBeenCalled();
    });
  }

  it('NaN and -0 in the conv output come out of the fused pool as out of the MaxPool2D layer', () => {
    const c = cases[0];
    const x = rand([2, 1, 28, 28], 'nan');
    for (const i of [0, 29, 300, 784 + 57, 784 + 783]) x.data[i] = NaN;
    const model = c.make(backend).eval(), plain = c.make(backend);
    const first = model.layers[0] as Conv2D;
    first.bias!.value.data.fill(0);
    (plain.layers[0] as Conv2D).bias!.value.data.fill(0);
    first.weight.value.data[0] = -0;
    const y = model.forward(x), ref = layerByLayer(plain, x);
    expect(y.data.some((v) => Number.isNaN(v))).toBe(true);
    expect(bits(y)).toEqual(bits(ref));
  });

  it('backward and kinkState after an evaluation-mode forward equal those after a training-mode forward', () => {
    const c = cases[0];
    const x = rand([4, 1, 28, 28], 'backward');
    const labels = [1, 2, 3, 4];
    const evalModel = c.make(backend).eval(), trainModel = c.make(backend);
    const ye = evalModel.forward(x), yt = trainModel.forward(x);
    expect(bits(ye)).toEqual(bits(yt));
    expect(evalModel.kinkState()).toEqual(trainModel.kinkState());
    const { grad } = softmaxCrossEntropy(yt, labels);
    evalModel.forward(x);
    const dxe = evalModel.backward(grad), dxt = trainModel.backward(grad);
    expect(bits(dxe)).toEqual(bits(dxt));
    evalModel.params().forEach((p, i) => expect(bits(p.grad), p.name).toEqual(bits(trainModel.params()[i].grad)));
    evalModel.forward(x);
    evalModel.backwardParamsOnly(grad);
    trainModel.forward(x);
    trainModel.backwardParamsOnly(grad);
    evalModel.params().forEach((p, i) => expect(bits(p.grad), p.name).toEqual(bits(trainModel.params()[i].grad)));
  });
});

describe('conv2dForwardFast({ pool })', () => {
  const configs = [
    { x: [3, 1, 28, 28], w: [8, 1, 5, 5], p: { stride: 1, padding: 2 }, pool: { kernelSize: 2, stride: 2 } },
    { x: [2, 8, 14, 14], w: [16, 8, 5, 5], p: { stride: 1, padding: 2 }, pool: { kernelSize: 3, stride: 3 } },
    { x: [2, 3, 9, 7], w: [5, 3, 3, 3], p: { stride: 1, padding: 0 }, pool: { kernelSize: 2, stride: 2 } }, // OW = 5 -> 2: under four windows
    { x: [1, 2, 12, 30], w: [11, 2, 3, 2], p: { stride: 2, padding: 1 }, pool: { kernelSize: 3, stride: 1 } }, // F = 11: a ragged lane panel
    { x: [2, 4, 10, 10], w: [4, 1, 3, 3], p: { stride: 1, padding: 1, groups: 4 }, pool: { kernelSize: 2, stride: 2 } }, // depthwise
  ];
  for (const kb of ['fast', 'ts'] as const) {
    for (const cfg of configs) {
      for (const relu of [false, true]) {
        it(`${kb}: x=${shapeName(cfg.x)} w=${shapeName(cfg.w)} s=${cfg.p.stride} p=${cfg.p.padding} pool ${cfg.pool.kernelSize}/${cfg.pool.stride} relu=${relu}: the unfused bits`, () => {
          const x = rand(cfg.x, 'x'), w = rand(cfg.w, 'w'), b = rand([cfg.w[0]], 'b');
          const ws = createWorkspace();
          const fused = impl(conv2dKernels, kb).forward(x, w, b, cfg.p, { ws, relu, pool: cfg.pool }).out.clone();
          const plain = impl(conv2dKernels, kb).forward(x, w, b, cfg.p, { ws: createWorkspace(), relu }).out;
          const ref = impl(maxPool2dKernels, kb).forward(plain, cfg.pool, { ws: createWorkspace() }).out;
          expect(fused.shape).toEqual(ref.shape);
          expect(bits(fused)).toEqual(bits(ref));
          // Again with the same workspace, after an unfused call with it (buffers alternate).
          impl(conv2dKernels, kb).forward(x, w, b, cfg.p, { ws, relu });
          expect(bits(impl(conv2dKernels, kb).forward(x, w, b, cfg.p, { ws, relu, pool: cfg.pool }).out)).toEqual(bits(ref));
        });
      }
    }
  }

  it('a pooling window larger than the output, or not a positive integer, is refused naming the kernel that ran', () => {
    const x = rand([1, 1, 5, 5], 'x'), w = rand([2, 1, 3, 3], 'w');
    expect(() => conv2dForwardFast(x, w, null, { stride: 1, padding: 0 }, { pool: { kernelSize: 4, stride: 1 } }))
      .toThrow(/conv2dForwardWasm: the 4x4 pooling window is larger than the convolution's output 3x3/);
    expect(() => conv2dKernels.ts.forward(x, w, null, { stride: 1, padding: 0 }, { pool: { kernelSize: 0, stride: 1 } }))
      .toThrow(/pool.kernelSize must be an integer >= 1, got 0/);
  });

  it('Conv2D refuses a backward after a pooled forward, and a pool it cannot apply', () => {
    const c = new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, rng: createRng(1), name: 'c' });
    const x = rand([1, 1, 6, 6], 'x');
    const y = c.forwardView(x, { fuse: 'relu', pool: { op: 'maxPool', kernelSize: 2, stride: 2 } });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(() => c.backward(rand([1, 2, 4, 4], 'dy'))).toThrow(/Conv2D\(c\): backward after a forward that pooled its output/);
    expect(() => c.forwardView(x, { pool: { op: 'maxPool', kernelSize: 5, stride: 1 } })).toThrow(/Conv2D\(c\).*smaller than the 5x5 window/);
    class Plain extends Layer {
      readonly type = 'Plain';
      forwardView(t: Tensor, opts?: { pool?: { op: 'maxPool'; kernelSize: number; stride: number } }) { this.checkPool(opts); return t; }
      backwardView(t: Tensor) { return t; }
      outputShape(s: readonly number[]) { return [...s]; }
      config() { return { type: this.type }; }
    }
    expect(() => new Plain().forwardView(x, { pool: { op: 'maxPool', kernelSize: 2, stride: 2 } })).toThrow(/Plain: cannot apply a fused maxPool 2x2 stride 2/);
  });
});

describe('evaluate(): its batch size', () => {
  const set = (count: number) => {
    const images = rand([count, 1, 28, 28], 'eval-set').data as Float32Array;
    return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, shape: [1, 28, 28] as [number, number, number] };
  };

  it(`defaults to EVAL_BATCH_SIZE (${EVAL_BATCH_SIZE}), the measured constant, and any batch size gives the same predictions`, () => {
    const model = createDigitModel(2);
    const s = set(300); // one full batch of 256 and a ragged one
    const byDefault = evaluate(model, s), explicit = evaluate(model, s, { batchSize: EVAL_BATCH_SIZE }), small = evaluate(model, s, { batchSize: 7 });
    expect(byDefault).toEqual(explicit);
    expect(small.confusion).toEqual(byDefault.confusion);
    expect(small.loss).toBeCloseTo(byDefault.loss, 5);
  });

  it('a batch size that is not a positive integer is refused, and the model keeps its mode', () => {
    const model = createDigitModel(2);
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      expect(() => evaluate(model, set(3), { batchSize: bad })).toThrow(`evaluate: batchSize must be an integer >= 1, got ${bad}`);
    }
    expect(model.training).toBe(true);
  });
});
