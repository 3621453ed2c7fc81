// Tensors that live in wasm memory (src/kernels/wasm/memory.ts): the block allocator, and the
// contract that keeping a layer's output in wasm memory changes nothing but speed: the same bits as
// the copy path, inputs never modified, and old outputs still valid after the memory grows.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, createRng } from '../src/index.ts';
import { conv2dBackwardFast, conv2dForwardFast } from '../src/kernels/conv2d-fast.ts';
import { maxPool2dBackwardFast, maxPool2dForwardFast } from '../src/kernels/max-pool2d-fast.ts';
import { denseBackwardFast, denseForwardFast } from '../src/kernels/dense-fast.ts';
import { reluBackwardFast, reluForwardFast } from '../src/kernels/relu-fast.ts';
import { createWorkspace } from '../src/kernels/workspace.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { Blocks } from '../src/kernels/wasm/memory.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { rand } from './helpers.ts';

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);

describe('Blocks (the allocator of blocks kept in wasm memory)', () => {
  it('allocates 64-aligned blocks, reuses freed ones first-fit, merges neighbours, gives the top back', () => {
    const b = new Blocks(1024);
    const a1 = b.alloc(100), a2 = b.alloc(64), a3 = b.alloc(1);
    expect([a1, a2, a3]).toEqual([1024, 1024 + 128, 1024 + 192]);
    expect(b.top).toBe(1024 + 256);
    b.release(a1);
    expect(b.alloc(64)).toBe(1024); // first fit, split
    expect(b.alloc(64)).toBe(1024 + 64); // the rest of the freed block
    b.release(1024);
    b.release(1024 + 64);
    b.release(a2); // merges with both freed halves: one free block of 192 bytes
    expect(b.alloc(192)).toBe(1024);
    b.release(1024);
    b.release(a3); // the top block: the top comes down past the merged free space
    expect(b.top).toBe(1024);
    expect(b.liveBytes).toBe(0);
    expect(() => b.release(5000)).toThrow(/no block at 5000/);
  });
});

