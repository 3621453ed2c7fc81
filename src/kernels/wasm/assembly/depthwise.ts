// @ts-nocheck -- this file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript.
//
// The depthwise convolution (groups = C), float32, forward and backward, direct: no im2col, no GEMM.
// The TypeScript twin is ../../depthwise.ts (read it first: why direct, and the loop order); the
// formulas are conv2dForwardNaive's / conv2dBackwardNaive's with groups = C (../../conv2d.ts).
//
// Glossary: N = batch, C = channels, M = F / C filters per channel, F = filters, H, W = input size,
// KH, KW = kernel size, S = stride, P = padding, D = dilation, OH, OW = output size;
// HP = H + 2P, WP = W + 2P, the zero-padded plane. Filter f reads channel c = f / M.
//
// Each channel's plane is first copied into a zero-padded plane (xp), so that no tap needs a bounds
// test. Then four outputs of a row at a time sit in the lanes of a v128:
//   y[i, j..j+3] = b + sum over (u, v) of w[u, v] * xp[i*S + u*D, (j..j+3)*S + v*D]
// (one load when S = 1, four lanes gathered otherwise). The backward pass walks the same taps:
//   dw[u, v] += sum over (i, j) of g[i, j] * xp[i*S + u*D, j*S + v*D]       (four partial sums per v128)
//   dxp[i*S + u*D, j*S + v*D] += w[u, v] * g[i, j]                          (then dx = dxp's interior)
// where g = dy, passed through the fused ReLU's mask first when there is one.

import { madd } from './conv';

// The scratch layouts, each computed once by a layout function that the size function (from 0) and
// the kernel (from `scratch`) both call; the 64 spare bytes per alignUp16 cover an unaligned scratch.
let dXp: usize = 0, dDxp: usize = 0, dG: usize = 0;

/** depthwiseForward's: one zero-padded plane. */
function forwardLayout(scratch: usize, H: i32, W: i32, P: i32): usize {
  dXp = alignUp16(scratch); //                                    (HP, WP)
  return dXp + (<usize>(H + 2 * P) * (W + 2 * P) << 2);
}

/** Bytes of scratch depthwiseForward needs: one padded plane. */
export function depthwiseForwardScratch(H: i32, W: i32, P: i32): usize {
  return forwardLayout(0, H, W, P) + 64;
}

/**
 * y (N, F, OH, OW) = depthwise conv of x (N, C, H, W) with w (F, 1, KH, KW), plus b (F) (b = 0: no
 * bias); relu != 0 applies a ReLU to the result.
 */
export function depthwiseForward(
  x: usize, w: usize, b: usize, y: usize, N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32,
  S: i32, P: i32, D: i32, OH: i32, OW: i32, scratch: usize, relu: i32,
): void {
  const M = F / C, WP = W + 2 * P, HP = H + 2 * P;
  forwardLayout(scratch, H, W, P);
  const xp = dXp;
  memory.fill(xp, 0, <usize>HP * WP << 2); // the border stays zero; each plane overwrites the interior
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      if (f % M == 0) padPlane(x + (<usize>(n * C + f / M) * H * W << 2), H, W, P, xp);
      const yp = y + (<usize>(n * F + f) * OH * OW << 2); // y[n, f]
      const wf = w + (<usize>f * KH * KW << 2); //           w[f, 0]
      const bias: f32 = b ? load<f32>(b + (<usize>f << 2)) : 0;
      if (KH == 3 && KW == 3 && S == 1 && OW >= 4) {
        forward3x3(xp, WP, D, wf, bias, OH, OW, yp, relu);
        continue;
      }
      for (let i = 0; i < OH; i++) {
        const row = yp + (<usize>i * OW << 2);
        let j = 0;
        // Four outputs at a time; a ragged end is moved back to end at OW (recomputes, harmlessly).
        if (OW >= 4) {
          for (; j < OW; j += 4) {
            if (j + 4 > OW) j = OW - 4;
            let acc = f32x4.splat(bias);
            for (let u = 0; u < KH; u++) {
              const src = xp + (<usize>((i * S + u * D) * WP + j * S) << 2);
              for (let v = 0; v < KW; v++) {
                acc = madd(lanes(src + (<usize>(v * D) << 2), S), v128.load32_splat(wf + (<usize>(u * KW + v) << 2)), acc);
              }
            }
            if (relu) acc = f32x4.pmax(acc, zero);
            v128.store(row + (<usize>j << 2), acc);
          }
        } else {
          for (; j < OW; j++) {
            let s: f32 = bias;
            for (let u = 0; u < KH; u++) {
              for (let v = 0; v < KW; v++) {
                s += load<f32>(xp + (<usize>((i * S + u * D) * WP + j * S + v * D) << 2)) * load<f32>(wf + (<usize>(u * KW + v) << 2));
              }
            }
            store<f32>(row + (<usize>j << 2), relu && s < 0 ? 0 : s);
          }
        }
      }
    }
  }
}

