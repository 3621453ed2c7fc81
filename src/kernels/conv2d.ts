// 2-D convolution (cross-correlation, as in every deep-learning framework), forward and backward,
// with stride, zero padding, dilation and groups (PyTorch's semantics and weight layout).
//
// Glossary of dimension letters:
//   N = batch, C = input channels, H, W = input height and width,
//   F = filters (output channels), KH, KW = kernel height and width,
//   OH, OW = output height and width, S = stride, P = padding, D = dilation, G = groups.
// Index letters: n batch, c input channel, f filter, i, j output row and column, u, v kernel row and
// column, ih, iw input row and column: ih = i*S + u*D - P, iw = j*S + v*D - P.
//
// Dilation D spreads the kernel's taps D pixels apart: a KH x KW kernel then spans (KH-1)*D + 1 rows
// and (KW-1)*D + 1 columns, so
//   OH = floor((H + 2P - D*(KH-1) - 1) / S) + 1,   OW = floor((W + 2P - D*(KW-1) - 1) / S) + 1
// (with D = 1 this is the familiar floor((H + 2P - KH) / S) + 1).
//
// Groups G split the C input channels into G groups of C/G and the F filters into G groups of F/G:
// filter f sees only the C/G input channels of its own group g = floor(f / (F/G)). So the weight is
// (F, C/G, KH, KW), and input channel c of filter f is c = g*(C/G) + cg for cg = 0 .. C/G - 1.
// G = 1 is the ordinary convolution; G = C is the depthwise convolution (each filter sees one
// channel; F = C * multiplier), which a 1x1 convolution after it makes a depthwise separable block.
//
// The naive pair below mirrors the formulas with plain loops: it is the text to read and the
// oracle the fast kernels (conv2d-fast.ts, depthwise.ts) are tested against.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';

/** The settings of conv2dForward*: stride, zero padding, dilation and groups. */
export interface Conv2dParams {
  /** Step of the kernel over the input, in pixels, >= 1. */
  stride: number;
  /** Zeros added on every side of the input, in pixels, >= 0. */
  padding: number;
  /** Spacing of the kernel's taps; default 1 (an ordinary kernel). */
  dilation?: number;
  /** Channel groups; default 1. C and F must both be multiples of it. */
  groups?: number;
}

/** What conv2dForward* keeps for the backward pass. */
export interface Conv2dCache {
  /** The input, (N, C, H, W). */
  x: Tensor;
  /** The weight, (F, C/G, KH, KW). */
  w: Tensor;
  /** Whether the forward pass had a bias (then backward returns db). */
  hasBias: boolean;
  /** The settings of the forward pass. */
  p: Conv2dParams;
}

