// Reading a whole handwritten number: every digit in a picture, at any size, left to right.
// Pure arithmetic on arrays (no file system), so the page can run it as `miniconv read` does.
//
// readNumber(rgba, W, H, classify) runs, in order (small writing, marks under SMALL_MARK pixels high,
// is read again from step 1 enlarged):
//   1. clean       the steps `predict` runs (clean-picture.ts): grey, shrink to READ_SIDE, ink polarity,
//                  background closing, flattened ink, adaptive threshold, ruled lines removed
//   2. components  8-connected ink; specks (smaller than MIN_SIDE, or with under 1% of the largest mark's ink) dropped
//   3. merge       pieces of one digit: a mark that overlaps another's columns by half of the narrower
//                  one, and is vertically within half a height of it (a 5's floating bar, a broken stroke);
//                  a small fragment (under FRAGMENT of the typical height) beside a mark joined to it
//   4. lattice     the number is read as a whole, by the best path through a lattice of candidate digits
//                  (over-segmentation, then recognition picks the segmentation, as in LeCun et al.'s
//                  cheque reader). A mark wider than SPLIT_ASPECT x its height, or read with p < SPLIT_P,
//                  or that the verifier (read-verifier.ts) doubts is one whole digit, may be several
//                  touching digits: it gets candidate cuts, the cheapest path down the mark through its
//                  own ink near every eighth of its height (a shortest-path cut: it parts touching strokes
//                  where the ink between them is thinnest, along any line, not only a column). A candidate
//                  digit is the ink between two places a digit may begin or end (a mark's edges, its
//                  cuts): part of a mark, a mark, or neighbouring marks joined (a digit the threshold
//                  broke in two side by side, which step 3's overlap rule does not join). Dynamic
//                  programming picks the path with the best total: per digit, log p of the class read,
//                  plus VERIFY x the verifier's log P(one whole digit) (a classifier reads half a 0 as a
//                  confident 1, a 1 touching a 7 as a confident 7; the verifier was trained to tell), plus
//                  a shape prior (how far its box's aspect is from that class's in the training digits),
//                  a height prior (a piece much shorter than the number's typical digit is likely part
//                  of one), minus CUT_COST per stroke width of ink each cut severs
//   5. normalise   each digit as `predict` does its one: cropped with its own ink only, stroke width
//                  brought to MNIST's, box into 20x20, centre of mass at the centre of 28x28
//   6. classify    the digits of the best path were classified in the lattice; each is read again
//                  moved one pixel each way (SHIFTS) and the nine readings averaged; warnings for
//                  digits read with p < UNSURE_P, for marks split or joined, and for unusual sizes
//
// Letters: W, H the working picture's width and height; h a mark's height; p a probability.

import { type Blob, connectedComponents, squareFilter } from './image-ops.ts';
import {
  DIGIT_SIZE, backgroundWindow, estimateBackground, findLines, flattenIllumination, greyFromRgba, inkPolarity, normalizeStroke, normalizeToMnist,
  removeLines, shrinkGrey, thresholdInk,
} from './clean-picture.ts';
import { resampleArea } from './image-ops.ts';
import { wholeDigitLogP } from './read-verifier.ts';

/** Pictures are shrunk to at most this many pixels a side before reading (a 12-pixel digit stays readable in a 1600-pixel page). */
export const READ_SIDE = 1600;
/** The most digits one picture may hold: more is refused (a page of text, or noise read as ink). */
export const MAX_DIGITS = 40;
/** More separate marks than this and the picture is refused before any classification (texture, not writing). */
export const MAX_MARKS = 2000;
/** Marks smaller than this (longer side, working pixels) are specks. */
export const MIN_SIDE = 6;
/** A digit read with a lower probability gets a warning. */
export const UNSURE_P = 0.7;
/** A mark narrower than SPLIT_ASPECT x its height, read with p >= SPLIT_P and a "one whole digit" log-probability >= SPLIT_Q, is not tried split. */
const SPLIT_ASPECT = 0.9, SPLIT_P = 0.9, SPLIT_Q = -0.7;
/**
 * The weights of step 4's choice, in units of log p (tuned on numbers composed from the last 1,000
 * training digits, read by a classifier that never saw them: scripts/tune-read.ts, 2026-12-08):
 * VERIFY, of the verifier's log P(one whole digit); SHAPE, of the aspect prior; CUT_COST, per stroke
 * width of ink a cut severs. DIAGONAL: what a cut's sideways step costs (in ink pixels).
 */
const VERIFY = 1, SHAPE = 0.5, CUT_COST = 1.5, DIAGONAL = 0.05;
/**
 * Step 6's moves: the eight one-pixel shifts of a chosen digit's input, read beside it and averaged
 * (on the tuning set: touching 90.5% -> 92.0% of numbers entirely right, and every setting up, against 4 shifts 91.8%).
 */
