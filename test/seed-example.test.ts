// The worked example of the seed article (shared/seed/000_47a39b498b92941a.txt, section 4):
// a 3x3 input and a 2x2 kernel [[-1, 0], [0, 1]] give the 2x2 feature map [[4, 4], [4, 4]].
import { describe, expect, it } from 'vitest';
import { Conv2D, Tensor } from '../src/index.ts';
import * as kernels from '../src/kernels/index.ts';

const input = Tensor.from([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]); // (N=1, C=1, H=3, W=3)
const kernel = Tensor.from([[[[-1, 0], [0, 1]]]]); // (F=1, C=1, KH=2, KW=2)

describe('seed article worked example', () => {
  it('the naive kernel gives 4 4 / 4 4 exactly', () => {
    const { out } = kernels.conv2dForwardNaive(input, kernel, null, { stride: 1, padding: 0 });
    expect(out.shape).toEqual([1, 1, 2, 2]);
    expect(out.toArray()).toEqual([[[[4, 4], [4, 4]]]]);
  });

  it('a Conv2D layer with the hand-made kernel and no bias gives 4 4 / 4 4 exactly', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 2, bias: false, weightInit: kernel });
    expect(conv.bias).toBeNull();
    expect(conv.forward(input).toArray()).toEqual([[[[4, 4], [4, 4]]]]);
  });

  it('the first two dot products are the ones the article writes out', () => {
    // (1*-1 + 2*0 + 4*0 + 5*1) = 4 and (2*-1 + 3*0 + 5*0 + 6*1) = 4
    const out = new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 2, bias: false, weightInit: kernel }).forward(input);
    expect(out.data[0]).toBe(1 * -1 + 2 * 0 + 4 * 0 + 5 * 1);
    expect(out.data[1]).toBe(2 * -1 + 3 * 0 + 5 * 0 + 6 * 1);
  });
});
