// Learning-rate schedules against PyTorch's schedulers (the rate of epochs 0..11 as torch.optim.lr_scheduler
// sets it, printed by test/fixtures/pytorch-reference.py, base rate 0.1) and against their closed forms.
import { describe, expect, it } from 'vitest';
import { SGD, Tensor, applySchedule, cosineAnnealingLR, exponentialLR, linearLR, sequentialLR, stepLR, warmupCosineLR, type Schedule } from '../src/index.ts';

const TORCH: Array<[string, Schedule, number[]]> = [
  ['StepLR(step_size=3, gamma=0.5)', stepLR(0.1, { stepSize: 3, gamma: 0.5 }), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125]],
  ['ExponentialLR(gamma=0.8)', exponentialLR(0.1, { gamma: 0.8 }), [0.1, 0.08000000000000002, 0.06400000000000002, 0.051200000000000016, 0.04096000000000002, 0.03276800000000001, 0.026214400000000013, 0.02097152000000001, 0.016777216000000008, 0.013421772800000007, 0.010737418240000006, 0.008589934592000005]],
  ['CosineAnnealingLR(T_max=10, eta_min=0.001)', cosineAnnealingLR(0.1, { tMax: 10, etaMin: 0.001 }), [0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001, 0.0034227024433899004]],
  ['LinearLR(start_factor=0.25, total_iters=4)', linearLR(0.1, { startFactor: 0.25, totalIters: 4 }), [0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002]],
  ['SequentialLR([LinearLR(0.1, 3), CosineAnnealingLR(8)], milestones=[3])', sequentialLR([linearLR(0.1, { startFactor: 0.1, totalIters: 3 }), cosineAnnealingLR(0.1, { tMax: 8 })], [3]), [0.010000000000000002, 0.04, 0.07, 0.1, 0.09619397662556434, 0.08535533905932738, 0.0691341716182545, 0.05, 0.030865828381745515, 0.014644660940672627, 0.0038060233744356634, 0.0]],
];

describe.each(TORCH)('%s', (_, schedule, expected) => {
  it('gives PyTorch\'s rate for epochs 0..11 (relative 1e-12)', () => {
    expected.forEach((lr, epoch) => {
      const got = schedule(epoch);
      expect(Math.abs(got - lr), `epoch ${epoch}: ${got} vs ${lr}`).toBeLessThanOrEqual(1e-12 * Math.max(lr, 1e-3));
    });
  });
});

describe('closed forms, by hand', () => {
  it('step: 0.1 for epochs 0-1, 0.01 for 2-3 (gamma defaults to 0.1)', () => {
    const s = stepLR(0.1, { stepSize: 2 });
    expect([0, 1, 2, 3, 4].map(s)).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 ** 2]);
  });
  it('cosine: baseLr at 0, the midpoint (baseLr + etaMin) / 2 at tMax / 2, etaMin at tMax', () => {
    const s = cosineAnnealingLR(0.2, { tMax: 6, etaMin: 0.02 });
    expect(s(0)).toBeCloseTo(0.2, 15);
    expect(s(3)).toBeCloseTo(0.11, 15);
    expect(s(6)).toBeCloseTo(0.02, 15);
  });
  it('linear warm-up with PyTorch\'s defaults: a third of the rate, rising over 5 epochs, then flat', () => {
    const s = linearLR(0.3);
    expect(s(0)).toBeCloseTo(0.1, 15);
    expect(s(5)).toBeCloseTo(0.3, 15);
    expect(s(50)).toBeCloseTo(0.3, 15);
  });
  it('warmupCosineLR: from baseLr * startFactor up to baseLr over the warm-up, then a half cosine to etaMin at totalEpochs', () => {
    const s = warmupCosineLR(0.1, { warmupEpochs: 2, totalEpochs: 10 });
    expect(s(0)).toBeCloseTo(0.01, 15); //  startFactor 0.1
    expect(s(1)).toBeCloseTo(0.055, 15); // halfway up
    expect(s(2)).toBeCloseTo(0.1, 15); //   the cosine starts at baseLr
    expect(s(6)).toBeCloseTo(0.05, 15); //  halfway down (4 of its 8 epochs)
    expect(s(10)).toBeCloseTo(0, 15);
  });
});

