// A Conv2DBackpropFilter kernel for @tensorflow/tfjs-backend-wasm, which (as of 4.22) has none:
// tf.grad of tf.conv2d on the wasm backend fails with
//   "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'".
//
// dW[kh, kw, c, f] = sum over n, oh, ow of  xPadded[n, oh*s + kh, ow*s + kw, c] * dy[n, oh, ow, f]
// which is itself a convolution: treat x transposed to [C, H, W, N] as a batch of C images with
// N channels, and dy transposed to [OH, OW, N, F] as an OH x OW filter with N input and F output
// channels, dilated by the forward stride; with the forward pass's top/left padding (and the
// bottom/right padding that makes the output KH x KW) this gives [C, KH, KW, F], transposed to
// [KH, KW, C, F]. Everything runs on the wasm backend's own kernels (Transpose, Slice, Conv2D,
// which is XNNPACK), called the way the backend's kernels call each other.
import {
  backend_util,
  getKernel,
  registerKernel,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelBackend,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

const BACKEND = 'wasm';

/** Runs the wasm backend's kernel `name` the way its own kernels call each other (also used by wasm-depthwise-backprop.ts). */
export function callWasmKernel(who: string, backend: KernelBackend, name: string, inputs: NamedTensorInfoMap | TensorInfo[], attrs: NamedAttrMap): TensorInfo {
  const k = getKernel(name, BACKEND);
  if (!k) throw new Error(`${who} (wasm): needs the wasm kernel '${name}', which is not registered`);
  return k.kernelFunc({ inputs: inputs as NamedTensorInfoMap, attrs, backend }) as TensorInfo;
}
const call = (backend: KernelBackend, name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap) => callWasmKernel('Conv2DBackpropFilter', backend, name, inputs, attrs);

const conv2DBackpropFilterWasm: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as Conv2DBackpropFilterInputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (!x || !dy) throw new Error('Conv2DBackpropFilter (wasm): needs inputs x and dy');
  if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm): only NHWC is supported, got ${dataFormat}`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const [n, h, w, c] = x.shape;
  const f = info.outChannels;
  if (dy.shape[0] !== n || dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== f) {
    throw new Error(`Conv2DBackpropFilter (wasm): dy has shape [${dy.shape}], expected [${[n, oh, ow, f]}]`);
  }
  const top = info.padInfo.top, left = info.padInfo.left;
  // Rows (cols) of the padded input that the forward pass reads: top .. kh + (oh-1)*sh.
  let bottom = kh + (oh - 1) * sh - h - top;
  let right = kw + (ow - 1) * sw - w - left;
  const be = backend as KernelBackend;
  const temps: TensorInfo[] = [];
  let xs: TensorInfo = x;
  if (bottom < 0 || right < 0) {
    // The forward pass never reads the last rows/cols (stride does not divide evenly): drop them.
    xs = call(be, 'Slice', { x }, { begin: [0, 0, 0, 0], size: [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c] });
    temps.push(xs);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  try {
    const xT = call(be, 'Transpose', { x: xs }, { perm: [3, 1, 2, 0] }); // [C, H, W, N]
    temps.push(xT);
    const dyT = call(be, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, N, F]
    temps.push(dyT);
    const g = call(be, 'Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [sh, sw],
    }); // [C, KH, KW, F]
    temps.push(g);
    if (g.shape[1] !== kh || g.shape[2] !== kw) {
      throw new Error(`Conv2DBackpropFilter (wasm): internal shape error, got [${g.shape}] for a ${kh}x${kw} filter`);
    }
    return call(be, 'Transpose', { x: g }, { perm: [1, 2, 0, 3] }); // [KH, KW, C, F]
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
};

let registered = false;

/** Registers the kernel for the 'wasm' backend unless the backend already has one. Returns true if it registered it. */
export function registerWasmConv2DBackpropFilter(): boolean {
  if (registered || getKernel('Conv2DBackpropFilter', BACKEND)) return false;
  registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilterWasm });
  registered = true;
  return true;
}
