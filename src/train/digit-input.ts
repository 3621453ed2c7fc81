// The one check that a model takes the digits: one channel of DIGIT_SIZE x DIGIT_SIZE pixels.
// `predict` and `inspect` both need it.

import { DIGIT_SIZE } from '../io/preprocess.ts';

/** [1, 28, 28]: one digit, without the batch dimension. */
export const DIGIT_SHAPE: readonly [number, number, number] = [1, DIGIT_SIZE, DIGIT_SIZE];

/** Throws unless `inputShape` is DIGIT_SHAPE, naming `who`, what the model takes and what was expected. */
export function assertDigitInput(inputShape: readonly number[], who: string): void {
  if (inputShape.length !== 3 || inputShape.some((d, i) => d !== DIGIT_SHAPE[i])) {
    throw new Error(`${who} takes inputs of shape [${inputShape.join(', ')}]; expected a model of ${DIGIT_SIZE}x${DIGIT_SIZE} digits [${DIGIT_SHAPE.join(', ')}]`);
  }
}
