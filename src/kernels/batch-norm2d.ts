// 2-D batch normalisation (Ioffe & Szegedy, 2015), forward and backward: the naive pair, the formulas.
//
// Glossary: N = batch, C = channels, H, W = height and width; M = N*H*W, the number of values each
// channel's statistics are taken over. w (C) is gamma, b (C) is beta, as in PyTorch's BatchNorm2d.
//
// Training mode normalises each channel by the mean and variance of the batch and keeps running
// averages of them for evaluation mode, which normalises by those instead (PyTorch's conventions):
//   mean[c] = 1/M sum_{n,i,j} x[n,c,i,j]
//   var[c]  = 1/M sum_{n,i,j} (x[n,c,i,j] - mean[c])^2            biased: this is what normalises
//   runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c]
//   runningVar[c]  = (1 - momentum) * runningVar[c]  + momentum * var[c] * M / (M - 1)   unbiased
// and in both modes
//   xhat[n,c,i,j] = (x[n,c,i,j] - mean[c]) / sqrt(var[c] + eps)
//   y[n,c,i,j]    = w[c] * xhat[n,c,i,j] + b[c]
// Like torch.nn.functional.batch_norm, the forward kernel updates the running statistics it is
// given, in place, in training mode; it keeps no state of its own.

import { Tensor, allocLike, checkShape, shapeStr } from '../tensor.ts';

/** The settings and running statistics of batchNorm2dForward*. */
export interface BatchNorm2dParams {
  /** true: batch statistics (and the running averages are updated); false: the running statistics. */
  training: boolean;
  /** Added to the variance before the square root (PyTorch's default 1e-5). */
  eps: number;
  /** Weight of the new batch in the running averages (PyTorch's default 0.1). */
  momentum: number;
  /** The running mean, (C), updated in place in training mode. */
  runningMean: Tensor;
  /** The running (unbiased) variance, (C), updated in place in training mode. */
  runningVar: Tensor;
}

/** What backward needs; the same for the naive and the fast pair. */
export interface BatchNorm2dCache {
  /** The input, (N, C, H, W). */
  x: Tensor;
  /** The weight (gamma), (C). */
  w: Tensor;
  /** (C): the batch mean in training mode, the running mean in evaluation mode. */
  mean: Float64Array;
  /** (C): 1 / sqrt(var + eps), likewise. */
  invStd: Float64Array;
  /** Whether the forward pass normalised by the batch's statistics (then backward also flows through mean and variance). */
  training: boolean;
}

/** Checks the shapes, returning the sizes. `who` names the kernel in errors. */
export function batchNorm2dDims(x: Tensor, w: Tensor, b: Tensor, p: BatchNorm2dParams, who = 'batchNorm2d') {
  if (x.rank !== 4) throw new Error(`${who}: input must be rank 4 (N, C, H, W), but got rank ${x.rank} ${shapeStr(x.shape)}`);
  const [N, C, H, W] = x.shape;
  for (const [name, t] of [['w', w], ['b', b], ['runningMean', p.runningMean], ['runningVar', p.runningVar]] as const) checkShape(who, name, t, [C]);
  const M = N * H * W;
  if (p.training && M < 2) {
    throw new Error(`${who}: training mode needs more than one value per channel to take a variance, got input ${shapeStr(x.shape)} (N*H*W = ${M}); use a larger batch, or eval()`);
  }
  return { N, C, H, W, M };
}

/**
 * Batch normalisation of each channel (the formulas in the header).
 * @param x (N, C, H, W)  @param w (C) gamma  @param b (C) beta
 * @param p mode, eps, momentum and the running statistics (C), updated in place in training mode
 * @returns out (N, C, H, W), and the cache for the backward pass
 */
