// BatchNorm2D: PyTorch's numbers in both modes on every backend, gradient checks in float64 in both
// modes (in training mode the gradient flows through the batch mean and variance), the running
// statistics, and the bad-input errors.
import { describe, expect, it } from 'vitest';
import { BatchNorm2D, Conv2D, Flatten, Dense, ReLU, Sequential, Tensor, createRng, gradCheck } from '../src/index.ts';
import { batchNorm2dBackwardNaive, batchNorm2dForwardNaive } from '../src/kernels/batch-norm2d.ts';
import { batchNorm2dBackwardFast, batchNorm2dForwardFast } from '../src/kernels/batch-norm2d-fast.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { randn, shapeName } from './helpers.ts';

const BACKENDS = ['naive', 'ts', 'wasm'] as const;

// Printed by test/fixtures/pytorch-reference.py (torch.nn.BatchNorm2d(3, eps=1e-5, momentum=0.1),
// float64, weight [1.5, -0.5, 2], bias [0.1, 0.2, -0.3]): one training pass on x with upstream dy, a
// second training pass on x2 (running statistics only), then an evaluation pass on x with dy.
const TORCH = {
  trainY: [-0.5584417187487296, 0.650255545007819, 1.7758687628741927, 1.5379125441626265, -0.6347720052286672, -1.3489334445172347, 0.591800284196815, 0.7241811671117955, 0.5043045534048917, -0.07700556661183341, 0.05765364610903794, -0.15716281305079935, 3.263071442989103, 1.1703888794897217, -2.400221375830558, -0.025594497532493158, -0.8782210992013646, -0.12941064302657815, 0.3252660345133755, 2.9265390835079974, 0.0437645679790197, 0.3171448068229289, -0.7950815341128987, -3.0395226422604273, 1.1563656000680924, 0.3846798513180811, 0.3499824726429524, 0.023476568674663367, -0.4412023240445973, -0.7170734398190987, 1.7665002031076906, 1.0410452505000154, -1.1018871262857686, -3.3108078019330893, -3.6938111057176526, 0.698947873440975],
  trainDx: [0.75739169012775, 0.18567437196766443, -0.732013382037611, -0.6310034786212217, 0.2901780491488598, 0.6935532686368089, -0.016287306303719065, 0.16666696479089396, 0.10592033794184713, -0.09011833699016346, -0.14748343535798825, 0.06874228159500007, -0.17559436001747822, 0.024077726552753257, 0.4763102364812308, 1.0337400579978202, -0.4582486489417041, -0.9727036790684468, -0.2056935329337909, 0.8686050938437437, 0.4828886876852437, -0.5550320648615683, -0.9521863333755725, -0.20236236958030585, -0.22507139225845021, -0.08292953007215968, 0.14648524277323974, 0.19034913742008872, 0.0034296013588898965, -0.11970356489747891, 0.8688927276499404, -0.5462383751507986, -0.903617997716742, -0.0998341801189289, 0.37169531066575645, 0.3815211816665972],
  trainDw: [-1.1354701167332604, 1.8467996985105777, -5.093114064528674],
  trainDb: [1.0689681913566615, 1.0680690737269554, -0.9537119592308644],
  runningMean1: [0.10513226707042499, 0.010279127415975298, -0.1228739299135379],
  runningVar1: [1.2234085827272265, 1.6523614138868674, 1.2558565394404877],
  runningMean2: [0.16034678924174384, -0.04647253189807639, 0.07960576681146059],
  runningVar2: [1.2791449852603625, 1.588617402636549, 1.172370957621467],
  evalY: [0.2792755109018635, 2.119361750772026, 3.8329632089027927, 3.470705448525435, 0.16307245985783425, -0.9241465459969261, 0.9571311267376555, 1.2329560715169199, 0.7748275751772465, -0.4363732283120032, -0.15580122203064584, -0.603386528010911, 3.226713886180608, -0.26398862649662996, -6.219950800327445, -2.2589506203073504, -3.681175793266252, -2.432121308615986, 1.6246069893486446, 5.584710885607815, 1.1960571856837705, 1.6122434639464283, -0.08097819456588363, -3.497851321642847, 2.133442944921346, 0.5255810365473351, 0.45328659080626066, -0.22701158328882898, -1.195202964869921, -1.7699999718030504, 0.7303558247272615, -0.47974047466903635, -4.054262269142694, -7.738855951565799, -8.377725227873436, -1.0503765541723757],
  evalDx: [1.3262630650623355, 0.35477381635222965, -1.1364599044605437, -0.9627772027962413, 0.6213763565116408, 1.2952120977999972, -0.021403956596147772, 0.3759583712945502, 0.22254080446194774, -0.2568995622650618, -0.3599814684220942, 0.0643103200061235, -1.8363675189504525, -0.6830071529435982, 1.4709602922411955, 1.4699674631992035, -0.6845311431971112, -1.8361900211237563, -0.21384395676900556, 1.204007602243788, 0.8579852032796315, -0.7449875285347293, -1.2565517857255635, 0.07273526695928753, -0.3874850781822228, -0.18554784492246382, 0.28821741584107236, 0.3397434871758478, -0.1064554461363268, -0.3966969014601989, 0.49252206822996863, -1.583623275304279, -1.3397568104830189, 0.8668565204122298, 1.8035230180747353, 0.09802406905271299],
};
const x = new Tensor([2, 3, 2, 3], Float64Array.from({ length: 36 }, (_, i) => Math.sin(0.7 * i + 0.3) * (1 + (i % 5))));
const x2 = new Tensor([2, 3, 2, 3], Float64Array.from({ length: 36 }, (_, i) => Math.cos(0.4 * i) * 2 + 0.5));
const dy = new Tensor([2, 3, 2, 3], Float64Array.from({ length: 36 }, (_, i) => Math.cos(1.3 * i)));

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  expect(actual.length, what).toBe(expected.length);
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(err, what).toBeLessThan(tol);
}

