// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// 2-D convolution, float32, forward and backward, one image at a time: im2col + GEMM without the
// im2col matrix. Read the TypeScript twin first (../../conv2d-fast.ts): it builds the im2col matrix
//   col[k, q] = x[n, c, i*S + u - P, j*S + v - P]     k = (c*KH + u)*KW + v,  q = i*OW + j      (K, Q)
// and multiplies it. Here the same numbers are read straight from the zero-padded image xp
// (C, HP, WP), HP = H + 2P, WP = W + 2P, where that entry sits at byte
//   xp + koff[k] + pix[q],   koff[k] = 4*((c*HP + u)*WP + v)   (where tap k sits in a window)
//                            pix[q]  = 4*(i*S*WP + j*S)           (where output pixel q's window starts)
// so "col" is a view of xp through two small offset tables, never written out: for the reference
// network that saves writing and re-reading a matrix 25x the size of the image (K times Q floats)
// per image and per pass, and everything a pass touches stays in L1.
//
// One kernel, gatherGemm below, does all three products, each over one image:
//   forward: out[n] (F, Q)  = w (F, K) . col (K, Q)  + b, then the optional fused ReLU
//   dw:      dw (F, K)     += dy[n] (F, Q) . col^T (Q, K)
//   dx:      dx[n] is itself a convolution, of dy[n] (spread out S apart when S > 1, and padded)
//            with the kernel turned by 180 degrees and F and C swapped:
//              dx[n, c, y, x] = sum_{f, u, v} dp[f, y + u, x + v] * w[f, c, KH-1-u, KW-1-v]
//            where dp (F, H + KH - 1, W + KW - 1) holds dy[n, f, i, j] at (i*S + KH-1-P, j*S + KW-1-P)
//            and zeros elsewhere (entries that would fall outside are dropped: they reach no input pixel).
// Glossary: N = batch, C = input channels, H, W = input size, F = filters, KH, KW = kernel size,
//   S = stride, P = padding, OH, OW = output size, K = C*KH*KW, Q = OH*OW.
// In gatherGemm's terms (out[l, r] = sum_t A[r, t] * B[t, l]): the forward pass has rows r = output
// pixels q, steps t = taps k, lanes l = filters f; dw has r = taps, t = pixels, l = filters; dx has
// r = input pixels, t = (f, u, v), l = input channels c.
// Pointers are byte addresses in linear memory. The caller (../../conv2d-fast.ts) lays out the
// tensors (copied in, or already living in wasm memory: see ../memory.ts) and a scratch area of
// conv2dForwardScratch / conv2dBackwardScratch bytes.

import { reluBackward } from './relu';
import { maxPoolValues } from './pool';

const LANES: i32 = 8; // the register tile: 4 rows x 8 lanes (two v128 per row), see gatherGemm

/**
 * out[l, r] (+)= sum_t src[rowOff[r] + colOff[t]] * bp[l / 8, t, l % 8]     for r < R, l < L
 * then, unless accumulating, + bias[l] and, if relu, max(0, .). out has row stride ldo floats.
 *
 * The "gather" GEMM: the left matrix, A[r, t] = src[rowOff[r] + colOff[t]] (offsets in bytes), is
 * read in place through two offset tables; the right one, bp, is packed (packLanes) in panels of
 * 8 columns. The register tile is 4 rows x 8 lanes: per t, four A values are broadcast from memory
 * (a pure load on x86, no shuffle) and two v128 of bp are loaded, for 8 multiply-adds (madd) into
 * eight v128 accumulators (V8 gives wasm 16 xmm registers; a 6-row tile, and unrolling the t loop,
 * measured slower).
 * When the four rows read four neighbouring floats (neighbouring output pixels of a stride-1
 * convolution: most tiles), the four A values are loaded at constant offsets 0, 4, 8, 12 from one
 * address, which saves three integer adds per step (measured ~15% faster).
 * Sums run over t in order, then the bias is added (see storeTile).
 *
 * rowOff must hold roundUp(R, 4) entries (the builders pad it by repeating the last one: the extra
 * rows are computed and dropped); bp must hold roundUp(L, 8) lanes (zero-padded; extra lanes dropped).
 * bias (0: none) must hold roundUp(L, 8) floats. accumulate: out += the sums (no bias, no ReLU).
 */