const SHIFTS: ReadonlyArray<[number, number]> = [[1, 1], [-1, -1], [1, -1], [-1, 1], [1, 0], [-1, 0], [0, 1], [0, -1]];
/** Marks further apart than JOIN_GAP x the typical height are never read as one digit. */
const JOIN_GAP = 0.1;
/** Writing whose marks' median height is under this many working pixels is read again enlarged to it (noisy small digits lose strokes in the threshold). */
const SMALL_MARK = 48;
/**
 * ln(width / height) of each class's ink box in the 8,000 training digits of the bundled set: mean and
 * standard deviation (measured 2026-12-07). A half of a 0 may look like a 1 to the classifier, but a
 * 1 that narrow is common and a 7 is not; a merged pair read as one 0 is far wider than a 0.
 */
const ASPECT: ReadonlyArray<[number, number]> = [
  [-0.098, 0.178], [-0.826, 0.447], [-0.063, 0.21], [-0.201, 0.202], [-0.215, 0.198], [-0.042, 0.244], [-0.31, 0.213], [-0.233, 0.211], [-0.253, 0.209], [-0.356, 0.195],
];

/**
 * The height prior (2026-12-08): a digit is rarely much shorter than the number's typical one (the
 * median height of its marks), and the halves of a digit cut in two often are (an 8's two loops read
 * as 00, a 6's loop without its stem read as a 0, a tick the threshold broke off read as a 1). A
 * candidate whose ink box is under SHORT x the typical height loses HEIGHT x u^2 / 2,
 * u = ln(its height / (SHORT x typical)) / SHORT_SD (SHORT 0.75: digits of one number differ by +-25%
 * in the test compositions, and wide digits are shorter).
 */
const HEIGHT = 1, SHORT = 0.75, SHORT_SD = 0.15;
/**
 * A mark whose box is under FRAGMENT x the typical height both ways, and that lies within FRAGMENT_GAP
 * x the typical height of a neighbour's columns (and vertically near it), is a piece of that
 * neighbour (a stroke the threshold broke off, the tail of a 9): it is joined to the nearest, not read as a digit (tuned on --set tune).
 */
const FRAGMENT = 0.4, FRAGMENT_GAP = 0.15;

/**
 * log p of the class read, plus the shape prior: -shape z^2 / 2, z how many standard deviations the
 * box's aspect is from that class's; plus the height prior (HEIGHT) against the number's typical digit height.
 */
function segmentScore(probs: Float32Array, box: readonly number[], typical: number, w: ReadWeights): number {
  const c = argmax(probs, 0);
  const [mean, sd] = ASPECT[c];
  const z = (Math.log(box[2] / box[3]) - mean) / sd;
  const u = Math.min(0, Math.log(box[3] / (SHORT * typical))) / SHORT_SD;
  return Math.log(Math.max(probs[c], 1e-9)) - (w.shape * z * z) / 2 - (w.height * u * u) / 2;
}

/** The classifier: n 28x28 inputs (n*784 values in 0..1, MNIST-style) -> n*10 probabilities. */
export type Classify = (inputs: Float32Array, n: number) => Float32Array;

export interface ReadDigit {
  digit: number;
  p: number;
  /** [x, y, w, h] in the original picture's pixels. */
  box: [number, number, number, number];
  /** The 28x28 input the classifier saw. */
  input: Float32Array;
  /** The ten probabilities. */
  probs: Float32Array;
}

export interface ReadResult {
  text: string;
  digits: ReadDigit[];
  warnings: string[];
  /** The cleaned ink (0..1) of the marks read, at the working size, and the factor from working to original pixels. */
  ink: Float32Array;
  width: number;
  height: number;
  scale: number;
}

export interface ReadOptions {
  source?: string;
  maxDigits?: number;
}

/** One candidate digit: the classifier's 28x28 input and its ink box [x, y, w, h] in working pixels. */
export interface Segment { input: Float32Array; box: [number, number, number, number] }

export interface Mark { x0: number; y0: number; x1: number; y1: number; labels: number[]; mass: number }

/** Cleans a picture into an ink map and a mask, exactly as preprocessDigit's steps 1-7. */
export function cleanInk(rgba: ArrayLike<number>, width: number, height: number, maxSide = READ_SIDE, zoom = 1): { ink: Float32Array; mask: Uint8Array; W: number; H: number } {
  const { grey: full } = greyFromRgba(rgba, width, height);
  let { grey: g0, width: W, height: H } = shrinkGrey(full, width, height, maxSide);
  if (zoom > 1) { // small writing, enlarged (bilinear) so that the cuts between touching digits have pixels to run in
    const zw = Math.round(W * zoom), zh = Math.round(H * zoom);
    g0 = resampleArea(g0, W, H, 0, 0, W, H, zw, zh);
    W = zw; H = zh;
  }
  const k = backgroundWindow(W, H);
  const grey = inkPolarity(g0, W, H, k) === 'dark' ? g0 : g0.map((v) => 1 - v);
  const ink = flattenIllumination(grey, estimateBackground(grey, W, H, k));
  const { mask } = thresholdInk(ink, W, H);
  removeLines(mask, ink, findLines(mask, W, H), W, H);
  return { ink, mask, W, H };
}

