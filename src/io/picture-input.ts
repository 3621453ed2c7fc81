// A picture of any size -> a model's input of C x H x W bytes (one byte per channel, 0..255), the
// way a folder of pictures is read for training (datasets/image-folder.ts) and the way `predict`
// and `eval` read a picture for a model trained on one, so that both see the same pixels.
//
// In order: alpha composited on white; the aspect ratio made to match H:W, by cutting the
// centre (fit 'crop', the default, as torchvision's Resize + CenterCrop) or by padding the short
// side with the mean colour of the picture's border (fit 'pad', so the padding looks like its
// background); an antialiased resize to W x H by area averaging (each output pixel is the mean of
// the source area it covers: no aliasing when a 4000-pixel photo becomes 32 pixels; upscaling is
// bilinear); then grey (ITU-R 601 luma, channels 1) or RGB (channels 3).
// GLOSSARY: C = channels, H, W = output height and width, w, h = the picture's width and height.

import { resampleArea } from './image-ops.ts';

export type PictureFit = 'crop' | 'pad';

/** How a decoded picture becomes a model input: its size, channels and aspect policy. */
export interface PictureInputOptions {
  /** Output [H, W]. */
  size: readonly [number, number];
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** Aspect policy (default 'crop'). */
  fit?: PictureFit;
}

/** Largest side miniconv resizes a picture to (a model's input, not a photo). */
export const MAX_INPUT_SIDE = 1024;

/** Checks a `size` option (32 or [H, W]) and returns [H, W]. */
export function checkInputSize(size: unknown, who: string): [number, number] {
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 4 && v <= MAX_INPUT_SIDE;
  if (ok(size)) return [size, size];
  if (Array.isArray(size) && size.length === 2 && ok(size[0]) && ok(size[1])) return [size[0], size[1]];
  throw new RangeError(`${who}: size must be an integer from 4 to ${MAX_INPUT_SIDE} or [H, W] of two such integers, got ${JSON.stringify(size)}`);
}

/** Checks a `channels` option: 1 (grey) or 3 (RGB). */
export function checkChannels(channels: unknown, who: string): 1 | 3 {
  if (channels === 1 || channels === 3) return channels;
  throw new RangeError(`${who}: channels must be 1 (grey) or 3 (RGB colour), got ${JSON.stringify(channels)}`);
}

/** Checks a `fit` option. */
export function checkFit(fit: unknown, who: string): PictureFit {
  if (fit === undefined || fit === 'crop') return 'crop';
  if (fit === 'pad') return 'pad';
  throw new RangeError(`${who}: fit must be 'crop' (cut the centre, the default) or 'pad' (pad the short side), got ${JSON.stringify(fit)}`);
}

/**
 * RGBA bytes (w x h, row after row) -> C x H x W bytes, as described at the top of this file.
 * @returns (C, H, W) bytes, channel after channel
 */
export function pictureToInput(rgba: ArrayLike<number>, width: number, height: number, opts: PictureInputOptions): Uint8Array {
  const [H, W] = opts.size;
  const C = opts.channels;
  const fit = opts.fit ?? 'crop';
  // Composite on white: the three colour planes (h, w), 0..1.
  const n = width * height;
  const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    for (let c = 0; c < 3; c++) planes[c][i] = (a * rgba[4 * i + c]) / 255 + (1 - a);
  }
  const out = new Uint8Array(C * H * W); // (C, H, W)
  const resized: Float32Array[] = []; // 3 x (H, W)
  if (fit === 'crop') {
    // The largest centred rectangle of aspect W:H.
    let bw = width, bh = height;
    if (width * H > height * W) bw = (height * W) / H; else bh = (width * H) / W;
    const x0 = (width - bw) / 2, y0 = (height - bh) / 2;
    for (let c = 0; c < 3; c++) resized.push(resampleArea(planes[c], width, height, x0, y0, bw, bh, W, H));
  } else {
    // Scale to fit inside W x H, then centre on the border's mean colour.
    const scale = Math.min(W / width, H / height);
    const iw = Math.max(1, Math.min(W, Math.round(width * scale))), ih = Math.max(1, Math.min(H, Math.round(height * scale)));
    const ox = Math.floor((W - iw) / 2), oy = Math.floor((H - ih) / 2);
    for (let c = 0; c < 3; c++) {
      const small = resampleArea(planes[c], width, height, 0, 0, width, height, iw, ih);
      const full = new Float32Array(H * W).fill(borderMean(planes[c], width, height));
      for (let y = 0; y < ih; y++) full.set(small.subarray(y * iw, (y + 1) * iw), (y + oy) * W + ox);
      resized.push(full);
    }
  }
  const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  if (C === 3) {
    for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) out[c * H * W + i] = byte(resized[c][i]);
  } else {
    for (let i = 0; i < H * W; i++) out[i] = byte(0.299 * resized[0][i] + 0.587 * resized[1][i] + 0.114 * resized[2][i]);
  }
  return out;
}

/** Mean of the outermost rows and columns of a plane (h, w). */
function borderMean(plane: Float32Array, width: number, height: number): number {
  let sum = 0, count = 0;
  for (let x = 0; x < width; x++) { sum += plane[x] + plane[(height - 1) * width + x]; count += 2; }
  for (let y = 1; y < height - 1; y++) { sum += plane[y * width] + plane[y * width + width - 1]; count += 2; }
  return sum / count;
}

/**
 * What a model trained on pictures records in its file (metadata.picture), so that `predict`,
 * `eval` and the page read a picture the way the training did: the size and channels (also the
 * model's input shape), the aspect policy, and the input normalisation (for display: the Normalize
 * layer inside the model applies it).
 */
export interface PictureRecord {
  size: [number, number];
  channels: 1 | 3;
  fit: PictureFit;
  normalize: 'dataset' | 'image' | 'none';
}

/** The model file's picture record and class names, checked against its input shape; undefined for a model without one (the digit models). */
export function modelPictureRecord(metadata: Readonly<Record<string, unknown>>, inputShape: readonly number[], file: string): { picture: PictureRecord; classes: string[] } | undefined {
  if (metadata.picture === undefined) return undefined;
  const who = `${file}: metadata.picture`;
  const p = metadata.picture as Record<string, unknown>;
  if (!p || typeof p !== 'object') throw new Error(`${who} must be an object { size, channels, fit, normalize }, got ${JSON.stringify(p)}`);
  const size = checkInputSize(p.size, who), channels = checkChannels(p.channels, who), fit = checkFit(p.fit, who);
  if (!['dataset', 'image', 'none'].includes(p.normalize as string)) throw new Error(`${who}.normalize must be 'dataset', 'image' or 'none', got ${JSON.stringify(p.normalize)}`);
  if (inputShape.length !== 3 || inputShape[0] !== channels || inputShape[1] !== size[0] || inputShape[2] !== size[1]) {
    throw new Error(`${who} says ${channels}x${size[0]}x${size[1]} pictures, but the model's input shape is [${inputShape.join(', ')}]`);
  }
  const classes = metadata.classes;
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string' && c.length > 0)) {
    throw new Error(`${file}: metadata.classes must list the class names (at least 2) of a model trained on pictures, got ${JSON.stringify(classes)}`);
  }
  return { picture: { size, channels, fit, normalize: p.normalize as PictureRecord['normalize'] }, classes: [...classes] as string[] };
}

/** C x H x W bytes (pictureToInput) as the model's input values, byte / 255. */
export function bytesToInput(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}
