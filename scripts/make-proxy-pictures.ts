// `npx tsx scripts/make-proxy-pictures.ts DIR`: writes the offline stand-ins for issue 21's two
// target sets (test/proxy-pictures.ts says how each is made) into DIR:
//   DIR/optdigits-dark     1,790 pictures of 8x8, dark ink on light (179 per digit)
//   DIR/optdigits-light    the same digits, light ink on dark
//   DIR/optdigits-mixed    the same digits, the polarity drawn per picture
//   DIR/optdigits-dark-x4  the same, upscaled to 32x32 (nearest neighbour)
//   DIR/colour-glyphs      1,000 pictures, 100 per digit, in colours, on textured backgrounds
// then `miniconv train --images DIR/<set> --seed S` (nothing else) measures them (README, own pictures).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { heldOutDigits, makeColourGlyphFolder, makeOptDigitsFolder } from '../test/proxy-pictures.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: npx tsx scripts/make-proxy-pictures.ts DIR');
const digits = heldOutDigits();
const sets: Array<[string, (d: string) => number]> = [
  ['optdigits-dark', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'dark', seed: 1 })],
  ['optdigits-light', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'light', seed: 1 })],
  ['optdigits-mixed', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'mixed', seed: 1 })],
  ['optdigits-dark-x4', (d) => makeOptDigitsFolder(d, digits, { perClass: 179, ink: 'dark', upscale: 4, seed: 1 })],
  ['colour-glyphs', (d) => makeColourGlyphFolder(d, digits, { perClass: 100, seed: 1 })],
];
for (const [name, make] of sets) {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  console.log(`${d}: ${make(d)} pictures`);
}
