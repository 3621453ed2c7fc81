// Colour maps for looking at weights and activations.
//
// Kernel weights have a sign that matters (an edge detector is a positive lobe beside a negative
// one), so they get a *diverging* map centred on zero: blue for negative, near-white for zero, red
// for positive, with a symmetric scale [-maxAbs, +maxAbs] so that the same shade means the same
// magnitude on both sides. Activations after a ReLU are >= 0, so feature maps use greyscale.

/** An sRGB colour, each channel 0..255. */
export type RGB = readonly [number, number, number];

// ColorBrewer's 9-class RdBu, ordered from negative to positive (matplotlib's 'RdBu_r').
// The two darkest RdBu classes are left out so that the ends stay visible on a dark background.
const DIVERGING_STOPS: readonly RGB[] = [
  [33, 102, 172], // -maxAbs
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247], // 0
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43], // +maxAbs
];

/** The colour of 0 in the diverging map (a very light grey). */
export const DIVERGING_CENTER: RGB = DIVERGING_STOPS[4];
/** The colour of -maxAbs (and anything below it). */
export const DIVERGING_NEGATIVE: RGB = DIVERGING_STOPS[0];
/** The colour of +maxAbs (and anything above it). */
export const DIVERGING_POSITIVE: RGB = DIVERGING_STOPS[DIVERGING_STOPS.length - 1];

/**
 * The diverging colour of v on the scale [-maxAbs, +maxAbs]: 0 -> DIVERGING_CENTER,
 * -maxAbs -> DIVERGING_NEGATIVE, +maxAbs -> DIVERGING_POSITIVE; values beyond the scale are clamped.
 * A scale of 0 (an all-zero kernel) maps everything to the centre colour.
 */
export function divergingColor(v: number, maxAbs: number): RGB {
  if (!Number.isFinite(v)) throw new RangeError(`divergingColor: value must be a finite number, got ${v}`);
  if (!(maxAbs >= 0) || !Number.isFinite(maxAbs)) throw new RangeError(`divergingColor: maxAbs must be a finite number >= 0, got ${maxAbs}`);
  const t = maxAbs === 0 ? 0 : Math.max(-1, Math.min(1, v / maxAbs)); // in [-1, 1]
  return interpolate(DIVERGING_STOPS, (t + 1) / 2);
}

/**
 * Three weights of one kernel square, read as red, green and blue (the first layer of a colour
 * model: its input channels are R, G, B), each mapped symmetrically around 0 on [-maxAbs, +maxAbs]:
 * -maxAbs -> 0, 0 -> 127.5 (mid-grey, rounded to 128), +maxAbs -> 255; clamped beyond the scale.
 */
export function channelsColor(r: number, g: number, b: number, maxAbs: number): RGB {
  if (!(maxAbs >= 0) || !Number.isFinite(maxAbs)) throw new RangeError(`channelsColor: maxAbs must be a finite number >= 0, got ${maxAbs}`);
  const one = (v: number) => {
    if (!Number.isFinite(v)) throw new RangeError(`channelsColor: weight ${v} is not finite; it has no colour`);
    const t = maxAbs === 0 ? 0 : Math.max(-1, Math.min(1, v / maxAbs));
    return Math.round(127.5 + 127.5 * t);
  };
  return [one(r), one(g), one(b)];
}

/** Greyscale: t = 0 -> black, t = 1 -> white (clamped). */
export function greyColor(t: number): RGB {
  if (!Number.isFinite(t)) throw new RangeError(`greyColor: value must be a finite number, got ${t}`);
  const g = Math.round(255 * Math.max(0, Math.min(1, t)));
  return [g, g, g];
}

/** The largest |v|: the symmetric scale that makes the strongest weight reach an end of the map. */
export function maxAbsOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (!Number.isFinite(a)) throw new RangeError(`maxAbsOf: value ${values[i]} at index ${i} is not finite; cannot choose a colour scale`);
    if (a > m) m = a;
  }
  return m;
}

/** The smallest and largest value (throws on NaN or Infinity, which have no colour). */
export function rangeOf(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new RangeError(`rangeOf: value ${v} at index ${i} is not finite; cannot choose a colour scale`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/** Piecewise-linear interpolation between evenly spaced stops, t in [0, 1]. */
function interpolate(stops: readonly RGB[], t: number): RGB {
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i], b = stops[i + 1];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}
