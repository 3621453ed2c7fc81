// The Dataset type and takeFirst live in src/train/dataset.ts (src/ never imports datasets/); the
// loaders here re-export them for scripts that import from datasets/.
export { type Dataset, type ByteImages, byteDataset, bytesOf, copyImage, imageRange, takeFirst, imageSize } from '../src/train/dataset.ts';
