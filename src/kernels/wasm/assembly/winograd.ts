// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// Winograd F(2x2, 3x3) in WebAssembly SIMD: the algorithm of ../../winograd.ts (read that header
// first: the transforms, the GEMMs, the backward passes), for float32, 3x3 kernels at stride 1.
//
// Glossary: N = batch, CI / CO = input / output channels, H, W = input size, P = padding,
//   OH = H + 2P - 2, OW likewise, TH = ceil(OH / 2) tile rows, TW4 = ceil(OW / 2) rounded up to 4
//   (the tiles of a row, padded so that they go four to a v128), NB = images per chunk,
//   T = NB * TH * TW4 rounded up to 8, the tiles of a chunk (a panel is 8 tiles),
//   xi = 0 .. 15 a position in the 4 x 4 transformed tile, COP = CO rounded up to 4.
// Layouts (float32): a tile t = (n * TH + ti) * TW4 + tj covers output rows 2ti, 2ti+1 and columns
//   2tj, 2tj+1 of image n of the chunk.
//   U  (16, COP / 4, CI, 4)   the transformed weights, packed for the micro-kernel: 4 output channels
//                             side by side for each input channel (rows past CO are zero)
//   V  (16, T / 8, CI, 8)     the transformed input tiles, in panels of 8 tiles (one panel: 1 KiB at
//                             32 channels, read from L1 by every block of 4 output channels)
//   M  (16, 4, 8)             the products of one block, M[xi] = U[xi] . V[xi] for 4 output channels
//                             and one panel (MB, 2 KiB: turned into output tiles while in L1)
//   DY (16, T / 8, CO, 8)     the transformed output gradient (panels, as V)
//   Mw (16, CO, CI)           the weight gradient's products
//
// The SIMD layout: the four lanes of a v128 are four neighbouring tiles of one tile row. Input tile
// tj's column c is padded-input column 2tj + c, so for tiles tj .. tj+3 the lanes of column c are
// 8 consecutive floats de-interleaved (two loads and a shuffle), and after the transform each of
// the 16 values xi is one contiguous v128 store into V[xi, panel, ci, 4 lanes]: the transforms are
// pure lane-wise adds, four tiles at a time.
//
// The products (productsOutputF2) are the 16 GEMMs M[xi] (COP, T) = U[xi] (COP, CI) . V[xi] (CI, T) with
// the micro-kernel of the conv's gather GEMM (./conv.ts): a 4 x 8 register tile (4 output channels x
// 8 tiles), per input channel 4 broadcasts of U, 2 v128 of V and 8 multiply-adds (madd: fused on the
// relaxed-SIMD build, as in the default path). It replaces the general GEMM (./gemm.ts), which
// multiplied then added (two instructions where the default path spends one), packed U again for
// every xi and chunk, and stored through alpha and beta: at the zoo's 8 to 32 input channels (8 to
// 32 steps of the inner loop) that cost as much as Winograd saved (docs/winograd.md, measured).
// The zero-padded planes (xp) are zeroed once per call: every plane then writes only its interior,
// whose place is the same for every plane of a call, so the border stays zero (V8 runs memory.fill
// and memory.copy of a few hundred bytes as calls into the runtime, which cost more than the plane).

import { madd } from './conv';

/** Tiles per chunk (T in the glossary) for NB images of TH x TW4 tiles: rounded up to a whole panel of 8. */
@inline function chunkTiles(NB: i32, TH: i32, TW4: i32): i32 {
  return (NB * TH * TW4 + 7) & ~7;
}

/**
 * U[xi, co / 4, ci, co % 4] = (G g G^T)[xi], g = w[co, ci] (3 x 3); with flipped != 0, w is
 * (CI, CO, 3, 3) and g[u][v] = w[ci, co, 2 - u, 2 - v] (the kernel of the input gradient).
 * G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]. U holds 16 * COP * CI floats (COP = CO rounded up to 4).
 */
