// The time `miniconv read` takes to read a 1000x300 picture of a handwritten number, on one thread
// (readNumber is single-threaded; the classifier runs the process's default kernels, wasm):
//
//   npx tsx bench/read.ts [--model models/digits.json] [--runs 15] [--noisy]
//
// The picture: 7 held-out digits of the bundled set, about 110 to 190 pixels high, gaps from
// touching to a third of a digit (test/number-pictures.ts), centred on a 1000x300 page. Prints the
// median and the fastest of `runs` timed reads after 3 untimed ones, in wall time and in CPU time,
// and the parts: cleaning the picture (the same steps as `predict`) and everything after it.
// Target: under 300 ms.
import { parseArgs } from 'node:util';
import { loadDigits } from '../datasets/mnist.ts';
import { loadModel } from '../src/io/model-file.ts';
import { cleanInk, readNumber } from '../src/io/read-number.ts';
import { softmax } from '../src/index.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { composeNumber, digitImage } from '../test/number-pictures.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/digits.json' }, runs: { type: 'string', default: '15' }, noisy: { type: 'boolean', default: false } } });
const { model } = loadModel(values.model!);
model.eval();
const classify = (x: Float32Array, n: number) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
const { test } = loadDigits();
const rng = createRng('bench-read');
const idx = Array.from({ length: 7 }, () => Math.floor(rng.uniform() * test.count));
const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [6.5, 6.5], jitter: 0.25, gap: [-0.05, 0.3], noisy: values.noisy });
const W = 1000, H = 300;
const page = new Uint8Array(W * H * 4).fill(242);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const sx = x - Math.floor((W - c.width) / 2), sy = y - Math.floor((H - c.height) / 2);
    const o = 4 * (y * W + x);
    page[o + 3] = 255;
    if (sx >= 0 && sy >= 0 && sx < c.width && sy < c.height) page.set(c.rgba.subarray(4 * (sy * c.width + sx), 4 * (sy * c.width + sx) + 4), o);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
// Wall time, and the process's CPU time (user + system): on a machine shared with other work the wall
// time includes waiting for a core, the CPU time does not.
const cpu: number[] = [], cleanCpu: number[] = [];
const time = (f: () => void, into: number[]) => {
  const c0 = process.cpuUsage(), t0 = performance.now();
  f();
  const t = performance.now() - t0, c = process.cpuUsage(c0);
  into.push((c.user + c.system) / 1000);
  return t;
};
let text = '';
for (let k = 0; k < 3; k++) text = readNumber(page, W, H, classify).text;
const runs = Number(values.runs);
const whole: number[] = [], clean: number[] = [];
for (let k = 0; k < runs; k++) {
  whole.push(time(() => readNumber(page, W, H, classify), cpu));
  clean.push(time(() => cleanInk(page, W, H), cleanCpu));
}
console.log(`read a ${W}x${H} picture (composed ${c.width}x${c.height}, digits ${c.boxes.map((b) => b[3]).join('/')} px high, written ${c.text}, read ${text}), ${runs} runs, one thread:`);
console.log(`  whole read: median ${median(whole).toFixed(1)} ms, fastest ${Math.min(...whole).toFixed(1)} ms wall; CPU time median ${median(cpu).toFixed(1)} ms, least ${Math.min(...cpu).toFixed(1)} ms`);
console.log(`  cleaning:   median ${median(clean).toFixed(1)} ms wall, CPU ${median(cleanCpu).toFixed(1)} ms (the rest: components, splits, normalisation, classifier)`);
