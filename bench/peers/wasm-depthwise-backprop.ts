// The two gradient kernels of a depthwise convolution for @tensorflow/tfjs-backend-wasm, which (as of
// 4.22) has neither: tf.grad of tf.depthwiseConv2d on the wasm backend fails with
//   "Kernel 'DepthwiseConv2dNativeBackpropInput' not registered for backend 'wasm'"
// (and likewise ...BackpropFilter). Like wasm-conv2d-backprop-filter.ts, each is built from the wasm
// backend's own kernels, called the way its kernels call each other, so that TF.js-wasm can train
// mobilenet-mini at all; `npm run bench -- --model mobilenet-mini` labels the rows that use them.
// check-wasm-depthwise-grad.ts compares both with the cpu backend's kernels.
//
// Letters (NHWC, as TF.js): N batch, H W input size, C channels, KH KW kernel, OH OW output size,
// S stride; a depthwise filter is [KH, KW, C, 1] (channel multiplier 1, the only one handled).
// tfjs-core's depthwise gradient refuses dilations > 1 on every backend, so dilation is 1 here.
//
// dx (BackpropInput): the transposed convolution. dy [N, OH, OW, C] spread out by the stride (S-1
//   zeros after each row and column, one PadV2), padded by KH-1-top above, then a stride-1 depthwise conv (XNNPACK) with the filter
//   turned by 180 degrees (Reverse on KH, KW): dx[n, ih, iw, c] = sum over kh, kw of
//   dy[n, oh, ow, c] * w[kh, kw, c] where ih = oh*S - top + kh.
// dw (BackpropFilter): dw[kh, kw, c] = sum over n, oh, ow of xPadded[n, oh*S + kh, ow*S + kw, c] * dy[n, oh, ow, c],
//   itself a depthwise convolution (the trick of wasm-conv2d-backprop-filter.ts): x as one image of
//   N*C channels, dy as an OH x OW filter dilated by S, then a sum over N.
import {
  backend_util,
  getKernel,
  registerKernel,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { callWasmKernel } from './wasm-conv2d-backprop-filter.ts';

const BACKEND = 'wasm';

const call = callWasmKernel;

interface DepthwiseAttrs { strides: number | [number, number]; pad: backend_util.ExplicitPadding | 'same' | 'valid' | number; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil' }

function checkAttrs(who: string, a: DepthwiseAttrs, filterShape: readonly number[]): void {
  const d = a.dilations ?? 1;
  if (!(d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1))) throw new Error(`${who} (wasm): dilations must be 1 (as tfjs-core's depthwise gradient requires), got ${String(d)}`);
  if (filterShape[3] !== 1) throw new Error(`${who} (wasm): only a channel multiplier of 1 is handled, the filter is [${filterShape.join(', ')}]`);
}

const backpropInput: KernelFunc = ({ inputs, attrs, backend }) => {
  const who = 'DepthwiseConv2dNativeBackpropInput';
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
  if (!dy || !filter) throw new Error(`${who} (wasm): needs inputs dy and filter`);
  checkAttrs(who, a, filter.shape);
  const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, true, 'channelsLast');
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, outHeight: OH, outWidth: OW } = info;
  if (dy.shape.join() !== [N, OH, OW, C].join()) throw new Error(`${who} (wasm): dy has shape [${dy.shape}], expected [${[N, OH, OW, C]}]`);
  if (SH !== SW) throw new Error(`${who} (wasm): strides ${SH} and ${SW} differ; only equal strides are handled`);
  const be = backend as KernelBackend;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => { temps.push(t); return t; };
  try {
    // z: dy with S-1 zeros after every row and column, [N, OH*S, OW*S, C]: one PadV2 of dy seen as
    // [N*OH, 1, OW, 1, C], padded after on the two unit axes, seen again as 4-D.
    let z: TensorInfo = dy;
    if (SH > 1) {
      const spread = keep(call(who, be, 'Reshape', { x: dy }, { shape: [N * OH, 1, OW, 1, C] }));
      const padded = keep(call(who, be, 'PadV2', { x: spread }, { paddings: [[0, 0], [0, SH - 1], [0, 0], [0, SW - 1], [0, 0]], constantValue: 0 }));
      z = keep(call(who, be, 'Reshape', { x: padded }, { shape: [N, OH * SH, OW * SW, C] }));
    }
    // Padding of z so that a KH x KW window at stride 1 gives H x W: top = KH-1-padTop; rows of z
    // past what any output reads (the trailing zeros) are sliced off rather than padded negatively.
    const LH = z.shape[1], LW = z.shape[2];
    const top = KH - 1 - info.padInfo.top, left = KW - 1 - info.padInfo.left;
    const bottom = H + KH - 1 - LH - top, right = W + KW - 1 - LW - left;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) {
      const b0 = Math.max(0, -top), b1 = Math.max(0, -left);
      z = keep(call(who, be, 'Slice', { x: z }, { begin: [0, b0, b1, 0], size: [N, LH - b0 + Math.min(0, bottom), LW - b1 + Math.min(0, right), C] }));
    }
    const turned = keep(call(who, be, 'Reverse', { x: filter }, { dims: [0, 1] }));
    return call(who, be, 'DepthwiseConv2dNative', { x: z, filter: turned }, {
      strides: [1, 1], dilations: [1, 1], dimRoundingMode: undefined as unknown as string,
      pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]],
    });
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
};