export function winogradF2Weights(w: usize, U: usize, CO: i32, CI: i32, flipped: i32): void {
  const COP = (CO + 3) & ~3;
  const plane = <usize>COP * CI; // floats per xi
  if (COP > CO) zeroBytes(U, (plane * 16) << 2); // the padding rows
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < CI; ci++) {
      const base = flipped ? w + ((<usize>(ci * CO + co) * 9) << 2) : w + ((<usize>(co * CI + ci) * 9) << 2);
      // g[k] for k = u*3 + v (reversed when flipped)
      const g0 = tap(base, flipped, 0), g1 = tap(base, flipped, 1), g2 = tap(base, flipped, 2);
      const g3 = tap(base, flipped, 3), g4 = tap(base, flipped, 4), g5 = tap(base, flipped, 5);
      const g6 = tap(base, flipped, 6), g7 = tap(base, flipped, 7), g8 = tap(base, flipped, 8);
      // t = G g (4 x 3), one column v at a time
      const t00 = g0, t01 = g1, t02 = g2;
      const t10: f32 = 0.5 * (g0 + g3 + g6), t11: f32 = 0.5 * (g1 + g4 + g7), t12: f32 = 0.5 * (g2 + g5 + g8);
      const t20: f32 = 0.5 * (g0 - g3 + g6), t21: f32 = 0.5 * (g1 - g4 + g7), t22: f32 = 0.5 * (g2 - g5 + g8);
      const t30 = g6, t31 = g7, t32 = g8;
      const dst = U + ((((<usize>(co >> 2) * CI + ci) << 2) + <usize>(co & 3)) << 2);
      rowG(dst, plane, 0, t00, t01, t02);
      rowG(dst, plane, 1, t10, t11, t12);
      rowG(dst, plane, 2, t20, t21, t22);
      rowG(dst, plane, 3, t30, t31, t32);
    }
  }
}

@inline function tap(base: usize, flipped: i32, k: i32): f32 {
  return load<f32>(base + (<usize>(flipped ? 8 - k : k) << 2));
}

/** U[(a*4 + c), ...] for c = 0..3: (t G^T) of one row a of t = G g; plane = the floats between two xi. */
@inline function rowG(dst: usize, plane: usize, a: i32, r0: f32, r1: f32, r2: f32): void {
  const s = plane << 2;
  const o = dst + <usize>(a * 4) * s;
  store<f32>(o, r0);
  store<f32>(o + s, 0.5 * (r0 + r1 + r2));
  store<f32>(o + 2 * s, 0.5 * (r0 - r1 + r2));
  store<f32>(o + 3 * s, r2);
}

/** bytes (a multiple of 4) of zeros at p, a v128 at a time. */
function zeroBytes(p: usize, bytes: usize): void {
  const z = f32x4.splat(0);
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) v128.store(p + o, z);
  for (; o < bytes; o += 4) store<f32>(p + o, 0);
}

/**
 * The interior of the zero-padded plane xp (row stride XW): xp[r + P, c + P] = x[r, c] for the plane
 * x (H, W), 0 where mask (if not 0) is <= 0. The border is left as it is (zeroed once per call).
 */
function fillPlane(x: usize, mask: usize, H: i32, W: i32, P: i32, xp: usize, XW: i32): void {
  const rowBytes = <usize>W << 2;
  const W4 = <usize>(W & ~3) << 2;
  const z = f32x4.splat(0);
  for (let r = 0; r < H; r++) {
    const src = x + <usize>r * rowBytes;
    const dst = xp + ((<usize>(r + P) * XW + P) << 2);
    let o: usize = 0;
    if (mask) {
      const m = mask + <usize>r * rowBytes;
      for (; o < W4; o += 16) v128.store(dst + o, v128.and(v128.load(src + o), f32x4.gt(v128.load(m + o), z)));
      for (; o < rowBytes; o += 4) store<f32>(dst + o, load<f32>(m + o) > 0 ? load<f32>(src + o) : 0);
    } else {
      for (; o < W4; o += 16) v128.store(dst + o, v128.load(src + o));
      for (; o < rowBytes; o += 4) store<f32>(dst + o, load<f32>(src + o));
    }
  }
}

/** Columns c and c+1 of a row, for four tiles two columns apart: the even and the odd lanes of 8 floats (lo, hi). */
@inline function ev(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(lo, hi, 0, 2, 4, 6);
}
@inline function od(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(lo, hi, 1, 3, 5, 7);
}

/** The byte offset of tiles t .. t+3 (t a multiple of 4) of row `row` in a (T / 8, rows, 8) panel layout. */
@inline function panelOffset(t: i32, row: i32, rows: i32): usize {
  return (((<usize>(t >> 3) * rows + row) << 3) + <usize>(t & 7)) << 2;
}

/**
 * V[xi, ., ci, .] for every tile of one padded plane xp (XH, XW) of image nl of the chunk:
 * V = Bt d Bt^T with Bt = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], four tiles per v128.
 * stride = the bytes between two xi.
 */
