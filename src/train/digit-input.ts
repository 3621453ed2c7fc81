// The one check that a model takes the digits: one channel of DIGIT_SIZE x DIGIT_SIZE pixels.
// `predict` and `inspect` both need it.

import { DIGIT_SIZE } from '../io/clean-picture.ts';
import { DIGIT_INPUT_SHAPE } from './digit-model.ts';

/** Throws unless `inputShape` is DIGIT_INPUT_SHAPE, naming `who`, what the model takes and what was expected. */
export function assertDigitInput(inputShape: readonly number[], who: string): void {
  if (inputShape.length !== 3 || inputShape.some((d, i) => d !== DIGIT_INPUT_SHAPE[i])) {
    throw new Error(`${who} takes inputs of shape [${inputShape.join(', ')}]; expected a model of ${DIGIT_SIZE}x${DIGIT_SIZE} digits [${DIGIT_INPUT_SHAPE.join(', ')}]`);
  }
}
