// The two models the playground trains, and the settings a run is made of. The layers' kernel
// choice is made here and nowhere else in the page.

import { Conv2D } from 'miniconv';
import { Dense } from 'miniconv';
import { Flatten } from 'miniconv';
import { MaxPool2D } from 'miniconv';
import { ReLU } from 'miniconv';
import { Sequential } from 'miniconv';
import { createRng } from 'miniconv';
import type { Backend } from 'miniconv';
import { DIGIT_DEFAULTS, createDigitModel } from 'miniconv/digits';
import { AUGMENT_NAMES, type AugmentName } from 'miniconv';

/**
 * The layers' backend: none of their own, so the process default (src/kernels/backend.ts): 'wasm' once
 * worker.ts has loaded the module (it does before building a model), else 'ts'. The one place the page chooses.
 */
const KERNELS: { backend?: Backend } = {};

export type ModelName = 'default' | 'small';

export const MODEL_NAMES: readonly ModelName[] = ['default', 'small'];
/** The augmentations, the library's table (src/train/augment.ts): the same names as `miniconv train --augment`. */
export { AUGMENT_NAMES, type AugmentName };

/** Everything a run is made of: opening the same settings reproduces the same run. */
export interface RunConfig {
  model: ModelName;
  lr: number;
  momentum: number;
  batchSize: number;
  augment: AugmentName;
  seed: number;
}

/** `miniconv train`'s defaults for the default model; the small one trains with plain shifts. */
export const DEFAULT_CONFIG: RunConfig = {
  model: 'default',
  lr: DIGIT_DEFAULTS.lr,
  momentum: DIGIT_DEFAULTS.momentum,
  batchSize: DIGIT_DEFAULTS.batchSize,
  augment: DIGIT_DEFAULTS.augment,
  seed: DIGIT_DEFAULTS.seed,
};

/** Weight decay as `miniconv train` (not offered as a control). */
export const WEIGHT_DECAY = DIGIT_DEFAULTS.weightDecay;
/**
 * The page trains for as long as you let it, so its learning rate cannot follow `miniconv train`'s
 * cosine over a fixed number of epochs: it decays by this factor after every epoch instead
 * (miniconv train's schedule before 2026-11-30, `--lr-decay 0.85`).
 */
export const LR_DECAY = 0.85;

/** Short enough for the dropdown on a phone; the layers are in MODEL_LAYERS, shown under it. */
export const MODEL_LABELS: Record<ModelName, string> = {
  default: 'default (215k weights)',
  small: 'small (ConvNetJS demo, 6k weights)',
};

export const MODEL_LAYERS: Record<ModelName, string> = {
  default: 'conv 5x5x16, pool, conv 5x5x32, pool, dense 128, dense 10',
  small: 'conv 5x5x8, pool 2, conv 5x5x16, pool 3, dense 10',
};

export function buildModel(name: ModelName, seed: number): Sequential {
  if (name === 'default') return createDigitModel(seed, KERNELS);
  if (name === 'small') return createSmallModel(seed);
  throw new RangeError(`playground: unknown model ${JSON.stringify(name)}, expected one of ${MODEL_NAMES.join(', ')}`);
}

/**
 * The reference network of ConvNetJS's MNIST demo (bench/peers/common.ts), small and fast:
 * 28x28 -> conv 5x5x8 pad 2 -> ReLU -> max-pool 2 -> conv 5x5x16 pad 2 -> ReLU -> max-pool 3 -> dense 10.
 */
export function createSmallModel(seed: number): Sequential {
  const rng = createRng(seed);
  return new Sequential([
    new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng, weightInit: 'xavierUniform', ...KERNELS }), // (N, 8, 28, 28)
    new ReLU(KERNELS),
    new MaxPool2D({ kernelSize: 2, ...KERNELS }), // (N, 8, 14, 14)
    new Conv2D({ inChannels: 8, outChannels: 16, kernelSize: 5, padding: 2, rng, ...KERNELS }), // (N, 16, 14, 14)
    new ReLU(KERNELS),
    new MaxPool2D({ kernelSize: 3, ...KERNELS }), // (N, 16, 4, 4)
    new Flatten(), // (N, 256)
    new Dense({ inFeatures: 16 * 4 * 4, outFeatures: 10, rng, weightInit: 'xavierUniform', ...KERNELS }), // (N, 10)
  ]);
}

/** Checks a run configuration; the error names the setting and what it accepts. */
export function checkConfig(c: RunConfig, who = 'playground'): RunConfig {
  if (!MODEL_NAMES.includes(c.model)) throw new RangeError(`${who}: model must be one of ${MODEL_NAMES.join(', ')}, got ${JSON.stringify(c.model)}`);
  if (!(Number.isFinite(c.lr) && c.lr > 0 && c.lr <= 1)) throw new RangeError(`${who}: learning rate must be a number in (0, 1], got ${c.lr}`);
  if (!(Number.isFinite(c.momentum) && c.momentum >= 0 && c.momentum < 1)) throw new RangeError(`${who}: momentum must be a number in [0, 1), got ${c.momentum}`);
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 512)) throw new RangeError(`${who}: batch size must be an integer from 1 to 512, got ${c.batchSize}`);
  if (!AUGMENT_NAMES.includes(c.augment)) throw new RangeError(`${who}: augmentation must be one of ${AUGMENT_NAMES.join(', ')}, got ${JSON.stringify(c.augment)}`);
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 2 ** 31)) throw new RangeError(`${who}: seed must be an integer from 0 to 2^31, got ${c.seed}`);
  return c;
}
