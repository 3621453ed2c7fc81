// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// Single-precision GEMM with WebAssembly SIMD (f32x4, four floats per v128 register):
//
//   C = alpha * op(A) * op(B) + beta * C        all matrices row-major, float32
//
// Glossary (docs/names.md): rows, cols = the rows and columns of C, inner = the summed dimension.
//   op(A) is (rows, inner): A itself stored (rows, inner) with row stride lda, or A^T with A stored (inner, rows).
//   op(B) is (inner, cols): B itself stored (inner, cols) with row stride ldb, or B^T with B stored (cols, inner).
//   MR x NR = the register tile, KC / MC / NC = the cache blocks.
// Pointers are byte addresses in this module's linear memory; strides (lda, ldb, ldc) count floats.
//
// The plan is GotoBLAS's, kept small:
//   - the inner "micro-kernel" keeps a 4 x 8 tile of C in eight v128 accumulators and, for each k,
//     broadcasts 4 values of A and loads 8 values (two v128) of B: 8 multiplies + 8 adds per 6 loads.
//     (4 x 8 measured as fast as 6 x 8 and 4 x 12 here, and leaves registers to spare: V8 gives wasm
//     only 16 xmm registers and a spilled accumulator costs more than a smaller tile.)
//   - A is packed into MR-row panels, k-major (Ap[k*MR + r]), so the broadcasts read consecutive floats
//     whatever A's layout; in the convolution GEMMs A is the small operand, so packing it is cheap.
//   - B is read in place when it is row-major (the large im2col matrix: packing it would cost as much
//     as building it), and packed only when it must be transposed or for the ragged last NR columns.
//   - A . B^T (A not transposed) takes a separate path, gemmDots: each C entry is then a dot product of
//     two contiguous rows, SIMD along inner, with no packing at all.
//   - Loops are blocked so that the B panel (KC x NR) stays in L1 and the packed A block (MC x KC) in L2.
// There is no fused multiply-add: relaxed SIMD (f32x4.relaxed_madd) is not enabled by default in Node 20.

export const MR: i32 = 4;
export const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 1024;

// Scratch layout (bytes), all inside the area the caller passes as `scratch`:
const AP_BYTES: usize = <usize>(MC * KC) << 2; //   Ap (MC/MR panels, each KC x MR)
const BP_BYTES: usize = <usize>(KC * NC) << 2; //   Bp (KC, NC) when B is transposed, or one (KC, NR) ragged panel
const CT_BYTES: usize = <usize>(MR * NR) << 2; //   Ct (MR, NR) the tile for ragged edges

/** Bytes of scratch memory gemm needs, whatever the sizes (the blocks bound it). */
export function gemmScratchBytes(): usize {
  return AP_BYTES + BP_BYTES + CT_BYTES;
}

/**
 * C = alpha * op(A) * op(B) + beta * C (row-major float32). With beta = 0, C is not read
 * (it may hold garbage). `scratch` must point to gemmScratchBytes() free bytes.
 */
