// What two cores give on this machine, measured in the same run as the figures they bound: one
// single-threaded miniconv training (or inference: --work infer) alone, then two of them at once in
// separate processes (same model, same batches, started at the same instant), images per second.
// The pair's total over the one alone is the most any two-thread run can scale here: it shares
// nothing, so whatever keeps it below 2x (cores that the host gives to other machines, SMT siblings,
// memory) is the machine's, not the code's. On this project's 2-core VM it has come out anywhere from
// 1.3x to 2.0x within the same hour, which is why the bench prints it beside every threaded figure:
// the distance to the machine's limit in one ratio, as the GEMM ceiling is for one core.
//
//   npx tsx bench/two-cores.ts [--model reference|digits] [--work train|infer] [--rounds R] [--ms MS]

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng } from '../src/index.ts';
import { DIGIT_DEFAULTS, createDigitModel } from '../src/digits.ts';
import { trainStep } from '../src/train/step.ts';
import { median } from './rounds.ts';

export type TwoCoresModel = 'reference' | 'digits';
/** What each process does: training steps (SGD with momentum), or inference in evaluation mode in batches of 100 (as the bench times it). */
export type TwoCoresWork = 'train' | 'infer';

/** The network and batch size of each bench: the reference network (batch 32) or the default digit model (its batch). */
function workload(model: TwoCoresModel): { net: Sequential; batch: number } {
  if (model === 'digits') return { net: createDigitModel(1), batch: DIGIT_DEFAULTS.batchSize };
  const rng = createRng(1);
  const net = new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
    new Conv2D({ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 2, rng }), new ReLU(), new MaxPool2D({ size: 3, stride: 3 }),
    new Flatten(), new Dense({ inFeatures: 256, outFeatures: 10, rng }),
  ]);
  return { net, batch: 32 };
}

/** In a child process: warm up, wait for the shared start instant, train (or infer) for `ms`; images per second. */
function child(model: TwoCoresModel, work: TwoCoresWork, startAt: number, ms: number): number {
  const { net, batch: trainBatch } = workload(model);
  const batch = work === 'infer' ? 100 : trainBatch;
  const opt = new SGD(net.params(), { lr: 0.01, momentum: 0.9 });
  const rng = createRng(2);
  const x = new Tensor([batch, 1, 28, 28]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform();
  const y = Uint8Array.from({ length: batch }, (_, i) => i % 10);
  if (work === 'infer') net.eval(); // the fused conv + ReLU + pool path, as predict and the bench run it
  const step = work === 'infer' ? () => { net.forwardView(x); } : () => { trainStep(net, opt, x, y); };
  // Compile (JavaScript and wasm tiers) before the clock: a second of steps.
  for (const w0 = performance.now(); performance.now() - w0 < 1000;) step();
  while (Date.now() < startAt) { /* the other process may still be loading: wait on the wall clock */ }
  let images = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { step(); images += batch; }
  return images / ((performance.now() - t0) / 1000);
}

const self = fileURLToPath(import.meta.url);

function runChildren(model: TwoCoresModel, work: TwoCoresWork, count: number, ms: number): Promise<number[]> {
  const startAt = Date.now() + 5000; // time for every child to load and warm up first
  return Promise.all(Array.from({ length: count }, () => new Promise<number>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', self, '--child', model, work, String(startAt), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      const v = Number(out.trim());
      if (code !== 0 || !Number.isFinite(v)) reject(new Error(`two-cores: a child exited with ${code}, output ${JSON.stringify(out)}`));
      else resolve(v);
    });
  })));
}

export interface TwoCores {
  model: TwoCoresModel;
  work: TwoCoresWork;
  /** Images per second of one process alone, per round. */
  alone: number[];
  /** Of each of the two processes running at once, per round. */
  pair: Array<[number, number]>;
  /** Per round: the pair's total over the one alone. */
  ratios: number[];
  /** Median of the per-round ratios. */
  ratio: number;
}

/** One alone, then two at once, `rounds` times (about 15 s a round). */
export async function measureTwoCores(opts: { model: TwoCoresModel; work?: TwoCoresWork; rounds?: number; ms?: number }): Promise<TwoCores> {
  const rounds = opts.rounds ?? 3, ms = opts.ms ?? 2500, work = opts.work ?? 'train';
  const alone: number[] = [], pair: Array<[number, number]> = [], ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [a] = await runChildren(opts.model, work, 1, ms);
    const [b, c] = await runChildren(opts.model, work, 2, ms);
    alone.push(a);
    pair.push([b, c]);
    ratios.push((b + c) / a);
  }
  return { model: opts.model, work, alone, pair, ratios, ratio: median(ratios) };
}

/** Several measurements of the same model and work (e.g. one per bench round) as one: their rounds in order. */
export function joinTwoCores(list: TwoCores[]): TwoCores {
  if (list.length === 0) throw new Error('joinTwoCores: no measurements');
  const ratios = list.flatMap((t) => t.ratios);
  return { model: list[0].model, work: list[0].work, alone: list.flatMap((t) => t.alone), pair: list.flatMap((t) => t.pair), ratios, ratio: median(ratios) };
}

/** One line for a report. */
export function describeTwoCores(t: TwoCores): string {
  const f = (v: number) => v.toFixed(2);
  const what = t.work === 'infer' ? 'inference runs' : 'trainings';
  return `two cores in this run: two independent one-thread ${what} at once gave ${f(t.ratio)}x one alone (median; per round ${t.ratios.map(f).join(', ')}): the most two threads can scale here`;
}

if (process.argv[1] === self) {
  if (process.argv[2] === '--child') {
    const [, , , model, work, startAt, ms] = process.argv;
    console.log(child(model as TwoCoresModel, work as TwoCoresWork, Number(startAt), Number(ms)).toFixed(1));
  } else {
    const { values } = parseArgs({ options: { model: { type: 'string' }, work: { type: 'string' }, rounds: { type: 'string' }, ms: { type: 'string' } } });
    const model = (values.model ?? 'reference') as TwoCoresModel;
    if (model !== 'reference' && model !== 'digits') throw new Error(`two-cores: --model must be reference or digits, got ${values.model}`);
    const work = (values.work ?? 'train') as TwoCoresWork;
    if (work !== 'train' && work !== 'infer') throw new Error(`two-cores: --work must be train or infer, got ${values.work}`);
    const rounds = Number(values.rounds ?? 3), ms = Number(values.ms ?? 2500);
    if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`two-cores: --rounds must be an integer >= 1, got ${values.rounds}`);
    if (!(Number.isInteger(ms) && ms >= 200)) throw new Error(`two-cores: --ms must be an integer >= 200, got ${values.ms}`);
    const t = await measureTwoCores({ model, work, rounds, ms });
    t.alone.forEach((a, r) => console.log(`round ${r + 1}: alone ${a.toFixed(0)} img/s; two at once ${t.pair[r].map((v) => v.toFixed(0)).join(' + ')} = ${(t.ratios[r]).toFixed(2)}x`));
    console.log(describeTwoCores(t));
  }
}