function torchLayer(backend: (typeof BACKENDS)[number]) {
  const bn = new BatchNorm2D({ numFeatures: 3, backend });
  bn.weight.value = new Tensor([3], Float64Array.from([1.5, -0.5, 2]));
  bn.weight.grad = Tensor.zeros([3], 'float64');
  bn.bias.value = new Tensor([3], Float64Array.from([0.1, 0.2, -0.3]));
  bn.bias.grad = Tensor.zeros([3], 'float64');
  return bn;
}

describe.each(BACKENDS)('BatchNorm2D against PyTorch, %s backend', (backend) => {
  it('float64: training pass (y, dx, dw, db), the running statistics after two passes, then evaluation', () => {
    const bn = torchLayer(backend);
    expectClose(bn.forward(x).data, TORCH.trainY, 1e-12, 'train y');
    expectClose(bn.backward(dy).data, TORCH.trainDx, 1e-12, 'train dx');
    expectClose(bn.weight.grad.data, TORCH.trainDw, 1e-12, 'dw');
    expectClose(bn.bias.grad.data, TORCH.trainDb, 1e-12, 'db');
    // The running statistics are float32 tensors (model files store float32).
    expectClose(bn.runningMean.data, TORCH.runningMean1, 1e-6, 'runningMean after 1');
    expectClose(bn.runningVar.data, TORCH.runningVar1, 1e-6, 'runningVar after 1 (unbiased)');
    bn.forward(x2);
    expectClose(bn.runningMean.data, TORCH.runningMean2, 1e-6, 'runningMean after 2');
    expectClose(bn.runningVar.data, TORCH.runningVar2, 1e-6, 'runningVar after 2');
    bn.eval();
    bn.weight.grad.data.fill(0);
    expectClose(bn.forward(x).data, TORCH.evalY, 1e-6, 'eval y');
    expectClose(bn.backward(dy).data, TORCH.evalDx, 1e-6, 'eval dx');
    expect(Array.from(bn.runningMean.data), 'evaluation leaves the running statistics alone').toEqual(Array.from(Float32Array.from(TORCH.runningMean2)));
  });

  it('float32 input: the same numbers within float32 precision', () => {
    const bn = new BatchNorm2D({ numFeatures: 3, backend });
    bn.weight.value.data.set([1.5, -0.5, 2]);
    bn.bias.value.data.set([0.1, 0.2, -0.3]);
    expectClose(bn.forward(x.to('float32')).data, TORCH.trainY, 1e-5, 'train y');
    expectClose(bn.backward(dy.to('float32')).data, TORCH.trainDx, 1e-5, 'train dx');
  });
});

