// The inspection figures: the colour map, kernel PNGs, feature-map PNGs and terminal kernels.
// PNGs are decoded with pngjs and checked for size and for the colour of known pixels.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Tensor, createRng } from '../src/index.ts';
import {
  DIVERGING_CENTER, DIVERGING_NEGATIVE, DIVERGING_POSITIVE, type RGB, detectColorMode, divergingColor, featureMaps,
  greyColor, kernelsToAnsi, maxAbsOf, planFeatureMapFigure, planKernelFigure, renderFeatureMapsPng,
  renderKernelGridPng, renderKernelsPng, renderModelFeatureMapsPng,
} from '../src/inspect/index.ts';
import { THEME } from '../src/inspect/canvas.ts';

const decode = (buf: Buffer) => PNG.sync.read(buf);
function pixelAt(png: PNG, x: number, y: number): RGB {
  const o = (y * png.width + x) * 4;
  return [png.data[o], png.data[o + 1], png.data[o + 2]];
}
/** A Conv2D whose weight is the given (F, C, KH, KW) nested array. */
function convWith(w: number[][][][]): Conv2D {
  const t = Tensor.from(w);
  const [F, C, KH, KW] = t.shape;
  return new Conv2D({ inChannels: C, outChannels: F, kernelSize: [KH, KW], bias: false, weightInit: t, name: 'probe' });
}

describe('diverging colour map', () => {
  it('sends 0 to the centre colour and ±maxAbs to the two ends', () => {
    expect(divergingColor(0, 1)).toEqual(DIVERGING_CENTER);
    expect(divergingColor(0, 0.37)).toEqual(DIVERGING_CENTER);
    expect(divergingColor(-1, 1)).toEqual(DIVERGING_NEGATIVE);
    expect(divergingColor(1, 1)).toEqual(DIVERGING_POSITIVE);
    expect(divergingColor(-2.5, 2.5)).toEqual(DIVERGING_NEGATIVE);
  });
  it('the centre is light grey or white, negative is blue, positive is red', () => {
    expect(Math.min(...DIVERGING_CENTER)).toBeGreaterThan(230);
    const [nr, , nb] = DIVERGING_NEGATIVE, [pr, , pb] = DIVERGING_POSITIVE;
    expect(nb).toBeGreaterThan(nr);
    expect(pr).toBeGreaterThan(pb);
    const [r1, , b1] = divergingColor(-0.5, 1), [r2, , b2] = divergingColor(0.5, 1);
    expect(b1).toBeGreaterThan(r1);
    expect(r2).toBeGreaterThan(b2);
  });
  it('clamps values beyond the scale, and maps everything to the centre when the scale is 0', () => {
    expect(divergingColor(-7, 1)).toEqual(DIVERGING_NEGATIVE);
    expect(divergingColor(7, 1)).toEqual(DIVERGING_POSITIVE);
    expect(divergingColor(0, 0)).toEqual(DIVERGING_CENTER);
  });
  it('rejects values that have no colour', () => {
    expect(() => divergingColor(NaN, 1)).toThrow('divergingColor: value must be a finite number, got NaN');
    expect(() => divergingColor(0, -1)).toThrow(RangeError);
    expect(() => maxAbsOf([1, Infinity])).toThrow(/index 1 is not finite/);
  });
  it('greyscale and the symmetric scale', () => {
    expect(greyColor(0)).toEqual([0, 0, 0]);
    expect(greyColor(1)).toEqual([255, 255, 255]);
    expect(maxAbsOf([0.5, -3, 2])).toBe(3);
  });
});

