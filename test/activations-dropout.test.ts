// Tanh, Sigmoid and Dropout: values against their formulas, gradient checks in float64 on every
// backend, fast == naive, Dropout's seeding, scaling and evaluation mode, and the bad-input errors.
import { describe, expect, it } from 'vitest';
import { Dropout, Sequential, Sigmoid, Tanh, Tensor, createRng, gradCheck } from '../src/index.ts';
import { dropoutBackwardFast, dropoutBackwardNaive, dropoutForwardFast, dropoutForwardNaive } from '../src/kernels/dropout.ts';
import { sigmoidKernels } from '../src/kernels/sigmoid.ts';
import { tanhFloat32, tanhKernels } from '../src/kernels/tanh.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { randn, shapeName } from './helpers.ts';

const BACKENDS = ['naive', 'ts', 'wasm'] as const;

describe.each(BACKENDS)('Tanh and Sigmoid, %s backend', (backend) => {
  it('values: tanh(x) and 1 / (1 + exp(-x)), including far out where exp overflows', () => {
    const x = new Tensor([6], Float64Array.from([-1000, -2, -0.5, 0, 1.5, 800]));
    expect(Array.from(new Tanh({ backend }).forward(x).data)).toEqual(Array.from(x.data, Math.tanh));
    const s = Array.from(new Sigmoid({ backend }).forward(x).data);
    expect(s[0]).toBe(0); // exp(-1000) underflows to 0 without an Infinity / Infinity
    expect(s[3]).toBe(0.5);
    expect(s[5]).toBe(1);
    for (const i of [1, 2, 4]) expect(s[i]).toBeCloseTo(1 / (1 + Math.exp(-x.data[i])), 15);
    expect(new Sigmoid({ backend }).forward(new Tensor([1], Float64Array.from([-40]))).data[0]).toBeCloseTo(Math.exp(-40), 30);
  });

  for (const shape of [[1, 5], [3, 2, 4, 5]]) {
    for (const [name, make] of [['tanh', () => new Tanh({ backend })], ['sigmoid', () => new Sigmoid({ backend })]] as const) {
      it(`${name} dx x=${shapeName(shape)}: gradient check in float64`, () => {
        const r = gradCheck(make(), randn(shape, `${name}-${shape.length}`));
        expect(r.maxRelError, JSON.stringify(r.errors)).toBeLessThan(1e-6);
      });
    }
  }
});

describe('Tanh and Sigmoid: fast equals naive, and reuses its buffers', () => {
  for (const [name, family] of [['tanh', tanhKernels], ['sigmoid', sigmoidKernels]] as const) {
    it(name, () => {
      const ws = createWorkspace();
      const x = randn([2, 3, 4, 5], name).to('float32'), dy = randn([2, 3, 4, 5], `${name}-dy`).to('float32');
      const n = family.naive.forward(x), f = family.ts.forward(x, { ws });
      if (name === 'tanh') { // float32 tanh is a rational function there: Math.tanh's float32 but for a rare last bit
        f.out.data.forEach((v, i) => expect(Math.abs(v - n.out.data[i]), `x = ${x.data[i]}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(n.out.data[i])));
        const dx = family.ts.backward(dy, n.cache, { ws }).dx; // the backward itself from the same y
        expect(Array.from(dx.data)).toEqual(Array.from(family.naive.backward(dy, n.cache).dx.data));
      } else {
        expect(Array.from(f.out.data)).toEqual(Array.from(n.out.data));
        expect(Array.from(family.ts.backward(dy, f.cache, { ws }).dx.data)).toEqual(Array.from(family.naive.backward(dy, n.cache).dx.data));
      }
      expect(family.ts.forward(x, { ws }).out.data).toBe(f.out.data);
      expect(() => family.ts.backward(new Tensor([2, 3]), f.cache, { ws })).toThrow(/dy must have shape \[2, 3, 4, 5\], got \[2, 3\]/);
    });
  }
});

describe('tanhFloat32 (the fast float32 tanh)', () => {
  it('is Math.tanh rounded to float32, to within one unit in the last place, over every float32 exponent, and exact at the edges', () => {
    let differ = 0, n = 0;
    for (let e = -30; e <= 4; e++) { // |x| from 1e-9 to 16: the approximation's whole range and past its edge at 9
      for (let i = 0; i < 2000; i++) {
        for (const sign of [1, -1]) {
          const x = Math.fround(sign * 2 ** e * (1 + i / 2000));
          const want = Math.fround(Math.tanh(x)), got = Math.fround(tanhFloat32(x));
          expect(Math.abs(got - want), `x = ${x}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(want));
          if (got !== want) differ++;
          n++;
        }
      }
    }
    expect(differ / n).toBeLessThan(0.05); // a rare last bit, not a different function
    expect(tanhFloat32(9)).toBe(1);
    expect(tanhFloat32(-Infinity)).toBe(-1);
    expect(Math.fround(tanhFloat32(8.999))).toBe(Math.fround(Math.tanh(8.999)));
    expect(Object.is(tanhFloat32(-0), -0)).toBe(true);
    expect(tanhFloat32(NaN)).toBeNaN();
  });
});