const backpropFilter: KernelFunc = ({ inputs, attrs, backend }) => {
  const who = 'DepthwiseConv2dNativeBackpropFilter';
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
  if (!x || !dy) throw new Error(`${who} (wasm): needs inputs x and dy`);
  checkAttrs(who, a, a.filterShape);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, true, 'channelsLast');
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, outHeight: OH, outWidth: OW } = info;
  if (dy.shape.join() !== [N, OH, OW, C].join()) throw new Error(`${who} (wasm): dy has shape [${dy.shape}], expected [${[N, OH, OW, C]}]`);
  const be = backend as KernelBackend;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => { temps.push(t); return t; };
  try {
    // A depthwise conv with the batch as channels: x seen as one image of N*C channels [1, H, W, N*C],
    // dy as its filter [OH, OW, N*C, 1], dilated by the stride; the forward pass's top/left padding
    // and the bottom/right padding that makes the output KH x KW give [1, KH, KW, N*C], whose sum
    // over N is dw. (The rows a stride leaves unread are sliced off first.)
    const top = info.padInfo.top, left = info.padInfo.left;
    let bottom = KH + (OH - 1) * SH - H - top, right = KW + (OW - 1) * SW - W - left;
    let xs: TensorInfo = x;
    if (bottom < 0 || right < 0) {
      xs = keep(call(who, be, 'Slice', { x }, { begin: [0, 0, 0, 0], size: [N, H + Math.min(bottom, 0), W + Math.min(right, 0), C] }));
      bottom = Math.max(bottom, 0); right = Math.max(right, 0);
    }
    const hs = xs.shape[1], ws = xs.shape[2];
    const xT = keep(call(who, be, 'Transpose', { x: xs }, { perm: [1, 2, 0, 3] })); // [H, W, N, C]
    const image = keep(call(who, be, 'Reshape', { x: xT }, { shape: [1, hs, ws, N * C] }));
    const dyT = keep(call(who, be, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] })); // [OH, OW, N, C]
    const dyFilter = keep(call(who, be, 'Reshape', { x: dyT }, { shape: [OH, OW, N * C, 1] }));
    const g = keep(call(who, be, 'DepthwiseConv2dNative', { x: image, filter: dyFilter }, {
      strides: [1, 1], dilations: [SH, SW], dimRoundingMode: undefined as unknown as string, pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    })); // [1, KH, KW, N*C]
    if (g.shape[1] !== KH || g.shape[2] !== KW) throw new Error(`${who} (wasm): internal shape error, got [${g.shape}] for a ${KH}x${KW} filter`);
    const perImage = keep(call(who, be, 'Reshape', { x: g }, { shape: [KH * KW, N, C] }));
    const summed = keep(call(who, be, 'Sum', { x: perImage }, { axis: [1], keepDims: false })); // [KH*KW, C]
    return call(who, be, 'Reshape', { x: summed }, { shape: [KH, KW, C, 1] });
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
};

/** Registers the kernels the wasm backend lacks; returns the names it registered. */
export function registerWasmDepthwiseBackprop(): string[] {
  const done: string[] = [];
  for (const [kernelName, kernelFunc] of [['DepthwiseConv2dNativeBackpropInput', backpropInput], ['DepthwiseConv2dNativeBackpropFilter', backpropFilter]] as const) {
    if (getKernel(kernelName, BACKEND)) continue;
    registerKernel({ kernelName, backendName: BACKEND, kernelFunc });
    done.push(kernelName);
  }
  return done;
}
