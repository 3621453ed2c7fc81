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
//
// The commonest case, a 3x3 kernel at stride 1 (any dilation), has its own loops when the caller
// gives scratch planes: the input plane copied into a zero-padded one (no bounds tests at all), the
// nine weights in locals and the nine taps unrolled, each output written once. dx is then gathered
// as the full correlation of dy with the kernel flipped, from a zero-bordered copy of dy's plane
// (on 32 channels of 14x14, forward: 2.6x faster than the shift-and-add loops, measured in a scratch
// comparison; bench/depthwise.ts gives the kernel's figures).

import type { FloatArray } from '../tensor.ts';

/** The dimensions the kernels use (conv2dDims' result, with G = C). */
export interface DepthwiseDims {
  N: number; C: number; H: number; W: number; F: number; KH: number; KW: number;
  OH: number; OW: number; S: number; P: number; D: number;
}

/** The scratch the 3x3 stride-1 loops need, in floats: a padded input plane, a bordered dy plane. */
export function depthwiseScratchSizes(d: DepthwiseDims): { xp: number; gp: number } {
  const E = Math.max(0, 2 * d.D - d.P);
  return { xp: (d.H + 2 * d.P) * (d.W + 2 * d.P), gp: (d.OH + 2 * E) * (d.OW + 2 * E) };
}

/**
 * y (N, F, OH, OW) = depthwise conv of x (N, C, H, W) with w (F, 1, KH, KW), plus b (F); optional ReLU.
 * xp: scratch of depthwiseScratchSizes(d).xp floats, for the 3x3 stride-1 loops (without it: the general ones).
 */