function transformPlane(xp: usize, XW: i32, TH: i32, TW4: i32, V: usize, stride: usize, tBase: i32, ci: i32, CI: i32): void {
  const rowBytes = <usize>XW << 2;
  for (let ti = 0; ti < TH; ti++) {
    for (let tj = 0; tj < TW4; tj += 4) {
      let p = xp + <usize>(2 * ti) * rowBytes + (<usize>(2 * tj) << 2);
      // d[a][c]: padded-input row 2ti + a, column 2tj + c, for the four tiles
      // (each row: four loads, columns 2tj .. 2tj+7 and 2tj+2 .. 2tj+9, and four shuffles)
      let l0 = v128.load(p), l1 = v128.load(p, 16), l2 = v128.load(p, 8), l3 = v128.load(p, 24); p += rowBytes;
      const d00 = ev(l0, l1), d01 = od(l0, l1), d02 = ev(l2, l3), d03 = od(l2, l3);
      l0 = v128.load(p); l1 = v128.load(p, 16); l2 = v128.load(p, 8); l3 = v128.load(p, 24); p += rowBytes;
      const d10 = ev(l0, l1), d11 = od(l0, l1), d12 = ev(l2, l3), d13 = od(l2, l3);
      l0 = v128.load(p); l1 = v128.load(p, 16); l2 = v128.load(p, 8); l3 = v128.load(p, 24); p += rowBytes;
      const d20 = ev(l0, l1), d21 = od(l0, l1), d22 = ev(l2, l3), d23 = od(l2, l3);
      l0 = v128.load(p); l1 = v128.load(p, 16); l2 = v128.load(p, 8); l3 = v128.load(p, 24);
      const d30 = ev(l0, l1), d31 = od(l0, l1), d32 = ev(l2, l3), d33 = od(l2, l3);
      // t = Bt d (down the columns)
      const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21), t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
      const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21), t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
      const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11), t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
      const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31), t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
      const o = V + panelOffset(tBase + ti * TW4 + tj, ci, CI);
      storeRowBt(o, stride, 0, t00, t01, t02, t03);
      storeRowBt(o, stride, 1, t10, t11, t12, t13);
      storeRowBt(o, stride, 2, t20, t21, t22, t23);
      storeRowBt(o, stride, 3, t30, t31, t32, t33);
    }
  }
}

/** V[a*4 + c] for c = 0..3: (t Bt^T) of row a of t; stride = the bytes between two xi. */
@inline function storeRowBt(o: usize, stride: usize, a: i32, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const p = o + <usize>(a * 4) * stride;
  v128.store(p, f32x4.sub(r0, r2));
  v128.store(p + stride, f32x4.add(r1, r2));
  v128.store(p + 2 * stride, f32x4.sub(r2, r1));
  v128.store(p + 3 * stride, f32x4.sub(r1, r3));
}

/** Zeroes the tiles from..T-1 (past the chunk's last image, in its last panel) of every xi and row. */
function zeroTail(V: usize, stride: usize, from: i32, T: i32, rows: i32): void {
  if (from >= T) return; // (from and T are multiples of 4, T of 8: the tail is one half panel)
  for (let xi = 0; xi < 16; xi++) {
    for (let r = 0; r < rows; r++) v128.store(V + <usize>xi * stride + panelOffset(from, r, rows), f32x4.splat(0));
  }
}

/**
 * y (N, CO, OH, OW) = conv3x3(x (N, CI, H, W) [through mask], padding P) + b, ReLU if relu != 0;
 * with pool != 0, y is (N, CO, OH / 2, OW / 2) (floored): the 2 x 2 max pool at stride 2 of that, each
 * window being one output tile (the values and the NaN rule of maxPoolValues, bit for bit).
 * U from winogradF2Weights; V (16, CI, T) and xp ((2TH+2) * (2TW4+2) floats) are scratch.
 * mask = 0: none; b = 0: no bias.
 */
export function winogradF2Forward(
  x: usize, mask: usize, U: usize, b: usize, y: usize, N: i32, CI: i32, H: i32, W: i32, CO: i32, P: i32, NB: i32,
  V: usize, xp: usize, relu: i32, pool: i32,
): void {
  const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
  const TH = (OH + 1) >> 1, TW4 = (((OW + 1) >> 1) + 3) & ~3;
  const XH = 2 * TH + 2, XW = 2 * TW4 + 2;
  const T = chunkTiles(NB, TH, TW4), COP = (CO + 3) & ~3;
  const vStride = (<usize>CI * T) << 2;
  const YH = pool ? OH >> 1 : OH, YW = pool ? OW >> 1 : OW; // y's planes
  zeroBytes(xp, (<usize>XH * XW) << 2);
  for (let n0 = 0; n0 < N; n0 += NB) {
    const nb = min(NB, N - n0);
    for (let nl = 0; nl < nb; nl++) {
      for (let ci = 0; ci < CI; ci++) {
        const off = (<usize>((n0 + nl) * CI + ci) * H * W) << 2;
        fillPlane(x + off, mask ? mask + off : 0, H, W, P, xp, XW);
        transformPlane(xp, XW, TH, TW4, V, vStride, nl * TH * TW4, ci, CI);
      }
    }
    zeroTail(V, vStride, nb * TH * TW4, T, CI);
    productsOutputF2(COP, CI, CO, T, nb * TH * TW4, TH, TW4, U, V, b, relu, pool, y + ((<usize>n0 * CO * YH * YW) << 2), OH, OW, YH, YW);
  }
}

