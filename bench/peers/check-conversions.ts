// Checks the weight-layout conversions of the peers: with one fixture, the loss of the first batch
// at the initial weights must agree between an independent float64 reference forward pass
// (reference.ts, straight from the PyTorch layouts), tfjs-cpu, tfjs-wasm and convnetjs to 1e-5,
// and after training on the first 320 images their test accuracies must agree closely.
// Runs the peer scripts as child processes, as the bench driver does. Exits 1 on a mismatch.
//
//   npx tsx bench/peers/check-conversions.ts [--fixture FILE] [--train-images 320] [--skip-cpu]
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData, loadFixture } from './common.ts';
import { referenceLoss } from './reference.ts';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const trainImages = opt('--train-images', '320');
let fixtureFile = opt('--fixture', '');
if (!fixtureFile) {
  fixtureFile = join(tmpdir(), 'miniconv-peer-fixture-check.json');
  execFileSync(process.execPath, [...process.execArgv, join(here, 'make-fixture.ts'), '--out', fixtureFile], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const LOSS_TOL = 1e-5;
const ACC_TOL = 0.005; // 10 of 2000 test images

const fx = loadFixture(fixtureFile);
const data = loadData();
const ref = referenceLoss(fx, data.train.images, data.train.labels, fx.trainOrder.slice(0, fx.batchSize));
console.log(`reference (float64, PyTorch layouts) loss of the first batch: ${ref.toFixed(7)}`);

interface Report { library: string; initialLoss?: number; testAccuracy?: number; testAccuracyFused?: number | null; error?: string; trainImages?: number }

function runPeer(script: string, extra: string[]): Promise<Report> {
  return new Promise((resolve) => {
    // process.execArgv carries tsx's loader flags, so the child runs TypeScript like `npx tsx`.
    const child = spawn(process.execPath, [...process.execArgv, join(here, script), '--fixture', fixtureFile, '--train-images', trainImages, '--infer-runs', '1', '--infer-warmup', '0', ...extra],
      { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try { resolve(JSON.parse(last) as Report); } catch { resolve({ library: `${script} ${extra.join(' ')}`, error: `exit ${code}, no JSON on stdout` }); }
    });
  });
}

const peers: Array<[string, string[]]> = [['convnetjs.ts', []], ['tfjs.ts', ['--backend', 'wasm']]];
if (!argv.includes('--skip-cpu')) peers.push(['tfjs.ts', ['--backend', 'cpu']]);
console.log(`running ${peers.map(([s, e]) => [s, ...e].join(' ')).join(', ')} on ${trainImages} training images (in parallel; timings are meaningless here)...`);
const reports = await Promise.all(peers.map(([s, e]) => runPeer(s, e)));

let failed = false;
for (const r of reports) {
  if (r.error || r.initialLoss === undefined) { failed = true; console.log(`FAIL ${r.library}: ${r.error ?? 'no initialLoss'}`); continue; }
  const d = Math.abs(r.initialLoss - ref);
  const ok = d <= LOSS_TOL;
  if (!ok) failed = true;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.library.padEnd(10)} initial loss ${r.initialLoss.toFixed(7)} (|diff| ${d.toExponential(1)}); test accuracy after ${r.trainImages} images ${r.testAccuracy}${r.testAccuracyFused != null ? ` (fused ${r.testAccuracyFused})` : ''}`);
}
const accs = reports.filter((r) => typeof r.testAccuracy === 'number').map((r) => r.testAccuracy as number);
const spread = accs.length ? Math.max(...accs) - Math.min(...accs) : NaN;
const accOk = spread <= ACC_TOL;
if (!accOk) failed = true;
console.log(`${accOk ? 'ok  ' : 'FAIL'} test accuracy spread across peers: ${spread.toFixed(4)} (tolerance ${ACC_TOL})`);
console.log(failed ? 'FAILED' : 'all conversions agree');
process.exit(failed ? 1 : 0);