/** Joins the pieces of one digit (step 3): column overlap of half the narrower piece, vertical gap under half the taller one's height. */
function mergePieces(blobs: Blob[]): Mark[] {
  const marks: Mark[] = blobs.map((b) => ({ x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1, labels: [b.label], mass: b.mass }));
  for (let merged = true; merged;) {
    merged = false;
    outer: for (let a = 0; a < marks.length; a++) {
      for (let b = a + 1; b < marks.length; b++) {
        const m = marks[a], n = marks[b];
        const overlap = Math.min(m.x1, n.x1) - Math.max(m.x0, n.x0) + 1;
        const narrower = Math.min(m.x1 - m.x0, n.x1 - n.x0) + 1;
        const gap = Math.max(m.y0, n.y0) - Math.min(m.y1, n.y1);
        const taller = Math.max(m.y1 - m.y0, n.y1 - n.y0) + 1;
        if (overlap >= 0.5 * narrower && gap <= 0.5 * taller) {
          marks[a] = { x0: Math.min(m.x0, n.x0), y0: Math.min(m.y0, n.y0), x1: Math.max(m.x1, n.x1), y1: Math.max(m.y1, n.y1), labels: [...m.labels, ...n.labels], mass: m.mass + n.mass };
          marks.splice(b, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return marks;
}

/**
 * A run of marks k0..k1 of a number, from cut `start` of mark k0 (null: its left edge) to cut `end`
 * of mark k1 (null: its right edge): one candidate digit. k0 < k1 joins marks (a 4 whose two strokes
 * the threshold parted); a cut inside a mark parts touching digits.
 */
export interface Span { k0: number; k1: number; start: Cut | null; end: Cut | null }

/** The part of the working picture a number's marks live in: what segmentInput reads. */
export interface InkMap { ink: Float32Array; near: Float32Array; labels: Int32Array; W: number; H: number; marks: Mark[]; markOf: Int32Array }

/** For each ink label, the index of the mark it belongs to (-1: a speck dropped, or paper). */
export function markIndex(marks: Mark[], labelCount: number): Int32Array {
  const markOf = new Int32Array(labelCount + 1).fill(-1);
  marks.forEach((m, k) => { for (const l of m.labels) markOf[l] = k; });
  return markOf;
}

/**
 * The 28x28 input of the ink of a span, as preprocessDigit makes its one digit: its own ink and a
 * 1-pixel fringe, contrast stretched, 40 pixels, MNIST's stroke, normalizeToMnist.
 * Returns null when the span holds no ink.
 */
export function segmentInput(map: InkMap, s: Span): Segment | null {
  const { ink, near, labels, W, H, marks, markOf } = map;
  const first = marks[s.k0], last = marks[s.k1];
  const row = (m: Mark, y: number) => Math.min(m.y1, Math.max(m.y0, y)) - m.y0;
  let ux0 = W, uy0 = H, ux1 = -1, uy1 = -1;
  for (let k = s.k0; k <= s.k1; k++) { const m = marks[k]; ux0 = Math.min(ux0, m.x0); uy0 = Math.min(uy0, m.y0); ux1 = Math.max(ux1, m.x1); uy1 = Math.max(uy1, m.y1); }
  // Row y's columns: from the start cut's path (or the span's left edge) up to the end cut's path (or its right edge + 1), excluded.
  const lo = (y: number) => (s.start ? s.start.path![row(first, y)] : ux0), hi = (y: number) => (s.end ? s.end.path![row(last, y)] : ux1 + 1);
  const owns = (x: number, y: number, label: number): boolean => {
    const k = markOf[label];
    if (k < s.k0 || k > s.k1) return false;
    if (k === s.k0 && s.start && x < s.start.path![row(first, y)]) return false;
    if (k === s.k1 && s.end && x >= s.end.path![row(last, y)]) return false;
    return true;
  };
  // The span's own ink box.
  let y0 = H, y1 = -1, x0 = W, x1 = -1;
  for (let y = uy0; y <= uy1; y++) {
    for (let x = ux0; x <= ux1; x++) {
      const l = labels[y * W + x];
      if (l !== 0 && owns(x, y, l)) { if (y < y0) y0 = y; if (y > y1) y1 = y; if (x < x0) x0 = x; if (x > x1) x1 = x; }
    }
  }
  if (y1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const margin = Math.max(2, Math.round(0.1 * Math.max(bw, bh)));
  const cx0 = Math.max(0, x0 - margin), cy0 = Math.max(0, y0 - margin), cx1 = Math.min(W - 1, x1 + margin), cy1 = Math.min(H - 1, y1 + margin);
  const cw = cx1 - cx0 + 1, ch = cy1 - cy0 + 1;
  const hist = new Uint32Array(256); // the span's own ink levels, for its contrast (90th percentile)
  let owned = 0;
  const crop = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const gx = cx0 + x, gy = cy0 + y, i = gy * W + gx;
      if (near[i] <= 0) continue;
      const l = labels[i];
      if (l !== 0) {
        if (!owns(gx, gy, l)) continue; // another digit's ink
        hist[Math.min(255, Math.floor(ink[i] * 256))]++; owned++;
      } else if (gx < lo(gy) || gx >= hi(gy)) continue; // the fringe, within the span's columns
      crop[y * cw + x] = ink[i];
    }
  }
  let level = 0;
  for (let acc = 0; level < 255 && (acc += hist[level]) < 0.9 * owned;) level++;
  const contrast = Math.max(1e-3, (level + 0.5) / 256);
  for (let i = 0; i < crop.length; i++) crop[i] = Math.min(1, crop[i] / contrast);
  // 40 pixels a side, not preprocessDigit's 80: the digit still has 2x the 20-pixel box's detail, and
  // the stroke normalisation (a disc filter) costs a sixteenth: a picture may hold dozens of candidates.
  const side = 40, f = side / Math.max(cw, ch);
  const sw = Math.max(1, Math.round(cw * f)), sh = Math.max(1, Math.round(ch * f));
  const scaled = resampleArea(crop, cw, ch, 0, 0, cw, ch, sw, sh);
  let stroked = normalizeStroke(scaled, sw, sh, Math.max(bw, bh) * f);
  // A sliver that the stroke normalisation erodes away entirely is kept as it was; one with no ink at all is no digit.
  if (!stroked.some((v) => v > 0)) stroked = scaled;
  if (!stroked.some((v) => v > 0)) return null;
  return { input: normalizeToMnist(stroked, sw, sh), box: [x0, y0, bw, bh] };
}

function argmax(p: Float32Array, at: number): number {
  let best = 0;
  for (let k = 1; k < 10; k++) if (p[at + k] > p[at + best]) best = k;
  return best;
}

/** Steps 1-3: the cleaned ink, its connected components and the marks (pieces of one digit joined, specks dropped), left to right. */
export function findMarks(rgba: ArrayLike<number>, width: number, height: number, source = 'picture', maxDigits = MAX_DIGITS, zoom = 1) {
  const { ink, mask, W, H } = cleanInk(rgba, width, height, READ_SIDE, zoom);
  const scale = Math.max(width / W, height / H);

  // 2. Connected ink, specks dropped.
  const { labels, blobs } = connectedComponents(mask, ink, W, H);
  if (blobs.length > MAX_MARKS) {
    throw new Error(`${source}: ${blobs.length} separate marks found, more than ${MAX_MARKS}: this looks like texture or noise, not a written number (crop it to the number)`);
  }
  const biggest = blobs.reduce((m, b) => Math.max(m, b.mass), 0);
  const kept = blobs.filter((b) => Math.max(b.x1 - b.x0, b.y1 - b.y0) + 1 >= MIN_SIDE && b.mass >= 0.01 * biggest);
  // 3. Pieces of one digit joined; then pieces too small to be a digit on their own dropped (a dot, a stray tick).
  let marks = mergePieces(kept);
  const tallest = marks.reduce((m, k) => Math.max(m, k.y1 - k.y0 + 1), 0);
  // Too small to be a digit, or a flat dash: a piece of a ruled line that the line removal missed
  // (grain broke it into short runs), no digit being twice as wide as high and under a third of the tallest.
  marks = marks.filter((k) => {
    const h = k.y1 - k.y0 + 1, w = k.x1 - k.x0 + 1;
    return Math.max(h, w) >= Math.max(MIN_SIDE, 0.12 * tallest) && !(w > 2 * h && h < 0.35 * tallest);
  });
  marks = joinFragments(marks);
  if (marks.length === 0) throw new Error(`${source}: no digit found (no ink stands out from the paper)`);
  if (marks.length > maxDigits) throw new Error(`${source}: ${marks.length} marks found, more than the ${maxDigits} digits miniconv read accepts (crop the picture to one number)`);
  marks.sort((a, b) => a.x0 + a.x1 - b.x0 - b.x1);

  const near = squareFilter(Float32Array.from(mask), W, H, 3, true);
  return { ink, labels, blobs, marks, near, W, H, scale };
}

/** Steps 1-3 as readNumber runs them: findMarks, and small writing (the marks' median height under SMALL_MARK working pixels) again enlarged, as far as READ_SIDE allows: a 10-pixel digit has too few columns to cut between its neighbours. */
export function findNumberMarks(rgba: ArrayLike<number>, width: number, height: number, source = 'picture', maxDigits = MAX_DIGITS): ReturnType<typeof findMarks> {
  const found = findMarks(rgba, width, height, source, maxDigits);
  const zoom = Math.min(SMALL_MARK / typicalHeight(found.marks), READ_SIDE / Math.max(found.W, found.H));
  return zoom >= 1.5 ? findMarks(rgba, width, height, source, maxDigits, zoom) : found;
}

/** The median height of the marks: the number's typical digit height (a mark of touching digits is about as high as one). */
export function typicalHeight(marks: Mark[]): number {
  const hs = marks.map((m) => m.y1 - m.y0 + 1).sort((a, b) => a - b);
  return hs[hs.length >> 1];
}

/** Step 3, last: small fragments (under FRAGMENT x the typical height both ways) joined to the nearest mark within FRAGMENT_GAP x that height. */
function joinFragments(marks: Mark[]): Mark[] {
  if (marks.length < 2) return marks;
  const typical = typicalHeight(marks);
  const out = [...marks];
  for (let again = true; again;) {
    again = false;
    for (let i = 0; i < out.length; i++) {
      const f = out[i];
      if (Math.max(f.y1 - f.y0, f.x1 - f.x0) + 1 >= FRAGMENT * typical) continue;
      let best = -1, bestGap = Infinity;
      out.forEach((n, j) => {
        if (j === i) return;
        const gap = Math.max(n.x0 - f.x1, f.x0 - n.x1, 0) - 1;
        const vgap = Math.max(n.y0 - f.y1, f.y0 - n.y1, 0);
        if (vgap > 0.25 * typical) return;
        if (gap < bestGap) { bestGap = gap; best = j; }
      });
      if (best < 0 || bestGap > FRAGMENT_GAP * typical) continue;
      const n = out[best];
      out[best] = { x0: Math.min(f.x0, n.x0), y0: Math.min(f.y0, n.y0), x1: Math.max(f.x1, n.x1), y1: Math.max(f.y1, n.y1), labels: [...n.labels, ...f.labels], mass: n.mass + f.mass };
      out.splice(i, 1);
      again = true;
      break;
    }
  }
  return out;
}

/**
 * Reads every digit of a picture of a handwritten number (RGBA bytes, as decoded or from a canvas),
 * left to right. Throws when no digit is found, when there are more than `maxDigits` (default
 * MAX_DIGITS), or when the picture holds more than MAX_MARKS separate marks.
 */
export function readNumber(rgba: ArrayLike<number>, width: number, height: number, classify: Classify, options: ReadOptions = {}): ReadResult {
  const source = options.source ?? 'picture';
  const maxDigits = options.maxDigits ?? MAX_DIGITS;
  if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1) || rgba.length !== width * height * 4) {
    throw new RangeError(`${source}: expected ${width}x${height}x4 RGBA values for a ${width}x${height} picture, got ${rgba.length}`);
  }
  if (width < 8 || height < 8) throw new Error(`${source}: ${width}x${height} pixels is too small to hold a digit (at least 8x8)`);
  const found = findNumberMarks(rgba, width, height, source, maxDigits);
  const { ink, labels, blobs, marks, W, H, scale } = found;
  const warnings: string[] = [];
  // 4-6. The lattice of candidate digits, and its best path.
  const lattice = readLattice(found, classify);
  const chosen = bestReading(lattice);
  const spans = lattice.spans;
  // 6. Each digit chosen read again moved by one pixel each way (test-time augmentation): its
  // centring by centre of mass is itself uncertain by a pixel, and the mean of the nine readings depends less on it.
  const moved = SHIFTS.flatMap(([dx, dy]) => chosen.map((i) => shiftInput(spans[i].input, dx, dy)));
  const movedProbs = runBatch(classify, moved);
  const finalProbs = chosen.map((i, k) => {
    const mean = Float32Array.from(spans[i].probs);
    SHIFTS.forEach((_, v) => { for (let c = 0; c < 10; c++) mean[c] += movedProbs[10 * (v * chosen.length + k) + c]; });
    return mean.map((x) => x / (SHIFTS.length + 1));
  });
  const digits = chosen.map((i, k) => toDigit(spans[i], finalProbs[k], scale));
  const splits = new Set(chosen.filter((i) => spans[i].start || spans[i].end).flatMap((i) => [spans[i].k0, spans[i].k1])).size;
  const joins = chosen.filter((i) => spans[i].k1 > spans[i].k0).length;
  if (digits.length > maxDigits) throw new Error(`${source}: ${digits.length} digits found, more than the ${maxDigits} miniconv read accepts (crop the picture to one number)`);
  const unsure = digits.filter((d) => d.p < UNSURE_P);
  if (unsure.length > 0) {
    warnings.push(`unsure of ${unsure.length} digit${unsure.length === 1 ? '' : 's'} (${unsure.map((d) => `${d.digit} at x ${d.box[0]}: ${(100 * d.p).toFixed(0)}%`).join(', ')}); check them`);
  }
  if (splits > 0) warnings.push(`${splits} mark${splits === 1 ? ' was' : 's were'} split into touching digits: check the boxes (--save-boxes)`);
  if (joins > 0) warnings.push(`${joins} digit${joins === 1 ? ' was' : 's were'} read from separate strokes joined: check the boxes (--save-boxes)`);
  const small = digits.filter((d) => d.box[3] < 12);
  if (small.length > 0) warnings.push(`${small.length} digit${small.length === 1 ? ' is' : 's are'} under 12 pixels high; the result may be unreliable`);
  // The ink of the marks kept (and their 1-pixel fringe), for the heat map: not the paper's grain.
  const keptInk = new Float32Array(ink.length);
  const keptLabel = new Uint8Array(blobs.length + 1);
  for (const m of marks) for (const l of m.labels) keptLabel[l] = 1;
  const keptMask = new Float32Array(ink.length);
  for (let i = 0; i < ink.length; i++) keptMask[i] = keptLabel[labels[i]];
  const keptNear = squareFilter(keptMask, W, H, 3, true);
  for (let i = 0; i < ink.length; i++) keptInk[i] = keptNear[i] > 0 ? ink[i] : 0;
  return { text: digits.map((d) => String(d.digit)).join(''), digits, warnings, ink: keptInk, width: W, height: H, scale };
}

/** A 28x28 input moved dx pixels right and dy down (zeros come in). */
function shiftInput(x: Float32Array, dx: number, dy: number): Float32Array {
  const o = new Float32Array(x.length);
  for (let y = 0; y < DIGIT_SIZE; y++) for (let c = 0; c < DIGIT_SIZE; c++) {
    const sy = y - dy, sx = c - dx;
    if (sy >= 0 && sx >= 0 && sy < DIGIT_SIZE && sx < DIGIT_SIZE) o[y * DIGIT_SIZE + c] = x[sy * DIGIT_SIZE + sx];
  }
  return o;
}

function toDigit(seg: { input: Float32Array; box: [number, number, number, number] }, probs: Float32Array, scale: number): ReadDigit {
  const d = argmax(probs, 0);
  const [x, y, w, h] = seg.box;
  return {
    digit: d, p: probs[d], input: seg.input, probs: Float32Array.from(probs),
    box: [Math.round(x * scale), Math.round(y * scale), Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))],
  };
}

