// @ts-nocheck -- this file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript.
//
// 2-D convolution as im2col + GEMM, float32, forward and backward, one image at a time.
// The TypeScript twin of this file is ../../conv2d-fast.ts (same steps, any dtype); read that one first.
//
// Glossary: N = batch, C = input channels, H, W = input size, F = filters, KH, KW = kernel size,
//   S = stride, P = padding, OH, OW = output size, K = C*KH*KW (one receptive field),
//   Q = OH*OW (output pixels of one image), HP, WP = the zero-padded image's size.
// im2col turns image n into col (K, Q): col[(c*KH + m)*KW + k, i*OW + j] = x[n, c, i*S + m - P, j*S + k - P]
// (zero where that falls in the padding), so that the convolution is one matrix product:
//   out[n] (F, Q)  = w (F, K) . col (K, Q)             (+ bias b[f] on row f)
//   dw     (F, K) += dout[n] (F, Q) . col^T (Q, K)       (dw accumulated over the batch)
//   dx[n]:  with stride 1, dx is itself a convolution: of dout[n] (F channels) padded by KH-1-P, KW-1-P,
//           with the kernel flipped and its F and C swapped, wflip (C, F, KH, KW); that is one more
//           im2col + GEMM, the same fast path as the forward pass:
//             dx[n] (C, H*W) = wflip (C, F*KH*KW) . im2col(dout[n]) (F*KH*KW, H*W)
//           Otherwise (stride > 1, or padding >= the kernel) the general route:
//             dcol (K, Q) = w^T (K, F) . dout[n] (F, Q), then col2im scatters dcol back into dx[n].
// Pointers are byte addresses in linear memory; the caller (../../conv2d-fast.ts) lays out the buffers
// and copies tensors in and out. Buffer sizes the caller must provide (conv2dScratchFloats below):
//   col: im2col matrix (the larger of the two im2cols) + 4 floats (the copy may write 3 floats past the end)
//   xp:  a zero-padded image (the larger of x's and dout's) + 4 floats (3 may be read past its end)
//   wflip: C*F*KH*KW floats (backward only)
//   scratch: gemmScratchBytes() bytes

import { gemm } from './gemm';
import { reluBackward, reluForward } from './relu';

/** Image x (C, H, W) -> col (K, Q). xp is scratch for the padded image (used when S = 1). */
export function im2col(
  x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32, col: usize, xp: usize,
): void {
  if (S == 1) im2colStride1(x, C, H, W, KH, KW, P, P, OH, OW, col, xp);
  else im2colStrided(x, C, H, W, KH, KW, S, P, OH, OW, col);
}

/**
 * Stride 1, the common case, made branch-free: pad the image with zeros once (xp, (C, HP, WP) with
 * HP = H + 2*PH, WP = W + 2*PW), and every row segment of col is then a plain copy of OW floats from xp.
 * The copy moves whole v128s and may write up to 3 floats past the segment: the next segment,
 * written next, overwrites them (and col has 4 floats of slack for the last one).
 */
function im2colStride1(
  x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, PH: i32, PW: i32, OH: i32, OW: i32, col: usize, xp: usize,
): void {
  padImage(x, C, H, W, PH, PW, xp);
  const HP = H + 2 * PH, WP = W + 2 * PW;
  const segBytes = <usize>OW << 2;
  let dst = col; // walks col row by row: (K, OH, OW)
  for (let c = 0; c < C; c++) {
    for (let m = 0; m < KH; m++) {
      for (let k = 0; k < KW; k++) {
        let src = xp + ((<usize>(c * HP + m) * WP + k) << 2); // xp[c, m, k], the window corner for i = j = 0
        for (let i = 0; i < OH; i++) {
          for (let t: usize = 0; t < segBytes; t += 16) v128.store(dst + t, v128.load(src + t));
          dst += segBytes;
          src += <usize>WP << 2;
        }
      }
    }
  }
}

/** xp (C, H + 2*PH, W + 2*PW) = x (C, H, W) with PH zero rows above and below, PW zero columns either side. */
function padImage(x: usize, C: i32, H: i32, W: i32, PH: i32, PW: i32, xp: usize): void {
  const HP = H + 2 * PH, WP = W + 2 * PW;
  if (PH == 0 && PW == 0) { memory.copy(xp, x, (<usize>C * H * W) << 2); return; }
  memory.fill(xp, 0, (<usize>C * HP * WP) << 2);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      copyF32(xp + ((<usize>(c * HP + y + PH) * WP + PW) << 2), x + ((<usize>(c * H + y) * W) << 2), W);
    }
  }
}

