// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// Max pooling, forward (with the argmax the backward pass needs) and backward, float32.
// The TypeScript twin is ../../max-pool2d-fast.ts; the semantics are the naive kernel's exactly:
// a candidate v beats the current best when v > best or v is NaN (so a NaN propagates), which on
// ties keeps the first maximum in reading order.
//
// Glossary: N = batch, C = channels, H, W = input size, KH = window size (KH x KH, KW = KH), S = stride,
// OH, OW = output size. argmax holds, for each output, the flat index into x (N, C, H, W) of its winner.
// JavaScript branches on "v > best" mispredict half the time on real activations; here every choice
// is a select (no branch), and the 2x2 stride-2 case handles four windows per v128.

/**
 * out (N, C, OH, OW) = the max over each window of x (N, C, H, W); argmax (N, C, OH, OW) its index.
 */
export function maxPool2dForward(
  x: usize, N: i32, C: i32, H: i32, W: i32, KH: i32, S: i32, OH: i32, OW: i32, out: usize, argmax: usize,
): void {
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W; // x[n, c] starts at this flat index
    const o = <usize>plane * OH * OW; // and out[n, c] at this one
    if (KH == 2 && S == 2) pool2x2(x, base, W, OH, OW, out + (o << 2), argmax + (o << 2));
    else poolAny(x, base, W, KH, S, OH, OW, out + (o << 2), argmax + (o << 2));
  }
}

/**
 * One plane, 2x2 windows, stride 2: four windows at a time. When OW is not a multiple of 4, the last
 * step is moved back to end at OW: it recomputes a few windows, harmlessly (same values, same places).
 */
function pool2x2(x: usize, base: i32, W: i32, OH: i32, OW: i32, out: usize, argmax: usize): void {
  if (OW < 4) { poolAny(x, base, W, 2, 2, OH, OW, out, argmax); return; }
  const lanes = i32x4(0, 2, 4, 6); // the flat-index offsets of four windows' left columns
  const one = i32x4.splat(1), down = i32x4.splat(W), diag = i32x4.splat(W + 1);
  for (let i = 0; i < OH; i++) {
    const row0 = base + 2 * i * W; // flat index of x[n, c, 2i, 0]
    const p0 = x + (<usize>row0 << 2), p1 = p0 + (<usize>W << 2); // the two input rows
    for (let j = 0; j < OW; j += 4) {
      if (j + 4 > OW) j = OW - 4;
      const o = <usize>(i * OW + j) << 2;
      const q = <usize>(2 * j) << 2;
      const u0 = v128.load(p0 + q), u1 = v128.load(p0 + q, 16); // row 2i,   columns 2j .. 2j+7
      const l0 = v128.load(p1 + q), l1 = v128.load(p1 + q, 16); // row 2i+1
      // The four candidates of each window, in the naive kernel's order: top-left, top-right, bottom-left, bottom-right.
      const a = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6), b = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
      const c = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6), d = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7);
      const ia = i32x4.add(i32x4.splat(row0 + 2 * j), lanes);
      let best = a, where = ia;
      let win = v128.or(f32x4.gt(b, best), f32x4.ne(b, b)); // b wins: larger, or NaN
      best = v128.bitselect(b, best, win); where = v128.bitselect(i32x4.add(ia, one), where, win);
      win = v128.or(f32x4.gt(c, best), f32x4.ne(c, c));
      best = v128.bitselect(c, best, win); where = v128.bitselect(i32x4.add(ia, down), where, win);
      win = v128.or(f32x4.gt(d, best), f32x4.ne(d, d));
      best = v128.bitselect(d, best, win); where = v128.bitselect(i32x4.add(ia, diag), where, win);
      v128.store(out + o, best);
      v128.store(argmax + o, where);
    }
  }
}

/**
 * One plane, any window and stride: four windows side by side in the lanes of a v128 (their
 * candidates gathered lane by lane, S floats apart), so one compare-and-select serves four windows
 * and the four dependency chains run in parallel. As in pool2x2, a ragged last step is moved back.
 */
function poolAny(x: usize, base: i32, W: i32, KH: i32, S: i32, OH: i32, OW: i32, out: usize, argmax: usize): void {
  if (OW < 4) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const o = <usize>(i * OW + j) << 2;
        window(x, base + i * S * W + j * S, W, KH, out + o, argmax + o);
      }
    }
    return;
  }
  const lanes = i32x4(0, S, 2 * S, 3 * S); // the four windows' offsets from the first one
  const sb = <usize>S << 2;
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j += 4) {
      if (j + 4 > OW) j = OW - 4;
      const c0 = base + i * S * W + j * S; // flat index of window j's top-left input
      const corners = i32x4.add(i32x4.splat(c0), lanes);
      let best = gather4(x + (<usize>c0 << 2), sb);
      let where = corners;
      for (let m = 0; m < KH; m++) {
        for (let k = 0; k < KH; k++) {
          const d = m * W + k;
          const v = gather4(x + (<usize>(c0 + d) << 2), sb);
          const win = v128.or(f32x4.gt(v, best), f32x4.ne(v, v)); // larger, or NaN
          best = v128.bitselect(v, best, win);
          where = v128.bitselect(i32x4.add(corners, i32x4.splat(d)), where, win);
        }
      }
      const o = <usize>(i * OW + j) << 2;
      v128.store(out + o, best);
      v128.store(argmax + o, where);
    }
  }
}

