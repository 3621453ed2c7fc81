// The reference network's shapes, the fixture's format and the weight-layout conversions between
// miniconv's (PyTorch's) layouts and the peers': no Node module here, so that the playground's
// in-page benchmark (playground/src/bench/) runs the same TF.js model (tfjs-model.ts) in Chromium.
// common.ts re-exports all of it for the Node scripts.
//
// The reference network (ConvNetJS's MNIST demo), input 28x28x1:
//   conv1 5x5x8 pad 2 -> ReLU -> maxpool 2/2 -> conv2 5x5x16 pad 2 -> ReLU -> maxpool 3/3 (14 -> 4)
//   -> flatten 4*4*16 = 256 -> dense 10 -> softmax cross-entropy (mean over the batch).
// Fixture weights use PyTorch layouts (NCHW, conv [F, C, KH, KW], dense [out, in], and the dense
// layer's 256 inputs flattened in CHW order: index = c*16 + y*4 + x).

export const IMG = 28;
export const PIXELS = IMG * IMG;
export const CLASSES = 10;
export const C1 = 8; // conv1 filters
export const C2 = 16; // conv2 filters
export const K = 5; // conv kernel size
export const P2 = 4; // spatial size after the second pool
export const FLAT = P2 * P2 * C2; // 256

/** Expected element count of every fixture weight, in PyTorch layout. */
export const WEIGHT_SHAPES: Record<WeightName, number[]> = {
  'conv1.weight': [C1, 1, K, K],
  'conv1.bias': [C1],
  'conv2.weight': [C2, C1, K, K],
  'conv2.bias': [C2],
  'dense.weight': [CLASSES, FLAT],
  'dense.bias': [CLASSES],
};
export type WeightName = 'conv1.weight' | 'conv1.bias' | 'conv2.weight' | 'conv2.bias' | 'dense.weight' | 'dense.bias';
export const WEIGHT_NAMES = Object.keys(WEIGHT_SHAPES) as WeightName[];

export interface Fixture {
  weights: Record<WeightName, number[]>;
  trainOrder: number[];
  batchSize: number;
  lr: number;
  momentum: number;
  inferBatch: number;
  inferImages: number;
}

// ---------------------------------------------------------------------------------------------
// Weight layouts

/** PyTorch conv weight [F, C, KH, KW] -> TF.js filter [KH, KW, C, F]. */
export function convToTf(w: ArrayLike<number>, f: number, c: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(f * c * kh * kw);
  for (let o = 0; o < f; o++)
    for (let i = 0; i < c; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((y * kw + x) * c + i) * f + o] = w[((o * c + i) * kh + y) * kw + x];
  return out;
}

/**
 * PyTorch dense weight [out, in] with the inputs in CHW order (c*hw + y*w + x) ->
 * TF.js kernel [in, out] with the inputs in HWC order ((y*w + x)*C + c), the order of flattening NHWC.
 */
export function denseToTfHwc(w: ArrayLike<number>, out: number, c: number, h: number, wd: number): Float32Array {
  const res = new Float32Array(c * h * wd * out);
  for (let o = 0; o < out; o++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < wd; x++)
          res[((y * wd + x) * c + ch) * out + o] = w[o * c * h * wd + (ch * h + y) * wd + x];
  return res;
}

/** PyTorch conv weight of filter `o`, [C, KH, KW] -> a ConvNetJS Vol(sx=KW, sy=KH, depth=C), index (KW*y + x)*C + c. */
export function convFilterToConvnet(w: ArrayLike<number>, o: number, c: number, kh: number, kw: number, dst: { [i: number]: number }): void {
  for (let i = 0; i < c; i++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        dst[(kw * y + x) * c + i] = w[((o * c + i) * kh + y) * kw + x];
}

/** Row `o` of a PyTorch dense weight (inputs in CHW order) -> ConvNetJS fc filter (inputs in HWC order, (w*y + x)*C + c). */
export function denseRowToConvnet(w: ArrayLike<number>, o: number, c: number, h: number, wd: number, dst: { [i: number]: number }): void {
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < wd; x++)
        dst[(wd * y + x) * c + ch] = w[o * c * h * wd + (ch * h + y) * wd + x];
}
