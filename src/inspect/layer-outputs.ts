// What each layer of a model produces for one input image: plain arithmetic through the layers (no
// pictures here, so a browser page can use it too; feature-maps.ts draws them).

import type { Layer } from '../layers/layer.ts';
import type { Sequential } from '../layers/sequential.ts';
import { type Tensor, shapeStr } from '../tensor.ts';

/** One layer's output for one input image, as featureMaps(model, x) returns them in order. */
export interface FeatureMap {
  /** The layer (of the model's top-level list) that produced it. */
  layer: Layer;
  /** The layer's output for the one input: (1, C, H, W) for image layers, (1, F) for Flatten and Dense. */
  output: Tensor;
}

/**
 * Runs `model` on one image, layer by layer, and returns each layer's output.
 * @param x (1, C, H, W)
 */
export function featureMaps(model: Sequential, x: Tensor): FeatureMap[] {
  if (x.rank !== 4 || x.shape[0] !== 1) {
    throw new Error(`featureMaps: input must have shape (1, C, H, W), one image, got ${shapeStr(x.shape)}`);
  }
  model.outputShape(x.shape); // a shape mismatch fails here, naming the layer, before anything runs
  const maps: FeatureMap[] = [];
  let h = x;
  for (const layer of model.layers) {
    h = layer.forward(h); // a tensor we own (layer.ts, rule 2): safe to keep
    maps.push({ layer, output: h });
  }
  return maps;
}