describe('renderKernelsPng', () => {
  it('Conv2D(1->8, 5x5): a PNG of the planned size, 8-16 px per weight, in a compact 4x2 grid', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, rng: createRng(0), name: 'conv2d_1' });
    const png = decode(renderKernelsPng(conv));
    const plan = planKernelFigure([conv.weight.value], { labels: ['x'] });
    expect([png.width, png.height]).toEqual([plan.width, plan.height]);
    expect(plan.scale).toBeGreaterThanOrEqual(8);
    expect(plan.scale).toBeLessThanOrEqual(16);
    const cells = plan.blocks[0].cells;
    expect(new Set(cells.map((c) => c.y)).size).toBe(2); // two rows
    expect(new Set(cells.map((c) => c.x)).size).toBe(4); // four columns
  });

  it('Conv2D(8->16, 5x5): one row per filter, one column per input channel', () => {
    const conv = new Conv2D({ inChannels: 8, outChannels: 16, kernelSize: 5, rng: createRng(0) });
    const png = decode(renderKernelsPng(conv, { title: false }));
    const plan = planKernelFigure([conv.weight.value], { title: false });
    expect([png.width, png.height]).toEqual([plan.width, plan.height]);
    const cell = (f: number, c: number) => plan.blocks[0].cells.find((k) => k.f === f && k.c === c)!;
    expect(cell(3, 5).y).toBe(cell(3, 0).y);
    expect(cell(3, 5).x).toBe(cell(0, 5).x);
    expect(cell(4, 0).y - cell(3, 0).y).toBe(5 * plan.scale + plan.gap);
  });

  it('a known 2x2 kernel paints its weights where expected, nearest-neighbour, with background gaps', () => {
    const conv = convWith([[[[-1, 0], [0, 1]]], [[[0.5, 0.5], [0.5, 0.5]]]]); // F=2, C=1
    const png = decode(renderKernelsPng(conv, { scale: 10, gap: 4 }));
    const plan = planKernelFigure([conv.weight.value], { scale: 10, gap: 4, labels: ['probe'] });
    expect(plan.maxAbs).toBe(1);
    const k0 = plan.blocks[0].cells[0], k1 = plan.blocks[0].cells[1];
    // Every pixel of a weight's 10x10 square has the weight's colour.
    for (const [dx, dy] of [[0, 0], [9, 9], [5, 3]]) {
      expect(pixelAt(png, k0.x + dx, k0.y + dy)).toEqual(DIVERGING_NEGATIVE); // w[0,0,0,0] = -1
      expect(pixelAt(png, k0.x + 10 + dx, k0.y + dy)).toEqual(DIVERGING_CENTER); // w[0,0,0,1] = 0
      expect(pixelAt(png, k0.x + 10 + dx, k0.y + 10 + dy)).toEqual(DIVERGING_POSITIVE); // w[0,0,1,1] = 1
    }
    expect(pixelAt(png, k1.x + 15, k1.y + 15)).toEqual(divergingColor(0.5, 1));
    // The gap between the two kernels is background.
    expect(k1.x - (k0.x + 20)).toBe(4);
    expect(pixelAt(png, k0.x + 21, k0.y + 5)).toEqual(THEME.background);
  });

  it('a multi-channel kernel is found at row f, column c', () => {
    const w = [[[[1]], [[0]]], [[[-1]], [[0.5]]]]; // F=2, C=2, 1x1
    const png = decode(renderKernelsPng(convWith(w), { scale: 8 }));
    const plan = planKernelFigure([Tensor.from(w)], { scale: 8, labels: ['probe'] });
    const at = (f: number, c: number) => { const k = plan.blocks[0].cells.find((q) => q.f === f && q.c === c)!; return pixelAt(png, k.x + 4, k.y + 4); };
    expect(at(0, 0)).toEqual(DIVERGING_POSITIVE);
    expect(at(0, 1)).toEqual(DIVERGING_CENTER);
    expect(at(1, 0)).toEqual(DIVERGING_NEGATIVE);
    expect(at(1, 1)).toEqual(divergingColor(0.5, 1));
  });

  it('draws a colour bar from -max through 0 to +max', () => {
    const conv = convWith([[[[-2, 0], [0, 2]]]]);
    const png = decode(renderKernelsPng(conv));
    const { legend } = planKernelFigure([conv.weight.value], { labels: ['probe'] });
    expect(pixelAt(png, legend.x, legend.y + 2)).toEqual(DIVERGING_NEGATIVE);
    expect(pixelAt(png, legend.x + legend.width - 1, legend.y + 2)).toEqual(DIVERGING_POSITIVE);
    const mid = pixelAt(png, legend.x + Math.floor(legend.width / 2), legend.y + 2);
    expect(Math.min(...mid)).toBeGreaterThan(230);
  });

  it('snapshots side by side share one colour scale', () => {
    const a = Tensor.from([[[[-1, 1]]]]), b = Tensor.from([[[[-2, 2]]]]);
    const opts = { scale: 10, labels: ['init', 'epoch 1'] };
    const png = decode(renderKernelGridPng([a, b], opts));
    const plan = planKernelFigure([a, b], opts);
    expect(plan.maxAbs).toBe(2);
    expect([png.width, png.height]).toEqual([plan.width, plan.height]);
    const [ka, kb] = [plan.blocks[0].cells[0], plan.blocks[1].cells[0]];
    expect(kb.x).toBeGreaterThan(ka.x + 20);
    expect(pixelAt(png, ka.x + 5, ka.y + 5)).toEqual(divergingColor(-1, 2)); // half-strength blue
    expect(pixelAt(png, kb.x + 5, kb.y + 5)).toEqual(DIVERGING_NEGATIVE);
  });

  it('rejects snapshots of different shapes, a wrong label count and bad sizes', () => {
    const a = Tensor.zeros([2, 1, 3, 3]);
    expect(() => renderKernelGridPng([])).toThrow(/non-empty array/);
    expect(() => renderKernelGridPng([a, Tensor.zeros([2, 1, 5, 5])])).toThrow('renderKernels: weight 1 has shape [2, 1, 5, 5], expected [2, 1, 3, 3] like weight 0 (snapshots of one layer)');
    expect(() => renderKernelGridPng([Tensor.zeros([3, 3])])).toThrow('renderKernels: weight 0 must be rank 4 (F, C, KH, KW), got [3, 3]');
    expect(() => renderKernelGridPng([a], { labels: ['a', 'b'] })).toThrow('renderKernels: got 2 labels for 1 weight tensors');
    expect(() => renderKernelGridPng([a], { scale: 0 })).toThrow('renderKernels: scale must be an integer >= 1, got 0');
  });
});

