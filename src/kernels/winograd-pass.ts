// The slot through which the conv family (conv2d-ts.ts, conv2d-wasm.ts) reaches Winograd F(2x2,3x3).
// winograd.ts fills it when it is loaded. The conv kernels do not import winograd.ts themselves, so
// a bundle whose convs never ask for { winograd: true } does not carry its ~6 kB (test/pack.test.ts
// holds the minimal browser bundle under 60 kB). The Node entry 'miniconv', the command line and the
// training threads load it; a browser bundle that wants it imports 'miniconv/winograd' once.
import type { Tensor } from '../tensor.ts';
import type { Conv2dCache, Conv2dParams, conv2dDims } from './conv2d.ts';
import type { Workspace } from './workspace.ts';

type Dims = ReturnType<typeof conv2dDims>;

/** What the conv family calls: see winogradConv2dForward, winogradConv2dBackward and winogradRuns in winograd.ts. */
export interface WinogradPass {
  forward(impl: 'ts' | 'wasm', x: Tensor, w: Tensor, b: Tensor | null, p: Conv2dParams, opts?: { ws?: Workspace; relu?: boolean; pool?: boolean }): Tensor | null;
  backward(
    impl: 'ts' | 'wasm', dy: Tensor, cache: Conv2dCache,
    opts?: { ws?: Workspace; computeDx?: boolean; dwInto?: Tensor; dbInto?: Tensor | null; reluOutput?: Tensor },
  ): { dx: Tensor | null; dw: Tensor; db: Tensor | null } | null;
  runs(d: Dims): boolean;
}

let pass: WinogradPass | null = null;

/** Called once by winograd.ts when it is loaded. */
export function provideWinograd(p: WinogradPass): void {
  pass = p;
}

/** The Winograd pass, or an error naming the remedy when a conv asks for it before it is loaded. */
export function winogradPass(who: string): WinogradPass {
  if (pass === null) {
    throw new Error(`${who}: this conv asks for winograd: true, but the Winograd kernels are not loaded: ` +
      `import 'miniconv/winograd' once (the Node entry 'miniconv' and the command line load them)`);
  }
  return pass;
}