function runBatch<T extends Float32Array | Float64Array>(classify: (x: Float32Array, n: number) => T, inputs: Float32Array[]): T {
  if (inputs.length === 0) return new Float32Array(0) as T; // no call: a model may refuse a batch of 0
  const all = new Float32Array(inputs.length * DIGIT_SIZE * DIGIT_SIZE);
  inputs.forEach((x, k) => all.set(x, k * DIGIT_SIZE * DIGIT_SIZE));
  return classify(all, inputs.length);
}

/** A cut candidate: for each row of the mark, the first column of the right-hand side; `ink`, the ink it severs in stroke widths. */
export interface Cut { path: Int32Array | null; at: number; ink: number }

/**
 * The cheapest path down the mark through its own ink (cost = the ink of each pixel it crosses, plus
 * DIAGONAL per sideways step), within a band of `reach` columns either side of `anchor`: a
 * shortest-path cut, which parts touching digits where the ink between them is thinnest, along
 * whatever line that is (not only a straight column, not only a gap). Columns are the working picture's.
 */
function cheapestCut(cost: Float32Array, mw: number, mh: number, x0: number, anchor: number, reach: number): Cut {
  const lo = Math.max(1, anchor - reach), hi = Math.min(mw - 1, anchor + reach), bw = hi - lo + 1;
  const total = new Float32Array(bw * mh), step = new Int8Array(bw * mh); // (mh, bw): the cost so far, and where each row came from
  for (let x = 0; x < bw; x++) total[x] = cost[lo + x];
  for (let y = 1; y < mh; y++) {
    for (let x = 0; x < bw; x++) {
      let best = total[(y - 1) * bw + x], from = 0;
      if (x > 0 && total[(y - 1) * bw + x - 1] + DIAGONAL < best) { best = total[(y - 1) * bw + x - 1] + DIAGONAL; from = -1; }
      if (x < bw - 1 && total[(y - 1) * bw + x + 1] + DIAGONAL < best) { best = total[(y - 1) * bw + x + 1] + DIAGONAL; from = 1; }
      total[y * bw + x] = best + cost[y * mw + lo + x];
      step[y * bw + x] = from;
    }
  }
  // The cheapest end, ties to the one nearest the anchor.
  let end = 0;
  for (let x = 1; x < bw; x++) {
    const a = total[(mh - 1) * bw + x] + 1e-4 * Math.abs(lo + x - anchor), b = total[(mh - 1) * bw + end] + 1e-4 * Math.abs(lo + end - anchor);
    if (a < b) end = x;
  }
  const path = new Int32Array(mh);
  let ink = 0, sum = 0;
  for (let y = mh - 1, x = end; y >= 0; y--) {
    path[y] = x0 + lo + x;
    ink += cost[y * mw + lo + x];
    sum += lo + x;
    x += step[y * bw + x];
  }
  return { path, at: x0 + sum / mh, ink };
}

