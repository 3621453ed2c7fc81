// The summary table (src/layers/summary-table.ts, `miniconv summary`): a Residual's block and shortcut
// are rows indented under it, each with its parameters and multiply-adds, the rows under a container
// add up to it, and the totals are those of the top-level layers (the model's own count).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIO, main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';
import { saveModel } from '../src/io/model-file.ts';
import { BatchNorm2D } from '../src/layers/batch-norm2d.ts';
import { Conv2D } from '../src/layers/conv2d.ts';
import { Dense } from '../src/layers/dense.ts';
import { GlobalAvgPool2D } from '../src/layers/global-avg-pool2d.ts';
import { ReLU } from '../src/layers/relu.ts';
import { Residual } from '../src/layers/residual.ts';
import { Sequential, countParams } from '../src/layers/sequential.ts';
import { createRng } from '../src/rng.ts';
import { zooModel } from '../src/train/zoo.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-summary-'));
const fmt = (v: number) => v.toLocaleString('en-US');

interface ParsedRow { indent: number; label: string; shape: string; params: number; macs: number }

/** The table's rows between the second and third rules, read back into numbers. */
function parseRows(text: string): ParsedRow[] {
  const lines = text.split('\n');
  const rules = lines.flatMap((l, i) => (/^-+$/.test(l) ? [i] : []));
  expect(rules.length).toBe(3);
  return lines.slice(rules[1] + 1, rules[2]).map((l) => {
    const m = /^( *)(\S+ \([^)]+\)) +(\[[^\]]+\]) +([\d,]+) +([\d,]+)$/.exec(l);
    expect(m, l).not.toBeNull();
    const [, spaces, label, shape, params, macs] = m!;
    return { indent: spaces.length, label, shape, params: Number(params.replaceAll(',', '')), macs: Number(macs.replaceAll(',', '')) };
  });
}

/** Each row at indent d followed by rows at d + 2: those direct children must add up to it (a container's row is its contents'). */
function expectChildrenAddUp(rows: ParsedRow[]): number {
  let containers = 0;
  rows.forEach((r, i) => {
    const children: ParsedRow[] = [];
    for (let j = i + 1; j < rows.length && rows[j].indent > r.indent; j++) if (rows[j].indent === r.indent + 2) children.push(rows[j]);
    if (children.length === 0) return;
    containers++;
    expect(children.reduce((a, c) => a + c.params, 0), r.label).toBe(r.params);
    expect(children.reduce((a, c) => a + c.macs, 0), r.label).toBe(r.macs);
  });
  return containers;
}

