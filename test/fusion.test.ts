// Speed shortcuts must not change the numbers:
//   - Sequential fuses a Conv2D followed by a ReLU into one step (on every backend): the
//     output, every parameter gradient and dL/dx equal, bit for bit, running the two layers one
//     after the other (on the wasm path and on the TypeScript path);
//   - the two WebAssembly builds (plain SIMD, and relaxed SIMD with fused multiply-add) both agree
//     with the naive convolution on random configurations.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU, Sequential, Tensor, createRng, softmaxCrossEntropy } from '../src/index.ts';
import { conv2dBackwardNaive, conv2dForwardNaive } from '../src/kernels/conv2d.ts';
import { conv2dBackwardFast, conv2dForwardFast } from '../src/kernels/conv2d-fast.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { getWasmKernels, initWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { type Backend, setDefaultBackend } from '../src/kernels/backend.ts';
import { WASM_OUTPUT, WASM_RELAXED_OUTPUT, ensureWasmBuilt } from '../src/kernels/wasm/build.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

function net(seed: number): Sequential {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 2, outChannels: 5, kernelSize: 3, padding: 1, rng, biasInit: 'heNormal' }),
    new ReLU(),
    new MaxPool2D({ kernelSize: 2 }),
    new Conv2D({ inChannels: 5, outChannels: 6, kernelSize: [3, 2], stride: 2, rng, biasInit: 'heNormal' }),
    new ReLU(),
    new Flatten(),
    new Dense({ inFeatures: 6 * 1 * 3, outFeatures: 4, rng }),
  ]);
}

/** The same model run the plain way: each layer's forward in order, each backward in reverse. */
function layerByLayer(model: Sequential, x: Tensor, dy: Tensor): { out: Tensor; dx: Tensor } {
  let h = x;
  for (const l of model.layers) h = l.forward(h);
  const out = h.clone();
  let g = dy;
  for (let i = model.layers.length - 1; i >= 0; i--) g = model.layers[i].backward(g);
  return { out, dx: g.clone() };
}

