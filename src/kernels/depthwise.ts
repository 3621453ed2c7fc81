// The depthwise convolution (groups = C), the direct fast kernel: the same numbers as
// conv2dForwardNaive / conv2dBackwardNaive (conv2d.ts) with groups = C, without im2col or GEMM.
// conv2d-fast.ts calls it; it has no family of its own.
//
// Glossary of dimension letters:
//   N = batch, C = input channels (= groups), H, W = input size, M = F / C filters per channel
//   (the depth multiplier), F = C*M filters, KH, KW = kernel size, OH, OW = output size,
//   S = stride, P = padding, D = dilation; filter f reads channel c = floor(f / M).
//
// Why not im2col + GEMM per group: with one input channel per group, each group's GEMM is
// (M, KH*KW) . (KH*KW, OH*OW), an inner dimension of 9 for a 3x3 kernel. The copy into the im2col
// matrix then costs as much as the arithmetic, and the GEMM's packing and tiling cannot pay for
// themselves on a matrix that thin. The work is only F*OH*OW*KH*KW multiply-adds, so it is memory-
// bound: the direct kernel reads each input row once per kernel tap and writes nothing but the output.
//
// The loop order, for one filter plane: for each kernel tap (u, v), add w[f, 0, u, v] times the
// input plane, shifted by (u*D - P, v*D - P) and sampled every S pixels, onto the output plane:
//   y[n, f, i, j] += w[f, 0, u, v] * x[n, c, i*S + u*D - P, j*S + v*D - P]   for the in-range (i, j)
// The in-range output columns jlo <= j < jhi are worked out once per tap (no test in the inner loop),
// and the inner loop walks contiguous output and evenly spaced input: "shift and add".
// The backward pass runs the same loops: dw is a dot product of dy's plane with the shifted input,
// and dx adds w times dy's plane back onto the shifted positions it came from.

import type { FloatArray } from '../tensor.ts';

/** The dimensions the kernels use (conv2dDims' result, with G = C). */
export interface DepthwiseDims {
  N: number; C: number; H: number; W: number; F: number; KH: number; KW: number;
  OH: number; OW: number; S: number; P: number; D: number;
}

/** y (N, F, OH, OW) = depthwise conv of x (N, C, H, W) with w (F, 1, KH, KW), plus b (F); optional ReLU. */
export function depthwiseForward(d: DepthwiseDims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, relu: boolean): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const M = F / C, Q = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const xPlane = (n * C + Math.floor(f / M)) * H * W; // x[n, c] (H, W)
      const o = (n * F + f) * Q; //                        y[n, f] (OH, OW)
      y.fill(b ? b[f] : 0, o, o + Q);
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          const wv = w[(f * KH + u) * KW + v];
          const jlo = firstInside(P - v * D, S, OW);
          const jhi = Math.max(jlo, endInside(W - 1 + P - v * D, S, OW));
          for (let i = 0; i < OH; i++) {
            const ih = i * S + u * D - P;
            if (ih < 0 || ih >= H) continue; // this row of taps lies in the padding
            let src = xPlane + ih * W + jlo * S + v * D - P;
            const row = o + i * OW;
            for (let j = row + jlo; j < row + jhi; j++, src += S) y[j] += wv * x[src];
          }
        }
      }
      if (relu) for (let q = o; q < o + Q; q++) y[q] = y[q] < 0 ? 0 : y[q];
    }
  }
}

/**
 * dw (F, 1, KH, KW) += sum over n, i, j of dy[n,f,i,j] * x[n, c, ih, iw]; db (F) += sum of dy[n, f];
 * dx (N, C, H, W) = for each input pixel, the sum of dy * w over the outputs it fed (overwritten),
 * when dx is given. dw and db are added into (the caller zeroes them for an overwrite).
 */
export function depthwiseBackward(
  d: DepthwiseDims, x: FloatArray, w: FloatArray, dy: FloatArray, dx: FloatArray | null, dw: FloatArray, db: FloatArray | null,
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const M = F / C, Q = OH * OW;
  if (dx) dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const xPlane = (n * C + Math.floor(f / M)) * H * W; // x[n, c] and dx[n, c] (H, W)
      const o = (n * F + f) * Q; //                        dy[n, f] (OH, OW)
      if (db) {
        let s = 0;
        for (let q = o; q < o + Q; q++) s += dy[q];
        db[f] += s;
      }
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          const wi = (f * KH + u) * KW + v, wv = w[wi];
          const jlo = firstInside(P - v * D, S, OW);
          const jhi = Math.max(jlo, endInside(W - 1 + P - v * D, S, OW));
          let sum = 0;
          for (let i = 0; i < OH; i++) {
            const ih = i * S + u * D - P;
            if (ih < 0 || ih >= H) continue;
            const start = xPlane + ih * W + jlo * S + v * D - P;
            const row = o + i * OW;
            let src = start;
            for (let j = row + jlo; j < row + jhi; j++, src += S) sum += dy[j] * x[src];
            if (dx) {
              src = start;
              for (let j = row + jlo; j < row + jhi; j++, src += S) dx[src] += wv * dy[j];
            }
          }
          dw[wi] += sum;
        }
      }
    }
  }
}

/** The first j >= 0 with j*S >= lead: ceil(lead / S), clamped to 0..OW. */
export function firstInside(lead: number, S: number, OW: number): number {
  return lead <= 0 ? 0 : Math.min(OW, Math.ceil(lead / S));
}

/** One past the last j with j*S <= last: floor(last / S) + 1, clamped to 0..OW. */
export function endInside(last: number, S: number, OW: number): number {
  return last < 0 ? 0 : Math.min(OW, Math.floor(last / S) + 1);
}
