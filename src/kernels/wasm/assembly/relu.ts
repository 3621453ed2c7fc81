// This file is AssemblyScript (compiled by asc, see ../build.ts), not TypeScript: the root
// tsconfig.json excludes this folder, whose own tsconfig.json uses AssemblyScript's types.
//
// ReLU, forward and backward, float32, four values per v128. The TypeScript twin is ../../relu-fast.ts.
// In JavaScript `x < 0 ? 0 : x` is a branch that mispredicts on half of real activations; here it is
// one instruction: f32x4.pmax(x, 0) is exactly `x < 0 ? 0 : x` (NaN and -0 pass through, as in the
// naive kernel).

/** out (n values) = x < 0 ? 0 : x. out may be x. */
export function reluForward(x: usize, n: i32, out: usize): void {
  const zero = f32x4.splat(0);
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const o = <usize>t << 2;
    v128.store(out + o, f32x4.pmax(v128.load(x + o), zero));
  }
  for (; t < n; t++) {
    const v = load<f32>(x + (<usize>t << 2));
    store<f32>(out + (<usize>t << 2), v < 0 ? 0 : v);
  }
}

/** dx (n values) = y > 0 ? dy : 0, y being the forward output (> 0 exactly where x > 0). dx may be dy. */
export function reluBackward(y: usize, dy: usize, n: i32, dx: usize): void {
  const zero = f32x4.splat(0);
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const o = <usize>t << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; t < n; t++) {
    const o = <usize>t << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
