// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// Winograd F(2x2, 3x3) in WebAssembly SIMD: the algorithm of ../../winograd.ts (read that header
// first: the transforms, the GEMMs, the backward passes), for float32, 3x3 kernels at stride 1.
//
// Glossary: N = batch, CI / CO = input / output channels, H, W = input size, P = padding,
//   OH = H + 2P - 2, OW likewise, TH = ceil(OH / 2) tile rows, TW4 = ceil(OW / 2) rounded up to 4
//   (the tiles of a row, padded so that they go four to a v128), NB = images per chunk,
//   T = NB * TH * TW4 tiles per chunk, xi = 0 .. 15 a position in the 4 x 4 transformed tile.
// Layouts (float32): U (16, CO, CI), V (16, CI, T), M and DY (16, CO, T), Mw (16, CO, CI); a tile
//   t = (n * TH + ti) * TW4 + tj covers output rows 2ti, 2ti+1 and columns 2tj, 2tj+1 of image n.
//
// The SIMD layout: the four lanes of a v128 are four neighbouring tiles of one tile row. Input tile
// tj's column c is padded-input column 2tj + c, so for tiles tj .. tj+3 the lanes of column c are
// 8 consecutive floats de-interleaved (two loads and a shuffle), and after the transform each of
// the 16 values xi is one contiguous v128 store into V[xi, ci, t .. t+3]: the transforms are pure
// lane-wise adds, four tiles at a time, and the GEMMs (./gemm.ts) read V and write M in place.

import { gemm } from './gemm';

/**
 * U[xi, co, ci] = (G g G^T)[xi], g = w[co, ci] (3 x 3); with flipped != 0, w is (CI, CO, 3, 3) and
 * g[u][v] = w[ci, co, 2 - u, 2 - v] (the kernel of the input gradient). G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
 */
export function winogradF2Weights(w: usize, U: usize, CO: i32, CI: i32, flipped: i32): void {
  const plane = <usize>CO * CI;
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
      const dst = U + ((<usize>(co * CI + ci)) << 2);
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

/** U[(a*4 + c), ...] for c = 0..3: (t G^T) of one row a of t = G g. */
@inline function rowG(dst: usize, plane: usize, a: i32, r0: f32, r1: f32, r2: f32): void {
  const s = plane << 2;
  const o = dst + <usize>(a * 4) * s;
  store<f32>(o, r0);
  store<f32>(o + s, 0.5 * (r0 + r1 + r2));
  store<f32>(o + 2 * s, 0.5 * (r0 - r1 + r2));
  store<f32>(o + 3 * s, r2);
}

/**
 * Copies plane x (H, W) into xp (2*TH + 2, 2*TW4 + 2), zero-padded: xp[r + P, c + P] = x[r, c]
 * (0 where mask, if given, is <= 0).
 */
function padPlane(x: usize, mask: usize, H: i32, W: i32, P: i32, xp: usize, XH: i32, XW: i32): void {
  memory.fill(xp, 0, (<usize>XH * XW) << 2);
  for (let r = 0; r < H; r++) {
    if (r + P >= XH) break;
    const src = x + ((<usize>r * W) << 2);
    const dst = xp + ((<usize>(r + P) * XW + P) << 2);
    const n = min(W, XW - P);
    if (mask) {
      const m = mask + ((<usize>r * W) << 2);
      for (let c = 0; c < n; c++) {
        const o = <usize>c << 2;
        store<f32>(dst + o, load<f32>(m + o) > 0 ? load<f32>(src + o) : 0);
      }
    } else {
      memory.copy(dst, src, <usize>n << 2);
    }
  }
}

/** Columns c and c+1 of a row, for four tiles two columns apart: (even lanes, odd lanes) of 8 floats at p. */
@inline function evens(p: usize): v128 {
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}
@inline function odds(p: usize): v128 {
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 1, 3, 5, 7);
}

/**
 * V[xi, ci, tBase + ...] for every tile of one padded plane xp (XH, XW): V = Bt d Bt^T with
 * Bt = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], four tiles per v128.
 */