/**
 * Step 4's candidate cuts inside mark k: the cheapest cut down the mark near every eighth of its
 * height (cheapestCut; duplicates, and cuts within 0.08 heights of an edge, dropped), in order, the
 * mark's edges first and last (path null), each with the ink it severs in stroke widths.
 */
export function markCuts(map: InkMap, k: number): Cut[] {
  const { ink, labels, W, markOf } = map;
  const m = map.marks[k];
  const mh = m.y1 - m.y0 + 1, mw = m.x1 - m.x0 + 1;
  // The mark's own ink, (mh, mw), and its stroke width (twice the area over the perimeter).
  const cost = new Float32Array(mw * mh);
  for (let y = 0; y < mh; y++) for (let x = 0; x < mw; x++) { const i = (m.y0 + y) * W + m.x0 + x; if (markOf[labels[i]] === k) cost[y * mw + x] = Math.min(1, ink[i]); }
  let area = 0, perimeter = 0;
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < mw && y < mh && cost[y * mw + x] > 0;
  for (let y = 0; y < mh; y++) for (let x = 0; x < mw; x++) if (on(x, y)) { area++; perimeter += +!on(x + 1, y) + +!on(x - 1, y) + +!on(x, y + 1) + +!on(x, y - 1); }
  const stroke = Math.max(1, perimeter > 0 ? (2 * area) / perimeter : 1);
  const cuts: Cut[] = [{ path: null, at: m.x0, ink: 0 }];
  const step = Math.max(1, Math.round(mh / 8)), reach = Math.max(1, Math.round(mh / 6));
  for (let a = step; a < mw; a += step) {
    const c = cheapestCut(cost, mw, mh, m.x0, a, reach);
    c.ink /= stroke;
    if (c.at - m.x0 < 0.08 * mh || m.x1 + 1 - c.at < 0.08 * mh) continue;
    if (cuts.some((d) => d.path && d.path.every((v, y) => Math.abs(v - c.path![y]) <= 1))) continue;
    cuts.push(c);
  }
  cuts.push({ path: null, at: m.x1 + 1, ink: 0 });
  return cuts.sort((a, b) => a.at - b.at);
}

