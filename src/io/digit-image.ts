// Pictures of digits on disk: PNG (pngjs) or JPEG (jpeg-js, EXIF orientation honoured), any size,
// decoded to RGBA and turned into a 28x28 input by clean-picture.ts.
//
// Bounded input, in this order: the file must be a regular file under a size cap (safe-read.ts);
// its format is sniffed from its first bytes, never from its extension, and its width and height are
// read from the header (image-size) and checked against a pixel limit BEFORE anything is decoded, so
// a 69-byte PNG that declares 30000x30000 costs nothing. Every decoder error comes back naming the
// file and what was wrong with it.

import { imageSize } from 'image-size';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DIGIT_SIZE, type PreprocessOptions, type PreprocessResult, preprocessDigit, rgbaToGrey, toMnistDigit } from './clean-picture.ts';
import { MAX_PICTURE_BYTES, readRegularFile } from './safe-read.ts';

export { DIGIT_SIZE, toMnistDigit };

/** Pictures above this many pixels are refused before decoding (50 megapixels: the largest phone cameras; 200 MB as RGBA). */
export const MAX_PICTURE_PIXELS = 50_000_000;

export const SUPPORTED_FORMATS = 'PNG and JPEG';

export interface PictureOptions {
  /** Largest file accepted, in bytes (default MAX_PICTURE_BYTES, 64 MB). */
  maxBytes?: number;
  /** Largest picture accepted, width x height (default MAX_PICTURE_PIXELS). */
  maxPixels?: number;
}

/** A decoded picture: RGBA bytes, row after row, already turned upright if its EXIF said so. */
export interface Picture {
  rgba: Uint8Array;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  /** The EXIF orientation tag that was applied (1 = as stored; JPEG only). */
  orientation: number;
}

/** Names of the formats image-size recognises, for the "not supported" message. */
const FORMAT_NAMES: Record<string, string> = {
  bmp: 'BMP', cur: 'CUR', dds: 'DDS', gif: 'GIF', heif: 'HEIF/HEIC', icns: 'ICNS', ico: 'ICO', j2c: 'JPEG 2000', jp2: 'JPEG 2000',
  jxl: 'JPEG XL', 'jxl-stream': 'JPEG XL', ktx: 'KTX', pnm: 'PNM', psd: 'Photoshop', svg: 'SVG', tga: 'TGA', tiff: 'TIFF', webp: 'WebP',
};

function startBytes(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ') || 'nothing: the file is empty';
}

/**
 * Reads format, width and height from the first bytes of a picture without decoding it, and checks
 * them against the pixel limit. Throws for anything that is not a PNG or JPEG, naming what it is.
 */