describe('the running statistics by hand', () => {
  it('one channel, values 1, 2, 3, 6: mean 3, biased variance 3.5 normalises, unbiased 14/3 goes into runningVar', () => {
    const bn = new BatchNorm2D({ numFeatures: 1, momentum: 0.5, eps: 1e-5 });
    const y = bn.forward(new Tensor([2, 1, 1, 2], [1, 2, 3, 6]));
    // runningMean = 0.5 * 0 + 0.5 * 3; runningVar = 0.5 * 1 + 0.5 * (14 / 3)
    expect(bn.runningMean.data[0]).toBeCloseTo(1.5, 6);
    expect(bn.runningVar.data[0]).toBeCloseTo(0.5 + 7 / 3, 5);
    // y = (x - 3) / sqrt(3.5 + 1e-5)
    const s = Math.sqrt(3.5 + 1e-5);
    expectClose(y.data, [-2 / s, -1 / s, 0, 3 / s], 1e-6, 'y');
  });

  it('momentum 0 keeps the running statistics; momentum 1 keeps only the last batch', () => {
    const still = new BatchNorm2D({ numFeatures: 1, momentum: 0 });
    still.forward(new Tensor([1, 1, 2, 2], [1, 2, 3, 6]));
    expect([still.runningMean.data[0], still.runningVar.data[0]]).toEqual([0, 1]);
    const last = new BatchNorm2D({ numFeatures: 1, momentum: 1 });
    last.forward(new Tensor([1, 1, 2, 2], [1, 2, 3, 6]));
    expect(last.runningMean.data[0]).toBeCloseTo(3, 6);
    expect(last.runningVar.data[0]).toBeCloseTo(14 / 3, 5);
  });
});

// A grid of shapes: batch 1 with a larger plane, odd sizes, several channels, a 1x1 plane with N = 5.
const SHAPES = [[1, 1, 3, 3], [2, 3, 3, 5], [4, 2, 1, 1], [3, 4, 2, 3], [5, 2, 1, 1]];

