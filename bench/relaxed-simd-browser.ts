// Does relaxed SIMD (build/kernels-relaxed.wasm, fused multiply-add) work in a browser page that is
// NOT cross-origin isolated? Measured, not assumed: Debian's Chromium (test/browser/browser.ts), a
// page served over http://127.0.0.1 without COOP/COEP headers (so crossOriginIsolated is false and
// SharedArrayBuffer is absent), and, for comparison, the same page with the isolation headers.
//
//   npx tsx bench/relaxed-simd-browser.ts [--json FILE]
//
// For each page it reports: crossOriginIsolated; WebAssembly.validate of the plain and the relaxed
// build; whether each instantiates (the relaxed build declares a SHARED memory, see
// src/kernels/wasm/build.ts); and a tiny module with one f32x4.relaxed_madd and no memory at all,
// validated and run (does the engine have relaxed SIMD, whatever the memory?); and the conv kernel
// run by both builds on the same operands: their difference and their speed.

import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromiumMissing, launchChromium } from '../test/browser/browser.ts';

const { values } = parseArgs({ options: { json: { type: 'string' } } });
const missing = chromiumMissing();
if (missing) throw new Error(missing);

const plain = readFileSync(fileURLToPath(new URL('../build/kernels.wasm', import.meta.url)));
const relaxed = readFileSync(fileURLToPath(new URL('../build/kernels-relaxed.wasm', import.meta.url)));

// (module (func (export "fma") (param f32 f32 f32) (result f32)
//   (f32x4.extract_lane 0 (f32x4.relaxed_madd (f32x4.splat a) (f32x4.splat b) (f32x4.splat c)))))
// relaxed_madd is 0xfd 0x85 0x02 (opcode 0x105, LEB128).
const fmaOnly = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d, // type: (f32 f32 f32) -> f32
  0x03, 0x02, 0x01, 0x00, // func 0: type 0
  0x07, 0x07, 0x01, 0x03, 0x66, 0x6d, 0x61, 0x00, 0x00, // export "fma"
  0x0a, 0x16, 0x01, 0x14, 0x00, // code section (22 bytes): 1 body of 20 bytes, no locals
  0x20, 0x00, 0xfd, 0x13, // local.get 0, f32x4.splat
  0x20, 0x01, 0xfd, 0x13,
  0x20, 0x02, 0xfd, 0x13,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0xfd, 0x1f, 0x00, // f32x4.extract_lane 0
  0x0b,
]);

const page = `<!doctype html><meta charset="utf-8"><title>relaxed SIMD probe</title><script type="module">
async function bytes(name) { return new Uint8Array(await (await fetch(name)).arrayBuffer()); }
async function tryInstantiate(b) {
  try { const { instance } = await WebAssembly.instantiate(b, {}); return { ok: true, relaxedSimd: instance.exports.relaxedSimd ? instance.exports.relaxedSimd() : null }; }
  catch (e) { return { ok: false, error: String(e && e.message || e) }; }
}
const plain = await bytes('kernels.wasm'), relaxed = await bytes('kernels-relaxed.wasm'), fma = await bytes('fma.wasm');
const r = { crossOriginIsolated: self.crossOriginIsolated, sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
  userAgent: navigator.userAgent,
  plain: { validates: WebAssembly.validate(plain), instantiate: await tryInstantiate(plain) },
  relaxed: { validates: WebAssembly.validate(relaxed), instantiate: await tryInstantiate(relaxed) },
  fmaOnly: { validates: WebAssembly.validate(fma) } };
try { const { instance } = await WebAssembly.instantiate(fma, {}); r.fmaOnly.result = instance.exports.fma(2, 3, 1); } catch (e) { r.fmaOnly.error = String(e.message || e); }
// The conv kernel (wasm/assembly/conv.ts: its multiply-adds are madd, a fused relaxed_madd in the
// relaxed build) on the same seeded operands in both builds: the largest difference relative to the
// output's scale, and the median time over 15 samples of 5 calls each, interleaved.
async function convRun(b) {
  const { instance } = await WebAssembly.instantiate(b, {});
  const e = instance.exports;
  const [N, C, H, W, F] = [32, 16, 14, 14, 16], OH = H, OW = W;
  const base = (e.heapBase() + 63) & ~63, xPtr = base, wPtr = xPtr + N * C * H * W * 4, oPtr = wPtr + F * C * 9 * 4, sPtr = oPtr + N * F * OH * OW * 4;
  const end = sPtr + e.conv2dForwardScratch(C, H, W, F, 3, 3, 1, 1, OH, OW) + 64;
  const have = e.memory.buffer.byteLength;
  if (end > have) e.memory.grow(Math.ceil((end - have) / 65536));
  const f32 = new Float32Array(e.memory.buffer);
  let s = 1; const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; };
  for (let i = 0; i < N * C * H * W; i++) f32[xPtr / 4 + i] = rnd();
  for (let i = 0; i < F * C * 9; i++) f32[wPtr / 4 + i] = rnd();
  const call = () => e.conv2dForward(xPtr, wPtr, 0, oPtr, N, C, H, W, F, 3, 3, 1, 1, OH, OW, sPtr, 0);
  call();
  return { call, out: () => Float32Array.from(new Float32Array(e.memory.buffer, oPtr, N * F * OH * OW)) };
}
try {
  const a = await convRun(plain), b = await convRun(relaxed);
  const ya = a.out(), yb = b.out();
  let err = 0, scale = 0;
  for (let i = 0; i < ya.length; i++) { err = Math.max(err, Math.abs(ya[i] - yb[i])); scale = Math.max(scale, Math.abs(ya[i])); }
  const ta = [], tb = [];
  for (let k = 0; k < 15; k++) { let t = performance.now(); for (let j = 0; j < 5; j++) a.call(); ta.push((performance.now() - t) / 5); t = performance.now(); for (let j = 0; j < 5; j++) b.call(); tb.push((performance.now() - t) / 5); }
  const med = (v) => v.sort((p, q) => p - q)[v.length >> 1];
  r.conv = { shape: 'N32 C16 14x14 F16 3x3 p1', relDiff: err / scale, plainMs: med(ta), relaxedMs: med(tb), speedup: med(ta.map((t, k) => t / tb[k])) };
} catch (e) { r.conv = { error: String(e.message || e) }; }
window.__result = r;
</script>`;

function serve(isolated: boolean): Promise<{ url: string; close: () => void }> {
  const files: Record<string, [Uint8Array | string, string]> = {
    '/': [page, 'text/html'], '/kernels.wasm': [plain, 'application/wasm'],
    '/kernels-relaxed.wasm': [relaxed, 'application/wasm'], '/fma.wasm': [fmaOnly, 'application/wasm'],
  };
  const server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) { res.writeHead(404).end(); return; }
    const headers: Record<string, string> = { 'content-type': f[1] };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.writeHead(200, headers).end(f[0]);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`, close: () => server.close() });
  }));
}

const browser = await launchChromium();
const results: Record<string, unknown> = { browser: browser.version(), date: new Date().toISOString() };
try {
  for (const isolated of [false, true]) {
    const { url, close } = await serve(isolated);
    const p = await browser.newPage();
    await p.goto(url);
    await p.waitForFunction(() => (globalThis as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout: 120_000 });
    results[isolated ? 'isolated' : 'notIsolated'] = await p.evaluate(() => (globalThis as unknown as { __result: unknown }).__result);
    await p.close();
    close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results, null, 2));
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