/**
 * One filter plane for the commonest case, a 3x3 kernel at stride 1 (any dilation): the nine weights
 * held in registers, the nine taps unrolled. Same sums, in the same order, as the general loop.
 */
function forward3x3(xp: usize, WP: i32, D: i32, wf: usize, bias: f32, OH: i32, OW: i32, yp: usize, relu: i32): void {
  const w0 = v128.load32_splat(wf), w1 = v128.load32_splat(wf + 4), w2 = v128.load32_splat(wf + 8);
  const w3 = v128.load32_splat(wf + 12), w4 = v128.load32_splat(wf + 16), w5 = v128.load32_splat(wf + 20);
  const w6 = v128.load32_splat(wf + 24), w7 = v128.load32_splat(wf + 28), w8 = v128.load32_splat(wf + 32);
  const b4 = f32x4.splat(bias), zero = f32x4.splat(0);
  const dv = <usize>D << 2, du = <usize>(D * WP) << 2; // one tap right, one tap down, in bytes
  for (let i = 0; i < OH; i++) {
    const r0 = xp + (<usize>(i * WP) << 2), r1 = r0 + du, r2 = r1 + du; // the three input rows of output row i
    const row = yp + (<usize>(i * OW) << 2);
    for (let j = 0; j < OW; j += 4) {
      if (j + 4 > OW) j = OW - 4;
      const q = <usize>j << 2;
      let acc = b4;
      acc = madd(v128.load(r0 + q), w0, acc); acc = madd(v128.load(r0 + q + dv), w1, acc); acc = madd(v128.load(r0 + q + 2 * dv), w2, acc);
      acc = madd(v128.load(r1 + q), w3, acc); acc = madd(v128.load(r1 + q + dv), w4, acc); acc = madd(v128.load(r1 + q + 2 * dv), w5, acc);
      acc = madd(v128.load(r2 + q), w6, acc); acc = madd(v128.load(r2 + q + dv), w7, acc); acc = madd(v128.load(r2 + q + 2 * dv), w8, acc);
      if (relu) acc = f32x4.pmax(acc, zero);
      v128.store(row + q, acc);
    }
  }
}

/**
 * depthwiseBackward's: the padded plane, its gradient, and one masked dy plane with a zero border of
 * E <= 2D on each side (the 3x3 path's, see backward3x3; the layout takes the largest).
 */
function backwardLayout(scratch: usize, H: i32, W: i32, P: i32, D: i32, OH: i32, OW: i32): usize {
  const HP = H + 2 * P, WP = W + 2 * P;
  dXp = alignUp16(scratch); //                                    (HP, WP)
  dDxp = alignUp16(dXp + (<usize>HP * WP << 2)); //               (HP, WP)
  dG = alignUp16(dDxp + (<usize>HP * WP << 2)); //                (OH + 2E, OW + 2E)
  return dG + (<usize>(OH + 4 * D) * (OW + 4 * D) << 2);
}

/** Bytes of scratch depthwiseBackward needs (see backwardLayout). */
export function depthwiseBackwardScratch(H: i32, W: i32, P: i32, D: i32, OH: i32, OW: i32): usize {
  return backwardLayout(0, H, W, P, D, OH, OW) + 3 * 64;
}

/**
 * dw (F, 1, KH, KW) = sum over the batch of dy * shifted x; db (F) = sum of dy (db = 0: no bias);
 * dx (N, C, H, W) (dx = 0: not wanted) = sum of w * dy over the outputs each pixel fed. All three are
 * overwritten. mask (N, F, OH, OW) (0: none) is the fused ReLU's output: dy counts only where it is > 0.
 */