function gatherGemm(
  R: i32, T: i32, L: i32, src: usize, rowOff: usize, colOff: usize, bp: usize,
  out: usize, ldo: i32, accumulate: bool, bias: usize, relu: bool,
): void {
  const panelBytes = (<usize>T * LANES) << 2; // one 8-lane panel of bp: (T, 8)
  for (let r = 0; r < R; r += 4) {
    const p0 = src + <usize>load<i32>(rowOff + (<usize>r << 2));
    const p1 = src + <usize>load<i32>(rowOff + (<usize>r << 2), 4);
    const p2 = src + <usize>load<i32>(rowOff + (<usize>r << 2), 8);
    const p3 = src + <usize>load<i32>(rowOff + (<usize>r << 2), 12);
    const run = p1 == p0 + 4 && p2 == p0 + 8 && p3 == p0 + 12;
    for (let l = 0; l < L; l += LANES) {
      let b = bp + <usize>(l / LANES) * panelBytes;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0); // row r,   lanes l..l+3 and l+4..l+7
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0); // row r+1
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0); // row r+2
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0); // row r+3
      let co = colOff;
      if (run) {
        for (let t = 0; t < T; t++) {
          const p = p0 + <usize>load<i32>(co);
          const b0 = v128.load(b), b1 = v128.load(b, 16);
          let a = v128.load32_splat(p);
          c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
          a = v128.load32_splat(p, 4);
          c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
          a = v128.load32_splat(p, 8);
          c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
          a = v128.load32_splat(p, 12);
          c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
          co += 4;
          b += <usize>LANES << 2;
        }
      } else {
        for (let t = 0; t < T; t++) {
          const o = <usize>load<i32>(co);
          const b0 = v128.load(b), b1 = v128.load(b, 16);
          let a = v128.load32_splat(p0 + o);
          c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
          a = v128.load32_splat(p1 + o);
          c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
          a = v128.load32_splat(p2 + o);
          c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
          a = v128.load32_splat(p3 + o);
          c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
          co += 4;
          b += <usize>LANES << 2;
        }
      }
      storeTile(c00, c01, c10, c11, c20, c21, c30, c31, out, ldo, r, min(4, R - r), l, min(LANES, L - l), accumulate, bias, relu);
    }
  }
}

/**
 * The end of a tile: rows r..r+rows-1, lanes l..l+lanes-1 of the accumulators (cij = row i, lanes
 * 4j..4j+3) go to out[l, r] (row stride ldo floats): first + bias[l] and the ReLU (unless
 * accumulating), then each 4x4 block is transposed, since the tile holds (row, lane) and out is
 * stored (lane, row). A ragged tile is spilled and stored one float at a time.
 */
@inline function storeTile(
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
  out: usize, ldo: i32, r: i32, rows: i32, l: i32, lanes: i32, accumulate: bool, bias: usize, relu: bool,
): void {
  if (!accumulate) {
    if (bias) {
      const bl = v128.load(bias + (<usize>l << 2)), bh = v128.load(bias + (<usize>l << 2), 16);
      c00 = f32x4.add(c00, bl); c10 = f32x4.add(c10, bl); c20 = f32x4.add(c20, bl); c30 = f32x4.add(c30, bl);
      c01 = f32x4.add(c01, bh); c11 = f32x4.add(c11, bh); c21 = f32x4.add(c21, bh); c31 = f32x4.add(c31, bh);
    }
    if (relu) {
      const z = f32x4.splat(0); // pmax(v, 0) is exactly `v < 0 ? 0 : v`, like reluForward
      c00 = f32x4.pmax(c00, z); c10 = f32x4.pmax(c10, z); c20 = f32x4.pmax(c20, z); c30 = f32x4.pmax(c30, z);
      c01 = f32x4.pmax(c01, z); c11 = f32x4.pmax(c11, z); c21 = f32x4.pmax(c21, z); c31 = f32x4.pmax(c31, z);
    }
  }
  const o = out + ((<usize>l * ldo + r) << 2); // out[l, r]
  const ld = <usize>ldo << 2;
  if (rows == 4 && lanes == LANES) {
    storeTransposed(c00, c10, c20, c30, o, ld, accumulate); //           lanes l..l+3
    storeTransposed(c01, c11, c21, c31, o + 4 * ld, ld, accumulate); //  lanes l+4..l+7
    return;
  }
  v128.store(TILE, c00); v128.store(TILE, c01, 16); v128.store(TILE, c10, 32); v128.store(TILE, c11, 48);
  v128.store(TILE, c20, 64); v128.store(TILE, c21, 80); v128.store(TILE, c30, 96); v128.store(TILE, c31, 112);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < lanes; j++) {
      const v = load<f32>(TILE + (<usize>(i * LANES + j) << 2));
      const p = o + <usize>j * ld + (<usize>i << 2);
      store<f32>(p, accumulate ? load<f32>(p) + v : v);
    }
  }
}

