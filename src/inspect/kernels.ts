// Kernels as pictures: every 2-D slice w[f, c, :, :] of a Conv2D weight (F, C, KH, KW), drawn with
// the diverging colour map (blue < 0 < red), enlarged with nearest-neighbour so each weight is a
// visible square, with a colour bar that gives the scale.
//
// Layout: one row per filter f and one column per input channel c; a layer that reads a single
// channel (the first layer of a digit classifier) has one slice per filter, so its F kernels are
// arranged in a compact grid instead. A kernel is drawn the way it is applied to the image (miniconv
// computes a cross-correlation, so there is no flip): w[f, c, 0, 0] is the top-left square.
//
// A grouped conv (groups G, weight (F, C/G, KH, KW)) is drawn one block per group, side by side; a
// depthwise conv (groups = C) reads one channel per kernel, so it gets the compact grid.
//
// A figure is computed in two steps: planKernelFigure() decides where everything goes (exported so
// that tests and callers can find a kernel's pixels), then the renderers paint.

import type { Conv2D } from '../layers/conv2d.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import { Canvas, type Legend, THEME, drawLegend, formatScale, gridColumns, legendHeight, legendMinWidth, textHeight, textWidth } from './canvas.ts';
import { type RGB, channelsColor, divergingColor, greyColor, maxAbsOf } from './colormap.ts';

/** Options of renderKernelsPng: the cell size, spacing, colour scale and headings of the kernel PNG. */
export interface KernelPngOptions {
  /** Screen pixels per kernel weight (default: about 60 px per kernel side, between 4 and 16). */
  scale?: number;
  /** Pixels between kernel cells (default: a third of the scale, at least 3). */
  gap?: number;
  /** The colour scale is [-maxAbs, +maxAbs] (default: the largest |w| in the figure). */
  maxAbs?: number;
  /** Headings and filter/channel indices (default true). The colour bar is always drawn. */
  title?: boolean;
}

/** Options of renderKernelGridPng: those of renderKernelsPng and one heading per block of kernels. */
export interface KernelGridOptions extends KernelPngOptions {
  /** One heading per snapshot, e.g. ['init', 'epoch 1', 'epoch 2']. */
  labels?: string[];
}

/** Where one kernel slice w[f, c] is drawn: its top-left pixel. */
export interface KernelCell { f: number; c: number; x: number; y: number }

export interface KernelFigurePlan {
  width: number;
  height: number;
  scale: number;
  gap: number;
  maxAbs: number;
  /** One block per weight tensor, left to right. */
  blocks: Array<{ x: number; y: number; heading?: string; cells: KernelCell[]; texts: Array<{ x: number; y: number; s: string }> }>;
  legend: { x: number; y: number; width: number };
}

/**
 * A PNG of one Conv2D layer's kernels (see the layout notes at the top of this file). A grouped conv
 * (weight (F, C/G, KH, KW)) is drawn as G blocks side by side on one colour scale, block g holding the
 * F/G filters that read channels g*C/G to (g+1)*C/G - 1; a depthwise conv (C/G = 1) as one compact
 * grid, one kernel per channel. `name` replaces the layer's own name in the heading.
 */
export function renderKernelsPng(conv: Conv2D, opts: KernelPngOptions & { name?: string } = {}): Buffer {
  const { name, ...rest } = opts;
  const groups = groupedKernels(conv, name);
  return renderKernelGridPng(groups.weights, { ...rest, labels: groups.labels });
}

/**
 * What renderKernelsPng draws: the weight (one block) or, for a grouped conv with several channels
 * per group, one (F/G, C/G, KH, KW) slice per group, each with its heading.
 */