/** A candidate digit of the lattice: its span, the nodes it runs between, the mark it is exactly (or -1), its input and ink box. */
export interface CandidateSpan extends Span, Segment { from: number; to: number; whole: number }

/**
 * The lattice of step 4 over a whole number: its nodes are the places a digit may begin or end, left
 * to right (before the first mark, each inner cut of each mark, after each mark), and each span
 * between two nodes, 0.12 to 1.4 heights wide, is a candidate digit: part of a mark, a mark, or
 * neighbouring marks joined across gaps of at most JOIN_GAP x the typical height (a digit the
 * threshold broke in two). `cutsOf[k]` are mark k's cuts (markCuts; [edge, edge] for a mark never split).
 * Returns the spans with their inputs (`from`/`to`: node indices; `whole`: the mark a span is exactly, or -1;
 * `wholes`, when given, are the marks' own inputs, reused).
 */
export function numberCandidates(map: InkMap, cutsOf: Cut[][], typical: number, wholes?: Segment[]): { nodes: number; spans: CandidateSpan[]; cutOfNode: Cut[] } {
  const { marks } = map;
  // Node n sits at (mark, cut): node 0 is mark 0's left edge; mark k's last cut is the same node as mark k+1's left edge.
  const at: Array<[number, number]> = [[0, 0]];
  const cutOfNode: Cut[] = [cutsOf[0][0]];
  marks.forEach((_, k) => { for (let a = 1; a < cutsOf[k].length; a++) { at.push([k, a]); cutOfNode.push(cutsOf[k][a]); } });
  const spans: CandidateSpan[] = [];
  for (let u = 0; u < at.length - 1; u++) {
    let [k0, a] = at[u];
    if (a === cutsOf[k0].length - 1) { k0++; a = 0; } // after mark k0: the next one's left edge
    const start = a === 0 ? null : cutsOf[k0][a];
    const x0 = start ? start.at : marks[k0].x0;
    let reach = marks[k0].x1, top = marks[k0].y0, bottom = marks[k0].y1;
    for (let v = u + 1; v < at.length; v++) {
      const [k1, b] = at[v];
      if (k1 > k0 && at[v - 1][0] !== k1) { // the span enters mark k1: joined across a gap
        if (marks[k1].x0 - reach - 1 > JOIN_GAP * typical) break;
      }
      if (k1 > k0) { reach = Math.max(reach, marks[k1].x1); top = Math.min(top, marks[k1].y0); bottom = Math.max(bottom, marks[k1].y1); }
      const end = b === cutsOf[k1].length - 1 ? null : cutsOf[k1][b];
      const whole = k0 === k1 && !start && !end ? k0 : -1;
      if (whole >= 0 && wholes) { spans.push({ k0, k1, start, end, from: u, to: v, whole, ...wholes[k0] }); continue; }
      // A mark whole is always a candidate (a thin 1, a wide scrawl: nothing else may cover it).
      const w = (end ? end.at : marks[k1].x1 + 1) - x0, h = bottom - top + 1;
      if (whole < 0 && w < 0.12 * h) continue;
      if (whole < 0 && w > 1.4 * h) { if (k1 > k0) break; continue; }
      const seg = segmentInput(map, { k0, k1, start, end });
      if (!seg) continue;
      spans.push({ k0, k1, start, end, from: u, to: v, whole, ...seg });
    }
  }
  return { nodes: at.length, spans, cutOfNode };
}