export function batchNorm2dForwardNaive(x: Tensor, w: Tensor, b: Tensor, p: BatchNorm2dParams): { out: Tensor; cache: BatchNorm2dCache } {
  const { N, C, H, W, M } = batchNorm2dDims(x, w, b, p);
  const xd = x.data;
  const at = (n: number, c: number, s: number) => (n * C + c) * H * W + s; // s = i*W + j
  const mean = new Float64Array(C); // (C)
  const variance = new Float64Array(C); // (C)
  if (p.training) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < H * W; s++) sum += xd[at(n, c, s)];
      mean[c] = sum / M;
      let sq = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < H * W; s++) sq += (xd[at(n, c, s)] - mean[c]) ** 2;
      variance[c] = sq / M;
      p.runningMean.data[c] = (1 - p.momentum) * p.runningMean.data[c] + p.momentum * mean[c];
      p.runningVar.data[c] = (1 - p.momentum) * p.runningVar.data[c] + p.momentum * variance[c] * M / (M - 1);
    }
  } else {
    mean.set(p.runningMean.data);
    variance.set(p.runningVar.data);
  }
  const invStd = new Float64Array(C); // (C)
  for (let c = 0; c < C; c++) invStd[c] = 1 / Math.sqrt(variance[c] + p.eps);
  const out = allocLike(xd, x.size); // (N, C, H, W)
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < H * W; s++) {
        const xhat = (xd[at(n, c, s)] - mean[c]) * invStd[c];
        out[at(n, c, s)] = w.data[c] * xhat + b.data[c];
      }
    }
  }
  return { out: new Tensor(x.shape, out), cache: { x, w, mean, invStd, training: p.training } };
}

/**
 * The gradients, sums over the M values of each channel:
 *   db[c] = sum_{n,i,j} dy[n,c,i,j]
 *   dw[c] = sum_{n,i,j} dy[n,c,i,j] * xhat[n,c,i,j]
 * Evaluation mode: mean and var are constants, so y is an affine map of x:
 *   dx[n,c,i,j] = w[c] * invStd[c] * dy[n,c,i,j]
 * Training mode: mean and var are functions of every x of the channel, and the gradient flows
 * through them too. With dxhat = w[c] * dy, the chain rule through xhat = (x - mean) * invStd gives
 *   dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
 * (mean over the channel's M values: the first term is the direct path, the second the path through
 * the batch mean, the third the path through the batch variance), that is
 *   dx[n,c,i,j] = w[c] * invStd[c] / M * (M * dy[n,c,i,j] - db[c] - xhat[n,c,i,j] * dw[c])
 *
 * @param dy (N, C, H, W)
 * @returns dx (N, C, H, W), dw (C), db (C)
 */
export function batchNorm2dBackwardNaive(dy: Tensor, cache: BatchNorm2dCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w, mean, invStd, training } = cache;
  checkShape('batchNorm2d backward', 'dy', dy, x.shape);
  const [N, C, H, W] = x.shape;
  const M = N * H * W;
  const at = (n: number, c: number, s: number) => (n * C + c) * H * W + s;
  const xhat = allocLike(x.data, x.size); // (N, C, H, W)
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < H * W; s++) xhat[at(n, c, s)] = (x.data[at(n, c, s)] - mean[c]) * invStd[c];
  const dw = allocLike(w.data, C); // (C)
  const db = allocLike(w.data, C); // (C)
  for (let c = 0; c < C; c++) {
    let sumDy = 0, sumDyXhat = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < H * W; s++) {
        sumDy += dy.data[at(n, c, s)];
        sumDyXhat += dy.data[at(n, c, s)] * xhat[at(n, c, s)];
      }
    }
    db[c] = sumDy;
    dw[c] = sumDyXhat;
  }
  const dx = allocLike(x.data, x.size); // (N, C, H, W)
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < H * W; s++) {
        const k = at(n, c, s);
        dx[k] = training
          ? (w.data[c] * invStd[c] / M) * (M * dy.data[k] - db[c] - xhat[k] * dw[c])
          : w.data[c] * invStd[c] * dy.data[k];
      }
    }
  }
  return { dx: new Tensor(x.shape, dx), dw: new Tensor([C], dw), db: new Tensor([C], db) };
}
