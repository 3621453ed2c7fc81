// Pictures into the page: a file (PNG, JPEG, anything the browser decodes), a canvas, a camera
// frame, as RGBA; then the library's picture pipeline (pictureToInput, src/io/picture-input.ts:
// centre crop, antialiased resize, alpha on white) makes the 3 x 32 x 32 bytes an example is kept as,
// the way `miniconv predict` reads a PNG for a model of your classes.

import { pictureToInput } from 'miniconv';
import { EXAMPLE_SIZE } from '../classes-format.ts';

/** The largest picture decoded (pixels), as `miniconv predict` refuses larger ones. */
const MAX_PIXELS = 50_000_000;
/**
 * A larger picture is first drawn at this long side by the browser (memory: the pipeline holds three
 * float planes of the picture); at 32 x 32 the difference from resizing the whole photo cannot be seen.
 */
const MAX_SIDE = 2048;

export interface Rgba { rgba: Uint8ClampedArray; width: number; height: number }

/** A canvas's pixels. */
export function canvasRgba(canvas: HTMLCanvasElement): Rgba {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  return { rgba: ctx.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height };
}

/** Something drawable (a decoded file, a video frame) at (at most MAX_SIDE of) its own size. */
export function drawableRgba(source: CanvasImageSource, width: number, height: number, what: string): Rgba {
  if (!(width > 0 && height > 0)) throw new Error(`${what}: the picture has no pixels (${width} x ${height})`);
  if (width * height > MAX_PIXELS) throw new Error(`${what}: ${width} x ${height} pixels is more than the ${MAX_PIXELS / 1e6} million a picture may have`);
  const s = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * s));
  canvas.height = Math.max(1, Math.round(height * s));
  canvas.getContext('2d')!.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvasRgba(canvas);
}

/** Decodes a picture file (EXIF orientation applied, as miniconv's decoders do); the error names the file. Close it after use. */
export async function fileBitmap(file: File): Promise<ImageBitmap> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`${file.name}: not a picture this browser can read; expected a PNG or JPEG (or another image format)`);
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) {
    bitmap.close();
    throw new Error(`${file.name}: ${bitmap.width} x ${bitmap.height} pixels is more than the ${MAX_PIXELS / 1e6} million a picture may have`);
  }
  return bitmap;
}

/** A picture file's pixels (fileBitmap, at most MAX_SIDE on its long side). */
export async function fileRgba(file: File): Promise<Rgba> {
  const bitmap = await fileBitmap(file);
  try {
    return drawableRgba(bitmap, bitmap.width, bitmap.height, file.name);
  } finally {
    bitmap.close();
  }
}

/** RGBA of any size -> one example: 3 x 32 x 32 bytes (the centre cut to a square, resized by area). */
export function toExample(p: Rgba): Uint8Array {
  return pictureToInput(p.rgba, p.width, p.height, { size: EXAMPLE_SIZE, channels: 3 });
}

/** RGBA of any size -> the model's input of shape (C, H, W), values 0..1 (pictureToInput, then byte / 255). */
export function toInput(p: Rgba, shape: readonly number[]): Float32Array {
  const bytes = pictureToInput(p.rgba, p.width, p.height, { size: [shape[1], shape[2]], channels: shape[0] === 3 ? 3 : 1 });
  return Float32Array.from(bytes, (b) => b / 255);
}