function transformPlane(xp: usize, XW: i32, TH: i32, TW4: i32, V: usize, stride: usize, tBase: i32): void {
  const rowBytes = <usize>XW << 2;
  for (let ti = 0; ti < TH; ti++) {
    for (let tj = 0; tj < TW4; tj += 4) {
      let p = xp + <usize>(2 * ti) * rowBytes + (<usize>(2 * tj) << 2);
      // d[a][c]: padded-input row 2ti + a, column 2tj + c, for the four tiles
      const d00 = evens(p), d01 = odds(p), d02 = evens(p + 8), d03 = odds(p + 8); p += rowBytes;
      const d10 = evens(p), d11 = odds(p), d12 = evens(p + 8), d13 = odds(p + 8); p += rowBytes;
      const d20 = evens(p), d21 = odds(p), d22 = evens(p + 8), d23 = odds(p + 8); p += rowBytes;
      const d30 = evens(p), d31 = odds(p), d32 = evens(p + 8), d33 = odds(p + 8);
      // t = Bt d (down the columns)
      const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21), t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
      const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21), t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
      const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11), t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
      const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31), t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
      const o = V + ((<usize>((ti * TW4) + tj + tBase)) << 2);
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

/**
 * y (N, CO, OH, OW) = conv3x3(x (N, CI, H, W) [through mask], padding P) + b, ReLU if relu != 0.
 * U from winogradF2Weights; V (16, CI, T), M (16, CO, T), xp (2TH+2, 2TW4+2) and gemmScratch are scratch.
 * mask = 0: none; b = 0: no bias.
 */
