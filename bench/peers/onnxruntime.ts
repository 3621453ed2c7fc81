// ONNX Runtime's side of the benchmark, inference only (ONNX Runtime does not train these models):
// the model miniconv.ts trained, exported by miniconv's exportOnnx (--save-onnx), run on the same test
// images in the same batches, timed the same way (up to INFER_WARMUP_PASSES untimed passes within
// INFER_WARMUP_MS, then the median of --infer-runs passes), one thread. Reports the same JSON line as
// the other peers, without the training fields.
//
//   npx tsx bench/peers/onnxruntime.ts --fixture FILE --onnx MODEL.onnx --runtime node|web [--infer-images N]
//
// --runtime node: onnxruntime-node, the native build (CPU execution provider, intraOpNumThreads 1).
// --runtime web: onnxruntime-web, the WebAssembly build (SIMD), run in Node with ort.env.wasm.numThreads = 1.
import { existsSync, readFileSync } from 'node:fs';
import { CLASSES, INFER_WARMUP_MS, PIXELS, countCorrect, finish, loadData, loadFixture, median, parseArgs, peakRssMB, resolveRun, round, runPeer } from './common.ts';

const argv = process.argv.slice(2);
const at = argv.indexOf('--runtime');
const runtime = at >= 0 ? argv[at + 1] : undefined;
if (at >= 0) argv.splice(at, 2);
const args = parseArgs(argv);
const library = `onnxruntime-${runtime ?? '?'}`;

/** The part of onnxruntime-node's and onnxruntime-web's API this script uses (the two share onnxruntime-common's types). */
type Ort = typeof import('onnxruntime-common') & { env: { wasm: { numThreads?: number } } };

runPeer(library, { threads: 1 }, async () => {
  if (runtime !== 'node' && runtime !== 'web') throw new Error(`--runtime must be 'node' or 'web', got ${runtime === undefined ? 'nothing' : `'${runtime}'`}`);
  if (!args.onnx) throw new Error('--onnx FILE is required: the model miniconv.ts wrote with --save-onnx');
  if (!existsSync(args.onnx)) throw new Error(`${args.onnx} does not exist: run miniconv's 1-thread entry first (bench/run.ts does), it exports the trained model there`);
  const fx = loadFixture(args.fixture);
  const data = loadData();
  const run = resolveRun(fx, args, data);

  let ort: Ort, version: string;
  if (runtime === 'node') {
    ort = (await import('onnxruntime-node')) as unknown as Ort;
    version = JSON.parse(readFileSync(new URL('../../node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8')).version;
  } else {
    ort = (await import('onnxruntime-web')) as unknown as Ort;
    ort.env.wasm.numThreads = 1;
    version = JSON.parse(readFileSync(new URL('../../node_modules/onnxruntime-web/package.json', import.meta.url), 'utf8')).version;
  }
  const session = await ort.InferenceSession.create(readFileSync(args.onnx), {
    executionProviders: [runtime === 'node' ? 'cpu' : 'wasm'],
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const input = session.inputNames[0], output = session.outputNames[0];
  process.stderr.write(`[${library}] onnxruntime ${version}, one thread; inference over ${run.inferImages} test images in batches of ${fx.inferBatch}\n`);

  const B = fx.inferBatch;
  const xbuf = new Float32Array(B * PIXELS);
  const pass = async (): Promise<number> => {
    let correct = 0;
    for (let s = 0; s < run.inferImages; s += B) {
      const m = Math.min(B, run.inferImages - s);
      const x = m === B ? xbuf : new Float32Array(m * PIXELS);
      x.set(data.test.images.subarray(s * PIXELS, (s + m) * PIXELS));
      const out = await session.run({ [input]: new ort.Tensor('float32', x, [m, 1, 28, 28]) });
      correct += countCorrect(out[output].data as Float32Array, data.test.labels.subarray(s, s + m), m, CLASSES);
    }
    return correct;
  };
  // common.ts's warmUp, awaited: up to inferWarmup passes, stopping after INFER_WARMUP_MS (at least one pass).
  const w0 = performance.now();
  let warmup = 0;
  while (warmup < args.inferWarmup && (warmup === 0 || performance.now() - w0 < INFER_WARMUP_MS)) { await pass(); warmup++; }
  const times: number[] = [];
  let correct = 0;
  for (let r = 0; r < args.inferRuns; r++) {
    const t0 = performance.now();
    correct = await pass();
    times.push(performance.now() - t0);
  }
  await session.release();
  process.stderr.write(`[${library}] inference: ${times.map((t) => (run.inferImages / (t / 1000)).toFixed(0)).join(', ')} img/s, accuracy ${correct / run.inferImages}\n`);

  finish({
    library, backend: runtime === 'node' ? 'native (cpu execution provider)' : 'wasm', threads: 1, inferenceOnly: true,
    inferImages: run.inferImages, inferImagesPerSec: round(run.inferImages / (median(times) / 1000), 1), inferImagesPerSecFused: null,
    testAccuracy: round(correct / run.inferImages, 4), peakRssMB: round(peakRssMB(), 1), batchSize: B, inferBatch: B,
    notes: `onnxruntime-${runtime} ${version}; miniconv's exportOnnx of the model miniconv trained in this run; one thread; ` +
      `inference: ${warmup} untimed warm-up passes, then the median of ${args.inferRuns}; timing includes copying each batch into the input tensor`,
  });
});