const TILE = memory.data(4 * 4 * LANES * 4, 16); // (4, 8) floats: a spilled ragged tile

/**
 * Four rows of four lanes (ci = row i, lanes 0..3) stored transposed: lane j's four rows go to
 * o + j*ld (ld in bytes), as one v128, added to what is there if accumulate.
 */
@inline function storeTransposed(c0: v128, c1: v128, c2: v128, c3: v128, o: usize, ld: usize, accumulate: bool): void {
  const t0 = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(c2, c3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(c2, c3, 2, 6, 3, 7);
  let l0 = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), l1 = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
  let l2 = v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), l3 = v128.shuffle<f32>(t2, t3, 2, 3, 6, 7);
  if (accumulate) {
    l0 = f32x4.add(v128.load(o), l0); l1 = f32x4.add(v128.load(o + ld), l1);
    l2 = f32x4.add(v128.load(o + 2 * ld), l2); l3 = f32x4.add(v128.load(o + 3 * ld), l3);
  }
  v128.store(o, l0); v128.store(o + ld, l1); v128.store(o + 2 * ld, l2); v128.store(o + 3 * ld, l3);
}

/**
 * bp[l / 8, t, l % 8] = src[l*ldl + t] for t < T, l < L (ldl in floats), zeros in the lanes past L:
 * a (T, L) matrix stored transposed, (L, T), put into gatherGemm's panel layout. Whole 4x4 blocks
 * are moved with v128 loads, transposes and stores; the ragged rest one float at a time.
 */
