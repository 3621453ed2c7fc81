// Elementwise sum of two tensors of one shape: where a residual block joins its shortcut,
// y = block(x) + shortcut(x), and where the two branches' gradients join in backward.
//
//   y[k] = a[k] + b[k]
//   da = dy, db = dy                (a sum hands its gradient to each summand unchanged)
//
// So the backward pass needs no kernel of its own: a residual block sends dy down both branches
// and adds the two dx with this same sum. The fast version writes into a named workspace buffer
// (`into`: 'out' by default) so that the forward sum and the backward sum keep separate buffers.

import { Tensor, allocLike, shapeStr } from '../tensor.ts';
import type { KernelFamily } from './backend.ts';
import { type Workspace, wsTensor } from './workspace.ts';

function checkSameShape(a: Tensor, b: Tensor, who: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${who}: the two tensors must have one shape, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
}

/** y = a + b, elementwise (a and b of one shape). */
export function addForwardNaive(a: Tensor, b: Tensor): { out: Tensor; cache: { shape: readonly number[] } } {
  checkSameShape(a, b, 'add');
  const out = allocLike(a.data, a.size);
  for (let k = 0; k < a.size; k++) out[k] = a.data[k] + b.data[k];
  return { out: new Tensor(a.shape, out), cache: { shape: a.shape } };
}

/** The gradient of each summand is dy itself. */
export function addBackwardNaive(dy: Tensor, _cache: { shape: readonly number[] }): { dx: Tensor } {
  return { dx: dy };
}

/** addForwardNaive into the workspace buffer `into` (default 'out'), overwritten by the next call with that name. */
export function addForwardFast(a: Tensor, b: Tensor, opts: { ws?: Workspace; into?: string } = {}): { out: Tensor; cache: { shape: readonly number[] } } {
  checkSameShape(a, b, 'addForwardFast');
  const out = wsTensor(opts.ws, opts.into ?? 'out', a.shape, a.dtype);
  const ad = a.data, bd = b.data, od = out.data;
  for (let k = 0; k < ad.length; k++) od[k] = ad[k] + bd[k];
  return { out, cache: { shape: a.shape } };
}

/** The add family for the backends (see backend.ts): the naive pair and the TypeScript pair; no wasm kernel, so the 'wasm' backend runs the TypeScript pair. */
export const addKernels: KernelFamily<typeof addForwardFast, typeof addBackwardNaive> = {
  naive: { forward: addForwardNaive, backward: addBackwardNaive },
  ts: { forward: addForwardFast, backward: addBackwardNaive },
};
