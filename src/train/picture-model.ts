// The default network for a folder of your own pictures (`miniconv train --images DIR`): small
// enough to train on a few hundred pictures in a minute or two on a laptop's CPU, and indifferent
// to the input size, because global average pooling (one number per channel, whatever H and W)
// stands before the classifier.
//
//   Normalize (per picture, or the training set's mean and std)        (N, C, H, W)
//   conv 3x3 16 - BN - ReLU, conv 3x3 16 - BN - ReLU, max pool 2       (N, 16, H/2, W/2)
//   conv 3x3 32 - BN - ReLU, conv 3x3 32 - BN - ReLU, max pool 2       (N, 32, H/4, W/4)
//   conv 3x3 64 - BN - ReLU                                            (N, 64, H/4, W/4)
//   global average pooling, dense                                      (N, classes)
// At 3x32x32: 35,011 parameters for 3 classes, about 7.5 million multiply-adds per picture.

import { BatchNorm2D } from '../layers/batch-norm2d.ts';
import { Conv2D } from '../layers/conv2d.ts';
import { Dense } from '../layers/dense.ts';
import { GlobalAvgPool2D } from '../layers/global-avg-pool2d.ts';
import type { Layer } from '../layers/layer.ts';
import { MaxPool2D } from '../layers/max-pool2d.ts';
import { ReLU } from '../layers/relu.ts';
import { Sequential } from '../layers/sequential.ts';
import type { Rng } from '../rng.ts';
import { type ZooOptions, zooSetup } from './zoo-setup.ts';
import type { ZooModel } from './zoo.ts';

/** conv 3x3 (no bias: the norm's beta does that job) - batch norm - ReLU. */
function convBnRelu(rng: Rng, c: number, f: number): Layer[] {
  return [new Conv2D({ inChannels: c, outChannels: f, kernelSize: 3, padding: 1, bias: false, rng }), new BatchNorm2D({ numFeatures: f }), new ReLU()];
}

/** The default network for picture folders (see the top of the file). Any input of at least 4x4 (default [1, 28, 28], as every zoo model). */
export function createPictureModel(opts: number | ZooOptions = 1): Sequential {
  const { rng, C, H, W, classes, head } = zooSetup('createPictureModel', opts);
  if (H < 4 || W < 4) throw new RangeError(`createPictureModel: input [${C}, ${H}, ${W}] is too small; the two poolings need at least 4x4`);
  return new Sequential([
    ...head,
    ...convBnRelu(rng, C, 16), ...convBnRelu(rng, 16, 16), new MaxPool2D({ kernelSize: 2 }), // (N, 16, H/2, W/2)
    ...convBnRelu(rng, 16, 32), ...convBnRelu(rng, 32, 32), new MaxPool2D({ kernelSize: 2 }), // (N, 32, H/4, W/4)
    ...convBnRelu(rng, 32, 64), // (N, 64, H/4, W/4)
    new GlobalAvgPool2D(), // (N, 64)
    new Dense({ inFeatures: 64, outFeatures: classes, rng, weightInit: 'xavierUniform' }), // (N, classes)
  ]);
}

/**
 * The picture model with its training defaults, as `miniconv train --images` (or --cifar10) uses it
 * when no --model is given. Not one of the digit zoo (ZOO), whose table README measures on digits.
 * The defaults were measured on the synthetic shape sets of test/shapes.ts (README, "Your own pictures").
 */
export const PICTURE_MODEL: ZooModel = {
  name: 'pictures',
  description: 'the default for your own pictures: five 3x3 convs with batch norm, global average pooling (any input size)',
  build: createPictureModel,
  defaults: { epochs: 30, batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4, schedule: 'cosine', lrDecay: 1, augment: 'picture' },
};
