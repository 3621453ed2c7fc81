// Small image operations on flat arrays, row after row (W = width, H = height): resampling, running
// max/min and box means over square windows, grey-level dilation over a disc, robust statistics and
// connected components. Pure arithmetic, no file system: clean-picture.ts builds its steps from them.

/**
 * Resamples the rectangle [x0, x0+bw) x [y0, y0+bh) of `src` (W = width) to ow x oh by area averaging
 * (each target pixel is the mean of the source area it covers); upscaling interpolates bilinearly.
 */
export function resampleArea(src: Float32Array, width: number, height: number, x0: number, y0: number, bw: number, bh: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh);
  if (ow > bw || oh > bh) { // upscaling: bilinear between pixel centres
    for (let ty = 0; ty < oh; ty++) {
      const sy = Math.min(Math.max(y0 + ((ty + 0.5) * bh) / oh - 0.5, 0), height - 1);
      const ya = Math.floor(sy), yb = Math.min(ya + 1, height - 1), fy = sy - ya;
      for (let tx = 0; tx < ow; tx++) {
        const sx = Math.min(Math.max(x0 + ((tx + 0.5) * bw) / ow - 0.5, 0), width - 1);
        const xa = Math.floor(sx), xb = Math.min(xa + 1, width - 1), fx = sx - xa;
        out[ty * ow + tx] = (1 - fy) * ((1 - fx) * src[ya * width + xa] + fx * src[ya * width + xb]) + fy * ((1 - fx) * src[yb * width + xa] + fx * src[yb * width + xb]);
      }
    }
    return out;
  }
  for (let ty = 0; ty < oh; ty++) {
    const sy0 = y0 + (ty * bh) / oh, sy1 = y0 + ((ty + 1) * bh) / oh;
    for (let tx = 0; tx < ow; tx++) {
      const sx0 = x0 + (tx * bw) / ow, sx1 = x0 + ((tx + 1) * bw) / ow;
      let sum = 0, area = 0;
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const hy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const hx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
          sum += src[sy * width + sx] * hx * hy;
          area += hx * hy;
        }
      }
      out[ty * ow + tx] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/**
 * Max (or min) over a window of k values centred on each pixel of each row (clipped at the ends).
 * Splitting a row into blocks of k, g holds the running extreme from each block's start and h from
 * its end (or the row's end); a window of k values spans at most two blocks, so its extreme is that
 * of h at its left end and g at its right end.
 */
function rowExtreme(src: Float32Array, width: number, height: number, k: number, max: boolean): Float32Array {
  const r = k >> 1, s = max ? 1 : -1; // min(a, b) = -max(-a, -b): one loop for both
  const out = new Float32Array(src.length), g = new Float32Array(width), h = new Float32Array(width);
  for (let y = 0, o = 0; y < height; y++, o += width) {
    for (let i = 0; i < width; i++) {
      const v = s * src[o + i];
      g[i] = i % k === 0 || v > g[i - 1] ? v : g[i - 1];
    }
    for (let i = width - 1; i >= 0; i--) {
      const v = s * src[o + i];
      h[i] = i === width - 1 || (i + 1) % k === 0 || v > h[i + 1] ? v : h[i + 1];
    }
    for (let i = 0; i < width; i++) {
      const lo = i - r > 0 ? i - r : 0, hi = i + r < width - 1 ? i + r : width - 1;
      // Clipped at the start: g[hi] covers 0..hi. Within one block (clipped at the end): h[lo] covers lo..hi.
      const a = lo === 0 ? g[hi] : h[lo], b = lo === 0 || Math.floor(lo / k) === Math.floor(hi / k) ? a : g[hi];
      out[o + i] = s * (a > b ? a : b);
    }
  }
  return out;
}

function transpose(src: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[x * height + y] = src[y * width + x];
  return out;
}

