// The optimisers against PyTorch (torch.optim.SGD / Adam / AdamW, printed by
// test/fixtures/pytorch-reference.py) and against steps worked out by hand, plus the misuse errors.
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, Optimizer, SGD, Tensor, type Param } from '../src/index.ts';

function param(values: number[], grads: number[] = values.map(() => 0)): Param {
  return { name: 'p', value: new Tensor([values.length], Float64Array.from(values)), grad: new Tensor([grads.length], Float64Array.from(grads)) };
}

// Two parameters, three steps, a different gradient at each step; the values after the third step.
const W0 = [[1.0, -2.0, 0.5], [0.25, -0.75]];
const GRADS = [
  [[0.5, -1.0, 2.0], [-0.3, 0.1]],
  [[-0.2, 0.4, 1.5], [0.6, -0.2]],
  [[0.1, 0.3, -0.5], [0.05, 0.9]],
];
const TORCH: Record<string, number[][]> = {
  'SGD nesterov lr=0.1 momentum=0.9': [[0.8632500000000001, -1.8215000000000001, -0.4993], [0.18106999999999998, -0.9011899999999999]],
  'SGD nesterov lr=0.05 momentum=0.8 weightDecay=0.1': [[0.906872226, -1.8587444519999998, 0.05456235549999998], [0.20749435474999997, -0.79455803225]],
  'Adam lr=0.1': [[0.8275002408356956, -1.8568614218383597, 0.23980452025778967], [0.28041701593249274, -0.8685684817660807]],
  'Adam lr=0.01 betas=[0.8,0.99] eps=1e-6 weightDecay=0.1': [[0.9795077528075935, -1.9821327791346517, 0.47451321356639836], [0.25120837134396606, -0.7577950008862091]],
  'AdamW lr=0.1': [[0.824737700415581, -1.851101880420698, 0.23860417726438019], [0.27950447604108797, -0.8661574413864591]],
  'AdamW lr=0.01 betas=[0.8,0.99] eps=1e-6 weightDecay=0.5': [[0.968882783846372, -1.9572134363981066, 0.46740778274966355], [0.2484096675251757, -0.7506430175417608]],
};
const MAKE: Record<string, (ps: Param[]) => Optimizer> = {
  'SGD nesterov lr=0.1 momentum=0.9': (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
  'SGD nesterov lr=0.05 momentum=0.8 weightDecay=0.1': (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }),
  'Adam lr=0.1': (ps) => new Adam(ps, { lr: 0.1 }),
  'Adam lr=0.01 betas=[0.8,0.99] eps=1e-6 weightDecay=0.1': (ps) => new Adam(ps, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }),
  'AdamW lr=0.1': (ps) => new AdamW(ps, { lr: 0.1 }),
  'AdamW lr=0.01 betas=[0.8,0.99] eps=1e-6 weightDecay=0.5': (ps) => new AdamW(ps, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.5 }),
};

describe.each(Object.keys(TORCH))('%s: three steps as PyTorch takes them', (name) => {
  it('float64 parameters end where torch.optim leaves them (relative 1e-12)', () => {
    const ps = W0.map((w) => param(w));
    const opt = MAKE[name](ps);
    for (const g of GRADS) {
      opt.zeroGrad();
      ps.forEach((p, k) => p.grad.data.set(g[k]));
      opt.step();
    }
    ps.forEach((p, k) => TORCH[name][k].forEach((v, i) => expect(Math.abs(p.value.data[i] - v) / Math.abs(v)).toBeLessThan(1e-12)));
  });
});