export function winogradF2Forward(
  x: usize, mask: usize, U: usize, b: usize, y: usize, N: i32, CI: i32, H: i32, W: i32, CO: i32, P: i32, NB: i32,
  V: usize, M: usize, xp: usize, gemmScratch: usize, relu: i32,
): void {
  const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
  const TH = (OH + 1) >> 1, TW4 = (((OW + 1) >> 1) + 3) & ~3;
  const XH = 2 * TH + 2, XW = 2 * TW4 + 2;
  const T = NB * TH * TW4;
  const vStride = (<usize>CI * T) << 2, mStride = (<usize>CO * T) << 2;
  for (let n0 = 0; n0 < N; n0 += NB) {
    const nb = min(NB, N - n0), Tc = nb * TH * TW4;
    for (let nl = 0; nl < nb; nl++) {
      for (let ci = 0; ci < CI; ci++) {
        const off = (<usize>((n0 + nl) * CI + ci) * H * W) << 2;
        padPlane(x + off, mask ? mask + off : 0, H, W, P, xp, XH, XW);
        transformPlane(xp, XW, TH, TW4, V + ((<usize>ci * T) << 2), vStride, nl * TH * TW4);
      }
    }
    for (let xi = 0; xi < 16; xi++) {
      gemm(0, 0, CO, Tc, CI, 1, U + ((<usize>xi * CO * CI) << 2), CI, V + <usize>xi * vStride, T, 0, M + <usize>xi * mStride, T, gemmScratch);
    }
    for (let co = 0; co < CO; co++) {
      const bias = f32x4.splat(b ? load<f32>(b + (<usize>co << 2)) : 0);
      for (let nl = 0; nl < nb; nl++) {
        const yPlane = y + ((<usize>((n0 + nl) * CO + co) * OH * OW) << 2);
        for (let ti = 0; ti < TH; ti++) {
          for (let tj = 0; tj < TW4; tj += 4) {
            const m = M + ((<usize>co * T + (nl * TH + ti) * TW4 + tj) << 2);
            outputTiles(m, mStride, bias, relu, yPlane, OH, OW, 2 * ti, 2 * tj);
          }
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
 * DY = At^T dy_tile At. dw is overwritten. V (16, CI, T), DY (16, CO, T), Mw (16, CO, CI),
 * xp (2TH+2, 2TW4+2) and gemmScratch are scratch.
 */
export function winogradF2WeightGrad(
  x: usize, dy: usize, mask: usize, dw: usize, N: i32, CI: i32, H: i32, W: i32, CO: i32, P: i32, NB: i32,
  V: usize, DY: usize, Mw: usize, xp: usize, gemmScratch: usize,
): void {
  const OH = H + 2 * P - 2, OW = W + 2 * P - 2;
  const TH = (OH + 1) >> 1, TW4 = (((OW + 1) >> 1) + 3) & ~3;
  const XH = 2 * TH + 2, XW = 2 * TW4 + 2;
  const T = NB * TH * TW4;
  const vStride = (<usize>CI * T) << 2, dStride = (<usize>CO * T) << 2, wStride = (<usize>CO * CI) << 2;
  for (let n0 = 0; n0 < N; n0 += NB) {
    const nb = min(NB, N - n0), Tc = nb * TH * TW4;
    for (let nl = 0; nl < nb; nl++) {
      for (let ci = 0; ci < CI; ci++) {
        padPlane(x + ((<usize>((n0 + nl) * CI + ci) * H * W) << 2), 0, H, W, P, xp, XH, XW);
        transformPlane(xp, XW, TH, TW4, V + ((<usize>ci * T) << 2), vStride, nl * TH * TW4);
      }
      for (let co = 0; co < CO; co++) {
        const off = (<usize>((n0 + nl) * CO + co) * OH * OW) << 2;
        padPlane(dy + off, mask ? mask + off : 0, OH, OW, 0, xp, XH, XW); // dy's tiles do not overlap: no padding before them
        transformDy(xp, XW, TH, TW4, DY + ((<usize>co * T) << 2), dStride, nl * TH * TW4);
      }
    }
    for (let xi = 0; xi < 16; xi++) {
      // Mw[xi] (CO, CI) (+)= DY[xi] (CO, Tc) . V[xi]^T (Tc, CI): gemm's row-dot path, no packing
      gemm(0, 1, CO, CI, Tc, 1, DY + <usize>xi * dStride, T, V + <usize>xi * vStride, T, n0 == 0 ? 0 : 1, Mw + <usize>xi * wStride, CI, gemmScratch);
    }
  }
  // dw[co, ci] = G^T Mw[., co, ci] G, G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1]
  const plane = <usize>CO * CI;
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
}

/** d[0..2] = (c0 .. c3) G, one row of the 3x3 result. */
@inline function storeRowGT(d: usize, c0: f32, c1: f32, c2: f32, c3: f32): void {
  store<f32>(d, c0 + 0.5 * (c1 + c2));
  store<f32>(d, 0.5 * (c1 - c2), 4);
  store<f32>(d, 0.5 * (c1 + c2) + c3, 8);
}

/**
 * DY[xi, co, tBase + ...] = (At^T g At)[xi] for each 2 x 2 tile g of the plane dp (XH, XW) (dy at
 * tile-aligned positions, zero past its border), At^T = [1 0; 1 1; 1 -1; 0 -1], four tiles per v128.
 */
function transformDy(dp: usize, XW: i32, TH: i32, TW4: i32, DY: usize, stride: usize, tBase: i32): void {
  const rowBytes = <usize>XW << 2;
  for (let ti = 0; ti < TH; ti++) {
    for (let tj = 0; tj < TW4; tj += 4) {
      const p = dp + <usize>(2 * ti) * rowBytes + (<usize>(2 * tj) << 2);
      const g00 = evens(p), g01 = odds(p), g10 = evens(p + rowBytes), g11 = odds(p + rowBytes);
      // h = At^T g (4 x 2), down the columns
      const h0 = g00, h1 = g01;
      const h20 = f32x4.add(g00, g10), h21 = f32x4.add(g01, g11);
      const h30 = f32x4.sub(g00, g10), h31 = f32x4.sub(g01, g11);
      const z = f32x4.splat(0);
      const h40 = f32x4.sub(z, g10), h41 = f32x4.sub(z, g11);
      const o = DY + ((<usize>((ti * TW4) + tj + tBase)) << 2);
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
