// model.predict(x): class probabilities for a batch of inputs, as Keras's and TF.js's predict give
// them: in evaluation mode (Dropout off, BatchNorm on its running statistics), in batches, with the
// model's mode put back afterwards.

import { softmax } from '../kernels/softmax-xent.ts';
import { Tensor, shapeStr } from '../tensor.ts';
import type { Layer } from './layer.ts';

/** Options of predict(model, x) and model.predict(x). */
export interface PredictOptions {
  /** Inputs per forward pass (default 256): bounds the memory a large x takes (other batch sizes may change the last bits, as fast kernels sum in blocks). */
  batchSize?: number;
}

/**
 * Softmax probabilities (N, classes) of the model for the inputs x (N, ...input shape), computed in
 * evaluation mode, batchSize inputs at a time; the model's training mode is restored afterwards.
 */
export function predict(model: Layer, x: Tensor, opts: PredictOptions = {}): Tensor {
  const who = `${model.name || model.type}.predict`;
  if (!(x instanceof Tensor)) throw new TypeError(`${who}: x must be a Tensor of shape (N, ...input shape), got ${x === null ? 'null' : typeof x}`);
  if (x.rank < 2 || x.shape[0] < 1) throw new RangeError(`${who}: x must be a batch (N, ...input shape) with N >= 1, got ${shapeStr(x.shape)}; for one input, add a batch dimension of 1`);
  const batchSize = opts?.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${who}: batchSize must be an integer >= 1, got ${String(batchSize)}`);
  const [N, ...rest] = x.shape;
  const per = rest.reduce((a, d) => a * d, 1);
  const wasTraining = model.training;
  model.eval();
  try {
    let out: Tensor | null = null;
    for (let start = 0; start < N; start += batchSize) {
      const n = Math.min(batchSize, N - start);
      const part = n === N ? x : new Tensor([n, ...rest], x.data.subarray(start * per, (start + n) * per));
      const logits = model.forwardView(part);
      if (logits.rank !== 2) throw new RangeError(`${who}: the model gives outputs of shape ${shapeStr(logits.shape)}; predict expects (N, classes) logits`);
      const p = softmax(logits);
      if (n === N) return p;
      out ??= Tensor.zeros([N, logits.shape[1]], p.dtype);
      out.data.set(p.data, start * logits.shape[1]);
    }
    return out!;
  } finally {
    model.train(wasTraining);
  }
}