describe('layer outputs in wasm memory (the shared-memory build)', () => {
  const wasm = getWasmKernels();
  const shared = wasm?.shared === true;

  it.runIf(shared)('a conv -> relu -> pool -> dense chain gives the same bits as the copy path, forward and backward', () => {
    const x = rand([3, 2, 10, 9], 'x'), w1 = rand([4, 2, 3, 3], 'w1'), b1 = rand([4], 'b1');
    const w2 = rand([5, 4 * 5 * 4], 'w2'), b2 = rand([5], 'b2'), dy = rand([3, 5], 'dy');
    const p = { stride: 1, padding: 1 };
    const run = (useWs: boolean) => {
      const ws = () => (useWs ? createWorkspace() : undefined); // no workspace: fresh ordinary arrays
      const c = conv2dForwardFast(x, w1, b1, p, { ws: ws() });
      const r = reluForwardFast(c.out, { ws: ws() });
      const m = maxPool2dForwardFast(r.out, { kernelSize: 2, stride: 2 }, { ws: ws() });
      const flat = m.out.reshape([3, 4 * 5 * 4]);
      const d = denseForwardFast(flat, w2, b2, { ws: ws() });
      const gd = denseBackwardFast(dy, d.cache, { ws: ws() });
      const gm = maxPool2dBackwardFast(gd.dx.reshape(m.out.shape), m.cache, { ws: ws() });
      const gr = reluBackwardFast(gm.dx, r.cache, { ws: ws() });
      const gc = conv2dBackwardFast(gr.dx, c.cache, { ws: ws() });
      return { outs: [c.out, r.out, m.out, d.out, gd.dx, gm.dx, gr.dx, gc.dx], grads: [gd.dw, gc.dw, gc.db!] };
    };
    const kept = run(true), copied = run(false);
    for (const t of kept.outs) expect(wasm!.addressOf(t.data), 'an output kept in wasm memory').not.toBeNull();
    for (const t of copied.outs) expect(wasm!.addressOf(t.data), 'an ordinary array').toBeNull();
    kept.outs.forEach((t, i) => expect(Array.from(t.data), `output ${i}`).toEqual(Array.from(copied.outs[i].data)));
    kept.grads.forEach((t, i) => expect(Array.from(t.data), `grad ${i}`).toEqual(Array.from(copied.grads[i].data)));
  });

  it.runIf(shared)('kernels do not modify their inputs (conv backward with a fused ReLU masks a copy of dout)', () => {
    const x = rand([2, 3, 7, 7], 'x2'), w = rand([4, 3, 3, 3], 'w2');
    const ws = createWorkspace();
    const f = conv2dForwardFast(x, w, null, { stride: 1, padding: 1 }, { ws: ws, relu: true });
    const relu = reluForwardFast(rand([2, 4, 7, 7], 'd'), { ws: createWorkspace() }); // a dout that lives in wasm memory
    const dout = relu.out;
    expect(wasm!.addressOf(dout.data)).not.toBeNull();
    const before = Array.from(dout.data), outBefore = Array.from(f.out.data), xBefore = Array.from(x.data);
    conv2dBackwardFast(dout, f.cache, { ws, reluOutput: f.out });
    expect(Array.from(dout.data)).toEqual(before);
    expect(Array.from(f.out.data)).toEqual(outBefore);
    expect(Array.from(x.data)).toEqual(xBefore);
  });

  it.runIf(shared)('outputs stay valid when the memory grows, and the next kernel still reads them in place', () => {
    const x = rand([2, 3, 8, 8], 'x3'), w = rand([5, 3, 3, 3], 'w3');
    const ws = createWorkspace();
    const out = conv2dForwardFast(x, w, null, { stride: 1, padding: 0 }, { ws }).out;
    const values = Array.from(out.data);
    const pagesBefore = wasm!.exports.memory.buffer.byteLength;
    const big = wasm!.residentF32(4 << 20); // 16 MB: the memory must grow
    expect(wasm!.exports.memory.buffer.byteLength).toBeGreaterThan(pagesBefore);
    expect(Array.from(out.data)).toEqual(values); // the old view still reads the same bytes
    const pooled = maxPool2dForwardFast(out, { kernelSize: 2, stride: 2 }, { ws: createWorkspace() }).out;
    const ref = maxPool2dForwardFast(new Tensor(out.shape, Float32Array.from(values)), { kernelSize: 2, stride: 2 }).out;
    expect(Array.from(pooled.data)).toEqual(Array.from(ref.data));
    expect(big!.length).toBe(4 << 20);
  });

  it.runIf(shared)('a workspace reallocates when the shape changes, and reuses its block when it does not', () => {
    const ws = createWorkspace();
    const a = reluForwardFast(rand([2, 3], 'a'), { ws }).out;
    const b = reluForwardFast(rand([2, 3], 'b'), { ws }).out;
    expect(b.data).toBe(a.data); // same shape: the same block
    const c = reluForwardFast(rand([4, 3], 'c'), { ws }).out;
    expect(c.data).not.toBe(a.data);
    expect(wasm!.addressOf(c.data)).not.toBeNull();
  });

  it.runIf(shared)('alternating batch sizes in a synchronous loop do not pile up blocks (training, then evaluating, every epoch)', () => {
    // Garbage collection cannot free the dropped blocks here: finalizers wait for the event loop,
    // and this loop never yields, like fit(). The workspace must free a block when it replaces it.
    const w = rand([4, 2, 3, 3], 'w5'), ws = createWorkspace(), poolWs = createWorkspace();
    const live: number[] = [];
    for (let epoch = 0; epoch < 40; epoch++) {
      for (const n of [8, 3]) { // the "training" batch size, then the "evaluation" one
        const c = conv2dForwardFast(rand([n, 2, 9, 9], `x${n}`), w, null, { stride: 1, padding: 1 }, { ws });
        maxPool2dForwardFast(c.out, { kernelSize: 2, stride: 2 }, { ws: poolWs });
      }
      live.push(wasm!.blocks.liveBytes);
    }
    expect(live[live.length - 1]).toBe(live[1]); // it grew by a block per buffer per round without the fix
  });
});
