// The pictures of docs/read-numbers.md and README's "Read a whole number": a number composed from
// held-out digits on a noisy page, what `miniconv read` boxed, and its heat map.
//
//   npx tsx scripts/read-doc-pictures.ts [--model models/digits.json] [--seed 3] [--gap touching|mixed]
//
// --gap touching (the default): neighbours' ink boxes from 10% of a height overlapping to 5% apart;
// mixed: from 5% overlapping to 30% apart. Also docs/img/read-number-cuts.png: every candidate cut
// of the marks the reader split (grey) over the cleaned ink, and the digits' boxes.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { loadDigits } from '../datasets/mnist.ts';
import { loadModel } from '../src/io/model-file.ts';
import { type InkMap, findNumberMarks, markCuts, markIndex, readNumber } from '../src/io/read-number.ts';
import { drawBoxes, drawHeatmap } from '../src/io/read-number-draw.ts';
import { softmax, toFullyConvolutional } from '../src/index.ts';
import { createRng } from '../src/rng.ts';
import { Tensor } from '../src/tensor.ts';
import { composeNumber, digitImage } from '../test/number-pictures.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/digits.json' }, seed: { type: 'string', default: '3' }, gap: { type: 'string', default: 'touching' } } });
const { model } = loadModel(values.model!);
model.eval();
const classify = (x: Float32Array, n: number) => softmax(model.forward(new Tensor([n, 1, 28, 28], x))).data as Float32Array;
const { test } = loadDigits();
const rng = createRng(`read-doc-${values.seed}`);
const idx = Array.from({ length: 6 }, () => Math.floor(rng.uniform() * test.count));
const c = composeNumber(idx.map((i) => digitImage(test.images, i)), idx.map((i) => test.labels[i]), rng, { scale: [2.5, 2.5], jitter: 0.3, gap: [values.gap === 'touching' ? -0.1 : -0.05, values.gap === 'touching' ? 0.05 : 0.3], noisy: true });
const save = (file: string, rgba: Uint8Array) => {
  const png = new PNG({ width: c.width, height: c.height });
  png.data.set(rgba);
  writeFileSync(file, PNG.sync.write(png));
};
const r = readNumber(c.rgba, c.width, c.height, classify);
save('docs/img/read-number.png', c.rgba);
save('docs/img/read-number-boxes.png', drawBoxes(c.rgba, c.width, c.height, r));
save('docs/img/read-number-heatmap.png', drawHeatmap(c.rgba, c.width, c.height, r, toFullyConvolutional(model).eval()));
// The candidate cuts: the over-segmentation of each mark that holds more than one digit read.
const found = findNumberMarks(c.rgba, c.width, c.height);
const map: InkMap = { ...found, markOf: markIndex(found.marks, found.blobs.length) };
const cuts = drawBoxes(c.rgba, c.width, c.height, r);
found.marks.forEach((m, k) => {
  const inside = r.digits.filter((d) => d.box[0] / found.scale >= m.x0 - 1 && (d.box[0] + d.box[2]) / found.scale <= m.x1 + 2);
  if (inside.length < 2) return;
  for (const cut of markCuts(map, k)) {
    if (!cut.path) continue;
    cut.path.forEach((x, y) => {
      const px = Math.round(x * found.scale), py = Math.round((m.y0 + y) * found.scale);
      if (px < c.width && py < c.height) cuts.set([0, 160, 230, 255], 4 * (py * c.width + px));
    });
  }
});
save('docs/img/read-number-cuts.png', cuts);
console.log(`written ${c.text}, read ${r.text} (${r.digits.map((d) => `${d.digit} ${(100 * d.p).toFixed(1)}%`).join(', ')}); ${r.warnings.join('; ')}`);
