// The playground's backprop panel (playground/src/inspect-net.ts) for every zoo model: its stages
// are the layers' own forward and backward passes on a float64 copy on the naive backend, so its
// numbers are the gradients gradCheck verifies (the copy is gradient-checked here, then the page's
// numbers must equal the copy's gradients). Before, the panel re-ran its own conv2d without
// dilation and groups (wrong for mobilenet-mini) and refused any layer it did not list.
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../datasets/mnist.ts';
import { backpropOnDigit, float64Copy } from '../../playground/src/inspect-net.ts';
import { gradCheck } from '../../src/gradcheck.ts';
import { softmaxCrossEntropy } from '../../src/kernels/softmax-xent.ts';
import { Tensor } from '../../src/tensor.ts';
import { ZOO, ZOO_NAMES } from '../../src/train/zoo.ts';

const { test: held } = loadDigits();
const x = new Tensor([1, 1, 28, 28], held.images.slice(0, 784));
const label = held.labels[0];

describe('backprop on one digit, for every zoo model', () => {
  for (const name of ZOO_NAMES) {
    test(`${name}: the page's gradients are the layers' own, and gradCheck passes on them`, () => {
      const model = ZOO[name].build(1);
      const r = backpropOnDigit(model, x, label, 0.05);
      // The reference: the same float64 naive copy, through the layer API in one piece.
      const ref = float64Copy(model);
      // Central differences through 30 layers (mobilenet-mini) agree to ~1e-5 relative on the smallest
      // entries (CS231n: 1e-4 is fine for deep nets); a dropped option (dilation, groups) errs by O(1).
      const check = gradCheck(ref, x, { labels: [label], maxPerTensor: 2, tolerance: 1e-4 });
      expect(check.passed, JSON.stringify(check.errors)).toBe(true);
      for (const p of ref.params()) p.grad.data.fill(0);
      const { loss, grad } = softmaxCrossEntropy(ref.forward(x.to('float64')), [label]);
      const dx = ref.backward(grad);
      expect(r.loss).toBe(loss);
      expect(Array.from(r.stages[0].dx.data)).toEqual(Array.from(dx.data));
      expect(r.stages.map((s) => s.layer)).toEqual(ref.layers.map((l) => l.name));
      for (let i = 0; i + 1 < r.stages.length; i++) expect(r.stages[i].dy.data).toEqual(r.stages[i + 1].dx.data);
      let checked = 0;
      for (const l of ref.layers) {
        const stage = r.stages.find((s) => s.layer === l.name)!;
        for (const p of l.params()) {
          if (p.name === `${l.name}.weight`) { expect(Array.from(stage.dw!.data), p.name).toEqual(Array.from(p.grad.data)); checked++; }
          if (p.name === `${l.name}.bias`) { expect(Array.from(stage.db!.data), p.name).toEqual(Array.from(p.grad.data)); checked++; }
        }
      }
      expect(checked).toBeGreaterThan(1);
      // The step on the copy lowers the loss of this digit; the model itself is untouched (float32, as before).
      expect(r.lossAfter).toBeLessThan(r.loss);
      expect(model.params()[0].value.dtype).toBe('float32');
    }, 60_000);
  }

  test("mobilenet-mini's grouped (depthwise) convolutions keep their groups in the stage", () => {
    const r = backpropOnDigit(ZOO['mobilenet-mini'].build(1), x, label, 0.05);
    const grouped = r.stages.filter((s) => s.type === 'Conv2D' && (s.options.groups ?? 1) > 1);
    expect(grouped.length).toBeGreaterThan(0);
    for (const s of grouped) expect(s.w!.shape[1] * s.options.groups).toBe(s.x.shape[1]); // (F, C / groups, KH, KW)
  });

  test('a confident prediction is flagged, with its runner-up and tiny gradients; the step is also seen on other digits', () => {
    const model = ZOO.digits.build(1);
    const last = model.params().at(-1)!; // the last Dense layer's bias
    const before = backpropOnDigit(model, x, label, 0.1);
    expect(before.confident).toBe(false);
    last.value.data[label] = 40; // the net is now sure of the true label, whatever the digit
    const runnerUp = Array.from(before.probs).map((p, k) => [p, k]).filter(([, k]) => k !== label).sort((a, b) => b[0] - a[0])[0][1];
    const others = { x: new Tensor([3, 1, 28, 28], held.images.slice(784, 4 * 784)), labels: held.labels.subarray(1, 4) };
    const r = backpropOnDigit(model, x, label, 0.1, others);
    expect(r.confident).toBe(true);
    expect(r.probs[label]).toBeGreaterThan(0.999);
    expect(r.runnerUp).toBe(runnerUp); // only the true label's logit moved: the order of the others holds
    expect(r.maxGrad).toBeLessThan(1e-9);
    expect(r.maxGrad).toBeGreaterThan(0);
    expect(r.others!.labels).toEqual(Array.from(held.labels.subarray(1, 4)));
    expect(r.others!.before).toHaveLength(30);
    // Their probabilities after the step are those of the stepped copy: some move, and by little.
    const moved = r.others!.after.map((a, k) => Math.abs(a - r.others!.before[k]));
    expect(Math.max(...moved)).toBeGreaterThan(0);
  });
});