describe('feature maps', () => {
  const rng = createRng(0);
  const model = new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 4, kernelSize: 3, rng }), new ReLU(), new MaxPool2D({ size: 2 }),
    new Flatten(), new Dense({ inFeatures: 4 * 3 * 3, outFeatures: 10, rng }),
  ]);
  const x = new Tensor([1, 1, 8, 8], Float32Array.from({ length: 64 }, (_, i) => (i % 7) / 7));

  it('featureMaps returns every layer output, and the last is the model output', () => {
    const maps = featureMaps(model, x);
    expect(maps.map((m) => m.layer.type)).toEqual(['Conv2D', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense']);
    expect(maps.map((m) => m.output.shape)).toEqual([[1, 4, 6, 6], [1, 4, 6, 6], [1, 4, 3, 3], [1, 36], [1, 10]]);
    expect(Array.from(maps[4].output.data)).toEqual(Array.from(model.forward(x).data));
  });

  it('featureMaps wants a single image', () => {
    expect(() => featureMaps(model, Tensor.zeros([2, 1, 8, 8]))).toThrow('featureMaps: input must have shape (1, C, H, W), one image, got [2, 1, 8, 8]');
    expect(() => featureMaps(model, Tensor.zeros([1, 3, 8, 8]))).toThrow(/Conv2D\(conv2d_1\): input has 3 channels/);
  });

  it('renderFeatureMapsPng: size as planned; one tile per channel; normalised per layer', () => {
    // Channel 0 all zeros, channel 1 all 2 (the layer maximum), channel 2 all 1.
    const out = new Tensor([1, 3, 4, 4], Float32Array.from({ length: 48 }, (_, i) => [0, 2, 1][Math.floor(i / 16)]));
    const png = decode(renderFeatureMapsPng(out, { scale: 5 }));
    const fig = planFeatureMapFigure([{ label: '', output: out }], { scale: 5 });
    expect([png.width, png.height]).toEqual([fig.width, fig.height]);
    const b = fig.blocks[0];
    const tile = (c: number) => pixelAt(png, b.x + b.tiles[c].x + 10, b.y + b.tiles[c].y + 10);
    expect(tile(0)).toEqual([0, 0, 0]);
    expect(tile(1)).toEqual([255, 255, 255]);
    expect(tile(2)).toEqual(greyColor(0.5));
    expect(b.tiles[1].x - b.tiles[0].x).toBe(4 * 5 + 5); // tile width + gap
  });

  it('outputs with negative values use the diverging map', () => {
    const out = new Tensor([1, 2, 2, 2], Float32Array.from([-1, -1, -1, -1, 0.5, 0.5, 0.5, 0.5]));
    const png = decode(renderFeatureMapsPng(out, { scale: 4 }));
    const b = planFeatureMapFigure([{ label: '', output: out }], { scale: 4 }).blocks[0];
    expect(pixelAt(png, b.x + b.tiles[0].x + 1, b.y + b.tiles[0].y + 1)).toEqual(DIVERGING_NEGATIVE);
    expect(pixelAt(png, b.x + b.tiles[1].x + 1, b.y + b.tiles[1].y + 1)).toEqual(divergingColor(0.5, 1));
  });

  it('default sizes: a 24x24 map gets about 84-100 px tiles; the model overview stacks every layer', () => {
    const out = Tensor.zeros([1, 8, 24, 24]);
    const fig = planFeatureMapFigure([{ label: 'conv', output: out }]);
    expect(fig.blocks[0].scale).toBe(4);
    const png = decode(renderFeatureMapsPng(out, { label: 'conv' }));
    expect([png.width, png.height]).toEqual([fig.width, fig.height]);
    const overview = decode(renderModelFeatureMapsPng(model, x));
    expect(overview.height).toBeGreaterThan(png.height);
  });

  it('rejects batches and bad options', () => {
    expect(() => renderFeatureMapsPng(Tensor.zeros([2, 1, 4, 4]))).toThrow('renderFeatureMaps: output must have shape (1, C, H, W) or (1, F), one image, got [2, 1, 4, 4]');
    expect(() => renderFeatureMapsPng(Tensor.zeros([1, 1, 4, 4]), { cols: 0 })).toThrow('renderFeatureMaps: cols must be an integer >= 1, got 0');
  });
});

