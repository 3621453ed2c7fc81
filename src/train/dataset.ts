// A labelled image set held in two flat arrays, the layout every loader returns. It lives in src/
// so that the training loop, evaluation and the report need nothing from datasets/ (the loaders
// import src/, never the other way round).

export interface Dataset {
  /** Pixels of all images, image after image, each C*H*W values in 0..1: (count, C, H, W). */
  images: Float32Array;
  /** One class index per image: (count). */
  labels: Uint8Array;
  count: number;
  /** Shape of one image: [C, H, W]. */
  shape: [number, number, number];
}

/** The first `n` images of a set (views, no copy). */
export function takeFirst(set: Dataset, n: number): Dataset {
  const k = Math.min(n, set.count);
  const per = imageSize(set);
  return { images: set.images.subarray(0, k * per), labels: set.labels.subarray(0, k), count: k, shape: set.shape };
}

/** Values per image, C*H*W. */
export function imageSize(set: Pick<Dataset, 'shape'>): number {
  return set.shape[0] * set.shape[1] * set.shape[2];
}