function packLanes(T: i32, L: i32, src: usize, ldl: i32, bp: usize): void {
  const ldlB = <usize>ldl << 2;
  for (let l0 = 0; l0 < L; l0 += LANES) {
    const panel = bp + ((<usize>l0 * T) << 2); // (T, 8)
    for (let g = 0; g < LANES; g += 4) { // lanes l0+g .. l0+g+3
      const l = l0 + g;
      let t = 0;
      if (l + 4 <= L) {
        for (; t + 4 <= T; t += 4) {
          const s = src + <usize>l * ldlB + (<usize>t << 2);
          const x0 = v128.load(s), x1 = v128.load(s + ldlB), x2 = v128.load(s + 2 * ldlB), x3 = v128.load(s + 3 * ldlB);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          const d = panel + ((<usize>t * LANES + g) << 2); // bp[., t, g]
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(d + 32, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
          v128.store(d + 64, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
          v128.store(d + 96, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
        }
      }
      for (; t < T; t++) {
        for (let j = 0; j < 4; j++) {
          const v: f32 = l + j < L ? load<f32>(src + <usize>(l + j) * ldlB + (<usize>t << 2)) : 0;
          store<f32>(panel + ((<usize>t * LANES + g + j) << 2), v);
        }
      }
    }
  }
}

/**
 * dx's weights in panel layout: bp[c / 8, (f*KH + u)*KW + v, c % 8] = w[f, c, KH-1-u, KW-1-v]
 * (the kernel turned by 180 degrees, F and C swapped), zeros in the lanes past C.
 */
function packFlipped(w: usize, F: i32, C: i32, KH: i32, KW: i32, bp: usize): void {
  for (let c0 = 0; c0 < C; c0 += LANES) {
    for (let f = 0; f < F; f++) {
      for (let u = 0; u < KH; u++) {
        for (let v = 0; v < KW; v++) {
          for (let j = 0; j < LANES; j++) {
            const c = c0 + j;
            const from = w + ((<usize>((f * C + c) * KH + (KH - 1 - u)) * KW + (KW - 1 - v)) << 2);
            store<f32>(bp, c < C ? load<f32>(from) : 0);
            bp += 4;
          }
        }
      }
    }
  }
}

/** koff[(c*KH + u)*KW + v] = 4*((c*HP + u)*WP + v), padded to roundUp(C*KH*KW, 4) entries. */
function tapOffsets(C: i32, KH: i32, KW: i32, HP: i32, WP: i32, koff: usize): void {
  let p = koff;
  for (let c = 0; c < C; c++) {
    for (let u = 0; u < KH; u++) {
      for (let v = 0; v < KW; v++) { store<i32>(p, ((c * HP + u) * WP + v) << 2); p += 4; }
    }
  }
  padTable(koff, C * KH * KW);
}

/**
 * tapOffsets in another order, for dw, where the taps are gatherGemm's rows: its 4-row tiles are
 * fastest as runs, four neighbouring floats (see there), i.e. four neighbouring taps of one window
 * row. So: each window row's taps in groups of four, then the leftovers of every row together.
 * koff[r] is the offset of tap perm[r]; koff is padded to roundUp(C*KH*KW, 4) entries.
 */
function tapOffsetsInRuns(C: i32, KH: i32, KW: i32, HP: i32, WP: i32, koff: usize, perm: usize): void {
  let r = 0;
  for (let pass = 0; pass < 2; pass++) { // pass 0: the runs of four; pass 1: the leftovers
    for (let c = 0; c < C; c++) {
      for (let u = 0; u < KH; u++) {
        const from = pass == 0 ? 0 : KW - KW % 4, to = pass == 0 ? KW - KW % 4 : KW;
        for (let v = from; v < to; v++, r++) {
          store<i32>(koff + (<usize>r << 2), ((c * HP + u) * WP + v) << 2);
          store<i32>(perm + (<usize>r << 2), (c * KH + u) * KW + v);
        }
      }
    }
  }
  padTable(koff, C * KH * KW);
}

/** pix[i*OW + j] = 4*(i*S*WP + j*S), padded to roundUp(OH*OW, 4) entries. */
function pixelOffsets(OH: i32, OW: i32, S: i32, WP: i32, pix: usize): void {
  let p = pix;
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) { store<i32>(p, (i * S * WP + j * S) << 2); p += 4; }
  }
  padTable(pix, OH * OW);
}

/** Repeats entry n-1 up to the next multiple of 4 (gatherGemm reads rows four at a time). */
function padTable(table: usize, n: i32): void {
  const last = load<i32>(table + (<usize>(n - 1) << 2));
  for (let i = n; i < roundUp(n, 4); i++) store<i32>(table + (<usize>i << 2), last);
}

/**
 * xp (C, H + 2P, W + 2P) = x (C, H, W) with P zero rows above and below and P zero columns either
 * side. Only the image's own rows are written: the caller zeroes xp once per batch (the padding
 * never changes from one image to the next).
 */
function padImage(x: usize, C: i32, H: i32, W: i32, P: i32, xp: usize): void {
  const HP = H + 2 * P, WP = W + 2 * P;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      copyF32(xp + ((<usize>(c * HP + y + P) * WP + P) << 2), x + ((<usize>(c * H + y) * W) << 2), W);
    }
  }
}

/**
 * dp (F, HD, WD): dy (F, OH, OW) placed at (i*S + PH, j*S + PW), entries outside dropped (PH =
 * KH-1-P may be negative: then the first rows of dy reach no input pixel). As in padImage, only
 * those places are written; the caller zeroes dp once per batch.
 */
function spreadPad(dy: usize, F: i32, OH: i32, OW: i32, S: i32, PH: i32, PW: i32, dp: usize, HD: i32, WD: i32): void {
  // The columns j that land inside: jlo <= j < jhi (with S = 1, a run copied in one go).
  const jlo = PW >= 0 ? 0 : (-PW + S - 1) / S;
  const jhi = min(OW, (WD - 1 - PW) / S + 1);
  for (let f = 0; f < F; f++) {
    for (let i = 0; i < OH; i++) {
      const u = i * S + PH;
      if (u < 0 || u >= HD || jhi <= jlo) continue;
      const from = dy + ((<usize>(f * OH + i) * OW) << 2);
      const to = dp + ((<usize>(f * HD + u) * WD + PW) << 2); // where j = 0 would go
      if (S == 1) copyF32(to + (<usize>jlo << 2), from + (<usize>jlo << 2), jhi - jlo);
      else for (let j = jlo; j < jhi; j++) store<f32>(to + (<usize>(j * S) << 2), load<f32>(from + (<usize>j << 2)));
    }
  }
}