describe('kernelsToAnsi', () => {
  const conv = convWith([[[[-1, 0], [0.5, 1]]]]);

  it('truecolor: ANSI 24-bit backgrounds from the diverging map, two spaces per weight', () => {
    const s = kernelsToAnsi(conv, { color: 'truecolor' });
    const [nr, ng, nb] = DIVERGING_NEGATIVE, [pr, pg, pb] = DIVERGING_POSITIVE;
    expect(s).toContain(`\x1b[48;2;${nr};${ng};${nb}m  `);
    expect(s).toContain(`\x1b[48;2;${pr};${pg};${pb}m  `);
    expect(s).toContain('\x1b[0m');
    // The kernel's first row: -1 then 0, then a reset.
    const [cr, cg, cb] = DIVERGING_CENTER;
    expect(s).toContain(`\x1b[48;2;${nr};${ng};${nb}m  \x1b[48;2;${cr};${cg};${cb}m  \x1b[0m`);
  });

  it('blocks: sign and shade, no escape codes', () => {
    const s = kernelsToAnsi(conv, { color: 'blocks' });
    expect(s).not.toContain('\x1b');
    expect(s).toContain('-█ ·'); // row 0: -1, 0
    expect(s).toContain('+▒+█'); // row 1: 0.5, 1
  });

  it('detects truecolor from COLORTERM and honours NO_COLOR', () => {
    expect(detectColorMode({ COLORTERM: 'truecolor' })).toBe('truecolor');
    expect(detectColorMode({ COLORTERM: '24bit' })).toBe('truecolor');
    expect(detectColorMode({})).toBe('blocks');
    expect(detectColorMode({ COLORTERM: 'truecolor', NO_COLOR: '1' })).toBe('blocks');
    expect(kernelsToAnsi(conv, { env: { COLORTERM: 'truecolor', NO_COLOR: '1' } })).not.toContain('\x1b');
    expect(kernelsToAnsi(conv, { env: { COLORTERM: 'truecolor' } })).toContain('\x1b[48;2;');
  });

  it('multi-channel layers: a row per filter, a column per channel', () => {
    const c = new Conv2D({ inChannels: 3, outChannels: 2, kernelSize: 3, rng: createRng(1), name: 'c' });
    const s = kernelsToAnsi(c, { color: 'blocks', width: 200 });
    expect(s).toMatch(/c0 +c1 +c2/);
    expect(s).toMatch(/^f0 /m);
    expect(s).toMatch(/^f1 /m);
    expect(s.split('\n').filter((l) => /^f\d /.test(l))).toHaveLength(2);
  });
});
