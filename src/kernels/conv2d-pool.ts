// 2-D convolution with a fused max pool, for inference (forward { pool }): the pieces the TypeScript
// and the WebAssembly pairs share. The TypeScript pair (conv2d-ts.ts) pools the convolution's output
// with maxPool2dForwardTs; the wasm pair (conv2d-wasm.ts) pools each image's convolution while it is
// still in cache (conv2dForwardPooled in wasm/assembly/conv.ts; a depthwise conv: its output with
// maxPool2dForwardWasm). The values are those of the layers run one by one, bit for bit. Such a
// forward has no backward (the output is the pool's).
//
// Glossary: as in conv2d-ts.ts; PK = the pooling window (PK x PK), PS = its stride, POH, POW = the
// pooled size: POH = floor((OH - PK) / PS) + 1, likewise POW.

import type { MaxPool2dParams } from './max-pool2d.ts';
import { type Workspace, createWorkspace } from './workspace.ts';

/** The pooling window and output size of a pooled forward; throws naming `who` on a window that does not fit. */
export function pooledDims(d: { OH: number; OW: number }, pool: MaxPool2dParams, who: string): { PK: number; PS: number; POH: number; POW: number } {
  const { kernelSize: PK, stride: PS } = pool;
  if (!Number.isInteger(PK) || PK < 1) throw new RangeError(`${who}: pool.kernelSize must be an integer >= 1, got ${PK}`);
  if (!Number.isInteger(PS) || PS < 1) throw new RangeError(`${who}: pool.stride must be an integer >= 1, got ${PS}`);
  if (d.OH < PK || d.OW < PK) throw new RangeError(`${who}: the ${PK}x${PK} pooling window is larger than the convolution's output ${d.OH}x${d.OW}`);
  return { PK, PS, POH: Math.floor((d.OH - PK) / PS) + 1, POW: Math.floor((d.OW - PK) / PS) + 1 };
}

/** Each conv workspace's own workspace for the max-pool kernel of a pooled forward (their buffer names would clash). */
const poolWorkspaces = new WeakMap<Workspace, Workspace>();
export function poolWorkspace(ws: Workspace | undefined): Workspace | undefined {
  if (!ws) return undefined;
  let pws = poolWorkspaces.get(ws);
  if (!pws) poolWorkspaces.set(ws, pws = createWorkspace());
  return pws;
}