// ---- the passes ----

// The scratch layouts. Each is computed once, by a layout function that both the size function (from
// address 0, for the caller to reserve) and the kernel (from `scratch`) call: it sets the offsets
// below and returns the end. The 64 spare bytes cover alignUp16 on a scratch that is not 16-aligned.

// conv2dForward's: packed weights, bias, the two tables, one padded image; pooled: one image's output.
let fWp: usize = 0, fBias: usize = 0, fKoff: usize = 0, fPix: usize = 0, fXp: usize = 0, fYn: usize = 0;

function forwardLayout(scratch: usize, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, P: i32, OH: i32, OW: i32, pooled: bool): usize {
  const K = C * KH * KW, Q = OH * OW, F8 = roundUp(F, LANES);
  const HP = H + 2 * P, WP = W + 2 * P;
  fWp = scratch; //                                               (F8/8, K, 8) the weights, packed
  fBias = fWp + ((<usize>F8 * K) << 2); //                        (F8)
  fKoff = fBias + (<usize>F8 << 2); //                            (K) i32
  fPix = fKoff + (<usize>roundUp(K, 4) << 2); //                  (Q) i32
  fXp = alignUp16(fPix + (<usize>roundUp(Q, 4) << 2)); //         (C, HP, WP)
  fYn = alignUp16(fXp + ((<usize>C * HP * WP) << 2)); //          (F, Q) one image's output before pooling
  return pooled ? fYn + ((<usize>F * Q) << 2) : fYn;
}

/** Bytes of scratch conv2dForward needs: packed weights, bias, the two tables, one padded image. */
export function conv2dForwardScratch(C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32): usize {
  return forwardLayout(0, C, H, W, F, KH, KW, P, OH, OW, false) + 64;
}

/**
 * out (N, F, Q) = conv(x (N, C, H, W), w (F, K)) + b (F), b = 0 meaning no bias;
 * then, if relu != 0, out = max(0, out): a fused ReLU, applied while the tile is in registers.
 */
export function conv2dForward(
  x: usize, w: usize, b: usize, out: usize,
  N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32,
  scratch: usize, relu: i32,
): void {
  forward(x, w, b, out, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, relu, 0, 0, 0, 0);
}

/** Bytes of scratch conv2dForwardPooled needs: conv2dForward's, and one image's output before pooling. */
export function conv2dForwardPooledScratch(C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32): usize {
  return forwardLayout(0, C, H, W, F, KH, KW, P, OH, OW, true) + 64;
}

/**
 * For inference: out (N, F, POH, POW) = maxPool(PK x PK windows, stride PS)(the output of
 * conv2dForward, with its ReLU if relu != 0), POH = floor((OH - PK) / PS) + 1, likewise POW.
 * Each image's convolution (F, OH, OW) goes to scratch, where it is still in cache, and is pooled
 * from there (maxPoolValues, pool.ts: the max-pool kernel's comparisons, without the argmax that
 * only a backward pass needs), so the full-size activation is never written out for the batch and
 * read back by a separate pooling pass. The values are those of the three layers run one by one, bit
 * for bit: the same sums, then the same exact comparisons.
 */
export function conv2dForwardPooled(
  x: usize, w: usize, b: usize, out: usize,
  N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32,
  scratch: usize, relu: i32, PK: i32, PS: i32, POH: i32, POW: i32,
): void {
  forward(x, w, b, out, N, C, H, W, F, KH, KW, S, P, OH, OW, scratch, relu, PK, PS, POH, POW);
}