/** Any stride: each row segment is zeros, then the in-image columns (every S-th input), then zeros. */
function im2colStrided(
  x: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32, col: usize,
): void {
  let dst = col; // walks col row by row: (K, OH, OW)
  for (let c = 0; c < C; c++) {
    const plane = x + ((<usize>c * H * W) << 2);
    for (let m = 0; m < KH; m++) {
      for (let k = 0; k < KW; k++) {
        // Output columns j whose input column j*S + k - P lies inside 0..W-1: jlo <= j < jhi.
        const jlo = firstInside(P - k, S, OW);
        const jhi = max(jlo, endInside(W - 1 + P - k, S, OW));
        for (let i = 0; i < OH; i++) {
          const y = i * S + m - P;
          if (y < 0 || y >= H) {
            zeroF32(dst, OW); // the whole row of the window is in the padding
          } else {
            const src = plane + ((<usize>y * W + jlo * S + k - P) << 2);
            zeroF32(dst, jlo);
            for (let j = jlo; j < jhi; j++) {
              store<f32>(dst + (<usize>j << 2), load<f32>(src + ((<usize>(j - jlo) * S) << 2)));
            }
            zeroF32(dst + (<usize>jhi << 2), OW - jhi);
          }
          dst += <usize>OW << 2;
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: dx (C, H, W) = for every input pixel, the sum of the dcol (K, Q) entries
 * im2col copied from it. dx is overwritten.
 */
export function col2im(
  dcol: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32, dx: usize,
): void {
  memory.fill(dx, 0, (<usize>C * H * W) << 2);
  let src = dcol; // walks dcol row by row: (K, OH, OW)
  for (let c = 0; c < C; c++) {
    const plane = dx + ((<usize>c * H * W) << 2);
    for (let m = 0; m < KH; m++) {
      for (let k = 0; k < KW; k++) {
        const jlo = firstInside(P - k, S, OW);
        const jhi = max(jlo, endInside(W - 1 + P - k, S, OW));
        for (let i = 0; i < OH; i++) {
          const y = i * S + m - P;
          if (y >= 0 && y < H) {
            const dst = plane + ((<usize>y * W + jlo * S + k - P) << 2);
            const from = src + (<usize>jlo << 2);
            for (let j = 0; j < jhi - jlo; j++) {
              const d = dst + ((<usize>j * S) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(from + (<usize>j << 2)));
            }
          }
          src += <usize>OW << 2;
        }
      }
    }
  }
}

/** Whether dx can be computed as a stride-1 convolution of dout (the fast route, see the header). */
@inline function dxAsConvolution(KH: i32, KW: i32, S: i32, P: i32): bool {
  return S == 1 && P <= KH - 1 && P <= KW - 1;
}

/** The floats the col and xp buffers need (see the header), for forward and backward alike. */
export function conv2dColFloats(C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32): i32 {
  const fwd = C * KH * KW * OH * OW;
  const bwd = dxAsConvolution(KH, KW, S, P) ? F * KH * KW * H * W : 0;
  return max(fwd, bwd) + 4;
}
export function conv2dPadFloats(C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32): i32 {
  const fwd = C * (H + 2 * P) * (W + 2 * P);
  const bwd = dxAsConvolution(KH, KW, S, P) ? F * (OH + 2 * (KH - 1 - P)) * (OW + 2 * (KW - 1 - P)) : 0;
  return max(fwd, bwd) + 4;
}

/**
 * out (N, F, Q) = conv(x (N, C, H, W), w (F, K)) + b (F), b = 0 meaning no bias;
 * then, if relu != 0, out = max(0, out) (a fused ReLU, applied while the image's output is in cache).
 */
export function conv2dForward(
  x: usize, w: usize, b: usize, out: usize,
  N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32,
  col: usize, xp: usize, scratch: usize, relu: i32,
): void {
  const K = C * KH * KW, Q = OH * OW;
  for (let n = 0; n < N; n++) {
    const xn = x + ((<usize>n * C * H * W) << 2); //       (C, H, W)
    const outn = out + ((<usize>n * F * Q) << 2); //       (F, Q)
    im2col(xn, C, H, W, KH, KW, S, P, OH, OW, col, xp); // (K, Q)
    if (b) {
      // Start each output row at its bias, and let the GEMM add onto it (beta = 1).
      for (let f = 0; f < F; f++) fillF32(outn + ((<usize>f * Q) << 2), load<f32>(b + (<usize>f << 2)), Q);
    }
    gemm(0, 0, F, Q, K, 1, w, K, col, Q, b ? 1 : 0, outn, Q, scratch);
    if (relu) reluForward(outn, F * Q, outn);
  }
}

/**
 * The backward pass over a batch. If mask != 0 (the output of a forward pass with a fused ReLU,
 * (N, F, Q)), dout is first zeroed in place wherever mask <= 0: the ReLU's backward pass. Then
 *   dw (F, K)       = sum_n dout_n . col_n^T          (overwritten)
 *   db (F)          = sum_n, q dout[n, f, q]          (overwritten; skipped when db = 0)
 *   dx (N, C, H, W)                                   (overwritten; skipped when dx = 0), see the header
 */
export function conv2dBackward(
  x: usize, w: usize, dout: usize, dx: usize, dw: usize, db: usize,
  N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32,
  col: usize, xp: usize, wflip: usize, scratch: usize, mask: usize,
): void {
  const K = C * KH * KW, Q = OH * OW;
  const asConv = dxAsConvolution(KH, KW, S, P);
  memory.fill(dw, 0, (<usize>F * K) << 2);
  if (db) memory.fill(db, 0, <usize>F << 2);
  if (dx && asConv) flipKernel(w, F, C, KH, KW, wflip);
  for (let n = 0; n < N; n++) {
    const xn = x + ((<usize>n * C * H * W) << 2); //       (C, H, W)
    const doutn = dout + ((<usize>n * F * Q) << 2); //     (F, Q)
    if (mask) reluBackward(mask + ((<usize>n * F * Q) << 2), doutn, F * Q, doutn);
    im2col(xn, C, H, W, KH, KW, S, P, OH, OW, col, xp); // (K, Q)
    // dw (F, K) += dout_n (F, Q) . col^T: col is stored (K, Q), hence transB (the dot-product path).
    gemm(0, 1, F, K, Q, 1, doutn, Q, col, Q, 1, dw, K, scratch);
    if (db) {
      for (let f = 0; f < F; f++) {
        const p = db + (<usize>f << 2);
        store<f32>(p, load<f32>(p) + sumF32(doutn + ((<usize>f * Q) << 2), Q));
      }
    }
    if (!dx) continue;
    const dxn = dx + ((<usize>n * C * H * W) << 2); //     (C, H, W)
    if (asConv) {
      // dx_n (C, H*W) = wflip (C, F*KH*KW) . im2col(dout_n padded by KH-1-P, KW-1-P) (F*KH*KW, H*W)
      im2colStride1(doutn, F, OH, OW, KH, KW, KH - 1 - P, KW - 1 - P, H, W, col, xp);
      gemm(0, 0, C, H * W, F * KH * KW, 1, wflip, F * KH * KW, col, H * W, 0, dxn, H * W, scratch);
    } else {
      // dcol (K, Q) = w^T . dout_n: w is stored (F, K), hence transA. It reuses the col buffer.
      gemm(1, 0, K, Q, F, 1, w, K, doutn, Q, 0, col, Q, scratch);
      col2im(col, C, H, W, KH, KW, S, P, OH, OW, dxn);
    }
  }
}

/** wflip[c, f, m, k] = w[f, c, KH-1-m, KW-1-k]: the kernel turned by 180 degrees, F and C swapped. */
function flipKernel(w: usize, F: i32, C: i32, KH: i32, KW: i32, wflip: usize): void {
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let m = 0; m < KH; m++) {
        for (let k = 0; k < KW; k++) {
          const from = w + ((<usize>((f * C + c) * KH + m) * KW + k) << 2);
          const to = wflip + ((<usize>((c * F + f) * KH + (KH - 1 - m)) * KW + (KW - 1 - k)) << 2);
          store<f32>(to, load<f32>(from));
        }
      }
    }
  }
}

// ---- small helpers (n counts floats) ----

/** The first j >= 0 with j*S >= lead, i.e. ceil(lead / S) clamped to 0..OW. */
@inline function firstInside(lead: i32, S: i32, OW: i32): i32 {
  return lead <= 0 ? 0 : min(OW, (lead + S - 1) / S);
}

/** One past the last j with j*S <= last, i.e. floor(last / S) + 1 clamped to 0..OW. */
@inline function endInside(last: i32, S: i32, OW: i32): i32 {
  return last < 0 ? 0 : min(OW, last / S + 1);
}

function copyF32(dst: usize, src: usize, n: i32): void {
  let t = 0;
  for (; t + 4 <= n; t += 4) v128.store(dst + (<usize>t << 2), v128.load(src + (<usize>t << 2)));
  for (; t < n; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + (<usize>t << 2)));
}

function addF32(dst: usize, src: usize, n: i32): void {
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const d = dst + (<usize>t << 2);
    v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>t << 2))));
  }
  for (; t < n; t++) {
    const d = dst + (<usize>t << 2);
    store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>t << 2)));
  }
}

function zeroF32(dst: usize, n: i32): void {
  let t = 0;
  const z = f32x4.splat(0);
  for (; t + 4 <= n; t += 4) v128.store(dst + (<usize>t << 2), z);
  for (; t < n; t++) store<f32>(dst + (<usize>t << 2), 0);
}

function fillF32(dst: usize, v: f32, n: i32): void {
  let t = 0;
  const vv = f32x4.splat(v);
  for (; t + 4 <= n; t += 4) v128.store(dst + (<usize>t << 2), vv);
  for (; t < n; t++) store<f32>(dst + (<usize>t << 2), v);
}

function sumF32(src: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let t = 0;
  for (; t + 4 <= n; t += 4) acc = f32x4.add(acc, v128.load(src + (<usize>t << 2)));
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; t < n; t++) s += load<f32>(src + (<usize>t << 2));
  return s;
}
