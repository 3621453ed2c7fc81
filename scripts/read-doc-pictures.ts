// The pictures of docs/read-numbers.md and README's "Read a whole number": a number composed from
// held-out digits on a noisy page, what `miniconv read` boxed, and its heat map.
//
//   npx tsx scripts/read-doc-pictures.ts [--model models/digits.json] [--seed 3]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { loadDigits } from '../datasets/mnist.ts';
import { loadModel } from '../src/io/model-file.ts';
import { readNumber } from '../src/io/read-number.ts';
import { drawBoxes, drawHeatmap } from '../src/io/read-number-draw.ts';
import { softmax, toFullyConvolutional } from '../src/index.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { composeNumber, digitImage } from '../test/number-pictures.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/digits.json' }, seed: { type: 'string', default: '3' } } });
const { model } = loadModel(values.model!);
model.eval();
const classify = (x: Float32Array, n: number) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
const { test } = loadDigits();
const rng = createRng(`read-doc-${values.seed}`);
const idx = Array.from({ length: 6 }, () => Math.floor(rng.uniform() * test.count));
const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [2.5, 2.5], jitter: 0.3, gap: [-0.05, 0.3], noisy: true });
const save = (file: string, rgba: Uint8Array) => {
  const png = new PNG({ width: c.width, height: c.height });
  png.data.set(rgba);
  writeFileSync(file, PNG.sync.write(png));
};
const r = readNumber(c.rgba, c.width, c.height, classify);
save('docs/img/read-number.png', c.rgba);
save('docs/img/read-number-boxes.png', drawBoxes(c.rgba, c.width, c.height, r));
save('docs/img/read-number-heatmap.png', drawHeatmap(c.rgba, c.width, c.height, r, toFullyConvolutional(model).eval()));
console.log(`written ${c.text}, read ${r.text} (${r.digits.map((d) => `${d.digit} ${(100 * d.p).toFixed(1)}%`).join(', ')}); ${r.warnings.join('; ')}`);