/** conv2dForward (PK = 0) or conv2dForwardPooled (PK > 0): see there. */
function forward(
  x: usize, w: usize, b: usize, out: usize,
  N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32,
  scratch: usize, relu: i32, PK: i32, PS: i32, POH: i32, POW: i32,
): void {
  const K = C * KH * KW, Q = OH * OW;
  const HP = H + 2 * P, WP = W + 2 * P;
  forwardLayout(scratch, C, H, W, F, KH, KW, P, OH, OW, PK > 0);
  const wp = fWp, bias = fBias, koff = fKoff, pix = fPix, xp = fXp, yn = fYn;
  packLanes(K, F, w, K, wp); // wp[., k, f] = w[f, k]
  if (b) packLanes(1, F, b, 1, bias);
  tapOffsets(C, KH, KW, HP, WP, koff);
  pixelOffsets(OH, OW, S, WP, pix);
  memory.fill(xp, 0, (<usize>C * HP * WP) << 2); // the padding; padImage writes the rest
  const PQ = POH * POW;
  for (let n = 0; n < N; n++) {
    padImage(x + ((<usize>n * C * H * W) << 2), C, H, W, P, xp);
    // rows r = output pixels q (through pix), t = taps k (through koff), lanes = filters f
    if (PK == 0) {
      gatherGemm(Q, K, F, xp, pix, koff, wp, out + ((<usize>n * F * Q) << 2), Q, false, b ? bias : 0, relu != 0);
    } else {
      gatherGemm(Q, K, F, xp, pix, koff, wp, yn, Q, false, b ? bias : 0, relu != 0);
      maxPoolValues(yn, F, OH, OW, PK, PS, POH, POW, out + ((<usize>n * F * PQ) << 2));
    }
  }
}

// conv2dBackward's. For dw: the forward pass's tables (the taps in run order: see tapOffsetsInRuns)
// and padded image, dy_n transposed into panels, and dw with its taps in that order. For dx: the
// flipped weights, the tables over dp, and dp itself (see the header). Then dy_n through the fused ReLU.
let bPix: usize = 0, bKoff: usize = 0, bPerm: usize = 0, bDwR: usize = 0, bDyT: usize = 0, bXp: usize = 0;
let bWflip: usize = 0, bKoffD: usize = 0, bPixD: usize = 0, bDp: usize = 0, bMasked: usize = 0;

function backwardLayout(scratch: usize, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, P: i32, OH: i32, OW: i32): usize {
  const K = C * KH * KW, Q = OH * OW, KD = F * KH * KW;
  const HP = H + 2 * P, WP = W + 2 * P, HD = H + KH - 1, WD = W + KW - 1;
  bPix = scratch; //                                              (Q) i32
  bKoff = bPix + (<usize>roundUp(Q, 4) << 2); //                  (K) i32
  bPerm = bKoff + (<usize>roundUp(K, 4) << 2); //                 (K) i32: koff[r] is tap perm[r]'s
  bDwR = bPerm + (<usize>roundUp(K, 4) << 2); //                  (F, K) dw, taps in koff's order
  bDyT = bDwR + ((<usize>F * K) << 2); //                         (F8/8, Q, 8) dy_n^T, packed
  bXp = alignUp16(bDyT + ((<usize>roundUp(F, LANES) * Q) << 2)); // (C, HP, WP)
  bWflip = alignUp16(bXp + ((<usize>C * HP * WP) << 2)); //       (C8/8, KD, 8)
  bKoffD = bWflip + ((<usize>roundUp(C, LANES) * KD) << 2); //    (KD) i32
  bPixD = bKoffD + (<usize>roundUp(KD, 4) << 2); //               (H*W) i32
  bDp = alignUp16(bPixD + (<usize>roundUp(H * W, 4) << 2)); //    (F, HD, WD)
  bMasked = alignUp16(bDp + ((<usize>F * HD * WD) << 2)); //      (F, Q) dy_n through the fused ReLU
  return bMasked + ((<usize>F * Q) << 2);
}

/** Bytes of scratch conv2dBackward needs (see backwardLayout). */
export function conv2dBackwardScratch(C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32): usize {
  return backwardLayout(0, C, H, W, F, KH, KW, P, OH, OW) + 64;
}

/**
 * The backward pass over a batch. If mask != 0 (the output of a forward pass with a fused ReLU,
 * (N, F, Q)), dy is first passed back through that ReLU (zeroed wherever mask <= 0, into a
 * scratch copy: dy itself is not modified). Then
 *   dw (F, K)       = sum_n dy_n . col_n^T          (overwritten)
 *   db (F)          = sum_n, q dy[n, f, q]          (overwritten; skipped when db = 0)
 *   dx (N, C, H, W)                                   (overwritten; skipped when dx = 0), see the header
 */
