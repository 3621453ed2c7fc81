// The Dataset type and takeFirst live in src/train/dataset.ts (src/ never imports datasets/); the
// loaders here re-export them for scripts that import from datasets/.
export { type Dataset, takeFirst, imageSize } from '../src/train/dataset.ts';
