// Same seed, same bits, on every backend: the kernel refactor of issue 26 (backends by name, the one
// fallback wrapper, conv2d-fast.ts split) changed no trained bit. Each zoo model (and a model with a
// grouped and a dilated conv, which have no wasm kernel) is trained 3 SGD steps on a fixed batch on
// 'naive', 'ts' and 'wasm', then run once in evaluation mode (the fused conv+ReLU+pool inference
// path); the SHA-256 of its weights and of those logits must equal the hashes below.
//
// The hashes were recorded on the code BEFORE the refactor (commit dd7a9db), with
//   SAME_BITS_PRINT=1 npx vitest run test/same-bits.test.ts
// which prints the table instead of checking it. Float32 throughout; the 'naive' and 'ts' hashes
// differ from each other (different summation orders), which is why each backend has its own.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conv2D, Flatten, Dense, ReLU, Sequential, SGD, Tensor, createRng } from '../src/index.ts';
import type { Backend } from '../src/kernels/backend.ts';
import { getWasmKernels, wasmStatus } from '../src/kernels/wasm/loader.ts';
import { ensureWasmBuilt } from '../src/kernels/wasm/build.ts';
import { trainStep } from '../src/train/step.ts';
import { ZOO } from '../src/train/zoo.ts';

function groupedDilated(seed: number): Sequential {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }), new ReLU(),
    new Conv2D({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, rng }), new ReLU(), // 1 < groups < C
    new Conv2D({ inChannels: 6, outChannels: 4, kernelSize: 3, dilation: 2, rng }), new ReLU(), // dilation 2
    new Flatten(), new Dense({ inFeatures: 4 * 24 * 24, outFeatures: 10, rng }),
  ]);
}

const MODELS: Record<string, (seed: number) => Sequential> = {
  ...Object.fromEntries(Object.values(ZOO).map((z) => [z.name, z.build as (seed: number) => Sequential])),
  'grouped-dilated': groupedDilated,
};

const BATCH = 4;
const rngData = createRng(7);
const x = new Tensor([BATCH, 1, 28, 28], Float32Array.from({ length: BATCH * 784 }, () => rngData.uniform()));
const labels = [3, 1, 4, 1];

function trainedHash(make: (seed: number) => Sequential, backend: Backend): string {
  const model = make(5).setBackend(backend);
  const opt = new SGD(model.params(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  for (let step = 0; step < 3; step++) trainStep(model, opt, x, labels);
  model.eval();
  const logits = model.forward(x);
  const h = createHash('sha256');
  for (const p of model.params()) h.update(new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
  h.update(new Uint8Array(logits.data.buffer, logits.data.byteOffset, logits.data.byteLength));
  return h.digest('hex').slice(0, 16);
}

// Recorded before the refactor (see the header).
const RECORDED: Record<string, Record<Backend, string>> = {
  digits: { naive: 'bfa45ab7db463d42', ts: 'fab6b469685c0cd8', wasm: '3ecd18a096385eb9' },
  lenet5: { naive: 'd4ba2fd4a6b73b31', ts: '7c1a4f9e811936cc', wasm: 'ef1d3e938720ebbc' },
  'vgg-mini': { naive: '13a58c7b136bb0ac', ts: 'dd335848ff36a0dc', wasm: 'ae42afd16b528da5' },
  'resnet-mini': { naive: 'fed3e7ab222ae603', ts: '1516072e3f9dc7e3', wasm: 'ef6886da34c79243' },
  'mobilenet-mini': { naive: '3e9a65b6c7e2a86f', ts: '1d32a4691389f008', wasm: '7ca0606fd93d743e' },
  'grouped-dilated': { naive: '522ff711492a34ca', ts: '5f292fdef3971332', wasm: 'b5d445601eb8f3b5' },
};

const PRINT = process.env.SAME_BITS_PRINT === '1';
const printed: Record<string, Partial<Record<Backend, string>>> = {};

beforeAll(async () => {
  await ensureWasmBuilt();
  if (!getWasmKernels()) throw new Error(`wasm kernels unavailable: ${wasmStatus()}`);
}, 180_000);
afterAll(() => {
  if (PRINT) console.log(JSON.stringify(printed, null, 2));
});

describe.each(Object.keys(MODELS))('%s trained 3 steps', (name) => {
  it.each(['naive', 'ts', 'wasm'] as const)('on %s has the recorded weights and logits, bit for bit', (backend) => {
    const got = trainedHash(MODELS[name], backend);
    if (PRINT) (printed[name] ??= {})[backend] = got;
    else expect(got).toBe(RECORDED[name]?.[backend]);
  });
});
