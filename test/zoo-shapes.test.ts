// Zoo models at other input shapes and class counts (issue 21 §2): every builder takes
// { seed, inputShape, classes, normalize }, a seed alone still gives the same bits, and the picture
// model takes any input size (global average pooling before the classifier).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/index.ts';
import { ZOO, ZOO_NAMES, createVggMini } from '../src/train/zoo.ts';
import { PICTURE_MODEL, createPictureModel } from '../src/train/picture-model.ts';
import { randn } from './helpers.ts';

describe('zoo models take { inputShape, classes }', () => {
  for (const name of [...ZOO_NAMES, 'pictures']) {
    it(`${name} at [3, 32, 32] with 5 classes, and at its default with the same bits as a seed alone`, () => {
      const m = (ZOO[name] ?? PICTURE_MODEL).build({ seed: 3, inputShape: [3, 32, 32], classes: 5 });
      expect(m.forward(randn([2, 3, 32, 32], `zoo-${name}`)).shape).toEqual([2, 5]);
      const a = (ZOO[name] ?? PICTURE_MODEL).build(3), b = (ZOO[name] ?? PICTURE_MODEL).build({ seed: 3, inputShape: [1, 28, 28], classes: 10 });
      expect(a.config()).toEqual(b.config());
      a.params().forEach((p, i) => expect(p.value.data).toEqual(b.params()[i].value.data));
    });
  }
  it('a normalisation goes first, and a shape too small for a Flatten-Dense head is named', () => {
    const m = createVggMini({ seed: 1, inputShape: [3, 32, 32], classes: 4, normalize: { mode: 'image' } });
    expect(m.layers[0].type).toBe('Normalize');
    expect(() => ZOO.lenet5.build({ inputShape: [1, 8, 8], classes: 3 })).toThrow(/createLenet5: input \[1, 8, 8\] is too small for this network/);
    expect(() => createVggMini({ classes: 1 })).toThrow('createVggMini: classes must be an integer >= 2, got 1');
  });
  it('the picture model takes any input size: the same weights on 20x28 and 64x48 pictures', () => {
    const m = createPictureModel({ seed: 2, inputShape: [3, 32, 32], classes: 4 });
    m.eval();
    for (const s of [[3, 20, 28], [3, 64, 48], [3, 32, 32]]) expect(m.forward(randn([2, ...s], `any-${s}`)).shape).toEqual([2, 4]);
    expect(m.forward(new Tensor([1, 3, 32, 32])).shape).toEqual([1, 4]);
  });
});
