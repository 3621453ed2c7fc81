// Feature maps: what each layer of a model produces for one input image.
//
// featureMaps() (layer-outputs.ts) runs a Sequential model one layer at a time and keeps every output.
// The renderers draw an output (1, C, H, W) as C tiles in a grid, one per channel, enlarged with
// nearest-neighbour. All tiles of one layer share one colour scale ("normalised per layer"), so a
// bright tile is a channel that responded strongly compared with its neighbours, not just compared
// with itself. Non-negative outputs (the input image, anything after a ReLU or a max-pool) are drawn
// in greyscale from 0 (black) to the layer's maximum (white); outputs with negative values (a
// convolution before its ReLU) use the diverging map, blue < 0 < red, like the kernels.

import type { Sequential } from '../layers/sequential.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import { type FeatureMap, featureMaps } from './layer-outputs.ts';

import { Canvas, type Legend, THEME, drawLegend, formatScale, gridColumns, legendHeight, legendMinWidth, textHeight, textWidth } from './canvas.ts';
import { type RGB, divergingColor, greyColor, maxAbsOf, rangeOf } from './colormap.ts';

export { type FeatureMap, featureMaps };

export type FeatureColormap = 'auto' | 'grey' | 'diverging';

/** Options of renderFeatureMapsPng and renderModelFeatureMapsPng: the tile size, spacing and layout of the PNG. */
export interface FeatureMapPngOptions {
  /** Screen pixels per activation (default: about 84 px per tile side, between 1 and 16). */
  scale?: number;
  /** Pixels between tiles (default 4). */
  gap?: number;
  /** Tiles per row (default: a compact grid, e.g. 8 channels -> 4 x 2). */
  cols?: number;
  /** 'auto' (default): greyscale when every value is >= 0, else diverging. */
  colormap?: FeatureColormap;
  /** Channel indices above the tiles (default true). */
  title?: boolean;
}

/** A PNG of one layer's output (1, C, H, W) or (1, F), with an optional heading. */
export function renderFeatureMapsPng(output: Tensor, opts: FeatureMapPngOptions & { label?: string } = {}): Buffer {
  return renderFeatureMapStackPng([{ label: opts.label ?? '', output }], opts);
}

/** The input image and the output of every layer of `model` (except Flatten, a mere reshape), top to bottom. */
export function renderModelFeatureMapsPng(model: Sequential, x: Tensor, opts: FeatureMapPngOptions = {}): Buffer {
  const rows = [{ label: `input  ${x.shape.slice(1).join('×')}`, output: x }];
  for (const { layer, output } of featureMaps(model, x)) {
    if (layer.type === 'Flatten') continue;
    // 'conv2d_1' already says Conv2D; a name the user chose gets its type added.
    const name = layer.name.startsWith(layer.type.toLowerCase()) ? layer.name : `${layer.name} (${layer.type})`;
    rows.push({ label: `${name}  ${output.shape.slice(1).join('×')}`, output });
  }
  return renderFeatureMapStackPng(rows, opts);
}

/** Several outputs stacked top to bottom, each with its heading, tiles and colour bar (its own scale). */
export function renderFeatureMapStackPng(rows: Array<{ label: string; output: Tensor }>, opts: FeatureMapPngOptions = {}): Buffer {
  const fig = planFeatureMapFigure(rows, opts);
  const cv = new Canvas(fig.width, fig.height);
  for (const b of fig.blocks) paintBlock(cv, b, b.x, b.y);
  return cv.toPng();
}

/** The figure's size and each block's plan and top-left corner (exported for tests and annotations). */
export function planFeatureMapFigure(rows: Array<{ label: string; output: Tensor }>, opts: FeatureMapPngOptions = {}) {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('renderFeatureMaps: expected at least one output to draw');
  const margin = 12, blockGap = 20;
  let y = margin;
  const blocks = rows.map((r) => {
    const b = planFeatureBlock(r.output, r.label, opts);
    const placed = { ...b, x: margin, y };
    y += b.height + blockGap;
    return placed;
  });
  return { width: 2 * margin + Math.max(...blocks.map((b) => b.width)), height: y - blockGap + margin, blocks };
}

/** One output's tiles: positions in pixels relative to the block's top-left corner, and its colour scale. */
export interface FeatureBlockPlan {
  width: number;
  height: number;
  /** The image planes (C, H, W); a (1, F) output is one plane of 1 x F. */
  planes: { C: number; H: number; W: number; data: Tensor['data'] };
  scale: number;
  /** Top-left corner of each channel's tile. */
  tiles: Array<{ x: number; y: number }>;
  heading: string;
  tileLabels: boolean;
  color: (v: number) => RGB;
  legend: Legend & { x: number; y: number; width: number };
}