describe('setting the optimiser\'s rate', () => {
  it('applySchedule sets optimizer.lr every epoch and returns it', () => {
    const opt = new SGD([{ name: 'w', value: new Tensor([1]), grad: new Tensor([1]) }], { lr: 0.1 });
    const s = exponentialLR(opt.lr, { gamma: 0.5 });
    const seen = [0, 1, 2].map((epoch) => applySchedule(opt, s, epoch));
    expect(seen).toEqual([0.1, 0.05, 0.025]);
    expect(opt.lr).toBe(0.025);
  });
});

describe('misuse', () => {
  it('bad options name the schedule and the option', () => {
    expect(() => stepLR(0.1, { stepSize: 0 })).toThrow('stepLR: stepSize must be an integer >= 1, got 0');
    expect(() => stepLR(0.1, { stepSize: 2, gamma: -1 })).toThrow('stepLR: gamma must be a finite number > 0, got -1');
    expect(() => exponentialLR(NaN, { gamma: 0.9 })).toThrow('exponentialLR: baseLr must be a finite number >= 0, got NaN');
    expect(() => cosineAnnealingLR(0.1, { tMax: 2.5 })).toThrow('cosineAnnealingLR: tMax must be an integer >= 1, got 2.5');
    expect(() => linearLR(0.1, { startFactor: 0 })).toThrow('linearLR: startFactor must be a finite number > 0, got 0');
    expect(() => linearLR(0.1, { endFactor: 2 })).toThrow(/linearLR: startFactor and endFactor must be in/);
    expect(() => sequentialLR([linearLR(0.1)], [3])).toThrow('sequentialLR: expected 0 milestones for 1 schedules, got [3]');
    expect(() => sequentialLR([linearLR(0.1), linearLR(0.1), linearLR(0.1)], [4, 2])).toThrow('sequentialLR: milestones must increase, got [4,2]');
    expect(() => warmupCosineLR(0.1, { warmupEpochs: 5, totalEpochs: 5 })).toThrow('warmupCosineLR: totalEpochs must be an integer >= 6, got 5');
  });
  it('an epoch that is negative or not an integer', () => {
    expect(() => stepLR(0.1, { stepSize: 1 })(-1)).toThrow('stepLR: epoch must be an integer >= 0, got -1');
    expect(() => cosineAnnealingLR(0.1, { tMax: 3 })(0.5)).toThrow('cosineAnnealingLR: epoch must be an integer >= 0, got 0.5');
  });
});

describe('fitDefaultSchedule: a zoo model\'s default schedule fitted to the run (issue 25)', () => {
  it('drops a warm-up that does not fit a 1-epoch run, shortens it to half a longer one, leaves the rest', async () => {
    const { fitDefaultSchedule, scheduleFromSpec } = await import('../src/optim/schedule-spec.ts');
    expect(fitDefaultSchedule('warmup-cosine:1', 1)).toEqual({ spec: 'cosine', note: "The model's schedule warmup-cosine:1 does not fit 1 epoch: the warm-up dropped (cosine)." });
    expect(fitDefaultSchedule('warmup-cosine:5', 3)).toEqual({ spec: 'warmup-cosine:1', note: "The model's schedule warmup-cosine:5 does not fit 3 epochs: the warm-up shortened to 1 epoch (warmup-cosine:1)." });
    expect(fitDefaultSchedule('warmup-cosine:4', 4).spec).toBe('warmup-cosine:2');
    expect(fitDefaultSchedule('warmup-cosine:1', 2)).toEqual({ spec: 'warmup-cosine:1' }); // fits: unchanged
    for (const spec of ['cosine', 'constant', 'step:5:0.5', 'exp:0.9']) expect(fitDefaultSchedule(spec, 1)).toEqual({ spec });
    // Whatever it returns runs for that many epochs.
    for (let epochs = 1; epochs <= 6; epochs++) for (const W of [1, 2, 5]) expect(() => scheduleFromSpec(fitDefaultSchedule(`warmup-cosine:${W}`, epochs).spec, 0.1, epochs)).not.toThrow();
  });
});