describe.each(BACKENDS)('BatchNorm2D gradient checks in float64, %s backend', (backend) => {
  for (const [i, s] of SHAPES.entries()) {
    it(`training mode (through the batch mean and variance) dx,dw,db x=${shapeName(s)}`, () => {
      const bn = new BatchNorm2D({ numFeatures: s[1], backend });
      const rng = createRng(`bn-wb-${i}`);
      bn.weight.value.data.forEach((_, c) => { bn.weight.value.data[c] = 0.5 + rng.uniform(); bn.bias.value.data[c] = rng.normal(); });
      const r = gradCheck(bn, randn(s, `bn-x-${i}`), { seed: i });
      expect(Object.keys(r.errors)).toEqual(['x', 'weight', 'bias']);
      expect(r.maxRelError, JSON.stringify(r.errors)).toBeLessThan(1e-6);
    });
    it(`evaluation mode (an affine map) dx,dw,db x=${shapeName(s)}`, () => {
      const bn = new BatchNorm2D({ numFeatures: s[1], backend });
      const rng = createRng(`bn-eval-${i}`);
      for (let c = 0; c < s[1]; c++) {
        bn.weight.value.data[c] = 0.5 + rng.uniform();
        bn.bias.value.data[c] = rng.normal();
        bn.runningMean.data[c] = rng.normal();
        bn.runningVar.data[c] = 0.2 + rng.uniform();
      }
      bn.eval();
      const r = gradCheck(bn, randn(s, `bn-ex-${i}`), { seed: i });
      expect(r.maxRelError, JSON.stringify(r.errors)).toBeLessThan(1e-6);
    });
  }

  // The conv has no bias, as in ResNet: batch norm in training mode subtracts each channel's mean, so
  // a bias before it changes nothing and its gradient is exactly 0 (tested below).
  it('conv(no bias)-bn-relu-flatten-dense with softmax cross-entropy, end to end, training mode', () => {
    const rng = createRng(9);
    const model = new Sequential([
      new Conv2D({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, bias: false, rng, backend }),
      new BatchNorm2D({ numFeatures: 3, backend }), new ReLU({ backend }), new Flatten(),
      new Dense({ inFeatures: 3 * 4 * 4, outFeatures: 4, rng, backend }),
    ]);
    const r = gradCheck(model, randn([3, 2, 4, 4], 'bn-model'), { labels: [0, 3, 1] });
    expect(r.maxRelError, JSON.stringify(r.errors)).toBeLessThan(1e-6);
  });
});

describe('a bias before batch norm (training mode) is wasted', () => {
  it.each(BACKENDS)('its gradient is 0 up to rounding (%s)', (backend) => {
    const rng = createRng(10);
    const conv = new Conv2D({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng, biasInit: () => [0.3, -0.1, 0.2], backend });
    const model = new Sequential([conv, new BatchNorm2D({ numFeatures: 3, backend })]);
    model.forward(randn([2, 2, 4, 4], 'wasted').to('float32'));
    model.backward(randn([2, 3, 4, 4], 'wasted-dy').to('float32'));
    for (const g of conv.bias!.grad.data) expect(Math.abs(g)).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(conv.weight.grad.data, Math.abs))).toBeGreaterThan(0.01);
  });
});

describe('BatchNorm2D fast kernels equal the naive ones', () => {
  for (const [i, s] of [[2, 3, 5, 4], [1, 6, 7, 7], [8, 4, 3, 3]].entries()) {
    for (const training of [true, false]) {
      it(`x=${shapeName(s)} ${training ? 'training' : 'evaluation'}, twice with one workspace`, () => {
        const C = s[1];
        const w = randn([C], `w${i}`).to('float32'), b = randn([C], `b${i}`).to('float32');
        const stats = () => ({ runningMean: randn([C], `m${i}`).to('float32'), runningVar: new Tensor([C], Float32Array.from({ length: C }, (_, c) => 0.5 + c)) });
        const pn = { training, eps: 1e-5, momentum: 0.1, ...stats() }, pf = { training, eps: 1e-5, momentum: 0.1, ...stats() };
        const ws = createWorkspace();
        for (const round of [0, 1]) {
          const xr = randn(s, `x${i}-${round}`).to('float32'), g = randn(s, `dy${i}-${round}`).to('float32');
          const n = batchNorm2dForwardNaive(xr, w, b, pn), f = batchNorm2dForwardFast(xr, w, b, pf, { ws });
          expectClose(f.out.data, Array.from(n.out.data), 1e-5, 'y');
          expectClose(pf.runningMean.data, Array.from(pn.runningMean.data), 1e-6, 'runningMean');
          expectClose(pf.runningVar.data, Array.from(pn.runningVar.data), 1e-6, 'runningVar');
          const gn = batchNorm2dBackwardNaive(g, n.cache), gf = batchNorm2dBackwardFast(g, f.cache, { ws });
          expectClose(gf.dx!.data, Array.from(gn.dx.data), 1e-5, 'dx');
          expectClose(gf.dw.data, Array.from(gn.dw.data), 1e-5, 'dw');
          expectClose(gf.db.data, Array.from(gn.db.data), 1e-5, 'db');
        }
      });
    }
  }

  it('dwInto / dbInto accumulate, computeDx false skips dx', () => {
    const p = { training: true, eps: 1e-5, momentum: 0.1, runningMean: Tensor.zeros([2]), runningVar: new Tensor([2], [1, 1]) };
    const xr = randn([2, 2, 2, 2], 'acc').to('float32'), g = randn([2, 2, 2, 2], 'acc-dy').to('float32');
    const w = new Tensor([2], [1, 2]), b = new Tensor([2], [0, 0]);
    const { cache } = batchNorm2dForwardFast(xr, w, b, p);
    const once = batchNorm2dBackwardFast(g, cache);
    const dwInto = new Tensor([2], [10, 20]), dbInto = new Tensor([2], [1, 2]);
    const r = batchNorm2dBackwardFast(g, cache, { dwInto, dbInto, computeDx: false });
    expect(r.dx).toBeNull();
    expectClose(dwInto.data, [10 + once.dw.data[0], 20 + once.dw.data[1]], 1e-6, 'dwInto');
    expectClose(dbInto.data, [1 + once.db.data[0], 2 + once.db.data[1]], 1e-6, 'dbInto');
  });
});

