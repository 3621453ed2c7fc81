// miniconv's public face (the package's main entry, `import { ... } from 'miniconv'`): what a user
// needs to build, train, check, save and look at a network. Two more entries sit beside it:
//   miniconv/kernels   the kernel functions themselves (naive and fast pairs, workspaces, the wasm loader)
//   miniconv/digits    the digit application: the default model, its training defaults, the preprocessing
// and miniconv/datasets loads the bundled digits and MNIST IDX files. In a browser bundle this entry
// is src/index.browser.ts: the same minus what needs Node (files, threads, PNG encoding).
export * from './index.browser.ts';
import './train/parallel.ts'; // registers the threaded trainer that fit({ threads }) uses (worker_threads)
export { saveModel, loadModel, writeFileAtomic } from './io/model-file.ts';
export { readDigitPng, digitToPng } from './io/digit-image.ts';
export { exportOnnxFile, importOnnxFile } from './io/onnx/file.ts';
export {
  renderKernelsPng, renderKernelGridPng, renderFeatureMapsPng, renderModelFeatureMapsPng,
  kernelsToAnsi, weightsToAnsi, type KernelPngOptions, type KernelGridOptions, type FeatureMapPngOptions, type KernelsAnsiOptions,
} from './inspect/index.ts';
export { readDigit, readPicture, decodePicture, MAX_PICTURE_PIXELS } from './io/digit-image.ts';
export { prepareModelDestination, checkModelDestination, saveTrainedModel, ModelSaveError } from './io/model-file.ts';
export { readRegularFile } from './io/safe-read.ts';