export function gemm(
  transA: i32, transB: i32, rows: i32, cols: i32, inner: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, scratch: usize,
): void {
  if (rows <= 0 || cols <= 0) return;
  if (inner <= 0) { scaleC(rows, cols, beta, c, ldc); return; }
  if (transB && !transA) { gemmDots(rows, cols, inner, alpha, a, lda, b, ldb, beta, c, ldc); return; }
  const ap = scratch; //              (MC/MR, KC, MR)
  const bp = ap + AP_BYTES; //        (KC, NC) or (KC, NR)
  const ct = bp + BP_BYTES; //        (MR, NR)
  for (let jc = 0; jc < cols; jc += NC) {
    const nc = min(NC, cols - jc);
    for (let pc = 0; pc < inner; pc += KC) {
      const kc = min(KC, inner - pc);
      const betaBlock: f32 = pc == 0 ? beta : 1; // later inner blocks add onto the first one's result
      // The B block op(B)[pc:pc+kc, jc:jc+nc], as a row-major pointer and stride.
      let bBlock: usize;
      let ldbBlock: i32;
      if (transB) {
        ldbBlock = roundUp(nc, NR);
        packBTransposed(kc, nc, b + ((<usize>jc * ldb + pc) << 2), ldb, bp, ldbBlock);
        bBlock = bp;
      } else {
        ldbBlock = ldb;
        bBlock = b + ((<usize>pc * ldb + jc) << 2);
      }
      for (let ic = 0; ic < rows; ic += MC) {
        const mc = min(MC, rows - ic);
        packA(transA, mc, kc, transA ? a + ((<usize>pc * lda + ic) << 2) : a + ((<usize>ic * lda + pc) << 2), lda, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          let bPanel = bBlock + (<usize>jr << 2);
          let ldbPanel = ldbBlock;
          if (nr < NR && !transB) {
            // Ragged last columns of an in-place B: copy them, zero-padded, so the kernel can read 8 wide.
            copyPanelPadded(kc, nr, bPanel, ldb, bp);
            bPanel = bp;
            ldbPanel = NR;
          }
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const apPanel = ap + ((<usize>ir * kc) << 2);
            const cTile = c + ((<usize>(ic + ir) * ldc + jc + jr) << 2);
            if (mr == MR && nr == NR) {
              micro4x8(kc, apPanel, bPanel, <usize>ldbPanel << 2, cTile, <usize>ldc << 2, alpha, betaBlock);
            } else {
              micro4x8(kc, apPanel, bPanel, <usize>ldbPanel << 2, ct, <usize>NR << 2, 1, 0);
              mergeTile(mr, nr, ct, cTile, ldc, alpha, betaBlock);
            }
          }
        }
      }
    }
  }
}

/**
 * C = alpha * A * B^T + beta * C with A stored (rows, inner) and B stored (cols, inner): every C[i, j] is the dot
 * product of two contiguous rows, so this case needs no packing at all. The convolution's weight
 * gradient has this form (dw = dy . col^T, both with the pixels contiguous), and packing col for the
 * main kernel would cost as much as building it. A (2, 4) tile of C keeps eight v128 partial sums,
 * 4 products each per step, and adds their lanes up at the end; edge tiles take one dot at a time.
 * The loops visit 4 rows of B in the outer loop and all of A in the inner one: those 4 rows stay in
 * L1 while every row of A passes over them.
 */
function gemmDots(
  rows: i32, cols: i32, inner: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  const K4 = inner & ~3; // the part of inner that fills whole v128 registers
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  for (let j = 0; j < cols; j += 4) {
    const b0 = b + <usize>j * ldbB;
    for (let i = 0; i < rows; i += 2) {
      const a0 = a + <usize>i * ldaB;
      const c0 = c + <usize>i * ldcB + (<usize>j << 2);
      if (i + 2 > rows || j + 4 > cols) { // a ragged edge: one dot product per element
        for (let ii = i; ii < min(i + 2, rows); ii++) {
          for (let jj = j; jj < min(j + 4, cols); jj++) {
            const d = dot(a + <usize>ii * ldaB, b + <usize>jj * ldbB, inner);
            const p = c + <usize>ii * ldcB + (<usize>jj << 2);
            store<f32>(p, beta == 0 ? alpha * d : alpha * d + beta * load<f32>(p));
          }
        }
        continue;
      }
      const a1 = a0 + ldaB, b1 = b0 + ldbB, b2 = b1 + ldbB, b3 = b2 + ldbB;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0); // row i
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0); // row i+1
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        let y = v128.load(b0 + o);
        s00 = f32x4.add(s00, f32x4.mul(x0, y)); s10 = f32x4.add(s10, f32x4.mul(x1, y));
        y = v128.load(b1 + o);
        s01 = f32x4.add(s01, f32x4.mul(x0, y)); s11 = f32x4.add(s11, f32x4.mul(x1, y));
        y = v128.load(b2 + o);
        s02 = f32x4.add(s02, f32x4.mul(x0, y)); s12 = f32x4.add(s12, f32x4.mul(x1, y));
        y = v128.load(b3 + o);
        s03 = f32x4.add(s03, f32x4.mul(x0, y)); s13 = f32x4.add(s13, f32x4.mul(x1, y));
      }
      let r0 = sumLanes4(s00, s01, s02, s03); // (C[i, j..j+3]) before alpha, beta and the inner tail
      let r1 = sumLanes4(s10, s11, s12, s13);
      if (K4 < inner) {
        r0 = f32x4.add(r0, tailDots4(a0, b0, ldbB, K4, inner));
        r1 = f32x4.add(r1, tailDots4(a1, b0, ldbB, K4, inner));
      }
      storeQuad(c0, r0, alpha, beta);
      storeQuad(c0 + ldcB, r1, alpha, beta);
    }
  }
}

