// The benchmark must not rot: a quick run of every library (a few hundred images each) completes,
// and every library reports sensible figures from the same starting point.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npm run bench -- --quick', () => {
  it('runs miniconv, TF.js (wasm and cpu), ConvNetJS and ONNX Runtime (native and wasm) side by side and writes the figures', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'miniconv-bench-test-')), 'bench.json');
    const bench = join(import.meta.dirname, '..', 'bench', 'run.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', bench, '--quick', '--json', json], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toContain('| library');
    expect(r.stdout).toMatch(/\| ONNX Runtime 1\.30 native, 1 thread +\| - +\| [\d,]+ .*\| \d+\.\d\d +\|\n/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    const ids = out.results.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['miniconv-1', 'tfjs-wasm-1', 'tfjs-cpu', 'convnetjs', 'onnxruntime-node-1', 'onnxruntime-web-1']));
    const mc1 = out.results.find((x: { id: string }) => x.id === 'miniconv-1');
    for (const res of out.results) {
      expect(res.error, res.id).toBeUndefined();
      if (res.id.startsWith('onnxruntime')) {
        // Inference only, on miniconv's exported model of this run, the same images: the same predictions (up to a
        // near-tie flipped by float32 summation order), one thread, and a ratio against miniconv in the table.
        expect(res.inferenceOnly, res.id).toBe(true);
        expect(res.threads, res.id).toBe(1);
        expect(res.inferImagesPerSec, res.id).toBeGreaterThan(0);
        expect(Math.abs(res.testAccuracy - mc1.testAccuracy), res.id).toBeLessThanOrEqual(2 / 300);
        continue;
      }
      expect(res.trainImagesPerSecMedian, res.id).toBeGreaterThan(0);
      expect(res.inferImagesPerSec, res.id).toBeGreaterThan(0);
      expect(res.peakRssMB, res.id).toBeGreaterThan(10);
      // Same weights, same first batch: the same initial loss in every library.
      expect(res.initialLoss, res.id).toBeCloseTo(out.results[0].initialLoss, 4);
    }
    expect(out.gemm.gemm.length).toBeGreaterThan(0);
    if (ids.includes('miniconv-2')) { // two cores: the two-process figures of training and inference, one per round
      expect(out.twoCores.train.work).toBe('train');
      expect(out.twoCores.infer.work).toBe('infer');
      for (const t of [out.twoCores.train, out.twoCores.infer]) {
        expect(t.ratios).toHaveLength(out.rounds);
        expect(t.ratio).toBeGreaterThan(0);
      }
      expect(r.stdout).toMatch(/two independent one-thread inference runs at once gave/);
    }
  }, 600_000);
});