export function conv2dBackward(
  x: usize, w: usize, dy: usize, dx: usize, dw: usize, db: usize,
  N: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, S: i32, P: i32, OH: i32, OW: i32,
  scratch: usize, mask: usize,
): void {
  const K = C * KH * KW, Q = OH * OW, KD = F * KH * KW;
  const HP = H + 2 * P, WP = W + 2 * P, HD = H + KH - 1, WD = W + KW - 1;
  backwardLayout(scratch, C, H, W, F, KH, KW, P, OH, OW);
  const pix = bPix, koff = bKoff, perm = bPerm, dwR = bDwR, dyT = bDyT, xp = bXp;
  const wflip = bWflip, koffD = bKoffD, pixD = bPixD, dp = bDp, masked = bMasked;
  pixelOffsets(OH, OW, S, WP, pix);
  tapOffsetsInRuns(C, KH, KW, HP, WP, koff, perm);
  memory.fill(dwR, 0, (<usize>F * K) << 2);
  if (db) memory.fill(db, 0, <usize>F << 2);
  memory.fill(xp, 0, (<usize>C * HP * WP) << 2); // the padding; padImage writes the rest
  if (dx) memory.fill(dp, 0, (<usize>F * HD * WD) << 2); // likewise for spreadPad
  if (dx) {
    packFlipped(w, F, C, KH, KW, wflip);
    tapOffsets(F, KH, KW, HD, WD, koffD);
    pixelOffsets(H, W, 1, WD, pixD);
  }
  for (let n = 0; n < N; n++) {
    let dyn = dy + ((<usize>n * F * Q) << 2); //       (F, Q)
    if (mask) {
      reluBackward(mask + ((<usize>n * F * Q) << 2), dyn, F * Q, masked);
      dyn = masked;
    }
    if (db) {
      for (let f = 0; f < F; f++) {
        const p = db + (<usize>f << 2);
        store<f32>(p, load<f32>(p) + sumF32(dyn + ((<usize>f * Q) << 2), Q));
      }
    }
    // dw^T (K, F) += col_n (K, Q) . dy_n^T (Q, F): rows r = taps k, t = pixels q, lanes = filters f.
    padImage(x + ((<usize>n * C * H * W) << 2), C, H, W, P, xp);
    packLanes(Q, F, dyn, Q, dyT);
    gatherGemm(K, Q, F, xp, koff, pix, dyT, dwR, K, true, 0, false);
    if (!dx) continue;
    // dx_n (C, H*W) = wflip (C, KD) . im2col(dp) (KD, H*W): rows r = input pixels, t = (f, u, v), lanes = c.
    spreadPad(dyn, F, OH, OW, S, KH - 1 - P, KW - 1 - P, dp, HD, WD);
    gatherGemm(H * W, KD, C, dp, pixD, koffD, wflip, dx + ((<usize>n * C * H * W) << 2), H * W, false, 0, false);
  }
  for (let f = 0; f < F; f++) { // dw[f, perm[r]] = dwR[f, r]: the taps back in their order
    for (let r = 0; r < K; r++) {
      store<f32>(dw + ((<usize>(f * K + load<i32>(perm + (<usize>r << 2)))) << 2), load<f32>(dwR + ((<usize>(f * K + r)) << 2)));
    }
  }
}

// ---- small helpers (n counts floats) ----

/**
 * acc + a * b, lane by lane. Built twice (see ../build.ts): with relaxed SIMD this is one fused
 * multiply-add instruction where the CPU has one (rounded once: a hair more exact, and ~20% faster
 * here), without it a multiply and an add. Either way a given machine always gives the same bits.
 */
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

@inline function roundUp(n: i32, to: i32): i32 {
  return (n + to - 1) / to * to;
}

@inline function alignUp16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** dst[0 .. n) = src[0 .. n), n floats (a loop: for rows this short it beats memory.copy's call). */
function copyF32(dst: usize, src: usize, n: i32): void {
  let t = 0;
  for (; t + 4 <= n; t += 4) v128.store(dst + (<usize>t << 2), v128.load(src + (<usize>t << 2)));
  for (; t < n; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + (<usize>t << 2)));
}

function sumF32(src: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let t = 0;
  for (; t + 4 <= n; t += 4) acc = f32x4.add(acc, v128.load(src + (<usize>t << 2)));
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; t < n; t++) s += load<f32>(src + (<usize>t << 2));
  return s;
}