export function groupedKernels(conv: Conv2D, name?: string): { weights: Tensor[]; labels: string[] } {
  const w = conv.weight.value;
  const [F, CG, KH, KW] = w.shape;
  const G = conv.groups, FG = F / G;
  const label = name ?? (conv.name || 'conv2d');
  if (G === 1) return { weights: [w], labels: [`${label}  ${w.shape.join('×')}`] }; // e.g. 'conv2d_1  8×1×5×5'
  if (CG === 1) {
    // Depthwise: kernel f filters channel f (or, with F = m*C, channel floor(f / m)) and nothing else.
    const which = FG === 1 ? 'kernel f filters channel f' : `kernel f filters channel floor(f / ${FG})`;
    return { weights: [w], labels: [`${label}  depthwise ${w.shape.join('×')}: ${which}`] };
  }
  const per = FG * CG * KH * KW;
  const weights: Tensor[] = [], labels: string[] = [];
  for (let g = 0; g < G; g++) {
    weights.push(new Tensor([FG, CG, KH, KW], w.data.slice(g * per, (g + 1) * per))); // (F/G, C/G, KH, KW)
    labels.push(`${g === 0 ? `${label}  ` : ''}group ${g}: f${g * FG}-${(g + 1) * FG - 1} on c${g * CG}-${(g + 1) * CG - 1}`);
  }
  return { weights, labels };
}

/**
 * Several snapshots of the same layer's weight (F, C, KH, KW) side by side, one block each, on one
 * shared colour scale, so that a kernel's change from block to block is a change in its weights.
 */
export function renderKernelGridPng(weights: Tensor[], opts: KernelGridOptions = {}): Buffer {
  const plan = planKernelFigure(weights, opts);
  const cv = new Canvas(plan.width, plan.height);
  plan.blocks.forEach((block, k) => {
    if (block.heading) cv.text(block.x, block.y, block.heading, THEME.text);
    for (const t of block.texts) cv.text(t.x, t.y, t.s, THEME.muted);
    for (const cell of block.cells) paintKernel(cv, weights[k], cell, plan.scale, plan.maxAbs);
  });
  drawLegend(cv, plan.legend.x, plan.legend.y, plan.legend.width, divergingLegend(plan.maxAbs));
  return cv.toPng();
}

/** The colour bar of the diverging map: -maxAbs at the left end, 0 in the middle, +maxAbs at the right. */
function divergingLegend(maxAbs: number): Legend {
  const m = formatScale(maxAbs);
  return {
    colorAt: (t) => divergingColor((2 * t - 1) * maxAbs, maxAbs),
    left: maxAbs === 0 ? '0' : `-${m}`, middle: '0', right: maxAbs === 0 ? '0' : `+${m}`,
  };
}

/** Decides the figure's size and where each heading, index label and kernel goes. */
export function planKernelFigure(weights: Tensor[], opts: KernelGridOptions = {}): KernelFigurePlan {
  const shape = checkWeights(weights, opts.labels);
  const [F, C, KH, KW] = shape;
  const scale = intOpt('scale', opts.scale ?? Math.max(4, Math.min(16, Math.round(60 / Math.max(KH, KW)))), 1);
  const gap = intOpt('gap', opts.gap ?? Math.max(3, Math.round(scale / 3)), 0);
  const maxAbs = opts.maxAbs ?? Math.max(...weights.map((w) => maxAbsOf(w.data)));
  if (!Number.isFinite(maxAbs) || maxAbs < 0) throw new RangeError(`renderKernels: maxAbs must be a finite number >= 0, got ${maxAbs}`);
  const title = opts.title ?? true;
  const compact = C === 1;

  // One block, in coordinates relative to its top-left corner.
  const cols = compact ? gridColumns(F) : C;
  const rows = compact ? Math.ceil(F / cols) : F;
  const th = textHeight();
  const headingH = title && opts.labels ? th + 8 : 0;
  const colLabelH = title && !compact ? th + 4 : 0; // 'c0', 'c1', ... above the columns
  const rowLabelW = title && !compact ? textWidth(`f${F - 1}`) + 6 : 0; // 'f0', 'f1', ... left of the rows
  const cellLabelH = title && compact ? th + 3 : 0; // the filter index above each kernel
  const pitchX = KW * scale + gap, pitchY = cellLabelH + KH * scale + gap;
  const gridW = rowLabelW + cols * pitchX - gap;
  const headingW = title && opts.labels ? Math.max(...opts.labels.map((l) => textWidth(l))) : 0;
  const blockW = Math.max(gridW, headingW);
  const blockH = headingH + colLabelH + rows * pitchY - gap;

  const margin = Math.max(10, 2 * gap);
  const blockGap = Math.max(24, 4 * gap);
  const innerW = weights.length * blockW + (weights.length - 1) * blockGap;
  const legendW = Math.max(legendMinWidth(divergingLegend(maxAbs)), Math.min(256, innerW));
  const legendY = margin + blockH + Math.max(14, 2 * gap);

  const blocks = weights.map((_, k) => {
    const bx = margin + k * (blockW + blockGap), by = margin;
    const cells: KernelCell[] = [];
    const texts: Array<{ x: number; y: number; s: string }> = [];
    const gridX = bx + rowLabelW, gridY = by + headingH + colLabelH;
    for (let f = 0; f < F; f++) {
      for (let c = 0; c < C; c++) {
        const r = compact ? Math.floor(f / cols) : f;
        const col = compact ? f % cols : c;
        const x = gridX + col * pitchX, y = gridY + r * pitchY + cellLabelH;
        cells.push({ f, c, x, y });
        if (title && compact) texts.push({ x, y: y - cellLabelH, s: `${f}` });
      }
      if (title && !compact) texts.push({ x: bx, y: gridY + f * pitchY + Math.floor((KH * scale - th) / 2), s: `f${f}` });
    }
    if (title && !compact) for (let c = 0; c < C; c++) texts.push({ x: gridX + c * pitchX, y: by + headingH, s: `c${c}` });
    return { x: bx, y: by, heading: title ? opts.labels?.[k] : undefined, cells, texts };
  });

  return {
    width: 2 * margin + Math.max(innerW, legendW),
    height: legendY + legendHeight() + margin,
    scale, gap, maxAbs, blocks,
    legend: { x: margin, y: legendY, width: legendW },
  };
}

