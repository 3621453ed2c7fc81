// The digit application (package entry `miniconv/digits`): the default model that `miniconv train`
// trains, its training defaults, and the preprocessing that turns a picture into its 28x28 input.
// The digits themselves come from `miniconv/datasets` (loadDigits).
export { createDigitModel, DIGIT_DEFAULTS, DIGIT_INPUT_SHAPE } from './train/digit-model.ts';
export { DIGIT_SIZE, rgbaToGrey, toMnistDigit, preprocessDigit, type PreprocessResult } from './io/preprocess.ts';
// The model zoo: LeNet-5, a small VGG, a small ResNet and a MobileNet-style net, each with the
// training defaults `miniconv train --model NAME` uses.
export {
  ZOO, ZOO_NAMES, zooModel, createLenet5, createVggMini, createResnetMini, createMobilenetMini, createOptimizer,
  scheduleFromSpec, modelFromArchitecture, SCHEDULE_FORMS, OPTIMIZER_NAMES,
  type ZooModel, type TrainingDefaults, type OptimizerName, type AugmentName,
} from './train/zoo.ts';
