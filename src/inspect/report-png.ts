// PNG helpers of the inspection report: a greyscale picture of one image, and a PNG as an <img>
// with a data: URI at its natural size.

import { Canvas } from './canvas.ts';
import { greyColor } from './colormap.ts';
import { escapeHtml as esc } from './svg.ts';

/** A PNG as a data: URI. */
export const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

/** The width and height a PNG's IHDR chunk records. */
export function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** An <img> of a PNG at its natural size (scaled down by CSS on narrow screens). */
export function img(png: Buffer, alt: string, cls = 'fig'): string {
  const { width, height } = pngSize(png);
  return `<img class="${cls}" src="${dataUri(png)}" width="${width}" height="${height}" alt="${esc(alt)}">`;
}

/** A one-channel image (H, W) in 0..1 as a greyscale PNG, each pixel `scale` x `scale`. */
export function greyImagePng(pixels: ArrayLike<number>, H: number, W: number, scale: number): Buffer {
  const cv = new Canvas(W * scale, H * scale);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) cv.fillRect(j * scale, i * scale, scale, scale, greyColor(pixels[i * W + j]));
  return cv.toPng();
}

/** An image (C, H, W) in 0..1 as a PNG: channels 0, 1, 2 as red, green, blue when C = 3, else channel 0 in grey. */
export function imagePng(pixels: ArrayLike<number>, C: number, H: number, W: number, scale: number): Buffer {
  if (C !== 3) return greyImagePng(pixels, H, W, scale);
  const cv = new Canvas(W * scale, H * scale);
  const byte = (v: number) => Math.round(255 * Math.max(0, Math.min(1, v)));
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const k = i * W + j;
      cv.fillRect(j * scale, i * scale, scale, scale, [byte(pixels[k]), byte(pixels[H * W + k]), byte(pixels[2 * H * W + k])]);
    }
  }
  return cv.toPng();
}
