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

/** Bytes of scratch depthwiseForward needs: one padded plane. */
export function depthwiseForwardScratch(H: i32, W: i32, P: i32): usize {
  return (<usize>(H + 2 * P) * (W + 2 * P) << 2) + 64;
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
  const xp = alignUp16(scratch);
  memory.fill(xp, 0, <usize>HP * WP << 2); // the border stays zero; each plane overwrites the interior
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      if (f % M == 0) padPlane(x + (<usize>(n * C + f / M) * H * W << 2), H, W, P, xp);
      const yp = y + (<usize>(n * F + f) * OH * OW << 2); // y[n, f]
      const wf = w + (<usize>f * KH * KW << 2); //           w[f, 0]
      const bias: f32 = b ? load<f32>(b + (<usize>f << 2)) : 0;
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

/** Bytes of scratch depthwiseBackward needs: the padded plane, its gradient, and one masked dy plane. */
export function depthwiseBackwardScratch(H: i32, W: i32, P: i32, OH: i32, OW: i32): usize {
  return (<usize>(2 * (H + 2 * P) * (W + 2 * P) + OH * OW) << 2) + 3 * 64;
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
  const xp = alignUp16(scratch);
  const dxp = alignUp16(xp + (<usize>HP * WP << 2));
  const g = alignUp16(dxp + (<usize>HP * WP << 2));
  memory.fill(xp, 0, <usize>HP * WP << 2);
  memory.fill(dw, 0, <usize>F * KH * KW << 2);
  if (db) memory.fill(db, 0, <usize>F << 2);
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const c = f / M;
      if (f % M == 0) {
        padPlane(x + (<usize>(n * C + c) * H * W << 2), H, W, P, xp);
        if (dx) memory.fill(dxp, 0, <usize>HP * WP << 2);
      }
      // g = dy[n, f], through the mask; db[f] += its sum.
      const o = <usize>(n * F + f) * Q << 2;
      let t = 0, sum4 = zero;
      for (; t + 4 <= Q; t += 4) {
        let v = v128.load(dy + o + (<usize>t << 2));
        if (mask) v = v128.and(v, f32x4.gt(v128.load(mask + o + (<usize>t << 2)), zero));
        v128.store(g + (<usize>t << 2), v);
        sum4 = f32x4.add(sum4, v);
      }
      let s: f32 = hsum(sum4);
      for (; t < Q; t++) {
        let v = load<f32>(dy + o + (<usize>t << 2));
        if (mask && !(load<f32>(mask + o + (<usize>t << 2)) > 0)) v = 0;
        store<f32>(g + (<usize>t << 2), v);
        s += v;
      }
      if (db) store<f32>(db + (<usize>f << 2), load<f32>(db + (<usize>f << 2)) + s);

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