/** A candidate digit read: the classifier's ten probabilities, the verifier's log P(one whole digit), the ink its start cut severs. */
export interface ReadSpan extends CandidateSpan { probs: Float32Array; q: number; cutInk: number; gated: boolean }

/** Step 4's lattice: its node count and its read spans (numberCandidates), and the number's typical digit height. */
export interface Lattice { nodes: number; spans: ReadSpan[]; typical: number }

/** The weights of a reading's score, in units of log p (the constants above; a tuning script may try others). */
export interface ReadWeights { verify: number; shape: number; height: number; cutCost: number }
export const READ_WEIGHTS: Readonly<ReadWeights> = { verify: VERIFY, shape: SHAPE, height: HEIGHT, cutCost: CUT_COST };

/**
 * Step 4's lattice of a number's marks: each mark read whole first; the doubtful ones (wide, or read
 * unsure, or that the verifier doubts) get candidate cuts (markCuts); every span (numberCandidates)
 * classified and verified, in two batches. `cutAll` cuts every mark (a tuning script's view: the
 * spans a sure mark would not have are marked `gated`).
 */
export function readLattice(found: ReturnType<typeof findMarks>, classify: Classify, options: { cutAll?: boolean } = {}): Lattice {
  const { ink, labels, blobs, marks, near, W, H } = found;
  const typical = typicalHeight(marks);
  const map: InkMap = { ink, near, labels, W, H, marks, markOf: markIndex(marks, blobs.length) };
  // A mark always has ink (its pixels passed the threshold), so its whole input exists.
  const wholes = marks.map((_, k) => segmentInput(map, { k0: k, k1: k, start: null, end: null })!);
  const wholeProbs = runBatch(classify, wholes.map((w) => w.input));
  const wholeQ = runBatch(wholeDigitLogP, wholes.map((w) => w.input));
  const sure = marks.map((m, k) => {
    const h = m.y1 - m.y0 + 1, w = m.x1 - m.x0 + 1;
    return w < SPLIT_ASPECT * h && wholeProbs[10 * k + argmax(wholeProbs, 10 * k)] >= SPLIT_P && wholeQ[k] >= SPLIT_Q;
  });
  const cutsOf = marks.map((m, k) => (sure[k] && !options.cutAll ? [{ path: null, at: m.x0, ink: 0 }, { path: null, at: m.x1 + 1, ink: 0 }] : markCuts(map, k)));
  const { nodes, spans, cutOfNode } = numberCandidates(map, cutsOf, typical, wholes);
  const fresh = spans.filter((s) => s.whole < 0);
  const freshProbs = runBatch(classify, fresh.map((s) => s.input));
  const freshQ = runBatch(wholeDigitLogP, fresh.map((s) => s.input));
  let f = 0;
  return {
    nodes, typical,
    spans: spans.map((s) => {
      const at = s.whole >= 0 ? s.whole : f++;
      const [p, q] = s.whole >= 0 ? [wholeProbs, wholeQ] : [freshProbs, freshQ];
      const cut = cutOfNode[s.from];
      return { ...s, probs: p.subarray(10 * at, 10 * at + 10), q: q[at], cutInk: cut.path ? cut.ink : 0, gated: (s.start !== null && sure[s.k0]) || (s.end !== null && sure[s.k1]) };
    }),
  };
}

