// Pictures on disk: PNG and JPEG decoding, EXIF orientation, formats sniffed from their bytes, the
// pixel limit checked before decoding (the 69-byte PNG that declares 30000x30000), truncated files,
// and bounded reads (safe-read.ts: directories, devices, FIFOs, symlinks, size caps).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  MAX_PICTURE_PIXELS, decodePicture, exifOrientation, orient, readDigit, readDigitPng, readPicture, sniffPicture,
} from '../src/io/digit-image.ts';
import { readRegularFile } from '../src/io/safe-read.ts';
import { fontInk } from './pictures.ts';

const dir = mkdtempSync(join(tmpdir(), 'miniconv-pictures-'));

/** A W x H RGBA picture: a 7 in dark ink on light paper. */
function seven(W: number, H: number): Uint8Array {
  const ink = fontInk(7, W, H, { cx: W / 2, cy: H / 2, size: 0.6 * Math.min(W, H), angle: 0, stroke: 0.12 });
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) { rgba.fill(Math.round(240 - 220 * ink[i]), 4 * i, 4 * i + 3); rgba[4 * i + 3] = 255; }
  return rgba;
}
function pngBytes(rgba: Uint8Array, W: number, H: number): Buffer {
  const png = new PNG({ width: W, height: H });
  png.data.set(rgba);
  return PNG.sync.write(png);
}
function jpegBytes(rgba: Uint8Array, W: number, H: number, quality = 90): Buffer {
  return jpeg.encode({ data: Buffer.from(rgba), width: W, height: H }, quality).data;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** An APP1 Exif segment holding only IFD0's orientation tag. */
function exifApp1(orientation: number, little: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, o: number) => (little ? tiff.writeUInt16LE(v, o) : tiff.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (little ? tiff.writeUInt32LE(v, o) : tiff.writeUInt32BE(v, o));
  tiff.write(little ? 'II' : 'MM', 0, 'latin1'); u16(42, 2); u32(8, 4);
  u16(1, 8); // one entry
  u16(0x0112, 10); u16(3, 12); u32(1, 14); u16(orientation, 18);
  u32(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]); head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}
const withExif = (jpg: Buffer, app1: Buffer) => Buffer.concat([jpg.subarray(0, 2), app1, jpg.subarray(2)]);

