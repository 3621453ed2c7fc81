// The digit application (package entry `miniconv/digits`): the default model that `miniconv train`
// trains, its training defaults, and the preprocessing that turns a picture into its 28x28 input.
// The digits themselves come from `miniconv/datasets` (loadDigits).
export { createDigitModel, DIGIT_DEFAULTS, DIGIT_INPUT_SHAPE } from './train/digit-model.ts';
export { DIGIT_SIZE, rgbaToGrey, toMnistDigit, preprocessDigit, type PreprocessResult } from './io/clean-picture.ts';
// The model zoo: LeNet-5, a small VGG, a small ResNet and a MobileNet-style net, each with the
// training defaults `miniconv train --model NAME` uses.
export {
  ZOO, ZOO_NAMES, zooModel, createLenet5, createVggMini, createResnetMini, createMobilenetMini,
  type ZooModel, type TrainingDefaults, type AugmentName,
} from './train/zoo.ts';
export { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from './optim/factory.ts';
export { scheduleFromSpec, SCHEDULE_FORMS } from './optim/schedule-spec.ts';
export { modelFromArchitecture } from './layers/from-config.ts';