describe('BatchNorm2D bad input', () => {
  it('options: numFeatures, eps, momentum', () => {
    expect(() => new BatchNorm2D({ numFeatures: 0 })).toThrow('BatchNorm2D: numFeatures must be an integer >= 1, got 0');
    expect(() => new BatchNorm2D({ numFeatures: 2.5, name: 'bn' })).toThrow('BatchNorm2D(bn): numFeatures must be an integer >= 1, got 2.5');
    expect(() => new BatchNorm2D({ numFeatures: 2, eps: 0 })).toThrow('BatchNorm2D: eps must be a finite number > 0, got 0');
    expect(() => new BatchNorm2D({ numFeatures: 2, eps: NaN })).toThrow(RangeError);
    expect(() => new BatchNorm2D({ numFeatures: 2, momentum: 1.5 })).toThrow('BatchNorm2D: momentum must be a number in [0, 1], got 1.5');
    expect(() => new BatchNorm2D(undefined as never)).toThrow(TypeError);
  });
  it('input: rank, channels, and a batch with one value per channel in training mode', () => {
    const bn = new BatchNorm2D({ numFeatures: 3, name: 'bn' });
    expect(() => bn.forward(new Tensor([2, 3, 4]))).toThrow('BatchNorm2D(bn): input must be rank 4 (N, C, H, W), but got rank 3 [2, 3, 4]');
    expect(() => bn.forward(new Tensor([2, 4, 2, 2]))).toThrow('BatchNorm2D(bn): input has 4 channels [2, 4, 2, 2], expected 3');
    expect(() => bn.forward(new Tensor([1, 3, 1, 1]))).toThrow(/needs more than one value per channel .* \[1, 3, 1, 1\] \(N\*H\*W = 1\); use a larger batch, or eval\(\)/);
    expect(bn.eval().forward(new Tensor([1, 3, 1, 1], [1, 2, 3])).shape).toEqual([1, 3, 1, 1]);
    expect(() => new BatchNorm2D({ numFeatures: 3 }).backward(new Tensor([1, 3, 1, 1]))).toThrow('BatchNorm2D: backward called before forward');
  });
  it('dy of the wrong shape', () => {
    const bn = new BatchNorm2D({ numFeatures: 2 });
    bn.forward(randn([2, 2, 2, 2], 'bad-dy').to('float32'));
    expect(() => bn.backward(new Tensor([2, 2, 2, 3]))).toThrow(/dy must have shape \[2, 2, 2, 2\], got \[2, 2, 2, 3\]/);
  });
});