export function sniffPicture(bytes: Uint8Array, source = 'picture', maxPixels = MAX_PICTURE_PIXELS): { format: 'png' | 'jpeg'; width: number; height: number } {
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  let size: { width?: number; height?: number; type?: string } | undefined;
  try {
    size = imageSize(bytes);
  } catch {
    size = undefined; // image-size throws TypeErrors for anything it cannot size; we explain below
  }
  if (!isPng && !isJpeg) {
    const name = size?.type ? FORMAT_NAMES[size.type] ?? size.type.toUpperCase() : undefined;
    throw new Error(name
      ? `${source} is a ${name} picture; miniconv reads ${SUPPORTED_FORMATS} (convert it, e.g. with an image editor)`
      : `${source} is not a readable PNG image or JPEG photo (it starts with ${startBytes(bytes)}); miniconv reads ${SUPPORTED_FORMATS}`);
  }
  const format = isPng ? 'png' : 'jpeg';
  const kind = isPng ? 'PNG image' : 'JPEG photo';
  const { width, height } = size ?? {};
  // A PNG's size is in its IHDR chunk, bytes 16..23: a shorter file has none (image-size would read past the end).
  const pngHeader = !isPng || (bytes.length >= 24 && String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR');
  if (!pngHeader || !(Number.isInteger(width) && Number.isInteger(height))) {
    throw new Error(`${source} is not a readable ${kind}: its header is truncated or corrupt (no width and height found)`);
  }
  if (width! < 1 || height! < 1) throw new Error(`${source} is not a readable ${kind}: its header declares ${width}x${height} pixels`);
  if (width! * height! > maxPixels) {
    throw new Error(`${source} is ${width}x${height} = ${((width! * height!) / 1e6).toFixed(1)} megapixels, above the limit of ` +
      `${(maxPixels / 1e6).toFixed(1)} megapixels; scale it down first`);
  }
  return { format, width: width!, height: height! };
}

/** Decodes a PNG or JPEG held in memory to upright RGBA. `source` names it in errors. */
export function decodePicture(bytes: Uint8Array, source = 'picture', options: PictureOptions = {}): Picture {
  const maxPixels = options.maxPixels ?? MAX_PICTURE_PIXELS;
  const head = sniffPicture(bytes, source, maxPixels);
  return head.format === 'png' ? decodePng(bytes, source, head) : decodeJpeg(bytes, source, head, maxPixels);
}

function decodePng(bytes: Uint8Array, source: string, head: { width: number; height: number }): Picture {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`${source} is not a readable PNG image: ${explainPngError((e as Error).message)}`);
  }
  if (png.width !== head.width || png.height !== head.height) {
    throw new Error(`${source} is not a readable PNG image: its header says ${head.width}x${head.height}, its data ${png.width}x${png.height}`);
  }
  return { rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height, format: 'png', orientation: 1 };
}

/** pngjs's own words are for its developers; say what they mean for the picture. */
function explainPngError(message: string): string {
  if (/waitng on finished stream|waiting on finished stream|unexpected end|Unexpected end/i.test(message)) return 'the file ends too early (it is truncated)';
  if (/crc/i.test(message)) return `a chunk is corrupt (${message})`;
  if (/incorrect header check|invalid|unknown compression|distance too far|too many length|inflate/i.test(message)) return `its pixel data is corrupt (${message})`;
  return `it is corrupt (${message})`;
}

function decodeJpeg(bytes: Uint8Array, source: string, head: { width: number; height: number }, maxPixels: number): Picture {
  let img: { width: number; height: number; data: Uint8Array; exifBuffer?: Uint8Array };
  try {
    // The limits repeat the header check inside the decoder, which also caps the memory of its tables.
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    // jpeg-js's own errors (plain Errors: "SOI not found", "marker was not found"...) say what is wrong;
    // a TypeError or RangeError from inside it only says that it tripped over broken data.
    const msg = (e as Error).message;
    const own = (e as Error).constructor === Error && !/undefined|null|out of bounds|offset/i.test(msg);
    throw new Error(`${source} is not a readable JPEG photo: ${own ? msg : 'the file ends too early or its data is corrupt'}`);
  }
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
    throw new Error(`${source} is not a readable JPEG photo: it holds no complete frame (${img.width}x${img.height})`);
  }
  const orientation = img.exifBuffer ? exifOrientation(img.exifBuffer) : 1;
  return { ...orient(img.data, img.width, img.height, orientation), format: 'jpeg', orientation };
}

/**
 * The EXIF orientation tag (0x0112) of IFD0, from the APP1 payload after "Exif\0" (jpeg-js's
 * `exifBuffer`, which may still start with the second padding zero). Read by hand, bounds-checked at
 * every step: one SHORT tag of the first directory is all we need, and the general readers either
 * skip the checks (image-size reads past the end) or bring far more than this. Returns 1 (upright)
 * for a missing, malformed or out-of-range tag.
 */
