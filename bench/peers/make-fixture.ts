// Writes a benchmark fixture (see common.ts / README.md) for testing the peer scripts on their own:
// He-normal weights (N(0, 2/fanIn)), zero biases, a seeded random permutation of the training set.
// Weights are rounded to float32 so that float32 (TF.js) and float64 (ConvNetJS) start from
// exactly the same values.
//
//   npx tsx bench/peers/make-fixture.ts [--out FILE] [--seed N] [--train-images N]
//        [--batch-size 32] [--lr 0.01] [--momentum 0.9] [--infer-batch 100] [--infer-images 2000]
//        [--bias-std 0]   (non-zero: N(0, bias-std^2) biases, to check the bias conversions too)
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../../src/rng.ts';
import { loadData, WEIGHT_NAMES, WEIGHT_SHAPES, type Fixture, type WeightName } from './common.ts';

const opts: Record<string, string> = {
  out: join(tmpdir(), 'miniconv-peer-fixture.json'),
  seed: '0',
  'train-images': '',
  'batch-size': '32',
  lr: '0.01',
  momentum: '0.9',
  'infer-batch': '100',
  'infer-images': '2000',
  'bias-std': '0',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
  if (!m || !(m[1] in opts)) throw new Error(`make-fixture: unknown argument '${argv[i]}'; known: ${Object.keys(opts).map((k) => '--' + k).join(' ')}`);
  const v = m[2] ?? argv[++i];
  if (v === undefined) throw new Error(`make-fixture: --${m[1]} needs a value`);
  opts[m[1]] = v;
}
const num = (k: string): number => {
  const n = Number(opts[k]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`make-fixture: --${k} must be a non-negative number, got '${opts[k]}'`);
  return n;
};

const seed = num('seed');
const { train } = loadData();

// fanIn of each weight = product of all dimensions but the first (PyTorch's convention).
const wRng = createRng(`miniconv-peer-fixture-weights-${seed}`);
const weights = {} as Record<WeightName, number[]>;
for (const name of WEIGHT_NAMES) {
  const shape = WEIGHT_SHAPES[name];
  const n = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('.bias')) {
    const biasStd = num('bias-std');
    weights[name] = biasStd === 0 ? new Array<number>(n).fill(0) : Array.from({ length: n }, () => Math.fround(biasStd * wRng.normal()));
    continue;
  }
  const std = Math.sqrt(2 / (n / shape[0]));
  weights[name] = Array.from({ length: n }, () => Math.fround(std * wRng.normal()));
}

const order = createRng(`miniconv-peer-fixture-order-${seed}`).shuffle(Array.from({ length: train.count }, (_, i) => i));
const trainImages = opts['train-images'] === '' ? order.length : Math.min(num('train-images'), order.length);

const fixture: Fixture = {
  weights,
  trainOrder: order.slice(0, trainImages),
  batchSize: num('batch-size'),
  lr: num('lr'),
  momentum: num('momentum'),
  inferBatch: num('infer-batch'),
  inferImages: num('infer-images'),
};
writeFileSync(opts.out, JSON.stringify(fixture));
process.stderr.write(`make-fixture: wrote ${opts.out} (seed ${seed}, ${fixture.trainOrder.length} train indices, batch ${fixture.batchSize})\n`);
console.log(opts.out);
