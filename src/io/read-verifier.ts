// The reader's "one whole digit?" score: a small CNN (two 5x5 convs of 12 and 24 filters, a dense
// layer of 32; 45,266 weights) that sees a candidate segment as the classifier does (its 28x28 MNIST-normalised input)
// and scores whether it is one whole digit, not a fragment of one or two digits run together. A digit
// classifier cannot say so: it has only ten answers, and reads half a 0 as a confident 1, or a 1
// touching a 7 as a confident 7. Trained by scripts/train-read-verifier.ts on candidates cut from
// numbers composed from the bundled set's training digits (never the held-out ones); the weights are
// in read-verifier-weights.ts, a miniconv model file (base64 float32), decoded on first use.
import type { Sequential } from '../layers/sequential.ts';
import { Tensor } from '../tensor.ts';
import { deserializeModel } from './model-format.ts';
import { VERIFIER_MODEL } from './read-verifier-weights.ts';

let net: Sequential | null = null;

/** For n 28x28 inputs (n*784 values, as the classifier gets them): n values of log P(one whole digit). */
export function wholeDigitLogP(inputs: Float32Array, n: number): Float64Array {
  if (!net) net = deserializeModel(VERIFIER_MODEL, 'read-verifier-weights.ts').model.eval();
  const logits = net.forward(new Tensor([n, 1, 28, 28], inputs)).data;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // log softmax of class 1 of two: -log(1 + e^(l0 - l1))
    const d = logits[2 * k] - logits[2 * k + 1];
    out[k] = d > 0 ? -d - Math.log1p(Math.exp(-d)) : -Math.log1p(Math.exp(d));
  }
  return out;
}
