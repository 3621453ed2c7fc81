// `npm run fuzz -- --runs N [--seed S]`: the fuzz test (test/fuzz.test.ts) with N cases per property
// instead of CI's fixed 60, from seed S (default: a new one each run, printed, so that a failure can be
// replayed with --seed). It runs vitest on that one file; the exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const usage = 'usage: npm run fuzz -- [--runs N] [--seed S]   (N: cases per property, default 1000; S: an integer)';
let values: { runs?: string; seed?: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (e) {
  console.error(`fuzz: ${(e as Error).message}\n${usage}`);
  process.exit(2);
}
if (values.help) { console.log(usage); process.exit(0); }
const int = (name: string, text: string | undefined, fallback: number, min: number): number => {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    console.error(`fuzz: --${name} must be an integer >= ${min}, got ${JSON.stringify(text)}\n${usage}`);
    process.exit(2);
  }
  return Number(text);
};
const runs = int('runs', values.runs, 1000, 1);
const seed = int('seed', values.seed, Math.floor(Date.now() % 2 ** 31), 0);
console.log(`fuzz: ${runs} cases per property, seed ${seed} (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`);
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz.test.ts', '--testTimeout=0'], {
  stdio: 'inherit',
  env: { ...process.env, MINICONV_FUZZ_RUNS: String(runs), MINICONV_FUZZ_SEED: String(seed) },
});
process.exit(r.status ?? 1);