const MB = memory.data(16 * 4 * 8 * 4, 16); // (16, 4, 8) floats: one block of products, all xi

/**
 * The products and the output transform, block by block: for each panel of 8 tiles and each 4
 * output channels, M[xi] (4 x 8) = U[xi] . V[xi] for the 16 xi (a 4 x 8 register tile each, summed
 * over ci in order), kept in the 2 KiB block MB, then turned into the 4 x 8 output
 * tiles (outputTiles / pooledTiles) while it is in L1: M is never written out. tiles = the real
 * tiles of the chunk (its last panel may end with 4 padding tiles); y = the chunk's first image.
 */
function productsOutputF2(
  COP: i32, CI: i32, CO: i32, T: i32, tiles: i32, TH: i32, TW4: i32, U: usize, V: usize, b: usize, relu: i32, pool: i32,
  y: usize, OH: i32, OW: i32, YH: i32, YW: i32,
): void {
  const uStride = (<usize>COP * CI) << 2, vStride = (<usize>CI * T) << 2, panelBytes = <usize>CI << 5;
  const perImage = TH * TW4;
  for (let t = 0; t < tiles; t += 8) {
    const panel = V + <usize>(t >> 3) * panelBytes;
    for (let co = 0; co < CO; co += 4) {
      for (let xi = 0; xi < 16; xi++) {
        let a = U + <usize>xi * uStride + ((<usize>co * CI) << 2), bv = panel + <usize>xi * vStride;
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0); // output channel co, tiles t..t+3 and t+4..t+7
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        for (let ci = 0; ci < CI; ci++) {
          const b0 = v128.load(bv), b1 = v128.load(bv, 16);
          let av = v128.load32_splat(a);
          c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
          av = v128.load32_splat(a, 4);
          c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
          av = v128.load32_splat(a, 8);
          c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
          av = v128.load32_splat(a, 12);
          c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
          a += 16; bv += 32;
        }
        const m = MB + (<usize>xi << 7);
        v128.store(m, c00); v128.store(m, c01, 16); v128.store(m, c10, 32); v128.store(m, c11, 48);
        v128.store(m, c20, 64); v128.store(m, c21, 80); v128.store(m, c30, 96); v128.store(m, c31, 112);
      }
      for (let h = 0; h < 2; h++) { // tiles t + 4h .. t + 4h + 3: one tile row's four neighbours
        const tt = t + 4 * h;
        if (tt >= tiles) break;
        const nl = tt / perImage, ti = (tt % perImage) / TW4, tj = tt % TW4;
        if (pool && ti >= YH) continue;
        for (let r = 0; r < 4 && co + r < CO; r++) {
          const bias = f32x4.splat(b ? load<f32>(b + (<usize>(co + r) << 2)) : 0);
          const yPlane = y + ((<usize>(nl * CO + co + r) * YH * YW) << 2);
          const m = MB + (<usize>r << 5) + (<usize>h << 4);
          if (pool) pooledTiles(m, 128, bias, relu, yPlane + ((<usize>ti * YW + tj) << 2), YW - tj);
          else outputTiles(m, 128, bias, relu, yPlane, OH, OW, 2 * ti, 2 * tj);
        }
      }
    }
  }
}

/**
 * Four neighbouring output tiles: Y = At M At^T (+ bias, ReLU), At = [1 1 1 0; 0 1 -1 -1], written
 * into rows i0, i0+1 and columns j0 .. j0+7 of the (OH, OW) plane y, cut at its border.
 */
