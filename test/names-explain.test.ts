// Issue 23 §4: docs/names.md is the rule for names, and what miniconv shows a learner follows it (test/names.test.ts checks src/).
// The page's kernel contract must match the kernels' real results ({ out, cache }), and every
// `miniconv explain` topic must use the rule's names: no name the rule forbids ("never `dout`, ..."),
// no upper-case gradient (dW, dX, dY), no "x conv w" for what is a cross-correlation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainChain } from '../src/explain/chain.ts';
import { explainDense, explainPool, explainRelu, explainSoftmax } from '../src/explain/layers.ts';
import { explainConv } from '../src/explain/narrate.ts';
import { explainWhyConv } from '../src/explain/why-conv.ts';
import { conv2dForwardNaive } from '../src/kernels/conv2d.ts';
import { denseForwardNaive } from '../src/kernels/dense.ts';
import { reluForwardNaive } from '../src/kernels/relu.ts';
import { Tensor } from '../src/tensor.ts';

const rule = readFileSync(join(import.meta.dirname, '..', 'docs', 'names.md'), 'utf8');
/** The names the rule forbids: the backticked words after "never" on a line of names.md. */
const forbidden = [...rule.matchAll(/never ((?:`[^`]+`(?:, | or )?)+)/g)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((w) => w[1]));

const topics: Array<[string, () => string]> = [
  ['conv (the seed example)', () => explainConv({ input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel: [[-1, 0], [0, 1]] }).text],
  ['conv (stride 2, padding 1, 2 channels, 2 filters)', () => explainConv({ channels: 2, filters: 2, stride: 2, padding: 1 }).text],
  ['relu', () => explainRelu().text],
  ['pool', () => explainPool().text],
  ['dense', () => explainDense().text],
  ['softmax', () => explainSoftmax().text],
  ['chain', () => explainChain().text],
  ['why-conv', () => explainWhyConv().text],
];

describe('docs/names.md is one rule, and the code keeps it', () => {
  it('the rule lists what it forbids', () => {
    expect(forbidden).toEqual(expect.arrayContaining(['dout', 'dY', 'g', 'grad', 'K']));
  });

  it('the kernel contract it states, { out, cache }, is what the kernels return', () => {
    expect(rule).toContain('`fooForward(x, ..., opts) -> { out, cache }`');
    expect(rule).not.toMatch(/->\s*\{\s*y,\s*cache\s*\}/);
    const x = new Tensor([1, 1, 3, 3], new Float64Array(9).fill(1));
    expect(Object.keys(conv2dForwardNaive(x, new Tensor([1, 1, 2, 2], new Float64Array(4).fill(1)), null, { stride: 1, padding: 0 })).sort()).toEqual(['cache', 'out']);
    expect(Object.keys(reluForwardNaive(x)).sort()).toEqual(['cache', 'out']);
    expect(Object.keys(denseForwardNaive(new Tensor([1, 2], new Float64Array(2)), new Tensor([3, 2], new Float64Array(6)), null)).sort()).toEqual(['cache', 'out']);
  });

  it.each(topics)("explain %s uses the rule's names", (_, text) => {
    const out = text();
    for (const word of [...forbidden, 'dW', 'dX', 'dB', 'W', 'dlogit']) {
      // A forbidden name as a word of its own (not inside another word, not a dimension letter in a shape like 3×3).
      const re = new RegExp(`(?<![\\w.\\[-])${word}(?![\\w\\]])`);
      const hit = re.exec(out);
      if (word === 'K' || word === 'W') {
        // K and W are the rule's dimension letters (KH, KW, H, W) too: only their use as a tensor name is wrong.
        expect(out, `${word} as a name`).not.toMatch(new RegExp(`\\b${word}\\s*[=\\[]`));
        continue;
      }
      expect(hit, `"${word}" in: ...${hit ? out.slice(Math.max(0, hit.index - 40), hit.index + 40) : ''}...`).toBeNull();
    }
    expect(out).not.toMatch(/y = x conv w/); // the forward pass is a cross-correlation (the true convolution is named as such)
  });

  it('why-conv prints the kernel w and names the operation a cross-correlation', () => {
    const out = explainWhyConv().text;
    expect(out).toMatch(/w \(3×3\)/);
    expect(out).toContain('y[i][j] = sum over u, v of x[i + u][j + v] * w[u][v]');
    expect(out).toMatch(/cross-correlat/);
  });

  it('chain ends with the kernel after its SGD step: w - lr * dw, beside the kernel before', () => {
    const r = explainChain();
    expect(r.text).toMatch(/w\[0\]\[0\] before +w\[0\]\[0\] after/);
    expect(r.convWAfterStep).toHaveLength(18);
    const w0 = 0.48; // seed 2's w[0][0][0][0], printed above the forward pass
    expect(r.convWAfterStep[0]).toBeCloseTo(w0 - 0.1 * r.convDw[0], 12);
    expect(r.text).toContain(`0.48 - 0.1 * ${r.convDw[0].toPrecision(6).replace(/0+$/, '')}`);
  });
});