export function depthwiseBackward(
  x: usize, w: usize, dy: usize, dx: usize, dw: usize, db: usize, N: i32, C: i32, H: i32, W: i32, F: i32,
  KH: i32, KW: i32, S: i32, P: i32, D: i32, OH: i32, OW: i32, scratch: usize, mask: usize,
): void {
  const M = F / C, WP = W + 2 * P, HP = H + 2 * P, Q = OH * OW;
  backwardLayout(scratch, H, W, P, D, OH, OW);
  const xp = dXp, dxp = dDxp, g = dG;
  memory.fill(xp, 0, <usize>HP * WP << 2);
  memory.fill(dw, 0, <usize>F * KH * KW << 2);
  if (db) memory.fill(db, 0, <usize>F << 2);
  const zero = f32x4.splat(0);
  // The 3x3, stride-1 path keeps g with a zero border of E = max(0, 2D - P): see backward3x3.
  const fast3x3 = KH == 3 && KW == 3 && S == 1;
  const E = fast3x3 ? max(0, 2 * D - P) : 0, GW = OW + 2 * E;
  if (fast3x3) memory.fill(g, 0, <usize>(OH + 2 * E) * GW << 2);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const c = f / M;
      if (f % M == 0) {
        padPlane(x + (<usize>(n * C + c) * H * W << 2), H, W, P, xp);
        if (dx) memory.fill(dxp, 0, <usize>HP * WP << 2);
      }
      // g = dy[n, f], through the mask (row by row, at (E, E) in a GW-wide plane); db[f] += its sum.
      let s: f32 = 0;
      for (let i = 0; i < OH; i++) {
        const o = <usize>((n * F + f) * Q + i * OW) << 2, gi = g + (<usize>((i + E) * GW + E) << 2);
        let t = 0, sum4 = zero;
        for (; t + 4 <= OW; t += 4) {
          let v = v128.load(dy + o + (<usize>t << 2));
          if (mask) v = v128.and(v, f32x4.gt(v128.load(mask + o + (<usize>t << 2)), zero));
          v128.store(gi + (<usize>t << 2), v);
          sum4 = f32x4.add(sum4, v);
        }
        s += hsum(sum4);
        for (; t < OW; t++) {
          let v = load<f32>(dy + o + (<usize>t << 2));
          if (mask && !(load<f32>(mask + o + (<usize>t << 2)) > 0)) v = 0;
          store<f32>(gi + (<usize>t << 2), v);
          s += v;
        }
      }
      if (db) store<f32>(db + (<usize>f << 2), load<f32>(db + (<usize>f << 2)) + s);
      if (fast3x3) {
        backward3x3(xp, WP, g, GW, E, w + (<usize>f * 9 << 2), dw + (<usize>f * 9 << 2), H, W, P, D, OH, OW,
          dx ? dx + (<usize>(n * C + c) * H * W << 2) : 0, f % M == 0);
        continue;
      }

      const wf = w + (<usize>f * KH * KW << 2), dwf = dw + (<usize>f * KH * KW << 2);
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          const wv = load<f32>(wf + (<usize>(u * KW + v) << 2)), w4 = f32x4.splat(wv);
          let acc = zero, tail: f32 = 0;
          for (let i = 0; i < OH; i++) {
            const off = <usize>((i * S + u * D) * WP + v * D) << 2; // xp[i*S + u*D, v*D]
            const gi = g + (<usize>i * OW << 2);
            let j = 0;
            for (; j + 4 <= OW; j += 4) {
              const gv = v128.load(gi + (<usize>j << 2));
              const at = off + (<usize>(j * S) << 2);
              acc = madd(gv, lanes(xp + at, S), acc);
              if (dx) {
                if (S == 1) v128.store(dxp + at, madd(gv, w4, v128.load(dxp + at)));
                else {
                  for (let k = 0; k < 4; k++) {
                    const p = dxp + at + (<usize>(k * S) << 2);
                    store<f32>(p, load<f32>(p) + wv * load<f32>(gi + (<usize>(j + k) << 2)));
                  }
                }
              }
            }
            for (; j < OW; j++) {
              const gv = load<f32>(gi + (<usize>j << 2));
              const at = off + (<usize>(j * S) << 2);
              tail += gv * load<f32>(xp + at);
              if (dx) store<f32>(dxp + at, load<f32>(dxp + at) + wv * gv);
            }
          }
          const wi = <usize>(u * KW + v) << 2;
          store<f32>(dwf + wi, load<f32>(dwf + wi) + hsum(acc) + tail);
        }
      }
      // The channel's last filter: its padded gradient is complete; dx[n, c] is its interior.
      if (dx && f % M == M - 1) unpadPlane(dxp, H, W, P, dx + (<usize>(n * C + c) * H * W << 2));
    }
  }
}