@inline function outputTiles(m: usize, s: usize, bias: v128, relu: i32, y: usize, OH: i32, OW: i32, i0: i32, j0: i32): void {
  // s0[c] = M[0][c] + M[1][c] + M[2][c], s1[c] = M[1][c] - M[2][c] - M[3][c]  (M[a][c] at xi = a*4 + c)
  const m00 = v128.load(m), m01 = v128.load(m + s), m02 = v128.load(m + 2 * s), m03 = v128.load(m + 3 * s);
  const m10 = v128.load(m + 4 * s), m11 = v128.load(m + 5 * s), m12 = v128.load(m + 6 * s), m13 = v128.load(m + 7 * s);
  const m20 = v128.load(m + 8 * s), m21 = v128.load(m + 9 * s), m22 = v128.load(m + 10 * s), m23 = v128.load(m + 11 * s);
  const m30 = v128.load(m + 12 * s), m31 = v128.load(m + 13 * s), m32 = v128.load(m + 14 * s), m33 = v128.load(m + 15 * s);
  const a0 = f32x4.add(f32x4.add(m00, m10), m20), a1 = f32x4.add(f32x4.add(m01, m11), m21);
  const a2 = f32x4.add(f32x4.add(m02, m12), m22), a3 = f32x4.add(f32x4.add(m03, m13), m23);
  const b0 = f32x4.sub(f32x4.sub(m10, m20), m30), b1 = f32x4.sub(f32x4.sub(m11, m21), m31);
  const b2 = f32x4.sub(f32x4.sub(m12, m22), m32), b3 = f32x4.sub(f32x4.sub(m13, m23), m33);
  let y00 = f32x4.add(f32x4.add(f32x4.add(a0, a1), a2), bias), y01 = f32x4.add(f32x4.sub(f32x4.sub(a1, a2), a3), bias);
  let y10 = f32x4.add(f32x4.add(f32x4.add(b0, b1), b2), bias), y11 = f32x4.add(f32x4.sub(f32x4.sub(b1, b2), b3), bias);
  if (relu) {
    const z = f32x4.splat(0); // pmax(z, v) = z < v ? v : z ... written as v < 0 ? 0 : v, the ReLU kernels' rule
    y00 = f32x4.pmax(y00, z); y01 = f32x4.pmax(y01, z); y10 = f32x4.pmax(y10, z); y11 = f32x4.pmax(y11, z);
  }
  // Row i0: y00 and y01 interleaved (tile l's two columns side by side); row i0 + 1: y10 and y11.
  const r0lo = v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), r0hi = v128.shuffle<f32>(y00, y01, 2, 6, 3, 7);
  const r1lo = v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), r1hi = v128.shuffle<f32>(y10, y11, 2, 6, 3, 7);
  storeRowCut(y + ((<usize>i0 * OW + j0) << 2), r0lo, r0hi, OW - j0);
  if (i0 + 1 < OH) storeRowCut(y + ((<usize>(i0 + 1) * OW + j0) << 2), r1lo, r1hi, OW - j0);
}

/**
 * Four neighbouring output tiles, each max-pooled to one value (the window in the order (0,0), (0,1),
 * (1,0), (1,1), as maxPoolValues reads it: a later value wins when larger or NaN), stored at p[0 .. n).
 */
@inline function pooledTiles(m: usize, s: usize, bias: v128, relu: i32, p: usize, n: i32): void {
  const m00 = v128.load(m), m01 = v128.load(m + s), m02 = v128.load(m + 2 * s), m03 = v128.load(m + 3 * s);
  const m10 = v128.load(m + 4 * s), m11 = v128.load(m + 5 * s), m12 = v128.load(m + 6 * s), m13 = v128.load(m + 7 * s);
  const m20 = v128.load(m + 8 * s), m21 = v128.load(m + 9 * s), m22 = v128.load(m + 10 * s), m23 = v128.load(m + 11 * s);
  const m30 = v128.load(m + 12 * s), m31 = v128.load(m + 13 * s), m32 = v128.load(m + 14 * s), m33 = v128.load(m + 15 * s);
  const a0 = f32x4.add(f32x4.add(m00, m10), m20), a1 = f32x4.add(f32x4.add(m01, m11), m21);
  const a2 = f32x4.add(f32x4.add(m02, m12), m22), a3 = f32x4.add(f32x4.add(m03, m13), m23);
  const b0 = f32x4.sub(f32x4.sub(m10, m20), m30), b1 = f32x4.sub(f32x4.sub(m11, m21), m31);
  const b2 = f32x4.sub(f32x4.sub(m12, m22), m32), b3 = f32x4.sub(f32x4.sub(m13, m23), m33);
  let y00 = f32x4.add(f32x4.add(f32x4.add(a0, a1), a2), bias), y01 = f32x4.add(f32x4.sub(f32x4.sub(a1, a2), a3), bias);
  let y10 = f32x4.add(f32x4.add(f32x4.add(b0, b1), b2), bias), y11 = f32x4.add(f32x4.sub(f32x4.sub(b1, b2), b3), bias);
  if (relu) {
    const z = f32x4.splat(0);
    y00 = f32x4.pmax(y00, z); y01 = f32x4.pmax(y01, z); y10 = f32x4.pmax(y10, z); y11 = f32x4.pmax(y11, z);
  }
  let best = y00;
  best = v128.bitselect(y01, best, v128.or(f32x4.gt(y01, best), f32x4.ne(y01, y01)));
  best = v128.bitselect(y10, best, v128.or(f32x4.gt(y10, best), f32x4.ne(y10, y10)));
  best = v128.bitselect(y11, best, v128.or(f32x4.gt(y11, best), f32x4.ne(y11, y11)));
  if (n >= 4) v128.store(p, best);
  else storeLanes(p, best, n);
}