/**
 * Step 4's choice: the best path through the lattice, by dynamic programming over its nodes left to
 * right. A path's score is the sum over its digits of log p of the class read, the shape and height
 * priors (segmentScore), `verify` x the verifier's log P(one whole digit), minus `cutCost` per stroke
 * width of ink each inner cut severs. Returns the spans chosen,
 * left to right. Spans marked `gated` are skipped unless `cutSure`.
 */
export function bestReading(lattice: Lattice, w: ReadWeights = READ_WEIGHTS, cutSure = false): number[] {
  const { nodes, spans, typical } = lattice;
  // best[v]: the best score of a reading of the ink before node v; from[v] the span ending there.
  const best = new Float64Array(nodes).fill(-Infinity), from = new Int32Array(nodes).fill(-1);
  best[0] = 0;
  // Spans come in the order of their start node, so best[s.from] is final when s is reached.
  spans.forEach((s, i) => {
    if (best[s.from] === -Infinity || (s.gated && !cutSure)) return;
    const score = best[s.from] + segmentScore(s.probs, s.box, typical, w) + w.verify * s.q - w.cutCost * s.cutInk;
    if (score > best[s.to]) { best[s.to] = score; from[s.to] = i; }
  });
  const chosen: number[] = [];
  for (let v = nodes - 1; v > 0;) { const i = from[v]; chosen.unshift(i); v = spans[i].from; }
  return chosen;
}