describe('summary opens containers', () => {
  it("resnet-mini: each Residual's block and shortcut are indented rows with their own parameters and multiply-adds", () => {
    const model = zooModel('resnet-mini').build(1);
    const text = model.summary([1, 28, 28], false);
    const rows = parseRows(text);
    // The second residual block halves 14x14 to 7x7 and goes from 16 to 32 channels: a 3x3 conv of
    // stride 2 (32*16*9 weights, each used 7*7 times), a 3x3 conv 32 -> 32, and the 1x1 projection.
    const at = rows.findIndex((r) => r.label === 'residual_2 (Residual)');
    expect(at).toBeGreaterThan(0);
    expect(rows[at].indent).toBe(0);
    expect(rows.slice(at + 1, at + 9).map((r) => [r.indent, r.label, r.params, r.macs])).toEqual([
      [2, 'block (Sequential)', 32 * 16 * 9 + 64 + 32 * 32 * 9 + 64, 32 * 49 * 16 * 9 + 32 * 49 * 32 * 9],
      [4, 'conv2d_1 (Conv2D)', 32 * 16 * 9, 32 * 49 * 16 * 9],
      [4, 'batchnorm2d_1 (BatchNorm2D)', 64, 0],
      [4, 'relu_1 (ReLU)', 0, 0],
      [4, 'conv2d_2 (Conv2D)', 32 * 32 * 9, 32 * 49 * 32 * 9],
      [4, 'batchnorm2d_2 (BatchNorm2D)', 64, 0],
      [2, 'shortcut (Sequential)', 32 * 16 + 64, 32 * 49 * 16],
      [4, 'conv2d_1 (Conv2D)', 32 * 16, 32 * 49 * 16],
    ]);
    expect(rows[at + 1].shape).toBe('[N, 32, 7, 7]');
    // The first block keeps 16 channels at 14x14: its shortcut is the identity, a row of 0 and 0.
    const first = rows.findIndex((r) => r.label === 'residual_1 (Residual)');
    const identity = rows.slice(first + 1).find((r) => r.indent === 2 && r.label.startsWith('shortcut'));
    expect(identity).toEqual({ indent: 2, label: 'shortcut (identity)', shape: '[N, 16, 14, 14]', params: 0, macs: 0 });

    // Every container adds up; the totals are the top-level rows' sums and the model's own counts.
    expect(expectChildrenAddUp(rows)).toBe(5); // two residuals, their two blocks, the projection shortcut
    const top = rows.filter((r) => r.indent === 0);
    expect(top.map((r) => r.label.split(' ')[0])).toEqual(model.layers.map((l) => l.name));
    expect(top.reduce((a, r) => a + r.params, 0)).toBe(countParams(model));
    expect(top.reduce((a, r) => a + r.macs, 0)).toBe(model.macs([1, 1, 28, 28]));
    expect(text).toContain(`Total params: ${fmt(countParams(model))}`);
    expect(text).toContain(`Mult-adds per image: ${fmt(model.macs([1, 1, 28, 28]))}`);
    // The rules are as wide as the widest row.
    const lines = text.split('\n');
    expect(lines[1].length).toBe(Math.max(...lines.slice(2, -3).map((l) => l.length)));
  });

  it('a branch that is one layer is one row; a Sequential inside a Sequential is opened too', () => {
    const rng = createRng(2);
    const model = new Sequential([
      new Residual(
        new Sequential([new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, rng }), new BatchNorm2D({ numFeatures: 4 })]),
        new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 1, rng }),
      ),
      new ReLU(),
      new Sequential([new GlobalAvgPool2D(), new Dense({ inFeatures: 4, outFeatures: 3, rng })], { name: 'head' }),
    ]);
    const rows = parseRows(model.summary([2, 5, 5], false));
    expect(rows.map((r) => [r.indent, r.label, r.shape, r.params, r.macs])).toEqual([
      [0, 'residual_1 (Residual)', '[N, 4, 5, 5]', 4 * 2 * 9 + 4 + 8 + 4 * 2 + 4, 4 * 25 * 2 * 9 + 4 * 25 * 2],
      [2, 'block (Sequential)', '[N, 4, 5, 5]', 4 * 2 * 9 + 4 + 8, 4 * 25 * 2 * 9],
      [4, 'conv2d_1 (Conv2D)', '[N, 4, 5, 5]', 4 * 2 * 9 + 4, 4 * 25 * 2 * 9],
      [4, 'batchnorm2d_1 (BatchNorm2D)', '[N, 4, 5, 5]', 8, 0],
      [2, 'shortcut (Conv2D)', '[N, 4, 5, 5]', 4 * 2 + 4, 4 * 25 * 2],
      [0, 'relu_1 (ReLU)', '[N, 4, 5, 5]', 0, 0],
      [0, 'head (Sequential)', '[N, 3]', 15, 12],
      [2, 'globalavgpool2d_1 (GlobalAvgPool2D)', '[N, 4]', 0, 0],
      [2, 'dense_1 (Dense)', '[N, 3]', 15, 12],
    ]);
    expect(expectChildrenAddUp(rows)).toBe(3);
  });

  it('a model without containers has one row per layer, as before', () => {
    const model = zooModel('lenet5').build(1);
    const rows = parseRows(model.summary([1, 28, 28], false));
    expect(rows.every((r) => r.indent === 0)).toBe(true);
    expect(rows.map((r) => r.label.split(' ')[0])).toEqual(model.layers.map((l) => l.name));
  });

  it('`miniconv summary` prints the opened table of a saved resnet-mini', async () => {
    const file = join(dir, 'resnet-mini.json');
    const model = zooModel('resnet-mini').build(1);
    saveModel(file, model, [1, 28, 28], { model: 'resnet-mini' });
    const out: string[] = [], err: string[] = [];
    const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false };
    expect(await main(['summary', file], { io, data: dataLoaders })).toBe(0);
    const text = out.join('\n');
    expect(text).toBe(model.summary([1, 28, 28], false));
    expect(text).toMatch(/\n  shortcut \(Sequential\) +\[N, 32, 7, 7\] +576 +25,088\n/);
    expect(text).toMatch(/\n    conv2d_2 \(Conv2D\) +\[N, 32, 7, 7\] +9,216 +451,584\n/);
    expect(err).toEqual([]);
  });
});
