// How the default model fares on pictures people really have (issue 13): synthesised clean printed
// and handwritten digits, ruled paper, side shadows, pale pencil, sticky notes, transparent canvases
// and JPEG photos, each run through the same path as `miniconv predict` (decode, preprocessDigit,
// the model). Prints one row per style.
//
//   npx tsx examples/real-world.ts [MODEL]   (default models/digits.json; train it with `npm start`)
//   --save DIR writes every picture (PNG or JPEG) and the 28x28 input the network saw into DIR.
//   --count N draws N pictures of every style (default: 120 clean, 10 of each other style);
//   --seed S another set of pictures (default 13, the set the report's table was measured on).
//   --simple uses the simple path instead (rgbaToGrey then toMnistDigit, what `predict` did before
//   preprocessDigit), to compare.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Tensor } from '../src/tensor.ts';
import { softmax } from '../src/kernels/softmax-xent.ts';
import { decodePicture, digitToPng } from '../src/io/digit-image.ts';
import { loadModel } from '../src/io/model-file.ts';
import { preprocessDigit, rgbaToGrey, toMnistDigit } from '../src/io/clean-picture.ts';
import { STYLES, type SynthPicture, TARGET_COUNTS, synthesise } from '../test/pictures.ts';

export interface StyleResult { style: string; right: number; total: number; warned: number; wrong: string[] }

/** Recognises every synthesised picture of every style with `modelFile`; `save` writes pictures and inputs. */
export function measureRealWorld(modelFile: string, save?: string, simple = false, count?: number, seed = 13): StyleResult[] {
  const { model } = loadModel(modelFile);
  const results: StyleResult[] = [];
  for (const style of STYLES) {
    const r: StyleResult = { style, right: 0, total: 0, warned: 0, wrong: [] };
    synthesise(style, count ?? TARGET_COUNTS[style], seed).forEach((pic: SynthPicture, i) => {
      const decoded = pic.bytes ? decodePicture(pic.bytes, `${style}-${i}.jpg`) : { rgba: pic.rgba, width: pic.width, height: pic.height };
      let pixels: Float32Array, warnings: string[];
      try {
        ({ pixels, warnings } = simple
          ? { pixels: toMnistDigit(rgbaToGrey(decoded.rgba, decoded.width, decoded.height), decoded.width, decoded.height), warnings: [] }
          : preprocessDigit(decoded.rgba, decoded.width, decoded.height, { source: `${style} ${i}` }));
      } catch (e) {
        r.total++;
        r.wrong.push(`${i} (${pic.variant}): ${pic.label} not read: ${(e as Error).message}`);
        return;
      }
      const probs = softmax(model.forward(new Tensor([1, 1, 28, 28], pixels))).data;
      let best = 0;
      for (let k = 1; k < 10; k++) if (probs[k] > probs[best]) best = k;
      r.total++;
      if (best === pic.label) r.right++; else r.wrong.push(`${i} (${pic.variant}): ${pic.label} read as ${best}`);
      if (warnings.length) r.warned++;
      if (save) {
        mkdirSync(save, { recursive: true });
        const name = `${style}-${String(i).padStart(3, '0')}-${pic.label}`;
        if (pic.bytes) writeFileSync(join(save, `${name}.jpg`), pic.bytes);
        else { const png = new PNG({ width: pic.width, height: pic.height }); png.data.set(pic.rgba); writeFileSync(join(save, `${name}.png`), PNG.sync.write(png)); }
        writeFileSync(join(save, `${name}-input-${best}.png`), digitToPng(pixels));
      }
    });
    results.push(r);
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const saveAt = args.indexOf('--save');
  const save = saveAt >= 0 ? args.splice(saveAt, 2)[1] : undefined;
  const take = (flag: string) => { const at = args.indexOf(flag); return at >= 0 ? Number(args.splice(at, 2)[1]) : undefined; };
  const count = take('--count'), seed = take('--seed') ?? 13;
  const simple = args.includes('--simple');
  const modelFile = args.filter((a) => a !== '--simple')[0] ?? 'models/digits.json';
  const t0 = performance.now();
  const results = measureRealWorld(modelFile, save, simple, count, seed);
  console.log(`Model ${modelFile}${simple ? ', simple preprocessing (rgbaToGrey + toMnistDigit)' : ''}\n`);
  console.log('| style | right | with a warning |');
  console.log('| --- | --- | --- |');
  for (const r of results) console.log(`| ${r.style} | ${r.right} / ${r.total} | ${r.warned} |`);
  console.log();
  for (const r of results) for (const w of r.wrong) console.log(`${r.style} ${w}`);
  console.log(`\n${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