describe('decoding', () => {
  it('reads a PNG and a JPEG of the same digit to nearly the same 28x28 input', () => {
    const W = 90, H = 70, rgba = seven(W, H);
    writeFileSync(join(dir, 'seven.png'), pngBytes(rgba, W, H));
    writeFileSync(join(dir, 'seven.jpg'), jpegBytes(rgba, W, H, 80));
    const png = readPicture(join(dir, 'seven.png'));
    expect(png).toMatchObject({ width: W, height: H, format: 'png', orientation: 1 });
    expect(Array.from(png.rgba)).toEqual(Array.from(rgba));
    const a = readDigitPng(join(dir, 'seven.png')), b = readDigit(join(dir, 'seven.jpg'));
    expect(b.warnings).toEqual([]);
    let diff = 0;
    for (let i = 0; i < 784; i++) diff += Math.abs(a[i] - b.pixels[i]);
    expect(diff / 784).toBeLessThan(0.02);
  });

  it('honours EXIF orientation: a photo stored sideways (6: rotate clockwise to view) comes out upright, in both byte orders', () => {
    const W = 40, H = 24, rgba = new Uint8Array(W * H * 4).fill(255);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) rgba.fill(0, 4 * (y * W + x), 4 * (y * W + x) + 3); // dark block, top-left as stored
    for (const little of [true, false]) {
      const pic = decodePicture(withExif(jpegBytes(rgba, W, H, 95), exifApp1(6, little)), 'sideways.jpg');
      expect(pic).toMatchObject({ width: H, height: W, orientation: 6 });
      const at = (x: number, y: number) => pic.rgba[4 * (y * pic.width + x)];
      expect(at(pic.width - 3, 3)).toBeLessThan(60); // the block is now top-right
      expect(at(3, 3)).toBeGreaterThan(200);
    }
    expect(decodePicture(withExif(jpegBytes(rgba, W, H), exifApp1(1, true)), 'upright.jpg')).toMatchObject({ width: W, height: H, orientation: 1 });
  });

  it('orient: each orientation undone by its inverse, and 3 is a half turn', () => {
    const W = 3, H = 2, rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => i);
    const inverse: Record<number, number> = { 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6 };
    for (const [o, back] of Object.entries(inverse)) {
      const once = orient(rgba, W, H, Number(o));
      const twice = orient(once.rgba, once.width, once.height, back);
      expect([twice.width, twice.height, Array.from(twice.rgba)]).toEqual([W, H, Array.from(rgba)]);
    }
    const half = orient(rgba, W, H, 3);
    expect(Array.from(half.rgba.subarray(0, 4))).toEqual(Array.from(rgba.subarray(20, 24))); // first pixel = last pixel
    expect(() => orient(rgba, W, H, 9)).toThrow('orient: orientation must be 1..8, got 9');
  });

  it('exifOrientation reads 1..8 and falls back to 1 for anything malformed', () => {
    const tiffOf = (app1: Buffer) => app1.subarray(4 + 5); // as jpeg-js hands it: after "Exif\0"
    expect(exifOrientation(tiffOf(exifApp1(8, true)))).toBe(8);
    expect(exifOrientation(tiffOf(exifApp1(3, false)))).toBe(3);
    expect(exifOrientation(tiffOf(exifApp1(9, true)))).toBe(1);
    const good = tiffOf(exifApp1(6, true));
    for (let n = 0; n < good.length; n++) expect([1, 6]).toContain(exifOrientation(good.subarray(0, n)));
    expect(exifOrientation(new Uint8Array([0, 0x49, 0x49, 0x2a, 0, 0xff, 0xff, 0xff, 0xff]))).toBe(1); // IFD offset past the end
  });
});

