// Residual: y = block(x) + shortcut(x) (He et al., 2016), the shortcut the identity by default.
// A container: it runs two layers it was given (each any Layer, often a Sequential) and knows no
// layer class. The sum is kernels/add.ts; backward sends dy down both branches (a sum hands its
// gradient to each summand unchanged) and adds the two dx:
//   dx = dblock(x)^T dy + dshortcut(x)^T dy      (= dblock(x)^T dy + dy for the identity)
// which is why a deep stack of residual blocks still passes a gradient to its first layers.

import { type Tensor, shapeSize, shapeStr } from '../tensor.ts';
import type { Backend } from '../kernels/backend.ts';
import { addKernels } from '../kernels/add.ts';
import { Layer, type LayerBuffer, type LayerConfig, type Param } from './layer.ts';

/** A residual block, y = block(x) + shortcut(x) (He et al., 2016), the shortcut the identity unless given; backward sends dy down both branches and adds the two dx. Both branches must give the same output shape. */
export class Residual extends Layer {
  readonly type = 'Residual';
  /** The main branch (any Layer, often a Sequential), named `block` unless it already has a name. */
  readonly block: Layer;
  /** null: the identity. */
  readonly shortcut: Layer | null;

  /**
   * @param block the main branch, e.g. new Sequential([conv, bn, relu, conv, bn])
   * @param shortcut the other branch (default: the identity), e.g. a 1x1 Conv2D where the block
   *        changes the number of channels or the size; it must give the block's output shape
   * Unnamed branches are named 'block' and 'shortcut'; their parameters become `block.conv2d_1.weight`,
   * and `residual_1.block.conv2d_1.weight` inside a Sequential.
   */
  constructor(block: Layer, shortcut?: Layer | null, opts: { name?: string } = {}) {
    super();
    const who = `Residual${opts?.name ? `(${opts.name})` : ''}`;
    if (!(block instanceof Layer)) throw new TypeError(`${who}: block must be a layer (e.g. a Sequential), got ${block === null ? 'null' : typeof block}`);
    if (shortcut != null && !(shortcut instanceof Layer)) throw new TypeError(`${who}: shortcut must be a layer or omitted (the identity), got ${typeof shortcut}`);
    if (shortcut === block) throw new Error(`${who}: block and shortcut are the same layer object; give the shortcut its own layer (or omit it for the identity)`);
    this.name = opts.name ?? '';
    this.block = block;
    this.shortcut = shortcut ?? null;
    if (!block.name) block.name = 'block';
    if (this.shortcut && !this.shortcut.name) this.shortcut.name = 'shortcut';
    if (this.shortcut && this.shortcut.name === block.name) throw new Error(`${who}: block and shortcut are both named '${block.name}'; names must differ`);
    this.prefixNames('');
  }

  /** (N, ...) -> block(x) + shortcut(x); throws naming both shapes when the branches disagree. */
  forwardView(x: Tensor): Tensor {
    const yBlock = this.block.forwardView(x);
    const yShortcut = this.shortcut ? this.shortcut.forwardView(x) : x;
    this.checkBranches(yBlock.shape, yShortcut.shape, x.shape);
    const k = this.kernels(addKernels);
    return k.forward(yBlock, yShortcut, { ws: k.ws }).out;
  }

  /** dx = the block's dx + the shortcut's dx (+ dy itself for the identity), both for the same dy. */
  backwardView(dy: Tensor): Tensor {
    const dxBlock = this.block.backwardView(dy);
    const dxShortcut = this.shortcut ? this.shortcut.backwardView(dy) : dy;
    const k = this.kernels(addKernels);
    return k.forward(dxBlock, dxShortcut, { ws: k.ws, into: 'dx' }).out;
  }

  /** As the first layer of a network: the parameter gradients of both branches, no dx. */
  override backwardParamsOnly(dy: Tensor): void {
    this.block.backwardParamsOnly(dy);
    this.shortcut?.backwardParamsOnly(dy);
  }

  outputShape(s: readonly number[]): number[] {
    const yBlock = this.block.outputShape(s);
    this.checkBranches(yBlock, this.shortcut ? this.shortcut.outputShape(s) : s, s);
    return yBlock;
  }

  private checkBranches(yBlock: readonly number[], yShortcut: readonly number[], x: readonly number[]): void {
    if (yBlock.length === yShortcut.length && yBlock.every((d, i) => d === yShortcut[i])) return;
    throw new Error(
      `${this.label}: for input ${shapeStr(x)} the block gives ${shapeStr(yBlock)} but the ${this.shortcut ? 'shortcut' : 'identity shortcut'} gives ` +
      `${shapeStr(yShortcut)}; they must match: give a shortcut that maps the input to the block's output shape (e.g. a 1x1 Conv2D with the block's stride and channels)`,
    );
  }

  /** Multiply-adds of both branches (the sum itself multiplies nothing). */
  override macs(inputShape: readonly number[]): number {
    this.outputShape(inputShape);
    return this.block.macs(inputShape) + (this.shortcut ? this.shortcut.macs(inputShape) : 0);
  }

  /** Activation values of both branches, plus the sum's own output. */
  override activationValues(inputShape: readonly number[]): number {
    const y = this.outputShape(inputShape);
    return this.block.activationValues(inputShape) + (this.shortcut ? this.shortcut.activationValues(inputShape) : 0) + shapeSize(y);
  }

  /** The kink choices of both branches (see Layer.kinkState), for gradCheck. */
  override kinkState(): Int32Array | null {
    const parts = [this.block.kinkState(), this.shortcut?.kinkState() ?? null].filter((p) => p !== null);
    if (parts.length === 0) return null;
    const all = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  }

  override useRandomStream(stream: number): void {
    this.block.useRandomStream(stream);
    this.shortcut?.useRandomStream(stream);
  }

  override holdRandomness(hold: boolean): void {
    this.block.holdRandomness(hold);
    this.shortcut?.holdRandomness(hold);
  }

  override train(mode = true): this {
    super.train(mode);
    this.block.train(mode);
    this.shortcut?.train(mode);
    return this;
  }

  override setBackend(backend: Backend | undefined): this {
    super.setBackend(backend);
    this.block.setBackend(backend);
    this.shortcut?.setBackend(backend);
    return this;
  }

  override prefixNames(prefix: string): void {
    for (const branch of this.shortcut ? [this.block, this.shortcut] : [this.block]) {
      branch.prefixNames(prefix ? `${prefix}.${branch.name}` : branch.name);
    }
  }

  override params(): Param[] {
    return [...this.block.params(), ...(this.shortcut?.params() ?? [])];
  }

  override buffers(): LayerBuffer[] {
    return [...this.block.buffers(), ...(this.shortcut?.buffers() ?? [])];
  }

  config(): LayerConfig {
    return { type: this.type, name: this.name, block: this.block.config(), shortcut: this.shortcut?.config() ?? null };
  }
}