/**
 * One filter plane's backward pass for a 3x3 kernel at stride 1 (any dilation), all in registers:
 *   dw[u, v] += sum over (i, j) of g[i, j] * xp[i + u*D, j + v*D]     (nine v128 accumulators)
 *   dx[ih, iw] (+)= sum over (u, v) of w[u, v] * g[ih + P - u*D, iw + P - v*D]
 * The second line is dx as the full correlation of g with the kernel flipped: g, read from the plane
 * with its zero border E = max(0, 2D - P) (taps that fall off g read zeros), gathers its nine
 * contributions into each dx value, which is written once (first: overwrite, else add: the channel's
 * other filters) instead of nine read-modify-writes.
 */
function backward3x3(
  xp: usize, WP: i32, g: usize, GW: i32, E: i32, wf: usize, dwf: usize, H: i32, W: i32, P: i32, D: i32,
  OH: i32, OW: i32, dx: usize, first: bool,
): void {
  const dv = <usize>D << 2, du = <usize>(D * WP) << 2; // one tap right, one tap down in xp (bytes)
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
  let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0, t4: f32 = 0, t5: f32 = 0, t6: f32 = 0, t7: f32 = 0, t8: f32 = 0;
  for (let i = 0; i < OH; i++) {
    const gi = g + (<usize>((i + E) * GW + E) << 2);
    const r0 = xp + (<usize>(i * WP) << 2), r1 = r0 + du, r2 = r1 + du;
    let j = 0;
    for (; j + 4 <= OW; j += 4) {
      const q = <usize>j << 2, gv = v128.load(gi + q);
      a0 = madd(gv, v128.load(r0 + q), a0); a1 = madd(gv, v128.load(r0 + q + dv), a1); a2 = madd(gv, v128.load(r0 + q + 2 * dv), a2);
      a3 = madd(gv, v128.load(r1 + q), a3); a4 = madd(gv, v128.load(r1 + q + dv), a4); a5 = madd(gv, v128.load(r1 + q + 2 * dv), a5);
      a6 = madd(gv, v128.load(r2 + q), a6); a7 = madd(gv, v128.load(r2 + q + dv), a7); a8 = madd(gv, v128.load(r2 + q + 2 * dv), a8);
    }
    for (; j < OW; j++) {
      const q = <usize>j << 2, gs = load<f32>(gi + q);
      t0 += gs * load<f32>(r0 + q); t1 += gs * load<f32>(r0 + q + dv); t2 += gs * load<f32>(r0 + q + 2 * dv);
      t3 += gs * load<f32>(r1 + q); t4 += gs * load<f32>(r1 + q + dv); t5 += gs * load<f32>(r1 + q + 2 * dv);
      t6 += gs * load<f32>(r2 + q); t7 += gs * load<f32>(r2 + q + dv); t8 += gs * load<f32>(r2 + q + 2 * dv);
    }
  }
  store<f32>(dwf, load<f32>(dwf) + hsum(a0) + t0); store<f32>(dwf + 4, load<f32>(dwf + 4) + hsum(a1) + t1);
  store<f32>(dwf + 8, load<f32>(dwf + 8) + hsum(a2) + t2); store<f32>(dwf + 12, load<f32>(dwf + 12) + hsum(a3) + t3);
  store<f32>(dwf + 16, load<f32>(dwf + 16) + hsum(a4) + t4); store<f32>(dwf + 20, load<f32>(dwf + 20) + hsum(a5) + t5);
  store<f32>(dwf + 24, load<f32>(dwf + 24) + hsum(a6) + t6); store<f32>(dwf + 28, load<f32>(dwf + 28) + hsum(a7) + t7);
  store<f32>(dwf + 32, load<f32>(dwf + 32) + hsum(a8) + t8);
  if (!dx) return;

  const w0 = load<f32>(wf), w1 = load<f32>(wf + 4), w2 = load<f32>(wf + 8), w3 = load<f32>(wf + 12), w4 = load<f32>(wf + 16);
  const w5 = load<f32>(wf + 20), w6 = load<f32>(wf + 24), w7 = load<f32>(wf + 28), w8 = load<f32>(wf + 32);
  const v0 = f32x4.splat(w0), v1 = f32x4.splat(w1), v2 = f32x4.splat(w2), v3 = f32x4.splat(w3), v4 = f32x4.splat(w4);
  const v5 = f32x4.splat(w5), v6 = f32x4.splat(w6), v7 = f32x4.splat(w7), v8 = f32x4.splat(w8);
  const gv1 = <usize>D << 2, gu1 = <usize>(D * GW) << 2; // one tap left, one tap up in g (bytes)
  for (let ih = 0; ih < H; ih++) {
    // g's row for tap u = 0 sits at ih + P + E (the taps u = 1, 2 are D and 2D rows above it).
    const g0 = g + (<usize>((ih + P + E) * GW + P + E) << 2), g1 = g0 - gu1, g2 = g1 - gu1;
    const row = dx + (<usize>(ih * W) << 2);
    let iw = 0;
    for (; iw + 4 <= W; iw += 4) {
      const q = <usize>iw << 2;
      let acc = first ? f32x4.splat(0) : v128.load(row + q);
      acc = madd(v128.load(g0 + q), v0, acc); acc = madd(v128.load(g0 + q - gv1), v1, acc); acc = madd(v128.load(g0 + q - 2 * gv1), v2, acc);
      acc = madd(v128.load(g1 + q), v3, acc); acc = madd(v128.load(g1 + q - gv1), v4, acc); acc = madd(v128.load(g1 + q - 2 * gv1), v5, acc);
      acc = madd(v128.load(g2 + q), v6, acc); acc = madd(v128.load(g2 + q - gv1), v7, acc); acc = madd(v128.load(g2 + q - 2 * gv1), v8, acc);
      v128.store(row + q, acc);
    }
    for (; iw < W; iw++) {
      const q = <usize>iw << 2;
      let s: f32 = first ? 0 : load<f32>(row + q);
      s += load<f32>(g0 + q) * w0 + load<f32>(g0 + q - gv1) * w1 + load<f32>(g0 + q - 2 * gv1) * w2;
      s += load<f32>(g1 + q) * w3 + load<f32>(g1 + q - gv1) * w4 + load<f32>(g1 + q - 2 * gv1) * w5;
      s += load<f32>(g2 + q) * w6 + load<f32>(g2 + q - gv1) * w7 + load<f32>(g2 + q - 2 * gv1) * w8;
      store<f32>(row + q, s);
    }
  }
}

