// An independent, deliberately naive float64 forward pass of the reference network, straight
// from the fixture's PyTorch layouts (NCHW, no layout conversion), used to check that the peer
// scripts convert the weights correctly.
import { CLASSES, C1, C2, K, IMG, PIXELS, type Fixture } from './common.ts';

/** conv (stride 1, zero padding `pad`), NCHW, weight [F, C, K, K]. */
function conv(x: Float64Array, c: number, h: number, w: number, wt: number[], b: number[], f: number, pad: number): Float64Array {
  const out = new Float64Array(f * h * w);
  for (let o = 0; o < f; o++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = b[o];
        for (let i = 0; i < c; i++)
          for (let ky = 0; ky < K; ky++)
            for (let kx = 0; kx < K; kx++) {
              const iy = y + ky - pad, ix = xx + kx - pad;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += wt[((o * c + i) * K + ky) * K + kx] * x[(i * h + iy) * w + ix];
            }
        out[(o * h + y) * w + xx] = s;
      }
  return out;
}

function relu(x: Float64Array): Float64Array {
  return x.map((v) => (v > 0 ? v : 0));
}

/** max pool, window = stride = s, 'valid' (floor). */
function pool(x: Float64Array, c: number, h: number, w: number, s: number): Float64Array {
  const oh = Math.floor(h / s), ow = Math.floor(w / s);
  const out = new Float64Array(c * oh * ow);
  for (let i = 0; i < c; i++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let m = -Infinity;
        for (let dy = 0; dy < s; dy++) for (let dx = 0; dx < s; dx++) m = Math.max(m, x[(i * h + y * s + dy) * w + xx * s + dx]);
        out[(i * oh + y) * ow + xx] = m;
      }
  return out;
}

/** Logits of one image (784 pixels, values 0..1). */
export function referenceLogits(fx: Fixture, image: ArrayLike<number>): Float64Array {
  const W = fx.weights;
  let a: Float64Array = Float64Array.from(image);
  a = pool(relu(conv(a, 1, IMG, IMG, W['conv1.weight'], W['conv1.bias'], C1, 2)), C1, IMG, IMG, 2); // 8x14x14
  a = pool(relu(conv(a, C1, 14, 14, W['conv2.weight'], W['conv2.bias'], C2, 2)), C2, 14, 14, 3); // 16x4x4, CHW flatten
  const logits = new Float64Array(CLASSES);
  for (let o = 0; o < CLASSES; o++) {
    let s = W['dense.bias'][o];
    for (let i = 0; i < a.length; i++) s += W['dense.weight'][o * a.length + i] * a[i];
    logits[o] = s;
  }
  return logits;
}

/** Mean softmax cross-entropy of the images `indices` of a set. */
export function referenceLoss(fx: Fixture, images: Float32Array, labels: Uint8Array, indices: number[]): number {
  let total = 0;
  for (const idx of indices) {
    const z = referenceLogits(fx, images.subarray(idx * PIXELS, (idx + 1) * PIXELS));
    const m = Math.max(...z);
    let se = 0;
    for (const v of z) se += Math.exp(v - m);
    total += Math.log(se) + m - z[labels[idx]];
  }
  return total / indices.length;
}