/** (sum of s0's lanes, sum of s1's, s2's, s3's) as one v128: a 4x4 transpose, then three adds. */
@inline function sumLanes4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const t0 = v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(s0, s1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(s2, s3, 2, 6, 3, 7);
  const u = f32x4.add(t0, t1); // (s0[0]+s0[2], s1[0]+s1[2], s0[1]+s0[3], s1[1]+s1[3])
  const v = f32x4.add(t2, t3);
  return f32x4.add(v128.shuffle<f32>(u, v, 0, 1, 4, 5), v128.shuffle<f32>(u, v, 2, 3, 6, 7));
}

/** The products k in [k0, inner) of row a with four rows of b (ldbB bytes apart), as one v128. */
function tailDots4(a: usize, b: usize, ldbB: usize, k0: i32, inner: i32): v128 {
  let r = f32x4.splat(0);
  for (let k = k0; k < inner; k++) {
    const o = <usize>k << 2;
    const y = f32x4(load<f32>(b + o), load<f32>(b + ldbB + o), load<f32>(b + 2 * ldbB + o), load<f32>(b + 3 * ldbB + o));
    r = f32x4.add(r, f32x4.mul(v128.load32_splat(a + o), y));
  }
  return r;
}

/** The dot product of two contiguous rows of inner floats. */
function dot(x: usize, y: usize, inner: i32): f32 {
  let s = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= inner; k += 4) s = f32x4.add(s, f32x4.mul(v128.load(x + (<usize>k << 2)), v128.load(y + (<usize>k << 2))));
  let r: f32 = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; k < inner; k++) r += load<f32>(x + (<usize>k << 2)) * load<f32>(y + (<usize>k << 2));
  return r;
}

/** c[0..3] = alpha * r + beta * c[0..3]; with beta = 0, c is not read. */
@inline function storeQuad(c: usize, r: v128, alpha: f32, beta: f32): void {
  r = f32x4.mul(r, f32x4.splat(alpha));
  if (beta != 0) r = f32x4.add(r, f32x4.mul(v128.load(c), f32x4.splat(beta)));
  v128.store(c, r);
}

/**
 * The micro-kernel: the (4, 8) tile C = alpha * Ap * B + beta * C, summing over kc.
 * ap: (kc, MR) packed A panel; b: (kc, 8) rows of B `ldbBytes` apart; c: (4, 8) rows `ldcBytes` apart.
 */
function micro4x8(kc: i32, ap: usize, b: usize, ldbBytes: usize, c: usize, ldcBytes: usize, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0); // row 0, columns 0..3 and 4..7
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16); // B[k, 0..3], B[k, 4..7]
    let av = v128.load32_splat(ap); //                  A[0, k] in all four lanes
    c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
    ap += 16;
    b += ldbBytes;
  }
  storeRow(c, c00, c01, alpha, beta); c += ldcBytes;
  storeRow(c, c10, c11, alpha, beta); c += ldcBytes;
  storeRow(c, c20, c21, alpha, beta); c += ldcBytes;
  storeRow(c, c30, c31, alpha, beta);
}

/** c[0..7] = alpha * (lo, hi) + beta * c[0..7]; with beta = 0, c is not read. */
@inline function storeRow(c: usize, lo: v128, hi: v128, alpha: f32, beta: f32): void {
  const va = f32x4.splat(alpha);
  lo = f32x4.mul(lo, va);
  hi = f32x4.mul(hi, va);
  if (beta != 0) {
    const vb = f32x4.splat(beta);
    lo = f32x4.add(lo, f32x4.mul(v128.load(c), vb));
    hi = f32x4.add(hi, f32x4.mul(v128.load(c, 16), vb));
  }
  v128.store(c, lo);
  v128.store(c, hi, 16);
}

/** The valid (mr, nr) corner of the (MR, NR) tile ct goes into C: C = alpha * ct + beta * C. */
function mergeTile(mr: i32, nr: i32, ct: usize, c: usize, ldc: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < mr; i++) {
    const src = ct + ((<usize>i * NR) << 2);
    const dst = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      const v = alpha * load<f32>(src + o);
      store<f32>(dst + o, beta == 0 ? v : v + beta * load<f32>(dst + o));
    }
  }
}

