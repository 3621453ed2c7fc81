// One training step on one batch: forward, loss, backward, update. Plain arithmetic through the
// layers (no threads, no file system), so a browser page's Web Worker runs exactly this.

import type { Layer } from '../layers/layer.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { softmaxCrossEntropy } from '../kernels/softmax-xent.ts';
import type { Tensor } from '../tensor.ts';
import { argmaxRow } from './metrics.ts';

/** One optimiser step on one batch, in training mode: forward, loss, backward, update. Returns the loss and the number right. */
export function trainStep(model: Layer, optimizer: Optimizer, x: Tensor, y: ArrayLike<number>): { loss: number; correct: number } {
  optimizer.checkParamsOf(model.params(), 'trainStep');
  model.train();
  optimizer.zeroGrad();
  const r = forwardBackward(model, x, y);
  optimizer.step();
  return r;
}

/**
 * Forward, loss and backward on one batch, without the update: the parameter gradients are ADDED
 * into each Param.grad. `scale` multiplies the loss gradient first (a thread's slice of a batch
 * passes count / N, so that the slices' gradients add up to the gradient of the batch mean).
 * Returns the mean loss of x and the number of right predictions.
 */
export function forwardBackward(model: Layer, x: Tensor, y: ArrayLike<number>, scale = 1): { loss: number; correct: number } {
  const logits = model.forward(x); // (N, classes)
  const { loss, grad } = softmaxCrossEntropy(logits, y);
  if (scale !== 1) for (let i = 0; i < grad.size; i++) grad.data[i] *= scale;
  model.backwardParamsOnly(grad);
  let correct = 0;
  const classes = logits.shape[1];
  for (let i = 0; i < y.length; i++) if (argmaxRow(logits.data, i, classes) === y[i]) correct++;
  return { loss, correct };
}
