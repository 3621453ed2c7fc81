// `miniconv explain dense-as-conv`: every number printed is the naive kernels' (or the layers'), and
// the conv's numbers equal the dense layer's at one position and at every window of a larger input.
import { describe, expect, it } from 'vitest';
import { Dense, Flatten, Sequential, Tensor, toFullyConvolutional } from '../src/index.ts';
import { createDigitModel } from '../src/train/digit-model.ts';
import { DENSE_AS_CONV_BIAS, DENSE_AS_CONV_WEIGHT, explainDenseAsConv } from '../src/explain/index.ts';
import { main } from '../src/cli/main.ts';
import { dataLoaders } from '../bin/main.ts';

describe('explainDenseAsConv', () => {
  const e = explainDenseAsConv();
  it('the dense outputs by hand, and the conv\'s at its one position equal to them', () => {
    expect(e.dense).toEqual([4, -0.5]); // 0 + (-1)(1) + 0(2) + 0(4) + 1(5); 1 + 0.5(1) + 1(2) - 1(4) + 0(5)
    expect(e.conv).toEqual(e.dense);
    expect(e.text).toContain('y[1] = 1 + 0.5*1 + 1*2 + -1*4 + 0*5 = -0.5');
  });
  it('on the seed input the first filter gives the article\'s 4 4 / 4 4, and each position is the dense layer on its window', () => {
    expect(e.maps[0]).toEqual([[4, 4], [4, 4]]);
    expect(e.maps[1]).toEqual([[-0.5, 0], [1, 1.5]]);
    expect(e.positionsAgree).toBe(true);
    // The same through the layers: Flatten + Dense on each window = toFullyConvolutional's map.
    const dense = new Dense({ inFeatures: 4, outFeatures: 2, weightInit: 'zeros' });
    dense.weight.value.data.set(DENSE_AS_CONV_WEIGHT.flat());
    dense.bias!.value.data.set(DENSE_AS_CONV_BIAS);
    const model = new Sequential([new Flatten(), dense]);
    const map = toFullyConvolutional(model, [1, 2, 2]).forward(new Tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(Array.from(map.data)).toEqual([4, 4, 4, 4, -0.5, 0, 1, 1.5]);
  });
  it('the digit model on a 28x100 strip: 19 positions, the multiply-adds counted by the layers', () => {
    const model = createDigitModel(1);
    expect(e.positions).toBe(19);
    expect(e.cropMacs).toBe(19 * model.macs([1, 1, 28, 28]));
    expect(e.sharedMacs).toBe(toFullyConvolutional(model).macs([1, 1, 28, 100]));
    expect(e.sharedMacs).toBeLessThan(e.cropMacs / 3);
  });
  it('miniconv explain dense-as-conv prints it, and refuses an extra argument', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false };
    expect(await main(['explain', 'dense-as-conv'], { io, data: dataLoaders })).toBe(0);
    expect(out.join('\n')).toBe(e.text);
    expect(await main(['explain', 'dense-as-conv', 'extra'], { io, data: dataLoaders })).toBe(2);
  });
});