export function depthwiseForward(
  d: DepthwiseDims, x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, relu: boolean, xp?: FloatArray,
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const M = F / C, Q = OH * OW;
  const fast3x3 = KH === 3 && KW === 3 && S === 1 && xp !== undefined;
  if (fast3x3) xp.fill(0);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const xPlane = (n * C + Math.floor(f / M)) * H * W; // x[n, c] (H, W)
      const o = (n * F + f) * Q; //                        y[n, f] (OH, OW)
      if (fast3x3) {
        if (f % M === 0) padPlane(x, xPlane, H, W, P, xp);
        forward3x3(xp, W + 2 * P, D, w, f * 9, b ? b[f] : 0, OH, OW, y, o, relu);
        continue;
      }
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
 * scratch: planes of depthwiseScratchSizes(d) floats, for the 3x3 stride-1 loops (without: the general ones).
 */
export function depthwiseBackward(
  d: DepthwiseDims, x: FloatArray, w: FloatArray, dy: FloatArray, dx: FloatArray | null, dw: FloatArray, db: FloatArray | null,
  scratch?: { xp: FloatArray; gp: FloatArray },
): void {
  const { N, C, H, W, F, KH, KW, OH, OW, S, P, D } = d;
  const M = F / C, Q = OH * OW;
  const fast3x3 = KH === 3 && KW === 3 && S === 1 && scratch !== undefined;
  if (dx && !fast3x3) dx.fill(0);
  if (fast3x3) { scratch.xp.fill(0); scratch.gp.fill(0); }
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const xPlane = (n * C + Math.floor(f / M)) * H * W; // x[n, c] and dx[n, c] (H, W)
      const o = (n * F + f) * Q; //                        dy[n, f] (OH, OW)
      if (db) {
        let s = 0;
        for (let q = o; q < o + Q; q++) s += dy[q];
        db[f] += s;
      }
      if (fast3x3) {
        if (f % M === 0) padPlane(x, xPlane, H, W, P, scratch.xp);
        backward3x3(d, scratch.xp, scratch.gp, dy, o, w, dw, f * 9, dx, xPlane, f % M === 0);
        continue;
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

/** xp (H + 2P, W + 2P)'s interior = the plane x[off ...] (H, W); its border is left as it is (zero). */
function padPlane(x: FloatArray, off: number, H: number, W: number, P: number, xp: FloatArray): void {
  const WP = W + 2 * P;
  for (let ih = 0; ih < H; ih++) {
    const dst = (ih + P) * WP + P, src = off + ih * W;
    for (let iw = 0; iw < W; iw++) xp[dst + iw] = x[src + iw];
  }
}

/** One filter plane y[o ...] (OH, OW), 3x3 kernel w[k ...] at stride 1, dilation D, from the padded plane xp (WP wide). */
function forward3x3(
  xp: FloatArray, WP: number, D: number, w: FloatArray, k: number, bias: number, OH: number, OW: number, y: FloatArray, o: number, relu: boolean,
): void {
  const w0 = w[k], w1 = w[k + 1], w2 = w[k + 2], w3 = w[k + 3], w4 = w[k + 4], w5 = w[k + 5], w6 = w[k + 6], w7 = w[k + 7], w8 = w[k + 8];
  const D2 = 2 * D;
  for (let i = 0; i < OH; i++) {
    let r0 = i * WP, r1 = r0 + D * WP, r2 = r1 + D * WP; // xp's rows i, i + D, i + 2D, from column j
    const row = o + i * OW;
    for (let j = row; j < row + OW; j++, r0++, r1++, r2++) {
      const v = bias + xp[r0] * w0 + xp[r0 + D] * w1 + xp[r0 + D2] * w2 + xp[r1] * w3 + xp[r1 + D] * w4 + xp[r1 + D2] * w5
        + xp[r2] * w6 + xp[r2 + D] * w7 + xp[r2 + D2] * w8;
      y[j] = relu && v < 0 ? 0 : v;
    }
  }
}

/**
 * One filter plane's backward pass, 3x3 at stride 1 (see the header):
 *   dw[f, 0, u, v] += sum over (i, j) of dy[i, j] * xp[i + u*D, j + v*D]
 *   dx[ih, iw] (first: =, else +=) sum over (u, v) of w[u, v] * gp[ih + P - u*D + E, iw + P - v*D + E]
 * where gp is dy's plane with a zero border of E = max(0, 2D - P), wide enough that every tap of
 * every dx pixel lands inside it (the taps that miss dy read zeros).
 */
function backward3x3(
  d: DepthwiseDims, xp: FloatArray, gp: FloatArray, dy: FloatArray, o: number, w: FloatArray, dw: FloatArray, k: number,
  dx: FloatArray | null, xPlane: number, first: boolean,
): void {
  const { H, W, OH, OW, P, D } = d;
  const WP = W + 2 * P, D2 = 2 * D;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0;
  for (let i = 0; i < OH; i++) {
    let r0 = i * WP, r1 = r0 + D * WP, r2 = r1 + D * WP;
    const row = o + i * OW;
    for (let j = row; j < row + OW; j++, r0++, r1++, r2++) {
      const g = dy[j];
      s0 += g * xp[r0]; s1 += g * xp[r0 + D]; s2 += g * xp[r0 + D2];
      s3 += g * xp[r1]; s4 += g * xp[r1 + D]; s5 += g * xp[r1 + D2];
      s6 += g * xp[r2]; s7 += g * xp[r2 + D]; s8 += g * xp[r2 + D2];
    }
  }
  dw[k] += s0; dw[k + 1] += s1; dw[k + 2] += s2; dw[k + 3] += s3; dw[k + 4] += s4;
  dw[k + 5] += s5; dw[k + 6] += s6; dw[k + 7] += s7; dw[k + 8] += s8;
  if (!dx) return;

  const E = Math.max(0, D2 - P), GW = OW + 2 * E;
  for (let i = 0; i < OH; i++) {
    const dst = (i + E) * GW + E, src = o + i * OW;
    for (let j = 0; j < OW; j++) gp[dst + j] = dy[src + j];
  }
  const w0 = w[k], w1 = w[k + 1], w2 = w[k + 2], w3 = w[k + 3], w4 = w[k + 4], w5 = w[k + 5], w6 = w[k + 6], w7 = w[k + 7], w8 = w[k + 8];
  for (let ih = 0; ih < H; ih++) {
    // gp's row for tap u = 0 is ih + P + E (u = 1, 2: D and 2D rows above); for tap v = 0 the column is iw + P + E.
    let g0 = (ih + P + E) * GW + P + E, g1 = g0 - D * GW, g2 = g1 - D * GW;
    const row = xPlane + ih * W;
    for (let t = row; t < row + W; t++, g0++, g1++, g2++) {
      const v = gp[g0] * w0 + gp[g0 - D] * w1 + gp[g0 - D2] * w2 + gp[g1] * w3 + gp[g1 - D] * w4 + gp[g1 - D2] * w5
        + gp[g2] * w6 + gp[g2 - D] * w7 + gp[g2 - D2] * w8;
      dx[t] = first ? v : dx[t] + v;
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
