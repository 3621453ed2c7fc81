// The numbers behind the inspection report that are not evaluation (that is evaluate() in
// src/train/metrics.ts): the confident mistakes, the snapshots of the first layer's kernels and how
// far they moved, and file names.

import type { ModelMetadata } from '../io/model-file.ts';
import type { Conv2D } from '../layers/conv2d.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import { argmaxRow } from '../train/metrics.ts';

/** A test image the model got wrong. */
export interface WrongDigit {
  index: number;
  label: number;
  predicted: number;
  /** The probability the model gave its (wrong) prediction. */
  confidence: number;
}

/** A layer name made safe for a file name: 'conv2d_1' stays, anything else odd becomes '_'. */
export function fileSafe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return s.length > 0 ? s : '_';
}

/** The wrong predictions among (count, classes) probabilities, the most confident first. */
export function confidentMistakes(probs: ArrayLike<number>, classes: number, labels: ArrayLike<number>): WrongDigit[] {
  const wrong: WrongDigit[] = [];
  for (let n = 0; n < labels.length; n++) {
    const p = argmaxRow(probs, n, classes);
    if (p !== labels[n]) wrong.push({ index: n, label: labels[n], predicted: p, confidence: probs[n * classes + p] });
  }
  return wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
}

/** A classes x classes matrix of non-negative integers, or null. */
export function validConfusion(m: unknown): number[][] | null {
  if (!Array.isArray(m) || m.length === 0) return null;
  const ok = m.every((row) => Array.isArray(row) && row.length === m.length && row.every((v) => Number.isInteger(v) && v >= 0));
  return ok ? (m as number[][]) : null;
}

export function snapshotGroups(md: ModelMetadata): Array<{ param: string; labels: string[]; values: Tensor[] }> {
  const groups = new Map<string, { param: string; labels: string[]; values: Tensor[] }>();
  for (const s of md.snapshots ?? []) {
    if (s.value.rank !== 4) continue; // only kernels (F, C, KH, KW) are drawn
    const g = groups.get(s.param) ?? { param: s.param, labels: [], values: [] };
    if (g.values.length > 0 && shapeStr(g.values[0].shape) !== shapeStr(s.value.shape)) continue;
    g.labels.push(s.label);
    g.values.push(s.value);
    groups.set(s.param, g);
  }
  return [...groups.values()];
}

/** a - b, element by element (same shapes). */
export function minus(a: Tensor, b: Tensor): Tensor {
  const d = a.clone();
  for (let i = 0; i < d.size; i++) d.data[i] -= b.data[i];
  return d;
}

/** ||a - b|| / ||b||: how far a snapshot moved from the initial weights. */
export function relativeChange(a: Tensor, b: Tensor): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.size; i++) { d += (a.data[i] - b.data[i]) ** 2; n += b.data[i] ** 2; }
  return n === 0 ? (d === 0 ? 0 : Infinity) : Math.sqrt(d / n);
}

/** Pixels per weight for the report: full size for one-channel kernels, smaller when a layer has many. */
export function kernelScale(conv: Conv2D): number | undefined {
  const k = Math.max(...conv.kernelSize);
  if (conv.inChannels === 1) return undefined;
  return Math.max(2, Math.min(12, Math.round(36 / k)));
}

export function uniqueNamer(): (name: string) => string {
  const used = new Set<string>();
  return (name) => {
    let n = name, i = 2;
    while (used.has(n)) n = name.replace(/\.png$/, `-${i++}.png`);
    used.add(n);
    return n;
  };
}