/** p[0 .. min(8, n)) = (lo, hi): the first n of 8 floats (whole v128 stores when they fit). */
@inline function storeRowCut(p: usize, lo: v128, hi: v128, n: i32): void {
  if (n >= 8) { v128.store(p, lo); v128.store(p, hi, 16); return; }
  if (n >= 4) { v128.store(p, lo); storeLanes(p + 16, hi, n - 4); return; }
  storeLanes(p, lo, n);
}

@inline function storeLanes(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * dw (CO, CI, 3, 3) = the weight gradient of the 3x3 stride-1 conv at padding P, from x (N, CI, H, W)
 * and dy (N, CO, OH, OW) (counted only where mask > 0, if mask != 0): dw = G^T [sum_t DY ⊙ V] G with
 * DY = At^T dy_tile At. dw is overwritten. Unless db is 0, db (CO) += the sum of each image's dy
 * plane (through the mask), in float32 as the default path's conv2dBackward takes it. V (16, CI, T), DY (16, CO, T), Mw (16, CO, CI),
 * xp and dp ((2TH+2) * (2TW4+2) floats each) are scratch.
 */
export function winogradF2WeightGrad(
  x: usize, dy: usize, mask: usize, dw: usize, db: usize, N: i32, CI: i32, H: i32, W: i32, CO: i32, P: i32, NB: i32,
  V: usize, DY: usize, Mw: usize, xp: usize, dp: usize,
): void {
  const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
  const TH = (OH + 1) >> 1, TW4 = (((OW + 1) >> 1) + 3) & ~3;
  const XH = 2 * TH + 2, XW = 2 * TW4 + 2;
  const T = chunkTiles(NB, TH, TW4);
  const vStride = (<usize>CI * T) << 2, dStride = (<usize>CO * T) << 2;
  zeroBytes(xp, (<usize>XH * XW) << 2);
  zeroBytes(dp, (<usize>XH * XW) << 2);
  for (let n0 = 0; n0 < N; n0 += NB) {
    const nb = min(NB, N - n0);
    for (let nl = 0; nl < nb; nl++) {
      for (let ci = 0; ci < CI; ci++) {
        fillPlane(x + ((<usize>((n0 + nl) * CI + ci) * H * W) << 2), 0, H, W, P, xp, XW);
        transformPlane(xp, XW, TH, TW4, V, vStride, nl * TH * TW4, ci, CI);
      }
      for (let co = 0; co < CO; co++) {
        const off = (<usize>((n0 + nl) * CO + co) * OH * OW) << 2;
        fillPlane(dy + off, mask ? mask + off : 0, OH, OW, 0, dp, XW); // dy's tiles do not overlap: no padding before them
        transformDy(dp, XW, TH, TW4, DY, dStride, nl * TH * TW4, co, CO);
      }
    }
    zeroTail(V, vStride, nb * TH * TW4, T, CI);
    zeroTail(DY, dStride, nb * TH * TW4, T, CO);
    weightProductsF2(CO, CI, T, chunkTiles(nb, TH, TW4), DY, V, Mw, n0 > 0);
  }
  // dw[co, ci] = G^T Mw[., co, ci] G, G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1]
  const plane = <usize>CO * CI;
  const wStride = plane << 2;
  for (let o: usize = 0; o < plane; o++) {
    const q = Mw + (o << 2);
    const s = wStride;
    // r[a][v] = (row a of Mw) G, then dw[u][v] = sum_a G^T[u][a] r[a][v]
    const r00 = load<f32>(q), r01 = load<f32>(q + s), r02 = load<f32>(q + 2 * s), r03 = load<f32>(q + 3 * s);
    const r10 = load<f32>(q + 4 * s), r11 = load<f32>(q + 5 * s), r12 = load<f32>(q + 6 * s), r13 = load<f32>(q + 7 * s);
    const r20 = load<f32>(q + 8 * s), r21 = load<f32>(q + 9 * s), r22 = load<f32>(q + 10 * s), r23 = load<f32>(q + 11 * s);
    const r30 = load<f32>(q + 12 * s), r31 = load<f32>(q + 13 * s), r32 = load<f32>(q + 14 * s), r33 = load<f32>(q + 15 * s);
    // c[u][x] = G^T applied down the columns x = 0..3
    const c00: f32 = r00 + 0.5 * (r10 + r20), c01: f32 = r01 + 0.5 * (r11 + r21), c02: f32 = r02 + 0.5 * (r12 + r22), c03: f32 = r03 + 0.5 * (r13 + r23);
    const c10: f32 = 0.5 * (r10 - r20), c11: f32 = 0.5 * (r11 - r21), c12: f32 = 0.5 * (r12 - r22), c13: f32 = 0.5 * (r13 - r23);
    const c20: f32 = 0.5 * (r10 + r20) + r30, c21: f32 = 0.5 * (r11 + r21) + r31, c22: f32 = 0.5 * (r12 + r22) + r32, c23: f32 = 0.5 * (r13 + r23) + r33;
    const d = dw + ((o * 9) << 2);
    storeRowGT(d, c00, c01, c02, c03);
    storeRowGT(d + 12, c10, c11, c12, c13);
    storeRowGT(d + 24, c20, c21, c22, c23);
  }
  if (db) { // db[co] += each image's sum of dy[n, co] (through the mask), as the default wasm path sums it
    const Q = OH * OW;
    for (let n = 0; n < N; n++) {
      for (let co = 0; co < CO; co++) {
        const off = (<usize>(n * CO + co) * Q) << 2;
        const p = db + (<usize>co << 2);
        store<f32>(p, load<f32>(p) + maskedSum(dy + off, mask ? mask + off : 0, Q));
      }
    }
  }
}

/** The sum of src[0 .. n) where mask (if not 0) is > 0: four partial sums (lanes), then the tail. */
function maskedSum(src: usize, mask: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  const z = f32x4.splat(0);
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const o = <usize>t << 2;
    const v = v128.load(src + o);
    acc = f32x4.add(acc, mask ? v128.and(v, f32x4.gt(v128.load(mask + o), z)) : v);
  }
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; t < n; t++) {
    const o = <usize>t << 2;
    if (!mask || load<f32>(mask + o) > 0) s += load<f32>(src + o);
  }
  return s;
}