/** Four floats S apart from p (one load when S = 1). */
@inline function lanes(p: usize, S: i32): v128 {
  if (S == 1) return v128.load(p);
  const s = <usize>S << 2;
  let r = v128.load32_splat(p);
  r = v128.load32_lane(p + s, r, 1);
  r = v128.load32_lane(p + 2 * s, r, 2);
  r = v128.load32_lane(p + 3 * s, r, 3);
  return r;
}

@inline function hsum(a: v128): f32 {
  return f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
}

@inline function alignUp16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** xp (HP, WP)'s interior = the plane x (H, W); its border is left as it is (zero). */
function padPlane(x: usize, H: i32, W: i32, P: i32, xp: usize): void {
  const WP = W + 2 * P;
  for (let ih = 0; ih < H; ih++) memory.copy(xp + (<usize>((ih + P) * WP + P) << 2), x + (<usize>ih * W << 2), <usize>W << 2);
}

/** dx (H, W) = the interior of the padded plane dxp (HP, WP). */
function unpadPlane(dxp: usize, H: i32, W: i32, P: i32, dx: usize): void {
  const WP = W + 2 * P;
  for (let ih = 0; ih < H; ih++) memory.copy(dx + (<usize>ih * W << 2), dxp + (<usize>((ih + P) * WP + P) << 2), <usize>W << 2);
}