export function planFeatureBlock(output: Tensor, heading: string, opts: FeatureMapPngOptions): FeatureBlockPlan {
  const planes = asPlanes(output);
  const { C, H, W } = planes;
  // About 84 px per tile side; a (1, F) output is a single strip, so it may be longer.
  const target = H === 1 ? 160 : 84;
  const scale = intOpt('scale', opts.scale ?? Math.max(1, Math.min(16, Math.round(target / Math.max(H, W)))), 1);
  const gap = intOpt('gap', opts.gap ?? 5, 0);
  const cols = Math.min(C, intOpt('cols', opts.cols ?? gridColumns(C), 1));
  const tileLabels = (opts.title ?? true) && C > 1;
  const { color, legend } = colorScale(planes.data, opts.colormap ?? 'auto');

  const th = textHeight();
  const headingH = heading ? th + 8 : 0;
  const labelH = tileLabels ? th + 3 : 0;
  const pitchX = W * scale + gap, pitchY = labelH + H * scale + gap;
  const tiles = Array.from({ length: C }, (_, c) => ({
    x: (c % cols) * pitchX,
    y: headingH + Math.floor(c / cols) * pitchY + labelH,
  }));
  const gridW = cols * pitchX - gap;
  const gridH = headingH + Math.ceil(C / cols) * pitchY - gap;
  const legendW = Math.max(legendMinWidth(legend), Math.min(200, gridW));
  const legendY = gridH + 10;
  return {
    width: Math.max(gridW, legendW, textWidth(heading)),
    height: legendY + legendHeight(),
    planes, scale, tiles, heading, tileLabels, color,
    legend: { ...legend, x: 0, y: legendY, width: legendW },
  };
}

function paintBlock(cv: Canvas, b: FeatureBlockPlan, x0: number, y0: number): void {
  const { C, H, W, data } = b.planes;
  if (b.heading) cv.text(x0, y0, b.heading, THEME.text);
  for (let c = 0; c < C; c++) {
    const t = b.tiles[c];
    if (b.tileLabels) cv.text(x0 + t.x, y0 + t.y - textHeight() - 3, `${c}`, THEME.muted);
    // A thin frame, so that an all-black tile (a channel the ReLU silenced) still shows its edge.
    cv.fillRect(x0 + t.x - 1, y0 + t.y - 1, W * b.scale + 2, H * b.scale + 2, THEME.frame);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        cv.fillRect(x0 + t.x + j * b.scale, y0 + t.y + i * b.scale, b.scale, b.scale, b.color(data[(c * H + i) * W + j]));
      }
    }
  }
  drawLegend(cv, x0 + b.legend.x, y0 + b.legend.y, b.legend.width, b.legend);
}

/** (1, C, H, W) -> C planes of H x W; (1, F) -> one plane of 1 x F. */
function asPlanes(t: Tensor): FeatureBlockPlan['planes'] {
  if (t.rank === 4 && t.shape[0] === 1) return { C: t.shape[1], H: t.shape[2], W: t.shape[3], data: t.data };
  if (t.rank === 2 && t.shape[0] === 1) return { C: 1, H: 1, W: t.shape[1], data: t.data };
  throw new Error(`renderFeatureMaps: output must have shape (1, C, H, W) or (1, F), one image, got ${shapeStr(t.shape)}`);
}

/** The colour of each value, and the bar that explains it, from the layer's own range. */
function colorScale(data: ArrayLike<number>, map: FeatureColormap): { color: (v: number) => RGB; legend: Legend } {
  const { min, max } = rangeOf(data);
  const useDiverging = map === 'diverging' || (map === 'auto' && min < 0);
  if (useDiverging) {
    const m = maxAbsOf(data);
    return {
      color: (v) => divergingColor(v, m),
      legend: { colorAt: (t) => divergingColor((2 * t - 1) * m, m), left: `-${formatScale(m)}`, middle: '0', right: `+${formatScale(m)}` },
    };
  }
  if (map !== 'grey' && map !== 'auto') throw new RangeError(`renderFeatureMaps: colormap must be 'auto', 'grey' or 'diverging', got '${String(map)}'`);
  const lo = Math.min(0, min), span = max - lo;
  return {
    color: (v) => greyColor(span === 0 ? 0 : (v - lo) / span),
    legend: { colorAt: greyColor, left: formatScale(lo), right: formatScale(max) },
  };
}

function intOpt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`renderFeatureMaps: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}