/**
 * Mw[xi] (CO, CI) (+)= sum over the Tc tiles of this chunk (T: the tiles the buffers hold) of DY[xi][., co, .] * V[xi][., ci, .] (both in panels of
 * 8 tiles): 2 output x 4 input channels per block, eight v128 partial sums (lane = tile within the
 * half panel), added across lanes at the end. accumulate: add onto Mw (a later chunk).
 */
function weightProductsF2(CO: i32, CI: i32, T: i32, Tc: i32, DY: usize, V: usize, Mw: usize, accumulate: bool): void {
  const vStride = (<usize>CI * T) << 2, dStride = (<usize>CO * T) << 2, wStride = (<usize>CO * CI) << 2;
  const vPanel = <usize>CI << 5, dPanel = <usize>CO << 5, panels = Tc >> 3;
  const CO2 = CO & ~1, CI4 = CI & ~3;
  for (let xi = 0; xi < 16; xi++) {
    const dx = DY + <usize>xi * dStride, vx = V + <usize>xi * vStride, mw = Mw + <usize>xi * wStride;
    for (let co = 0; co < CO; co += 2) {
      for (let ci = 0; ci < CI; ci += 4) {
        if (co >= CO2 || ci >= CI4) { // a ragged edge: one dot product per entry
          for (let c = co; c < min(co + 2, CO); c++) {
            for (let k = ci; k < min(ci + 4, CI); k++) {
              let acc = f32x4.splat(0);
              for (let p = 0; p < panels; p++) {
                const g = dx + <usize>p * dPanel + (<usize>c << 5), v = vx + <usize>p * vPanel + (<usize>k << 5);
                acc = madd(v128.load(g), v128.load(v), acc);
                acc = madd(v128.load(g, 16), v128.load(v, 16), acc);
              }
              const q = mw + ((<usize>c * CI + k) << 2);
              const sum: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
              store<f32>(q, accumulate ? load<f32>(q) + sum : sum);
            }
          }
          continue;
        }
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0); // co,   ci..ci+3
        let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0); // co+1
        let g = dx + (<usize>co << 5), v = vx + (<usize>ci << 5);
        for (let p = 0; p < panels; p++) {
          for (let h: usize = 0; h < 32; h += 16) { // the two halves of the panel
            const g0 = v128.load(g + h), g1 = v128.load(g + h, 32);
            let y = v128.load(v + h);
            s00 = madd(g0, y, s00); s10 = madd(g1, y, s10);
            y = v128.load(v + h, 32);
            s01 = madd(g0, y, s01); s11 = madd(g1, y, s11);
            y = v128.load(v + h, 64);
            s02 = madd(g0, y, s02); s12 = madd(g1, y, s12);
            y = v128.load(v + h, 96);
            s03 = madd(g0, y, s03); s13 = madd(g1, y, s13);
          }
          g += dPanel; v += vPanel;
        }
        let r0 = sumLanes4(s00, s01, s02, s03), r1 = sumLanes4(s10, s11, s12, s13);
        const q = mw + ((<usize>co * CI + ci) << 2), q1 = q + ((<usize>CI) << 2);
        if (accumulate) { r0 = f32x4.add(v128.load(q), r0); r1 = f32x4.add(v128.load(q1), r1); }
        v128.store(q, r0); v128.store(q1, r1);
      }
    }
  }
}