describe('Dropout', () => {
  const ones = (n: number) => new Tensor([n], new Float32Array(n).fill(1));

  it('zeroes about p of the values and scales the rest by 1 / (1 - p): the mean is kept', () => {
    const y = new Dropout({ p: 0.3, rng: createRng(1) }).forward(ones(20000));
    const kept = Array.from(y.data).filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.7)]));
    expect(1 - kept.length / 20000).toBeGreaterThan(0.29); // 0.3 +- 3 standard deviations (0.0032 each)
    expect(1 - kept.length / 20000).toBeLessThan(0.31);
    const mean = Array.from(y.data).reduce((a, v) => a + v, 0) / 20000;
    expect(mean).toBeGreaterThan(0.98);
    expect(mean).toBeLessThan(1.02);
  });

  it('backward passes dy through the same mask', () => {
    const d = new Dropout({ p: 0.5, rng: createRng(2) });
    const y = d.forward(ones(64));
    const dx = d.backward(new Tensor([64], Float32Array.from({ length: 64 }, (_, i) => i)));
    for (let i = 0; i < 64; i++) expect(dx.data[i]).toBe(Math.fround(i * y.data[i]));
  });

  it('seeded: the same rng seed gives the same masks; a new batch a new mask; the given rng is drawn once', () => {
    const a = new Dropout({ p: 0.5, rng: createRng(3) }), b = new Dropout({ p: 0.5, rng: createRng(3) });
    const ya1 = Array.from(a.forward(ones(50)).data), yb1 = Array.from(b.forward(ones(50)).data);
    expect(ya1).toEqual(yb1);
    expect(Array.from(a.forward(ones(50)).data)).not.toEqual(ya1);
    const rng = createRng(4), twin = createRng(4);
    const d = new Dropout({ p: 0.5, rng });
    twin.uniform();
    expect(rng.uniform()).toBe(twin.uniform());
    expect(d.config()).toEqual({ type: 'Dropout', name: '', p: 0.5, seed: d.seed });
    expect(Array.from(new Dropout({ p: 0.5, seed: d.seed }).forward(ones(30)).data)).toEqual(Array.from(d.forward(ones(30)).data));
  });

  it('evaluation mode (and p = 0) is the identity, forward and backward', () => {
    const d = new Dropout({ p: 0.9, rng: createRng(5) }).eval();
    const x = randn([3, 4], 'id');
    expect(Array.from(d.forward(x).data)).toEqual(Array.from(x.data));
    expect(Array.from(d.backward(x).data)).toEqual(Array.from(x.data));
    expect(Array.from(new Dropout({ p: 0, rng: createRng(5) }).forward(x).data)).toEqual(Array.from(x.data));
    const inModel = new Sequential([new Dropout({ p: 0.5, rng: createRng(6) })]).eval();
    expect(Array.from(inModel.forward(x).data)).toEqual(Array.from(x.data));
  });

  it.each(BACKENDS)('the same masks on every backend (%s), and a gradient check in float64 in evaluation mode', (backend) => {
    const x = randn([2, 3, 4, 4], 'bk');
    const ref = new Dropout({ p: 0.4, seed: 77, backend: 'naive' });
    const d = new Dropout({ p: 0.4, seed: 77, backend });
    expect(Array.from(d.forward(x).data)).toEqual(Array.from(ref.forward(x).data));
    expect(Array.from(d.backward(x).data)).toEqual(Array.from(ref.backward(x).data));
    const r = gradCheck(new Dropout({ p: 0.4, seed: 1, backend }).eval(), x);
    expect(r.maxRelError).toBeLessThan(1e-6);
  });

  it('fast kernels equal the naive ones from the same rng, and reuse their buffers', () => {
    const ws = createWorkspace();
    const x = randn([4, 50], 'dk'), dy = randn([4, 50], 'dk-dy');
    const p = (seed: number) => ({ p: 0.25, training: true, rng: createRng(seed) });
    const n = dropoutForwardNaive(x, p(8)), f = dropoutForwardFast(x, p(8), { ws });
    expect(Array.from(f.out.data)).toEqual(Array.from(n.out.data));
    expect(Array.from(dropoutBackwardFast(dy, f.cache, { ws }).dx.data)).toEqual(Array.from(dropoutBackwardNaive(dy, n.cache).dx.data));
    expect(dropoutForwardFast(x, p(9), { ws }).out.data).toBe(f.out.data);
  });

  it('bad options and input', () => {
    expect(() => new Dropout({ p: 1, rng: createRng(0) })).toThrow('Dropout: p must be a number in [0, 1), got 1');
    expect(() => new Dropout({ p: -0.1, rng: createRng(0), name: 'd' })).toThrow('Dropout(d): p must be a number in [0, 1), got -0.1');
    expect(() => new Dropout({ p: NaN, rng: createRng(0) })).toThrow(RangeError);
    expect(() => new Dropout({ p: 0.5 })).toThrow('Dropout: needs an rng for its masks; pass { p, rng: createRng(seed) }');
    expect(() => new Dropout({ p: 0.5, seed: -1 })).toThrow('Dropout: seed must be an integer >= 0, got -1');
    const d = new Dropout({ rng: createRng(0) });
    expect(d.p).toBe(0.5);
    expect(() => d.backward(ones(3))).toThrow('Dropout: backward called before forward');
    d.forward(ones(4));
    expect(() => d.backward(ones(3))).toThrow(/dy must have shape \[4\], got \[3\]/);
  });
});