/** (p[0], p[step], p[2 step], p[3 step]) as floats, step in bytes. */
@inline function gather4(p: usize, step: usize): v128 {
  let v = v128.load32_zero(p);
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
}

/** The KH x KH window whose top-left input has flat index `corner`: its max into *out, its index into *argmax. */
function window(x: usize, corner: i32, W: i32, KH: i32, out: usize, argmax: usize): void {
  let best = load<i32>(x + (<usize>corner << 2)); // the bits of the float
  let where = corner;
  for (let m = 0; m < KH; m++) {
    for (let k = 0; k < KH; k++) {
      const idx = corner + m * W + k;
      const v = load<i32>(x + (<usize>idx << 2));
      const win = beats(v, best);
      best = select<i32>(v, best, win);
      where = select<i32>(idx, where, win);
    }
  }
  store<i32>(out, best);
  store<i32>(argmax, where);
}

/** Whether the float with bits v beats the float with bits best: v > best, or v is NaN. */
@inline function beats(v: i32, best: i32): bool {
  const fv = reinterpret<f32>(v), fb = reinterpret<f32>(best);
  return <bool>(<i32>(fv > fb) | <i32>(fv != fv));
}

/** dx (len values) = 0, then dx[argmax[o]] += dy[o] for every output o (outLen of them). */
export function maxPool2dBackward(dy: usize, argmax: usize, outLen: i32, dx: usize, len: i32): void {
  memory.fill(dx, 0, <usize>len << 2);
  for (let o = 0; o < outLen; o++) {
    const p = dx + (<usize>load<i32>(argmax + (<usize>o << 2)) << 2);
    store<f32>(p, load<f32>(p) + load<f32>(dy + (<usize>o << 2)));
  }
}

/**
 * out (C, OH, OW) = the max over each KH x KH window (stride S) of x (C, H, W): maxPool2dForward's
 * values, by the same comparisons in the same order (so the same bits, NaN and -0 included), without
 * the argmax, which only a backward pass needs. For inference: conv2dForwardPooled (conv.ts) pools
 * one image's convolution with it while that is still in cache.
 */
export function maxPoolValues(x: usize, C: i32, H: i32, W: i32, KH: i32, S: i32, OH: i32, OW: i32, out: usize): void {
  for (let c = 0; c < C; c++) {
    const plane = x + ((<usize>c * H * W) << 2), o = out + ((<usize>c * OH * OW) << 2);
    if (KH == 2 && S == 2 && OW >= 4) values2x2(plane, W, OH, OW, o);
    else valuesAny(plane, W, KH, S, OH, OW, o);
  }
}

/** One plane, 2x2 windows, stride 2, four windows at a time (pool2x2 without the argmax). */
function values2x2(x: usize, W: i32, OH: i32, OW: i32, out: usize): void {
  for (let i = 0; i < OH; i++) {
    const p0 = x + ((<usize>2 * i * W) << 2), p1 = p0 + (<usize>W << 2); // the two input rows
    for (let j = 0; j < OW; j += 4) {
      if (j + 4 > OW) j = OW - 4;
      const q = <usize>(2 * j) << 2;
      const u0 = v128.load(p0 + q), u1 = v128.load(p0 + q, 16); // row 2i,   columns 2j .. 2j+7
      const l0 = v128.load(p1 + q), l1 = v128.load(p1 + q, 16); // row 2i+1
      const a = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6), b = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
      const c = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6), d = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7);
      let best = a;
      best = v128.bitselect(b, best, v128.or(f32x4.gt(b, best), f32x4.ne(b, b))); // b wins: larger, or NaN
      best = v128.bitselect(c, best, v128.or(f32x4.gt(c, best), f32x4.ne(c, c)));
      best = v128.bitselect(d, best, v128.or(f32x4.gt(d, best), f32x4.ne(d, d)));
      v128.store(out + (<usize>(i * OW + j) << 2), best);
    }
  }
}

/** One plane, any window and stride (poolAny without the argmax): four windows per v128 when OW >= 4. */
function valuesAny(x: usize, W: i32, KH: i32, S: i32, OH: i32, OW: i32, out: usize): void {
  const sb = <usize>S << 2;
  for (let i = 0; i < OH; i++) {
    let j = 0;
    if (OW >= 4) {
      for (; j < OW; j += 4) {
        if (j + 4 > OW) j = OW - 4;
        const corner = x + ((<usize>(i * S * W + j * S)) << 2); // window j's top-left input
        let best = gather4(corner, sb);
        for (let m = 0; m < KH; m++) {
          for (let k = 0; k < KH; k++) {
            const v = gather4(corner + ((<usize>(m * W + k)) << 2), sb);
            best = v128.bitselect(v, best, v128.or(f32x4.gt(v, best), f32x4.ne(v, v))); // larger, or NaN
          }
        }
        v128.store(out + (<usize>(i * OW + j) << 2), best);
      }
      continue;
    }
    for (; j < OW; j++) {
      const corner = x + ((<usize>(i * S * W + j * S)) << 2);
      let best = load<i32>(corner); // the bits of the float
      for (let m = 0; m < KH; m++) {
        for (let k = 0; k < KH; k++) {
          const v = load<i32>(corner + ((<usize>(m * W + k)) << 2));
          best = select<i32>(v, best, beats(v, best));
        }
      }
      store<i32>(out + (<usize>(i * OW + j) << 2), best);
    }
  }
}