/** (sum of s0's lanes, sum of s1's, s2's, s3's) as one v128: a 4x4 transpose, then three adds. */
@inline function sumLanes4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const t0 = v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(s0, s1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(s2, s3, 2, 6, 3, 7);
  const u = f32x4.add(t0, t1);
  const v = f32x4.add(t2, t3);
  return f32x4.add(v128.shuffle<f32>(u, v, 0, 1, 4, 5), v128.shuffle<f32>(u, v, 2, 3, 6, 7));
}

/** d[0..2] = (c0 .. c3) G, one row of the 3x3 result. */
@inline function storeRowGT(d: usize, c0: f32, c1: f32, c2: f32, c3: f32): void {
  store<f32>(d, c0 + 0.5 * (c1 + c2));
  store<f32>(d, 0.5 * (c1 - c2), 4);
  store<f32>(d, 0.5 * (c1 + c2) + c3, 8);
}

/**
 * DY[xi, ., co, .] = (At^T g At)[xi] for each 2 x 2 tile g of the plane dp (XH, XW) (dy at
 * tile-aligned positions, zero past its border), At^T = [1 0; 1 1; 1 -1; 0 -1], four tiles per v128.
 */
function transformDy(dp: usize, XW: i32, TH: i32, TW4: i32, DY: usize, stride: usize, tBase: i32, co: i32, CO: i32): void {
  const rowBytes = <usize>XW << 2;
  for (let ti = 0; ti < TH; ti++) {
    for (let tj = 0; tj < TW4; tj += 4) {
      const p = dp + <usize>(2 * ti) * rowBytes + (<usize>(2 * tj) << 2);
      const u0 = v128.load(p), u1 = v128.load(p, 16), w0 = v128.load(p + rowBytes), w1 = v128.load(p + rowBytes, 16);
      const g00 = ev(u0, u1), g01 = od(u0, u1), g10 = ev(w0, w1), g11 = od(w0, w1);
      // h = At^T g (4 x 2), down the columns
      const h0 = g00, h1 = g01;
      const h20 = f32x4.add(g00, g10), h21 = f32x4.add(g01, g11);
      const h30 = f32x4.sub(g00, g10), h31 = f32x4.sub(g01, g11);
      const z = f32x4.splat(0);
      const h40 = f32x4.sub(z, g10), h41 = f32x4.sub(z, g11);
      const o = DY + panelOffset(tBase + ti * TW4 + tj, co, CO);
      storeRowAt(o, stride, 0, h0, h1);
      storeRowAt(o, stride, 1, h20, h21);
      storeRowAt(o, stride, 2, h30, h31);
      storeRowAt(o, stride, 3, h40, h41);
    }
  }
}

/** DY[a*4 + c] for c = 0..3: (h At) of row a of h = (r0, r1). */
@inline function storeRowAt(o: usize, stride: usize, a: i32, r0: v128, r1: v128): void {
  const p = o + <usize>(a * 4) * stride;
  v128.store(p, r0);
  v128.store(p + stride, f32x4.add(r0, r1));
  v128.store(p + 2 * stride, f32x4.sub(r0, r1));
  v128.store(p + 3 * stride, f32x4.sub(f32x4.splat(0), r1));
}
