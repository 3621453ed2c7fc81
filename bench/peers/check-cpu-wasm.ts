// What the checks of the bench's own TF.js-wasm kernels share (check-wasm-filter-grad.ts,
// check-wasm-depthwise-grad.ts): run the same computation on the cpu and on the wasm backend, and
// compare the results within a tolerance, logging each comparison and remembering any failure.
import * as tf from '@tensorflow/tfjs-core';

/** Runs f with TF.js on backend `name` ('cpu' or 'wasm'). */
export async function onBackend(name: string, f: () => Float32Array): Promise<Float32Array> {
  if (!(await tf.setBackend(name))) throw new Error(`setBackend(${name}) failed`);
  return f();
}

/** Comparisons of cpu and wasm results: max |cpu - wasm| / max(1, max |cpu|) must be at most `tol`. */
export class CpuWasmCheck {
  failed = false;
  constructor(readonly tol: number, private readonly log: (s: string) => void = (s) => console.log(s)) {}

  compare(what: string, cpu: Float32Array, wasm: Float32Array): void {
    let maxDiff = 0, maxRef = 0;
    for (let i = 0; i < cpu.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(cpu[i] - wasm[i])); maxRef = Math.max(maxRef, Math.abs(cpu[i])); }
    const rel = maxDiff / Math.max(1, maxRef);
    const ok = cpu.length === wasm.length && rel <= this.tol;
    if (!ok) this.failed = true;
    this.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: max |cpu - wasm| = ${maxDiff.toExponential(2)} (max |cpu| ${maxRef.toFixed(2)}, scaled ${rel.toExponential(2)})`);
  }

  /** Logs the verdict and exits: 0 when every check passed, else 1. */
  finish(): never {
    this.log(this.failed ? 'FAILED' : `all checks passed (tolerance ${this.tol})`);
    process.exit(this.failed ? 1 : 0);
  }
}