export function exifOrientation(exif: Uint8Array): number {
  const start = exif.length > 0 && exif[0] === 0 ? 1 : 0;
  const t = exif.subarray(start); // the TIFF header: "II*\0" (little-endian) or "MM\0*" (big-endian)
  if (t.length < 8) return 1;
  const little = t[0] === 0x49 && t[1] === 0x49 && t[2] === 0x2a && t[3] === 0;
  const big = t[0] === 0x4d && t[1] === 0x4d && t[2] === 0 && t[3] === 0x2a;
  if (!little && !big) return 1;
  const u16 = (o: number) => (little ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1]);
  const u32 = (o: number) => (little ? (t[o] | (t[o + 1] << 8) | (t[o + 2] << 16)) + t[o + 3] * 2 ** 24 : ((t[o + 1] << 16) | (t[o + 2] << 8) | t[o + 3]) + t[o] * 2 ** 24);
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const entries = u16(ifd);
  for (let k = 0; k < entries; k++) {
    const e = ifd + 2 + 12 * k; // tag (2), type (2), count (4), value (4)
    if (e + 12 > t.length) return 1;
    if (u16(e) !== 0x0112) continue;
    if (u16(e + 2) !== 3 || u32(e + 4) !== 1) return 1; // must be one SHORT
    const v = u16(e + 8);
    return v >= 1 && v <= 8 ? v : 1;
  }
  return 1;
}

/**
 * Turns stored RGBA upright according to an EXIF orientation (1..8): 2 mirrored, 3 rotated 180°,
 * 4 flipped, 5 transposed, 6 rotated 90° clockwise to view, 7 transversed, 8 rotated 90° counter-clockwise to view.
 */
export function orient(rgba: Uint8Array, width: number, height: number, orientation: number): { rgba: Uint8Array; width: number; height: number } {
  if (orientation === 1) return { rgba, width, height };
  const swap = orientation >= 5;
  const ow = swap ? height : width, oh = swap ? width : height;
  const out = new Uint8Array(rgba.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // (sx, sy): the stored pixel shown at (x, y).
      let sx: number, sy: number;
      switch (orientation) {
        case 2: sx = width - 1 - x; sy = y; break;
        case 3: sx = width - 1 - x; sy = height - 1 - y; break;
        case 4: sx = x; sy = height - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = height - 1 - x; break;
        case 7: sx = width - 1 - y; sy = height - 1 - x; break;
        case 8: sx = width - 1 - y; sy = x; break;
        default: throw new RangeError(`orient: orientation must be 1..8, got ${orientation}`);
      }
      const s = 4 * (sy * width + sx), o = 4 * (y * ow + x);
      out[o] = rgba[s]; out[o + 1] = rgba[s + 1]; out[o + 2] = rgba[s + 2]; out[o + 3] = rgba[s + 3];
    }
  }
  return { rgba: out, width: ow, height: oh };
}

/** Reads a PNG or JPEG file (regular file, size cap, pixel limit) and decodes it to upright RGBA. */
export function readPicture(file: string, options: PictureOptions = {}): Picture {
  const bytes = readPictureBytes(file, options.maxBytes ?? MAX_PICTURE_BYTES);
  return decodePicture(bytes, file, options);
}

function readPictureBytes(file: string, maxBytes: number): Buffer {
  try {
    return readRegularFile(file, maxBytes, 'picture');
  } catch (e) {
    // Keep the messages users already know: "no such file: x.png", "x.png is a directory, ...".
    throw new Error((e as Error).message.replace(/^picture: /, ''));
  }
}

/** Decodes a PNG or JPEG into grey levels 0..1 (transparent pixels count as white paper). */
export function readPngGrey(file: string, options: PictureOptions = {}): { grey: Float32Array; width: number; height: number } {
  const { rgba, width, height } = readPicture(file, options);
  return { grey: rgbaToGrey(rgba, width, height), width, height };
}

/** Reads a picture of a digit and preprocesses it: the 28x28 input, the warnings, and the steps if asked for. */
export function readDigit(file: string, options: PictureOptions & PreprocessOptions = {}): PreprocessResult {
  const { rgba, width, height } = readPicture(file, options);
  return preprocessDigit(rgba, width, height, { ...options, source: options.source ?? file });
}

/** Reads a PNG or JPEG of a digit and returns the MNIST-style 28x28 image (784 values in 0..1). */
export function readDigitPng(file: string, options: PictureOptions = {}): Float32Array {
  return readDigit(file, options).pixels;
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