describe('by hand', () => {
  it('SGD Nesterov, two steps of w = 1, g = 2, lr 0.1, momentum 0.9', () => {
    const p = param([1], [2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true });
    opt.step(); // v = 2; d = g + 0.9 v = 3.8; w = 1 - 0.38 = 0.62
    expect(p.value.data[0]).toBeCloseTo(0.62, 14);
    opt.step(); // v = 0.9*2 + 2 = 3.8; d = 2 + 0.9*3.8 = 5.42; w = 0.62 - 0.542 = 0.078
    expect(p.value.data[0]).toBeCloseTo(0.078, 14);
  });

  it('Adam, first step: the bias corrections make it lr * g / (|g| + eps), about lr in the direction of -g', () => {
    const p = param([1, 1], [2, -0.001]);
    new Adam([p], { lr: 0.1 }).step();
    // m = 0.1 g, v = 0.001 g^2; mhat = m / (1 - 0.9) = g; vhat = v / (1 - 0.999) = g^2
    expect(p.value.data[0]).toBeCloseTo(1 - 0.1 * 2 / (2 + 1e-8), 14);
    expect(p.value.data[1]).toBeCloseTo(1 + 0.1 * 0.001 / (0.001 + 1e-8), 14);
  });

  it('Adam, second step of w = 1 with g = 2 then g = 1', () => {
    const p = param([1], [2]);
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    const w1 = 1 - 0.1 * 2 / (2 + 1e-8);
    p.grad.data[0] = 1;
    opt.step();
    const m = 0.9 * (0.1 * 2) + 0.1 * 1; //           0.28
    const v = 0.999 * (0.001 * 4) + 0.001 * 1; //     0.004996
    const mhat = m / (1 - 0.9 ** 2), vhat = v / (1 - 0.999 ** 2); // 1.4737, 2.4992
    expect(p.value.data[0]).toBeCloseTo(w1 - 0.1 * mhat / (Math.sqrt(vhat) + 1e-8), 14);
  });

  it('Adam weight decay goes into the gradient; AdamW decays the weight before the step', () => {
    const a = param([2], [0]);
    new Adam([a], { lr: 0.1, weightDecay: 0.5 }).step(); // g = 0 + 0.5*2 = 1: a plain first step, w = 2 - 0.1 * 1 / (1 + 1e-8)
    expect(a.value.data[0]).toBeCloseTo(2 - 0.1 / (1 + 1e-8), 14);
    const b = param([2], [0]);
    new AdamW([b], { lr: 0.1, weightDecay: 0.5 }).step(); // w = 2 * (1 - 0.05) = 1.9; g = 0, so m = v = 0 and the Adam step is 0
    expect(b.value.data[0]).toBeCloseTo(1.9, 14);
  });

  it('AdamW default weight decay is 0.01, Adam\'s 0 (PyTorch\'s defaults); lr 1e-3, betas [0.9, 0.999], eps 1e-8', () => {
    expect(new AdamW([param([1])]).config()).toEqual({ type: 'AdamW', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    expect(new Adam([param([1])]).config()).toEqual({ type: 'Adam', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(new SGD([param([1])], { lr: 0.1, momentum: 0.9, nesterov: true }).config()).toEqual({ type: 'SGD', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0 });
  });

  it('float32 parameters are updated in place (the state is float64)', () => {
    const p: Param = { name: 'p', value: new Tensor([2], [1, -1]), grad: new Tensor([2], [0.5, 0.5]) };
    const before = p.value.data;
    new Adam([p], { lr: 0.1 }).step();
    expect(p.value.data).toBe(before);
    expect(p.value.data[0]).toBeCloseTo(0.9, 6);
    expect(p.value.data[1]).toBeCloseTo(-1.1, 6);
  });
});

describe('one interface for every optimiser', () => {
  it.each([
    ['SGD', (ps: Param[]) => new SGD(ps, { lr: 0.1 })],
    ['Adam', (ps: Param[]) => new Adam(ps, { lr: 0.1 })],
    ['AdamW', (ps: Param[]) => new AdamW(ps, { lr: 0.1 })],
  ] as const)('%s: zeroGrad clears the gradients, lr can be set between steps and is checked', (_, make) => {
    const p = param([1, 2], [3, 4]);
    const opt: Optimizer = make([p]);
    opt.zeroGrad();
    expect(Array.from(p.grad.data)).toEqual([0, 0]);
    opt.lr = 0.5;
    expect(opt.lr).toBe(0.5);
    expect(() => { opt.lr = NaN; }).toThrow(/: lr must be a number in \[0, inf\), got NaN/);
    expect(() => { opt.lr = -1; }).toThrow(RangeError);
    expect(opt.lr).toBe(0.5);
  });
});

describe('misuse', () => {
  const ok = () => [param([1], [1])];
  it('a bad learning rate: NaN, negative, infinite, missing', () => {
    expect(() => new Adam(ok(), { lr: NaN })).toThrow('Adam: lr must be a number in [0, inf), got NaN');
    expect(() => new AdamW(ok(), { lr: -0.1 })).toThrow('AdamW: lr must be a number in [0, inf), got -0.1');
    expect(() => new SGD(ok(), { lr: Infinity })).toThrow('SGD: lr must be a number in [0, inf), got Infinity');
    expect(() => new SGD(ok(), {} as never)).toThrow('SGD: lr must be a number in [0, inf), got undefined');
  });
  it('betas outside [0, 1), or not a pair', () => {
    expect(() => new Adam(ok(), { betas: [1, 0.999] })).toThrow('Adam: betas[0] must be a number in [0, 1), got 1');
    expect(() => new AdamW(ok(), { betas: [0.9, -0.1] })).toThrow('AdamW: betas[1] must be a number in [0, 1), got -0.1');
    expect(() => new Adam(ok(), { betas: [0.9] as never })).toThrow('Adam: betas must be a pair [beta1, beta2], got [0.9]');
  });
  it('eps and weight decay below 0; momentum outside [0, 1); nesterov without momentum', () => {
    expect(() => new Adam(ok(), { eps: -1e-8 })).toThrow('Adam: eps must be a number in [0, inf), got -1e-8');
    expect(() => new AdamW(ok(), { weightDecay: -0.01 })).toThrow('AdamW: weightDecay must be a number in [0, inf), got -0.01');
    expect(() => new SGD(ok(), { lr: 0.1, momentum: 1 })).toThrow('SGD: momentum must be a number in [0, 1), got 1');
    expect(() => new SGD(ok(), { lr: 0.1, nesterov: true })).toThrow('SGD: nesterov needs a momentum > 0 (as in PyTorch), got momentum 0');
    expect(() => new SGD(ok(), { lr: 0.1, momentum: 0.9, nesterov: 'yes' as never })).toThrow('SGD: nesterov must be true or false, got yes');
  });
  it('an empty parameter list, a non-param, a param listed twice', () => {
    expect(() => new Adam([])).toThrow('Adam: expected a non-empty array of params, e.g. model.params()');
    expect(() => new AdamW(undefined as never)).toThrow('AdamW: expected a non-empty array of params');
    expect(() => new SGD([{ name: 'w' } as never], { lr: 0.1 })).toThrow('SGD: item 0 is not a param { name, value, grad }');
    const p = param([1], [1]);
    expect(() => new Adam([p, p])).toThrow('Adam: a param appears twice in the list; it would be updated twice per step');
  });
});
