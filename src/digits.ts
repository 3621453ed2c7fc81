// The digit application (package entry `miniconv/digits`): the default model that `miniconv train`
// trains, its training defaults, and the preprocessing that turns a picture into its 28x28 input.
// The digits themselves come from `miniconv/datasets` (loadDigits).
export { createDigitModel, DIGIT_DEFAULTS, DIGIT_INPUT_SHAPE } from './train/digit-model.ts';
export { DIGIT_SIZE, rgbaToGrey, toMnistDigit, preprocessDigit, type PreprocessResult } from './io/preprocess.ts';