/** Grey-level dilation (max) or erosion (min) over a k x k square (van Herk / Gil-Werman: O(1) per pixel for any k). */
export function squareFilter(src: Float32Array, width: number, height: number, k: number, max: boolean): Float32Array {
  const rows = rowExtreme(src, width, height, k, max);
  return transpose(rowExtreme(transpose(rows, width, height), height, width, k, max), height, width);
}

/** Mean over a k x k square (clipped at the borders), from a summed-area table. */
export function boxMean(src: Float32Array, width: number, height: number, k: number): Float32Array {
  const sat = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) { row += src[y * width + x]; sat[(y + 1) * (width + 1) + x + 1] = sat[y * (width + 1) + x + 1] + row; }
  }
  const r = k >> 1, out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const ya = Math.max(0, y - r), yb = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x++) {
      const xa = Math.max(0, x - r), xb = Math.min(width, x + r + 1);
      const s = sat[yb * (width + 1) + xb] - sat[ya * (width + 1) + xb] - sat[yb * (width + 1) + xa] + sat[ya * (width + 1) + xa];
      out[y * width + x] = s / ((yb - ya) * (xb - xa));
    }
  }
  return out;
}

/** Grey-level dilation (max) or erosion (min) over a disc of radius r. */
export function discFilter(src: Float32Array, width: number, height: number, r: number, max: boolean): Float32Array {
  const offsets: Array<[number, number]> = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r + r) offsets.push([dx, dy]);
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = max ? 0 : 1;
      for (const [dx, dy] of offsets) {
        const xx = x + dx, yy = y + dy;
        const s = xx >= 0 && yy >= 0 && xx < width && yy < height ? src[yy * width + xx] : 0;
        v = max ? Math.max(v, s) : Math.min(v, s);
      }
      out[y * width + x] = v;
    }
  }
  return out;
}

/** Median and robust standard deviation (1.4826 x median absolute deviation) of values in 0..1, from a 1024-bin histogram. */
export function robustStats(v: Float32Array): { median: number; sigma: number } {
  const bins = 1024, hist = new Uint32Array(bins);
  for (let i = 0; i < v.length; i++) hist[Math.min(bins - 1, Math.max(0, Math.floor(v[i] * bins)))]++;
  const quantile = (h: Uint32Array, q: number) => {
    let acc = 0;
    for (let b = 0; b < bins; b++) { acc += h[b]; if (acc >= q * v.length) return (b + 0.5) / bins; }
    return 1;
  };
  const median = quantile(hist, 0.5);
  const dev = new Uint32Array(bins);
  for (let i = 0; i < v.length; i++) dev[Math.min(bins - 1, Math.floor(Math.abs(v[i] - median) * bins))]++;
  return { median, sigma: 1.4826 * quantile(dev, 0.5) };
}

export interface Blob { label: number; area: number; mass: number; x0: number; y0: number; x1: number; y1: number; cx: number; cy: number }

/** 8-connected components of a mask: a label per pixel (0 = background) and each blob's area, ink mass, box and centroid. */
export function connectedComponents(mask: Uint8Array, ink: Float32Array, width: number, height: number): { labels: Int32Array; blobs: Blob[] } {
  const labels = new Int32Array(mask.length);
  const blobs: Blob[] = [];
  const stack: number[] = [];
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || labels[s]) continue;
    const b: Blob = { label: blobs.length + 1, area: 0, mass: 0, x0: width, y0: height, x1: -1, y1: -1, cx: 0, cy: 0 };
    labels[s] = b.label;
    stack.push(s);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width, y = (i - x) / width;
      b.area++; b.mass += ink[i]; b.cx += x; b.cy += y;
      if (x < b.x0) b.x0 = x; if (x > b.x1) b.x1 = x; if (y < b.y0) b.y0 = y; if (y > b.y1) b.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (mask[j] && !labels[j]) { labels[j] = b.label; stack.push(j); }
        }
      }
    }
    b.cx /= b.area; b.cy /= b.area;
    blobs.push(b);
  }
  return { labels, blobs };
}