/** Paints w[f, c, :, :] as KH x KW squares of scale x scale pixels. */
function paintKernel(cv: Canvas, w: Tensor, cell: KernelCell, scale: number, maxAbs: number): void {
  const [, C, KH, KW] = w.shape;
  const base = (cell.f * C + cell.c) * KH * KW;
  for (let m = 0; m < KH; m++) {
    for (let n = 0; n < KW; n++) {
      cv.fillRect(cell.x + n * scale, cell.y + m * scale, scale, scale, divergingColor(w.data[base + m * KW + n], maxAbs));
    }
  }
}

/** All snapshots must be rank-4 weights of one shape; returns that shape. */
function checkWeights(weights: Tensor[], labels: string[] | undefined): readonly number[] {
  const who = 'renderKernels';
  if (!Array.isArray(weights) || weights.length === 0) throw new TypeError(`${who}: expected a non-empty array of weight tensors (F, C, KH, KW)`);
  const shape = weights[0].shape;
  weights.forEach((w, k) => {
    if (w.rank !== 4) throw new Error(`${who}: weight ${k} must be rank 4 (F, C, KH, KW), got ${shapeStr(w.shape)}`);
    if (w.shape.some((d, i) => d !== shape[i])) throw new Error(`${who}: weight ${k} has shape ${shapeStr(w.shape)}, expected ${shapeStr(shape)} like weight 0 (snapshots of one layer)`);
  });
  if (labels && labels.length !== weights.length) throw new RangeError(`${who}: got ${labels.length} labels for ${weights.length} weight tensors`);
  return shape;
}

