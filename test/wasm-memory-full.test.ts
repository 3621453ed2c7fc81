// When WebAssembly memory cannot hold a call (wasm/memory.ts): reserve() refuses with a
// WasmMemoryError before growing or writing anything, a tensor that would live in wasm memory is an
// ordinary array instead, and every fast kernel runs that call on its TypeScript path, with the
// same results; later calls still use wasm. The real limit (4 GiB) is too big to reach in a test,
// so the memory is made "full" by making reserve() refuse anything beyond what it already has.
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';
import { WASM_MAX_BYTES, WasmMemoryError, getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

function net(backend: 'ts' | 'wasm') {
  const rng = createRng(9);
  const model = new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }), new ReLU(), new MaxPool2D({ kernelSize: 2 }),
    new Conv2D({ inChannels: 4, outChannels: 4, kernelSize: 3, groups: 4, padding: 1, rng }), // depthwise
    new Flatten(), new Dense({ inFeatures: 4 * 7 * 7, outFeatures: 10, rng }),
  ]);
  for (const layer of model.layers) layer.setBackend(backend);
  return model;
}

describe('wasm memory that cannot grow', () => {
  it('reserve() beyond 4 GiB throws a WasmMemoryError and leaves the memory as it was', () => {
    const wasm = getWasmKernels()!;
    const before = wasm.exports.memory.buffer.byteLength;
    expect(() => wasm.reserve(WASM_MAX_BYTES + 64)).toThrow(WasmMemoryError);
    expect(() => wasm.reserve(WASM_MAX_BYTES + 64)).toThrow(/^wasm kernels: 4096 MiB of WebAssembly memory needed, \d+ MiB in use: above the 4 GiB/);
    expect(wasm.exports.memory.buffer.byteLength).toBe(before);
  });

  it('every kernel falls back to TypeScript, with the same results, and wasm works again afterwards', () => {
    const wasm = getWasmKernels()!;
    const rng = createRng(4);
    const x = new Tensor([3, 1, 14, 14]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    const dy = new Tensor([3, 10]);
    for (let i = 0; i < dy.size; i++) dy.data[i] = rng.normal();
    const run = (backend: 'ts' | 'wasm') => {
      const m = net(backend);
      const y = m.forward(x);
      const dx = m.backward(dy);
      return { y: Array.from(y.data), dx: Array.from(dx.data), dw: Array.from(m.params()[0].grad.data) };
    };
    const ts = run('ts');
    const real = wasm.reserve.bind(wasm);
    let refused = 0;
    wasm.reserve = (end: number) => {
      if (end > wasm.exports.memory.buffer.byteLength) { refused++; throw new WasmMemoryError(end, 0, 'full (test)'); }
      real(end);
    };
    let full;
    try {
      // Fresh layers whose workspaces must be allocated: everything beyond the current memory is refused.
      full = run('wasm');
    } finally {
      wasm.reserve = real;
    }
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * (1 + Math.abs(b[i])));
    expect(close(full.y, ts.y) && close(full.dx, ts.dx) && close(full.dw, ts.dw)).toBe(true);
    const again = run('wasm');
    expect(close(again.y, ts.y) && close(again.dx, ts.dx)).toBe(true);
    expect(refused).toBeGreaterThan(0); // the fallback was really taken
  });
});