function input(seed: number): { x: Tensor; labels: number[] } {
  const rng = createRng(seed);
  const x = new Tensor([3, 2, 9, 13]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  return { x, labels: [0, 3, 1] };
}

const grads = (m: Layer) => m.params().map((p) => Array.from(p.grad.data));

describe.each<{ backend: Backend }>([{ backend: 'wasm' }, { backend: 'ts' }, { backend: 'naive' }])('Sequential fuses Conv2D + ReLU ($backend backend)', ({ backend }) => {
  beforeAll(() => setDefaultBackend(backend));
  afterAll(() => setDefaultBackend(undefined));

  it('forward, backward and backwardParamsOnly equal running the layers one by one, bit for bit', () => {
    const { x, labels } = input(1);
    const fused = net(7), plain = net(7);
    const out = fused.forward(x);
    const { grad } = softmaxCrossEntropy(out, labels);
    const dx = fused.backward(grad).clone();
    const ref = layerByLayer(plain, x, grad);
    expect(Array.from(out.data)).toEqual(Array.from(ref.out.data));
    expect(Array.from(dx.data)).toEqual(Array.from(ref.dx.data));
    expect(grads(fused)).toEqual(grads(plain));

    // backwardParamsOnly (training) adds the same gradients again.
    fused.forward(x);
    fused.backwardParamsOnly(grad);
    plain.forward(x);
    plain.backward(grad);
    expect(grads(fused)).toEqual(grads(plain));
  });

  it('fusion is what the layers declare: a Conv2D that declines (canFuse false) runs unfused, same answer', () => {
    const { x, labels } = input(2);
    class PlainConv2D extends Conv2D {
      override canFuse(): boolean { return false; }
    }
    const fast = net(3), other = net(3);
    const conv = other.layers[0] as Conv2D;
    const plainConv = new PlainConv2D({ inChannels: 2, outChannels: 5, kernelSize: 3, padding: 1, rng: createRng(0), name: conv.name });
    plainConv.weight.value.data.set(conv.weight.value.data);
    plainConv.bias!.value.data.set(conv.bias!.value.data);
    const mixed = new Sequential([plainConv, ...other.layers.slice(1)]);
    const out = fast.forward(x), outMixed = mixed.forward(x);
    expect(Array.from(out.data)).toEqual(Array.from(outMixed.data));
    const { grad } = softmaxCrossEntropy(out, labels);
    expect(Array.from(fast.backward(grad).data)).toEqual(Array.from(mixed.backward(grad).data));
    expect(grads(fast)).toEqual(grads(mixed));
  });

  it('the ReLU layer still works on its own after being fused (feature maps run layer by layer)', () => {
    const { x } = input(3);
    const model = net(4);
    model.forward(x);
    const conv = model.layers[0], relu = model.layers[1];
    const h = relu.forward(conv.forward(x));
    for (const v of h.data) expect(v).toBeGreaterThanOrEqual(0);
    expect(relu.backward(h).shape).toEqual(h.shape);
  });
});

describe("Conv2D.forwardView(x, { fuse: 'relu' })", () => {
  it('the naive and fast backends agree, forward and backward', () => {
    const { x } = input(5);
    const mk = (backend: Backend) => new Conv2D({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: createRng(9), biasInit: 'heNormal', backend });
    const fast = mk('wasm'), naive = mk('naive');
    const yf = fast.forwardView(x, { fuse: 'relu' }).clone(), yn = naive.forwardView(x, { fuse: 'relu' }).clone();
    for (let i = 0; i < yn.size; i++) expect(yf.data[i]).toBeCloseTo(yn.data[i], 5);
    const dy = new Tensor([...yn.shape], Float32Array.from({ length: yn.size }, (_, i) => Math.sin(i)));
    const dxf = fast.backward(dy), dxn = naive.backward(dy);
    for (let i = 0; i < dxn.size; i++) expect(dxf.data[i]).toBeCloseTo(dxn.data[i], 4);
    for (let i = 0; i < fast.weight.grad.size; i++) expect(fast.weight.grad.data[i]).toBeCloseTo(naive.weight.grad.data[i], 4);
    // A plain forward afterwards is not fused: backward no longer masks.
    const y = fast.forward(x);
    expect(Math.min(...y.data)).toBeLessThan(0);
  });
});

describe('both WebAssembly builds agree with the naive convolution', () => {
  const original = getWasmKernels()!;
  afterAll(() => {
    initWasmKernels(readFileSync(original.relaxedSimd ? WASM_RELAXED_OUTPUT : WASM_OUTPUT));
  });

  /** max |a - b| / max |b| */
  function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let err = 0, scale = 0;
    for (let i = 0; i < b.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
    return scale === 0 ? err : err / scale;
  }

  for (const [label, file] of [['plain SIMD', WASM_OUTPUT], ['relaxed SIMD', WASM_RELAXED_OUTPUT]] as const) {
    it(`${label}: 80 random configurations, out (with fused ReLU), dx, dw, db within 1e-5`, (ctx) => {
      let k;
      try {
        k = initWasmKernels(readFileSync(file));
      } catch (e) {
        if (label === 'relaxed SIMD') ctx.skip(); // an engine without relaxed SIMD
        throw e;
      }
      expect(k.relaxedSimd).toBe(label === 'relaxed SIMD');
      const rng = createRng(`builds-${label}`);
      for (let i = 0; i < 80; i++) {
        const N = 1 + rng.int(3), C = 1 + rng.int(9), H = 1 + rng.int(15), W = 1 + rng.int(15), F = 1 + rng.int(17);
        const KH = 1 + rng.int(5), KW = 1 + rng.int(5), S = 1 + rng.int(3), P = rng.int(3);
        if (H + 2 * P < KH || W + 2 * P < KW) continue;
        const t = (shape: number[]) => new Tensor(shape, Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.normal()));
        const x = t([N, C, H, W]), w = t([F, C, KH, KW]), b = t([F]);
        const p = { stride: S, padding: P };
        const fast = conv2dForwardFast(x, w, b, p, { ws: createWorkspace(), relu: true });
        const dout = t([...fast.out.shape]);
        const g = conv2dBackwardFast(dout, fast.cache, { ws: createWorkspace(), reluOutput: fast.out });
        const ref = conv2dForwardNaive(x.to('float64'), w.to('float64'), b.to('float64'), p);
        const refOut = ref.out.data.map((v) => (v < 0 ? 0 : v));
        // The mask from the fast output (a value within rounding of 0 could fall either side).
        const masked = new Tensor([...dout.shape], Float64Array.from(dout.data, (v, j) => (fast.out.data[j] > 0 ? v : 0)));
        const r = conv2dBackwardNaive(masked, ref.cache);
        const name = `x=[${x.shape}] w=[${w.shape}] s=${S} p=${P}`;
        expect(relErr(fast.out.data, refOut), `${name} out`).toBeLessThanOrEqual(1e-5);
        expect(relErr(g.dx.data, r.dx.data), `${name} dx`).toBeLessThanOrEqual(1e-5);
        expect(relErr(g.dw.data, r.dw.data), `${name} dw`).toBeLessThanOrEqual(1e-5);
        expect(relErr(g.db!.data, r.db!.data), `${name} db`).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});
