// Every layer of a model, containers opened: the convolutions and batch norms inside a Residual's
// block or shortcut are drawn and tabulated like those of the top level. A layer is named by its
// path, the prefix of its parameters' names (e.g. 'residual_1.block.conv2d_1').

import { Layer } from '../layers/layer.ts';
import { Residual } from '../layers/residual.ts';
import { Sequential } from '../layers/sequential.ts';

export interface LeafLayer<T extends Layer = Layer> {
  layer: T;
  /** 'conv2d_1' at the top level, 'residual_1.block.conv2d_1' inside a container. */
  path: string;
}

/** The non-container layers of `model`, depth first, in the order a forward pass meets them. */
export function leafLayers(model: Layer): LeafLayer[] {
  const out: LeafLayer[] = [];
  const visit = (l: Layer, prefix: string) => {
    const path = prefix ? `${prefix}.${l.name}` : l.name;
    if (l instanceof Sequential) for (const c of l.layers) visit(c, l === model ? '' : path);
    else if (l instanceof Residual) {
      visit(l.block, path);
      if (l.shortcut) visit(l.shortcut, path);
    } else out.push({ layer: l, path });
  };
  visit(model, '');
  return out;
}

/** The leaves of one class, e.g. leavesOf(model, Conv2D). */
export function leavesOf<T extends Layer>(model: Layer, cls: abstract new (...args: never[]) => T): LeafLayer<T>[] {
  return leafLayers(model).filter((x): x is LeafLayer<T> => x.layer instanceof cls);
}
