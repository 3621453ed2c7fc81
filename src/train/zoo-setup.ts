// What every zoo builder takes besides the seed (zoo.ts, picture-model.ts): the input shape, the
// class count and an optional input normalisation, checked in one place.

import type { NormalizeParams } from '../kernels/normalize.ts';
import type { Layer } from '../layers/layer.ts';
import { Normalize } from '../layers/normalize.ts';
import { type Rng, createRng } from '../rng.ts';

/** What every zoo builder takes besides the seed: the input shape and the class count (default: one 28x28 digit, 10 classes). */
export interface ZooOptions {
  seed?: number;
  /** [C, H, W] of one input (default [1, 28, 28]). */
  inputShape?: readonly [number, number, number] | readonly number[];
  /** Number of classes, the width of the last layer (default 10). */
  classes?: number;
  /** An input normalisation to put first (a Normalize layer), e.g. { mode: 'image' }. */
  normalize?: NormalizeParams;
}

/** The checked options of a builder called with a seed or a ZooOptions: rng, C, H, W, classes and the first layers. */
export function zooSetup(who: string, opts: number | ZooOptions): { rng: Rng; C: number; H: number; W: number; classes: number; head: Layer[] } {
  const o: ZooOptions = typeof opts === 'number' ? { seed: opts } : (opts ?? {});
  const [C, H, W] = o.inputShape ?? [1, 28, 28];
  if (!(o.inputShape === undefined || (o.inputShape.length === 3 && [C, H, W].every((d) => Number.isInteger(d) && d >= 1)))) {
    throw new RangeError(`${who}: inputShape must be [C, H, W] of positive integers, got ${JSON.stringify(o.inputShape)}`);
  }
  const classes = o.classes ?? 10;
  if (!(Number.isInteger(classes) && classes >= 2)) throw new RangeError(`${who}: classes must be an integer >= 2, got ${JSON.stringify(o.classes)}`);
  const head = o.normalize ? [new Normalize(o.normalize)] : [];
  return { rng: createRng(o.seed ?? 1), C, H, W, classes, head };
}