describe('bad pictures are refused with a message naming the file and the problem', () => {
  it('formats are sniffed from the bytes: GIF, text and an empty file are named as such', () => {
    const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([10, 0, 10, 0, 0, 0, 0])]);
    expect(() => decodePicture(gif, 'a.png')).toThrow('a.png is a GIF picture; miniconv reads PNG and JPEG');
    expect(() => decodePicture(Buffer.from('hello'), 'not.png')).toThrow('not.png is not a readable PNG image or JPEG photo (it starts with 68 65 6c 6c); miniconv reads PNG and JPEG');
    expect(() => decodePicture(new Uint8Array(0), 'empty.jpg')).toThrow('empty.jpg is not a readable PNG image or JPEG photo (it starts with nothing: the file is empty)');
    const jpgNamedPng = join(dir, 'photo.png');
    writeFileSync(jpgNamedPng, jpegBytes(seven(30, 30), 30, 30));
    expect(readPicture(jpgNamedPng).format).toBe('jpeg');
  });

  it('the 69-byte PNG declaring 30000x30000 is refused from its header, before decoding', () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(30000, 0); ihdr.writeUInt32BE(30000, 4); ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
    const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 3, 0, 0, 0, 0, 1])), chunk('IEND', Buffer.alloc(0))]);
    expect(bomb.length).toBe(65);
    const before = process.memoryUsage().rss;
    expect(() => decodePicture(bomb, 'bomb.png')).toThrow(`bomb.png is 30000x30000 = 900.0 megapixels, above the limit of ${(MAX_PICTURE_PIXELS / 1e6).toFixed(1)} megapixels; scale it down first`);
    expect(process.memoryUsage().rss - before).toBeLessThan(100e6);
    expect(() => sniffPicture(pngBytes(seven(20, 20), 20, 20), 'small.png', 399)).toThrow('small.png is 20x20 = 0.0 megapixels, above the limit of 0.0 megapixels');
    // A JPEG's header too.
    const jpg = jpegBytes(seven(64, 48), 64, 48);
    expect(() => decodePicture(jpg, 'big.jpg', { maxPixels: 1000 })).toThrow(/^big\.jpg is 64x48 = 0\.0 megapixels, above the limit/);
  });

  it('a truncated PNG says so, in words (never pngjs\'s "waitng on finished stream")', () => {
    const png = pngBytes(seven(60, 60), 60, 60);
    for (const cut of [40, Math.floor(png.length / 2), png.length - 12]) {
      let message = '';
      try { decodePicture(png.subarray(0, cut), 'cut.png'); } catch (e) { message = (e as Error).message; }
      expect(message).toMatch(/^cut\.png is not a readable PNG image: /);
      expect(message).not.toMatch(/waitng|stream/);
    }
    expect(() => decodePicture(png.subarray(0, png.length / 2), 'cut.png')).toThrow('cut.png is not a readable PNG image: the file ends too early (it is truncated)');
    expect(() => decodePicture(png.subarray(0, 20), 'head.png')).toThrow('head.png is not a readable PNG image: its header is truncated or corrupt (no width and height found)');
  });

  it('a truncated JPEG is refused or decoded, never a raw error', () => {
    const jpg = jpegBytes(seven(60, 60), 60, 60);
    for (const cut of [3, 20, 200, Math.floor(jpg.length / 2)]) {
      try { decodePicture(jpg.subarray(0, cut), 'cut.jpg'); } catch (e) { expect((e as Error).message).toMatch(/^cut\.jpg is not a readable JPEG photo: /); }
    }
  });

  it('files: missing, a directory, a device, a FIFO, a symlink to a device, too big', () => {
    expect(() => readPicture(join(dir, 'none.png'))).toThrow(`no such file: ${join(dir, 'none.png')}`);
    mkdirSync(join(dir, 'folder.png'), { recursive: true });
    expect(() => readPicture(join(dir, 'folder.png'))).toThrow(`${join(dir, 'folder.png')} is a directory, not a regular file`);
    expect(() => readPicture('/dev/zero')).toThrow('/dev/zero is a character device, not a regular file');
    symlinkSync('/dev/zero', join(dir, 'zero.png'));
    expect(() => readPicture(join(dir, 'zero.png'))).toThrow(`${join(dir, 'zero.png')} is a character device, not a regular file`);
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    expect(() => readPicture(join(dir, 'pipe.png'))).toThrow(`${join(dir, 'pipe.png')} is a named pipe (FIFO), not a regular file`);
    writeFileSync(join(dir, 'big.png'), pngBytes(seven(64, 64), 64, 64));
    expect(() => readPicture(join(dir, 'big.png'), { maxBytes: 100 })).toThrow(/big\.png is \d+(\.\d)? (bytes|KB), above the limit of 100 bytes$/);
  });
});

describe('readRegularFile', () => {
  it('reads a regular file whole, and names the caller in each refusal', () => {
    writeFileSync(join(dir, 'm.json'), 'hello');
    expect(readRegularFile(join(dir, 'm.json'), 5, 'loadModel').toString()).toBe('hello');
    expect(() => readRegularFile(join(dir, 'm.json'), 4, 'loadModel')).toThrow(`loadModel: ${join(dir, 'm.json')} is 5 bytes, above the limit of 4 bytes`);
    expect(() => readRegularFile(join(dir, 'nope'), 4, 'loadModel')).toThrow(`loadModel: no such file: ${join(dir, 'nope')}`);
    expect(() => readRegularFile('/dev/null', 4, 'IDX')).toThrow('IDX: /dev/null is a character device, not a regular file');
    expect(() => readRegularFile(dir, 4, 'IDX')).toThrow(`IDX: ${dir} is a directory, not a regular file`);
    expect(() => readRegularFile(join(dir, 'm.json'), -1, 'x')).toThrow(RangeError);
  });
});
