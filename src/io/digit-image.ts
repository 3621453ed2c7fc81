// Pictures of digits on disk: a PNG of any size, grey or colour, dark-on-light or light-on-dark, read
// and turned into a 28x28 input by preprocess.ts.

import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { DIGIT_SIZE, rgbaToGrey, toMnistDigit } from './preprocess.ts';

export { DIGIT_SIZE, toMnistDigit };

/** Decodes a PNG into grey levels 0..1 (transparent pixels count as white paper). */
export function readPngGrey(file: string): { grey: Float32Array; width: number; height: number } {
  let png: PNG;
  try {
    png = PNG.sync.read(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`no such file: ${file}`);
    throw new Error(`${file} is not a readable PNG image (${(e as Error).message})`);
  }
  const { width, height, data } = png; // RGBA, 8 bits per channel
  return { grey: rgbaToGrey(data, width, height), width, height };
}

/** Reads a PNG of a digit and returns the MNIST-style 28x28 image (784 values in 0..1). */
export function readDigitPng(file: string): Float32Array {
  const { grey, width, height } = readPngGrey(file);
  return toMnistDigit(grey, width, height, file);
}

/** Writes 28x28 values in 0..1 as a greyscale PNG (white digit on black), e.g. to save a test digit. */
export function digitToPng(pixels: ArrayLike<number>, size = DIGIT_SIZE): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}