/** C = beta * C (what gemm means when inner = 0). */
function scaleC(rows: i32, cols: i32, beta: f32, c: usize, ldc: i32): void {
  for (let i = 0; i < rows; i++) {
    const row = c + ((<usize>i * ldc) << 2);
    for (let j = 0; j < cols; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
  }
}

/**
 * Packs the (mc, kc) block of op(A) into MR-row panels: ap[panel][k][r] = op(A)[panel*MR + r, k].
 * Rows past mc are zero-filled, so the micro-kernel never needs a row count.
 * a points at op(A)[0, 0] of the block: A[row, k] at a + (row*lda + k)*4, or with transA at a + (k*lda + row)*4.
 */
function packA(transA: i32, mc: i32, kc: i32, a: usize, lda: i32, ap: usize): void {
  const ldaBytes = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    if (transA) {
      // A^T: the MR values for one k are contiguous in memory.
      let src = a + (<usize>ir << 2);
      if (mr == MR) {
        for (let k = 0; k < kc; k++) { v128.store(ap, v128.load(src)); ap += 16; src += ldaBytes; }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) store<f32>(ap + (<usize>r << 2), r < mr ? load<f32>(src + (<usize>r << 2)) : 0);
          ap += 16; src += ldaBytes;
        }
      }
    } else {
      // A itself: read MR rows side by side. Four floats of each of four rows are one 4x4 transpose.
      const r0 = a + <usize>ir * ldaBytes;
      if (mr == MR) {
        const r1 = r0 + ldaBytes, r2 = r1 + ldaBytes, r3 = r2 + ldaBytes;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5); // (x0[0], x1[0], x0[1], x1[1])
          const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          v128.store(ap, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5)); //      column k:   rows 0..3
          v128.store(ap, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16); //  column k+1
          v128.store(ap, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32); //  column k+2
          v128.store(ap, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48); //  column k+3
          ap += 64;
        }
        for (; k < kc; k++) {
          const o = <usize>k << 2;
          store<f32>(ap, load<f32>(r0 + o)); store<f32>(ap, load<f32>(r1 + o), 4);
          store<f32>(ap, load<f32>(r2 + o), 8); store<f32>(ap, load<f32>(r3 + o), 12);
          ap += 16;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const o = <usize>k << 2;
          for (let r = 0; r < MR; r++) store<f32>(ap + (<usize>r << 2), r < mr ? load<f32>(r0 + <usize>r * ldaBytes + o) : 0);
          ap += 16;
        }
      }
    }
  }
}

/**
 * B is stored (cols, inner) and we need the (kc, nc) block of B^T row-major: bp[k, j] = B[j, k], row stride ldbp
 * (nc rounded up to NR, the extra columns zeroed). b points at B[jc, pc].
 */
function packBTransposed(kc: i32, nc: i32, b: usize, ldb: i32, bp: usize, ldbp: i32): void {
  const ldbBytes = <usize>ldb << 2, ldbpBytes = <usize>ldbp << 2;
  for (let j = 0; j < ldbp; j++) {
    let dst = bp + (<usize>j << 2);
    if (j < nc) {
      let src = b + <usize>j * ldbBytes;
      for (let k = 0; k < kc; k++) { store<f32>(dst, load<f32>(src)); src += 4; dst += ldbpBytes; }
    } else {
      for (let k = 0; k < kc; k++) { store<f32>(dst, 0); dst += ldbpBytes; }
    }
  }
}

/** Copies a (kc, nr) panel of B (row stride ldb) into a (kc, NR) buffer, the columns past nr zeroed. */
function copyPanelPadded(kc: i32, nr: i32, b: usize, ldb: i32, bp: usize): void {
  const ldbBytes = <usize>ldb << 2;
  for (let k = 0; k < kc; k++) {
    for (let j = 0; j < NR; j++) store<f32>(bp + (<usize>j << 2), j < nr ? load<f32>(b + (<usize>j << 2)) : 0);
    b += ldbBytes;
    bp += <usize>NR << 2;
  }
}

@inline function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}
