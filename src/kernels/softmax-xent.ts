// Softmax followed by cross-entropy, fused: the gradient of the pair is simply
// (softmax(logits) - onehot(label)) / N.
//
// Glossary: N = batch, classes = the number of classes (docs/names.md).

import { Tensor, allocLike, shapeStr } from '../tensor.ts';
import { TrainingDivergedError } from '../errors.ts';

/** One class index per row of the logits, each in 0..classes-1: (N). */
export type Labels = ArrayLike<number>;

/** Softmax of each row, computed stably by subtracting the row's maximum first. (N, classes) -> (N, classes) */
export function softmax(logits: Tensor): Tensor {
  if (logits.rank !== 2) throw new Error(`softmax: logits must be rank 2 (N, classes), got ${shapeStr(logits.shape)}`);
  const [N, classes] = logits.shape;
  const z = logits.data;
  const p = allocLike(z, N * classes);
  for (let n = 0; n < N; n++) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[n * classes + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) { const e = Math.exp(z[n * classes + k] - max); p[n * classes + k] = e; sum += e; }
    for (let k = 0; k < classes; k++) p[n * classes + k] /= sum;
  }
  return new Tensor([N, classes], p);
}

/**
 * loss = -(1/N) sum_n log softmax(logits)[n, label[n]]
 *      = (1/N) sum_n ( logsumexp(logits[n,:]) - logits[n, label[n]] )
 * grad[n,k] = (softmax(logits)[n,k] - [k == label[n]]) / N
 *
 * @param logits (N, classes)
 * @param labels (N) class indices in 0..classes-1
 * @returns the mean loss over the batch, and grad = dLoss/dLogits (N, classes)
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Labels): { loss: number; grad: Tensor } {
  const who = 'softmaxCrossEntropy';
  if (logits.rank !== 2) throw new Error(`${who}: logits must be rank 2 (N, classes), got rank ${logits.rank} ${shapeStr(logits.shape)}`);
  const [N, classes] = logits.shape;
  if (labels.length !== N) throw new Error(`${who}: got ${labels.length} labels for a batch of ${N} logits ${shapeStr(logits.shape)}`);
  const z = logits.data;
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i])) {
      throw new TrainingDivergedError(`${who}: logits hold ${z[i]} at row ${Math.floor(i / classes)}, column ${i % classes}; expected finite numbers (the model diverged: lower the learning rate)`, { value: z[i] });
    }
  }
  const grad = allocLike(z, N * classes); // (N, classes)
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const y = labels[n];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new RangeError(`${who}: label ${y} at index ${n} is out of range; expected an integer in 0..${classes - 1}`);
    }
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[n * classes + k]);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[n * classes + k] - max);
    const logSum = Math.log(sum) + max;
    loss += logSum - z[n * classes + y];
    for (let k = 0; k < classes; k++) grad[n * classes + k] = (Math.exp(z[n * classes + k] - logSum) - (k === y ? 1 : 0)) / N;
  }
  return { loss: loss / N, grad: new Tensor([N, classes], grad) };
}