function intOpt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`renderKernels: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * A 3-channel layer's kernels as colour pictures (the first layer of a colour model): one cell per
 * filter f, its weight w[f, c, m, n] for c = 0, 1, 2 as the red, green and blue of square (m, n),
 * each mapped symmetrically around 0 on one scale for the whole layer (channelsColor): -maxAbs -> 0,
 * 0 -> mid-grey (128), +maxAbs -> 255. A kernel that responds to red pictures is red; one that
 * responds to "not blue" is yellowish; a grey square is a weight near 0 in all three channels. The
 * colour bar shows the scale of one channel. Grouped convs are not drawn this way (their channels
 * are not R, G, B).
 */
export function renderColorKernelsPng(conv: Conv2D, opts: KernelPngOptions & { name?: string } = {}): Buffer {
  checkColorLayer(conv);
  const { name, ...rest } = opts;
  return renderColorKernelGridPng([conv.weight.value], { ...rest, labels: [colorHeading(conv, name)] });
}

/**
 * Several snapshots of a 3-channel layer's weight (F, 3, KH, KW) side by side, each drawn as
 * renderColorKernelsPng draws a layer, on one shared scale (the largest |w| of all of them): the
 * snapshot strip of a colour model's first layer.
 */
export function renderColorKernelGridPng(weights: Tensor[], opts: KernelGridOptions = {}): Buffer {
  const plan = planColorKernelGrid(weights, opts);
  const cv = new Canvas(plan.width, plan.height);
  plan.blocks.forEach((block, k) => {
    const w = weights[k];
    const [, , KH, KW] = w.shape;
    if (block.heading) cv.text(block.x, block.y, block.heading, THEME.text);
    for (const t of block.texts) cv.text(t.x, t.y, t.s, THEME.muted);
    for (const cell of block.cells) {
      for (let m = 0; m < KH; m++) {
        for (let n = 0; n < KW; n++) {
          cv.fillRect(cell.x + n * plan.scale, cell.y + m * plan.scale, plan.scale, plan.scale, colorOfWeights(w, cell.f, m, n, plan.maxAbs));
        }
      }
    }
  });
  drawLegend(cv, plan.legend.x, plan.legend.y, plan.legend.width, colorChannelLegend(plan.maxAbs));
  return cv.toPng();
}

/** Where renderColorKernelsPng puts each filter (one cell per filter, c = 0), for tests and callers. */
export function planColorKernelFigure(conv: Conv2D, opts: KernelPngOptions & { name?: string } = {}): KernelFigurePlan {
  checkColorLayer(conv);
  const { name, ...rest } = opts;
  return planColorKernelGrid([conv.weight.value], { ...rest, labels: [colorHeading(conv, name)] });
}

/** Where renderColorKernelGridPng puts each block and filter (one cell per filter, c = 0). */
export function planColorKernelGrid(weights: Tensor[], opts: KernelGridOptions = {}): KernelFigurePlan {
  const [F, C, KH, KW] = checkWeights(weights, opts.labels);
  if (C !== 3) throw new Error(`renderColorKernels: expects weights reading 3 channels (R, G, B), (F, 3, KH, KW), got ${shapeStr(weights[0].shape)}`);
  // The layout of a one-channel layer: F cells in a compact grid, one block per weight.
  const layout = weights.map(() => new Tensor([F, 1, KH, KW], new Float32Array(F * KH * KW)));
  const plan = planKernelFigure(layout, { ...opts, maxAbs: opts.maxAbs ?? Math.max(...weights.map((w) => maxAbsOf(w.data))) });
  const legendW = Math.max(plan.legend.width, legendMinWidth(colorChannelLegend(plan.maxAbs)));
  return { ...plan, width: Math.max(plan.width, plan.legend.x * 2 + legendW), legend: { ...plan.legend, width: legendW } };
}

function checkColorLayer(conv: Conv2D): void {
  const w = conv.weight.value;
  if (w.shape[1] !== 3 || conv.groups !== 1) {
    throw new Error(`renderColorKernels: expects a layer reading 3 channels (R, G, B) without groups, got weight ${shapeStr(w.shape)} with groups ${conv.groups}`);
  }
}

function colorHeading(conv: Conv2D, name: string | undefined): string {
  return `${name ?? (conv.name || 'conv2d')}  ${conv.weight.value.shape.join('×')}  (channels 0, 1, 2 as red, green, blue)`;
}

/** The colour of square (m, n) of filter f of a (F, 3, KH, KW) weight. */
function colorOfWeights(w: Tensor, f: number, m: number, n: number, maxAbs: number): RGB {
  const [, C, KH, KW] = w.shape;
  const at = (c: number) => w.data[((f * C + c) * KH + m) * KW + n];
  return channelsColor(at(0), at(1), at(2), maxAbs);
}

/** One channel's scale: -maxAbs is none of that colour, 0 half of it, +maxAbs all of it. */
function colorChannelLegend(maxAbs: number): Legend {
  const m = formatScale(maxAbs);
  return { colorAt: greyColor, left: maxAbs === 0 ? '0' : `-${m}`, middle: '0', right: maxAbs === 0 ? '0' : `+${m}` };
}