/** The output size along one axis: floor((in + 2*pad - dilation*(k - 1) - 1) / stride) + 1. */
export function convOutSize(inSize: number, k: number, stride: number, pad: number, dilation = 1): number {
  return Math.floor((inSize + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

/** What checkConvOptions checks: a convolution's four options, and what the caller knows of the sizes. */
export interface ConvOptionsToCheck {
  /** Integer >= 1, default 1. */
  stride?: unknown;
  /** Integer >= 0, default 0. */
  padding?: unknown;
  /** Integer >= 1, default 1. */
  dilation?: unknown;
  /** Integer >= 1, default 1; must divide `channels` and `filters`. */
  groups?: unknown;
  /** The input channels C and the filters F, when known. */
  channels?: number;
  filters?: number;
  /** The input's (H, W) and the kernel's (KH, KW), when known: the dilated kernel must fit the padded input. */
  input?: readonly [number, number];
  kernel?: readonly [number, number];
  /** How the caller's options name C and F, for the message (the layer: inChannels, outChannels). */
  names?: { channels: string; filters: string };
}

/**
 * The one check of a convolution's options, which the kernels, the Conv2D layer, `explain` and the
 * page's explorer all call: stride, padding, dilation and groups (RangeError naming `who`, the
 * option, what was expected and what came), groups dividing the channels and the filters, the
 * dilated kernel fitting the padded input. Returns the options with their defaults, and OH, OW when
 * the sizes are known. An empty `who` gives messages without a prefix (the explorer's).
 */
export function checkConvOptions(who: string, o: ConvOptionsToCheck): { stride: number; padding: number; dilation: number; groups: number; OH?: number; OW?: number } {
  const at = who ? `${who}: ` : '';
  const int = (name: string, v: unknown, dflt: number, min: number): number => {
    const n = v === undefined ? dflt : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new RangeError(`${at}${name} must be an integer >= ${min}, got ${String(n)}`);
    return n;
  };
  const stride = int('stride', o.stride, 1, 1), padding = int('padding', o.padding, 0, 0);
  const dilation = int('dilation', o.dilation, 1, 1), groups = int('groups', o.groups, 1, 1);
  const names = o.names ?? { channels: 'the input channels', filters: 'the filters' };
  const { channels: C, filters: F } = o;
  const badC = C !== undefined && C % groups !== 0, badF = F !== undefined && F % groups !== 0;
  if (badC || badF) {
    const what = [C !== undefined ? `${names.channels} ${C}` : '', F !== undefined ? `${names.filters} ${F}` : ''].filter(Boolean).join(' and ');
    throw new RangeError(`${at}groups ${groups} must divide ${what}`);
  }
  if (!o.input || !o.kernel) return { stride, padding, dilation, groups };
  const [H, W] = o.input, [KH, KW] = o.kernel;
  const spanH = dilation * (KH - 1) + 1, spanW = dilation * (KW - 1) + 1; // the dilated kernel's extent
  if (H + 2 * padding < spanH || W + 2 * padding < spanW) {
    const dil = dilation > 1 ? ` (dilated ${dilation}: spans ${spanH}x${spanW})` : '';
    throw new RangeError(`${at}kernel ${KH}x${KW}${dil} is larger than the padded input ${H + 2 * padding}x${W + 2 * padding} (input ${H}x${W}, padding ${padding}); use a smaller kernel, less dilation or more padding`);
  }
  return { stride, padding, dilation, groups, OH: convOutSize(H, KH, stride, padding, dilation), OW: convOutSize(W, KW, stride, padding, dilation) };
}

/** Checks shapes and options; returns the dimensions. Throws naming `who`, expected and received. */
export function conv2dDims(x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, who = 'conv2d') {
  if (x.rank !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${x.rank} ${shapeStr(x.shape)}`);
  if (w.rank !== 4) throw new Error(`${who}: weight must be rank 4 (F, C/G, KH, KW), but got rank ${w.rank} ${shapeStr(w.shape)}`);
  const [N, C, H, W] = x.shape;
  const [F, CG, KH, KW] = w.shape;
  const { stride: S, padding: P, dilation: D, groups: G } = checkConvOptions(who, { ...p, channels: C, filters: F, input: [H, W], kernel: [KH, KW] });
  if (CG * G !== C) {
    throw new Error(`${who}: input has ${C} channels ${shapeStr(x.shape)}, expected ${CG * G} (weight ${shapeStr(w.shape)}, groups ${G})`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== F)) throw new Error(`${who}: bias must have shape [${F}], got ${shapeStr(b.shape)}`);
  const OH = convOutSize(H, KH, S, P, D);
  const OW = convOutSize(W, KW, S, P, D);
  return { N, C, H, W, F, KH, KW, OH, OW, S, P, D, G, CG, FG: F / G };
}

/**
 * y[n,f,i,j] = b[f] + sum_cg sum_u sum_v x[n, c, i*S + u*D - P, j*S + v*D - P] * w[f, cg, u, v]
 * where c = g*(C/G) + cg is the cg-th input channel of filter f's group g = floor(f / (F/G))
 * (terms whose input index falls in the zero padding are left out).
 *
 * @param x (N, C, H, W)
 * @param w (F, C/G, KH, KW)
 * @param b (F) or null
 * @returns out = y (N, F, OH, OW) and the cache that conv2dBackwardNaive needs
 */
export function conv2dForwardNaive(x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams): { out: Tensor; cache: Conv2dCache } {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D, CG, FG } = conv2dDims(x, w, b, p);
  const y = allocLike(x.data, N * F * OH * OW); // (N, F, OH, OW)
  const xd = x.data, wd = w.data;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const g = Math.floor(f / FG);
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let sum = b ? b.data[f] : 0;
          for (let cg = 0; cg < CG; cg++) {
            const c = g * CG + cg;
            for (let u = 0; u < KH; u++) {
              const ih = i * S + u * D - P;
              if (ih < 0 || ih >= H) continue; // zero padding
              for (let v = 0; v < KW; v++) {
                const iw = j * S + v * D - P;
                if (iw < 0 || iw >= W) continue;
                sum += xd[((n * C + c) * H + ih) * W + iw] * wd[((f * CG + cg) * KH + u) * KW + v];
              }
            }
          }
          y[((n * F + f) * OH + i) * OW + j] = sum;
        }
      }
    }
  }
  return { out: new Tensor([N, F, OH, OW], y), cache: { x, w, hasBias: b !== null, p } };
}

/**
 * Backward pass. Each output value y[n,f,i,j] touched x[n,c,ih,iw] through w[f,cg,u,v], so:
 *   dx[n,c,ih,iw] += dy[n,f,i,j] * w[f,cg,u,v]
 *   dw[f,cg,u,v]  += dy[n,f,i,j] * x[n,c,ih,iw]   (dw is the correlation of x with dy)
 *   db[f]         += dy[n,f,i,j]
 * with ih = i*S + u*D - P, iw = j*S + v*D - P, c = g*(C/G) + cg, over every in-range position.
 * dx is the full correlation of dy with the kernel flipped — equivalently the transposed convolution of dy with w.
 *
 * @param dy (N, F, OH, OW), the gradient of the loss with respect to y
 * @returns dx (N, C, H, W), dw (F, C/G, KH, KW), db (F) or null when the layer has no bias
 */
export function conv2dBackwardNaive(dy: Tensor, cache: Conv2dCache): { dx: Tensor; dw: Tensor; db: Tensor | null } {
  const { x, w, p } = cache;
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D, CG, FG } = conv2dDims(x, w, null, p);
  checkShape('conv2d backward', 'dy', dy, [N, F, OH, OW]);
  const dx = allocLike(x.data, x.size); // (N, C, H, W)
  const dw = allocLike(x.data, w.size); // (F, C/G, KH, KW)
  const db = allocLike(x.data, F); // (F)
  const xd = x.data, wd = w.data, dyd = dy.data;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const g = Math.floor(f / FG);
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const d = dyd[((n * F + f) * OH + i) * OW + j];
          db[f] += d;
          for (let cg = 0; cg < CG; cg++) {
            const c = g * CG + cg;
            for (let u = 0; u < KH; u++) {
              const ih = i * S + u * D - P;
              if (ih < 0 || ih >= H) continue;
              for (let v = 0; v < KW; v++) {
                const iw = j * S + v * D - P;
                if (iw < 0 || iw >= W) continue;
                const xi = ((n * C + c) * H + ih) * W + iw;
                const wi = ((f * CG + cg) * KH + u) * KW + v;
                dx[xi] += d * wd[wi];
                dw[wi] += d * xd[xi];
              }
            }
          }
        }
      }
    }
  }
  return {
    dx: new Tensor(x.shape, dx),
    dw: new Tensor(w.shape, dw),
    db: cache.hasBias ? new Tensor([F], db) : null,
  };
}
