// `npm run bench -- --model NAME` must not rot: a quick run of mobilenet-mini (the zoo model with the
// most to go wrong: depthwise convs, batch norm, global average pooling, AdamW by hand on the TF.js
// side, and the gradient kernels TF.js-wasm lacks) completes, every library starts from the same loss,
// and the report has its rows and figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasGroupedConv, initialLossDisagreements } from '../bench/zoo.ts';
import { createMobilenetMini, createVggMini } from '../src/train/zoo.ts';

const bench = join(import.meta.dirname, '..', 'bench', 'run.ts');

describe('npm run bench -- --model', () => {
  it('runs mobilenet-mini --quick: miniconv and TF.js side by side from the same initial loss', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'miniconv-bench-zoo-test-')), 'zoo.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', bench, '--model', 'mobilenet-mini', '--quick', '--json', json], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toContain('| library');
    expect(r.stdout).toContain('depthwise 32 3x3, direct');
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.model).toBe('mobilenet-mini');
    expect(out.macsPerImage).toBe(createMobilenetMini(1).macs([1, 1, 28, 28]));
    expect(out.ceilingGflops).toBeGreaterThan(0);
    // TF.js 4.22's wasm backend has no depthwise gradient kernels: the probe names them, the bench registers its
    // own for the wasm rows (which say so), and the cpu backend trains TF.js as shipped.
    const depthwiseGrads = ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
    expect(out.probe.missingOnStockWasmForTraining).toEqual(expect.arrayContaining(depthwiseGrads));
    expect(out.probe.missingOnWasmForTraining).toEqual([]);
    const ids = out.results.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['miniconv-1', 'tfjs-wasm-1', 'tfjs-cpu']));
    for (const res of out.results) {
      expect(res.error, res.id).toBeUndefined();
      expect(res.trainImagesPerSecMedian, res.id).toBeGreaterThan(0);
      expect(res.inferImagesPerSec, res.id).toBeGreaterThan(0);
      expect(res.peakRssMB, res.id).toBeGreaterThan(10);
      if (res.id.startsWith('tfjs-wasm')) {
        expect(res.patchedKernels, res.id).toEqual(expect.arrayContaining(depthwiseGrads));
        expect(res.label, res.id).toContain('patched depthwise grads');
      }
      // Same weights, same first batch: the same loss in every library (else the architectures differ).
      expect(Math.abs(res.initialLoss - out.results[0].initialLoss), res.id).toBeLessThanOrEqual(1e-4);
    }
    expect(out.initialLossDisagreements).toEqual([]);
    expect(out.depthwise.shapes.length).toBe(2);
  }, 600_000);

  it("the bench's depthwise gradient kernels for TF.js-wasm agree with TF.js's cpu kernels", () => {
    const check = join(import.meta.dirname, '..', 'bench', 'peers', 'check-wasm-depthwise-grad.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', check], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-1000)).toBe(0);
    expect(r.stdout).toContain("Kernel 'DepthwiseConv2dNativeBackpropInput' not registered for backend 'wasm'");
    expect(r.stdout.match(/^ok +Backprop(Input|Filter)/gm)?.length).toBe(18); // 9 shapes, both kernels
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toContain('all checks passed');
  }, 300_000);

  it('refuses an unknown model, naming the zoo', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', bench, '--model', 'alexnet', '--quick'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown model 'alexnet', expected one of digits, lenet5, vgg-mini, resnet-mini, mobilenet-mini");
  }, 120_000);

  it('flags an initial loss that disagrees, and finds the depthwise convs', () => {
    const ok = { id: 'miniconv-1', label: 'miniconv, 1 thread', initialLoss: 2.5 };
    expect(initialLossDisagreements([ok, { id: 'tfjs-wasm-1', label: 'TF.js', initialLoss: 2.50005 }])).toEqual([]);
    expect(initialLossDisagreements([ok, { id: 'tfjs-wasm-1', label: 'TF.js', initialLoss: 2.6 }])).toEqual(['TF.js: initial loss 2.6, miniconv\'s 2.5']);
    expect(initialLossDisagreements([ok, { id: 'tfjs-cpu', label: 'TF.js cpu' }])).toEqual(['TF.js cpu: initial loss missing, miniconv\'s 2.5']);
    expect(hasGroupedConv(createMobilenetMini(1).config())).toBe(true);
    expect(hasGroupedConv(createVggMini(1).config())).toBe(false);
  });
});
