// The loss that training uses: softmax cross-entropy, mean over the batch.
// The arithmetic (and its derivation) is in kernels/softmax-xent.ts.
export { softmaxCrossEntropy, softmax } from '../kernels/softmax-xent.ts';
