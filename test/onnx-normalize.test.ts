// The Normalize layer through ONNX: ONNX Runtime runs the exported nodes and gives miniconv's
// logits for both modes (the same numbers in fit, predict and the ONNX file), on pictures whose
// backgrounds are light and dark, so that both branches of the polarity choice are taken; and
// importOnnx reads such a file back.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/index.ts';
import { exportOnnx, importOnnx } from '../src/io/onnx/index.ts';
import { createPictureModel } from '../src/train/picture-model.ts';
import { createRng } from '../src/rng.ts';
import { maxAbsDiff, runOrt } from './onnx-helpers.ts';

/** n pictures 3 x H x W: a square of one colour on a background of another, half with a light background. */
function pictures(n: number, H: number, W: number): Float32Array {
  const rng = createRng('onnx-normalize');
  const x = new Float32Array(n * 3 * H * W);
  for (let k = 0; k < n; k++) {
    const light = k % 2 === 0;
    const bg = [0, 1, 2].map(() => (light ? 0.7 + 0.3 * rng.uniform() : 0.3 * rng.uniform()));
    const fg = [0, 1, 2].map(() => (light ? 0.3 * rng.uniform() : 0.7 + 0.3 * rng.uniform()));
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          const inside = y > H / 4 && y < (3 * H) / 4 && xx > W / 3 && xx < (3 * W) / 4;
          x[((k * 3 + c) * H + y) * W + xx] = (inside ? fg[c] : bg[c]) + 0.02 * rng.normal();
        }
      }
    }
  }
  return x;
}

describe('Normalize in the ONNX graph', () => {
  for (const normalize of [{ mode: 'image' as const }, { mode: 'dataset' as const, mean: [0.4, 0.5, 0.45], std: [0.3, 0.25, 0.2] }]) {
    it(`${normalize.mode} mode: ONNX Runtime gives miniconv's logits at 24x20`, async () => {
      const model = createPictureModel({ seed: 4, inputShape: [3, 24, 20], classes: 3, normalize });
      model.eval();
      const bytes = exportOnnx(model, [3, 24, 20]);
      const n = 6, x = pictures(n, 24, 20);
      const ours = model.forward(new Tensor([n, 3, 24, 20], x)).data;
      const ort = await runOrt(bytes, 'input', x, [n, 3, 24, 20]);
      expect(ort.logits.dims).toEqual([n, 3]);
      expect(maxAbsDiff(ours, ort.logits.data)).toBeLessThan(1e-4);
      // import reads the file back: the Normalize layer from the file's record, then the chain.
      const back = importOnnx(bytes);
      expect(back.model.layers[0].config()).toMatchObject({ ...normalize, type: 'Normalize' });
      expect(back.inputShape).toEqual([3, 24, 20]);
      expect(maxAbsDiff(ours, back.model.forward(new Tensor([n, 3, 24, 20], x)).data)).toBeLessThan(1e-5);
    }, 120_000);
  }
});
