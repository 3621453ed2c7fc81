// One training step on one batch: forward, loss, backward, update. Plain arithmetic through the
// layers (no threads, no file system), so a browser page's Web Worker runs exactly this.

import type { Layer } from '../layers/layer.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { softmaxCrossEntropy } from '../kernels/softmax-xent.ts';
import type { Tensor } from '../tensor.ts';
import { argmaxRow } from './metrics.ts';

/** One optimiser step on one batch, in training mode: forward, loss, backward, update. Returns the loss and the number right. */
export function trainStep(model: Layer, optimizer: Optimizer, x: Tensor, y: ArrayLike<number>): { loss: number; correct: number } {
  model.train();
  optimizer.zeroGrad();
  const logits = model.forward(x);
  const { loss, grad } = softmaxCrossEntropy(logits, y);
  model.backwardParamsOnly(grad);
  optimizer.step();
  let correct = 0;
  const K = logits.shape[1];
  for (let i = 0; i < y.length; i++) if (argmaxRow(logits.data, i, K) === y[i]) correct++;
  return { loss, correct };
}
