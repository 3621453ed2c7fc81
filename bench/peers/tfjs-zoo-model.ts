// A zoo model (bench/zoo-fixture.ts) written with tfjs-core ops, NHWC, layer by layer from miniconv's
// layer configs: the same architecture, the same initial weights, the same arithmetic as far as TF.js
// has it. Used by tfjs-zoo.ts.
//
//   Conv2D           tf.conv2d (groups 1, with dilations) or tf.depthwiseConv2d (groups = C = F),
//                    numeric padding (PyTorch's symmetric zeros), + bias
//   BatchNorm2D      training: tf.moments over N, H, W (the batch's biased variance) and tf.batchNorm,
//                    the gradient flowing through the moments; the running statistics updated as
//                    PyTorch does (momentum 0.1, unbiased variance). Evaluation: the running statistics
//   Normalize        'dataset' and 'image' (per picture, polarity by the border) with tf ops
//   ReLU, Tanh, Sigmoid, MaxPool2D, AvgPool2D ('valid'), GlobalAvgPool2D (tf.mean over H, W)
//   Flatten + Dense  the NHWC flatten is in HWC order, miniconv's in CHW: the dense rows are permuted
//   Residual         block(x) + shortcut(x) (identity by default) with tf.add
// Anything else (Dropout, whose masks cannot match, grouped convs with 1 < groups < C) is refused by name.
//
// Layouts: conv [F, C/G, KH, KW] -> [KH, KW, C, F] (dense conv) or [KH, KW, C, 1] (depthwise);
// dense [out, in] -> [in, out].
import * as tf from '@tensorflow/tfjs-core';
import type { LayerConfig } from '../../src/layers/layer.ts';
import type { ZooFixture, ZooTensor } from '../zoo-fixture.ts';
import { convToTf, denseToTfHwc } from './common.ts';
import { STD_FLOOR } from '../../src/kernels/normalize.ts';

/** The gradient configs the zoo's layers need (tfjs-setup.ts explains why they are registered one by one). */
export const ZOO_GRADIENTS = [
  'Conv2D', 'DepthwiseConv2dNative', 'Add', 'Relu', 'Tanh', 'Sigmoid', 'MaxPool', 'AvgPool', 'FusedBatchNorm',
  'Mean', 'SquaredDifference', 'Sub', 'Multiply', 'Reshape', 'BatchMatMul', 'Sum', 'RealDiv', 'Square', 'Cast',
];

/** What a batch norm layer saw in its last training-mode forward: the batch's mean and biased variance (kept). */
interface BatchStats { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number }

export interface TfZooModel {
  /** The trainable variables, in the fixture's param order (named by it). */
  vars: tf.Variable[];
  /** Logits [N, classes] of x [N, H, W, C]; training: batch norm by batch statistics (recorded, see updateRunningStats). */
  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /** Folds the statistics the last training-mode forward recorded into the running ones (apply false: drops them), and frees them. */
  updateRunningStats(apply?: boolean): void;
  /** The layer types of the network (for the notes). */
  layerTypes: Set<string>;
  /** Whether the network has a depthwise conv. */
  hasDepthwise: boolean;
}

type Shape = [number, number, number]; // [H, W, C] of one image
type Fn = (x: tf.Tensor4D, training: boolean) => tf.Tensor;

export function buildTfZooModel(fx: Pick<ZooFixture, 'config' | 'params' | 'buffers' | 'inputShape' | 'classes'>): TfZooModel {
  const params = new Map<string, ZooTensor>(fx.params.map((t) => [t.name, t]));
  const buffers = new Map<string, ZooTensor>(fx.buffers.map((t) => [t.name, t]));
  const used = new Set<string>();
  const varByName = new Map<string, tf.Variable>();
  const pending: Array<{ stats: BatchStats | null; mean: tf.Variable; variance: tf.Variable; momentum: number; at: string }> = [];
  const layerTypes = new Set<string>();
  let hasDepthwise = false;

  const take = (map: Map<string, ZooTensor>, name: string, shape: number[]): ZooTensor => {
    const t = map.get(name);
    if (!t) throw new Error(`tfjs-zoo: the fixture has no tensor '${name}'`);
    if (t.shape.join() !== shape.join()) throw new Error(`tfjs-zoo: '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    used.add(name);
    return t;
  };
  const trainable = (name: string, values: ArrayLike<number>, shape: number[]) => {
    const v = tf.variable(tf.tensor(Float32Array.from(values), shape), true, name);
    varByName.set(name, v);
    return v;
  };

  /** The function of layer `c` at `path` for an input of `s`, and its output shape. */
  function layer(c: LayerConfig, path: string, s: Shape, prev: LayerConfig | null, prevShape: Shape | null): [Fn, Shape] {
    const at = c.name ? (path ? `${path}.${c.name}` : String(c.name)) : path;
    const [H, W, C] = s;
    layerTypes.add(c.type);
    switch (c.type) {
      case 'Sequential': {
        const fns: Fn[] = [];
        let shape = s, before: LayerConfig | null = null, beforeShape: Shape | null = null;
        for (const child of c.layers as LayerConfig[]) {
          const [fn, out] = layer(child, at, shape, before, beforeShape);
          fns.push(fn);
          before = child; beforeShape = shape; shape = out;
        }
        return [(x, training) => fns.reduce<tf.Tensor>((h, fn) => fn(h as tf.Tensor4D, training), x), shape];
      }
      case 'Conv2D': {
        const F = c.outChannels as number, G = c.groups as number, [KH, KW] = c.kernelSize as [number, number];
        const stride = c.stride as number, pad = c.padding as number, dilation = c.dilation as number;
        if (c.inChannels !== C) throw new Error(`tfjs-zoo: ${at} expects ${String(c.inChannels)} channels, gets ${C}`);
        const w = take(params, `${at}.weight`, [F, C / G, KH, KW]);
        const b = c.bias ? trainable(`${at}.bias`, take(params, `${at}.bias`, [F]).data, [F]) : null;
        const OH = Math.floor((H + 2 * pad - dilation * (KH - 1) - 1) / stride) + 1;
        const OW = Math.floor((W + 2 * pad - dilation * (KW - 1) - 1) / stride) + 1;
        let conv: (x: tf.Tensor4D) => tf.Tensor4D;
        if (G === 1) {
          const filter = trainable(`${at}.weight`, convToTf(w.data, F, C, KH, KW), [KH, KW, C, F]) as tf.Variable<tf.Rank.R4>;
          conv = (x) => tf.conv2d(x, filter, stride, pad, 'NHWC', dilation);
        } else if (G === C && F === C) {
          hasDepthwise = true;
          const filter = trainable(`${at}.weight`, convToTf(w.data, C, 1, KH, KW), [KH, KW, C, 1]) as tf.Variable<tf.Rank.R4>;
          conv = (x) => tf.depthwiseConv2d(x, filter, stride, pad, 'NHWC', dilation);
        } else {
          throw new Error(`tfjs-zoo: ${at} has groups ${G} with ${C} -> ${F} channels; only groups 1 and depthwise (groups = in = out channels) are translated`);
        }
        return [(x) => (b ? tf.add(conv(x), b) : conv(x)), [OH, OW, F]];
      }
      case 'BatchNorm2D': {
        const eps = c.eps as number, momentum = c.momentum as number;
        const gamma = trainable(`${at}.weight`, take(params, `${at}.weight`, [C]).data, [C]);
        const beta = trainable(`${at}.bias`, take(params, `${at}.bias`, [C]).data, [C]);
        const mean = tf.variable(tf.tensor1d(Float32Array.from(take(buffers, `${at}.runningMean`, [C]).data)), false, `${at}.runningMean`);
        const variance = tf.variable(tf.tensor1d(Float32Array.from(take(buffers, `${at}.runningVar`, [C]).data)), false, `${at}.runningVar`);
        const slot = { stats: null as BatchStats | null, mean, variance, momentum, at };
        pending.push(slot);
        return [(x, training) => {
          if (!training) return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, eps);
          const m = tf.moments(x, [0, 1, 2]);
          if (slot.stats) { slot.stats.mean.dispose(); slot.stats.variance.dispose(); }
          slot.stats = { mean: tf.keep(m.mean as tf.Tensor1D), variance: tf.keep(m.variance as tf.Tensor1D), count: x.shape[0] * x.shape[1] * x.shape[2] };
          return tf.batchNorm4d(x, m.mean as tf.Tensor1D, m.variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, eps);
        }, s];
      }
      case 'Normalize': {
        // src/kernels/normalize.ts: 'dataset' (x - mean[c]) / std[c]; 'image' per picture and channel,
        // z = g (x - m) / max(sd, STD_FLOOR), g = -1 when the border's mean is above the plane's mean.
        if (c.mode === 'dataset') {
          const mean = tf.tensor1d(c.mean as number[]), std = tf.tensor1d(c.std as number[]);
          return [(x) => tf.div(tf.sub(x, mean), std), s];
        }
        if (c.mode !== 'image') throw new Error(`tfjs-zoo: ${at}: Normalize mode ${JSON.stringify(c.mode)} is not translated`);
        return [(x) => {
          const { mean, variance } = tf.moments(x, [1, 2], true); // (N, 1, 1, C), biased variance
          const scale = tf.maximum(tf.sqrt(variance), STD_FLOOR);
          const n = x.shape[0];
          const edges = tf.add(tf.add(tf.sum(tf.slice(x, [0, 0, 0, 0], [n, 1, W, C]), [1, 2], true), tf.sum(tf.slice(x, [0, H - 1, 0, 0], [n, 1, W, C]), [1, 2], true)),
            tf.add(tf.sum(tf.slice(x, [0, 1, 0, 0], [n, H - 2, 1, C]), [1, 2], true), tf.sum(tf.slice(x, [0, 1, W - 1, 0], [n, H - 2, 1, C]), [1, 2], true)));
          const border = tf.div(edges, 2 * W + 2 * (H - 2));
          const sign = tf.where(tf.greater(border, mean), tf.fill(mean.shape, -1), tf.fill(mean.shape, 1));
          return tf.mul(tf.div(tf.sub(x, mean), scale), sign);
        }, s];
      }
      case 'ReLU': return [(x) => tf.relu(x), s];
      case 'Tanh': return [(x) => tf.tanh(x), s];
      case 'Sigmoid': return [(x) => tf.sigmoid(x), s];
      case 'MaxPool2D':
      case 'AvgPool2D': {
        const k = c.kernelSize as number, stride = c.stride as number;
        const out: Shape = [Math.floor((H - k) / stride) + 1, Math.floor((W - k) / stride) + 1, C];
        return [c.type === 'MaxPool2D' ? (x) => tf.maxPool(x, k, stride, 'valid') : (x) => tf.avgPool(x, k, stride, 'valid'), out];
      }
      case 'GlobalAvgPool2D': return [(x) => tf.mean(x, [1, 2]), [1, 1, C]];
      case 'Flatten': return [(x) => tf.reshape(x, [x.shape[0], H * W * C]), [1, 1, H * W * C]];
      case 'Dense': {
        const I = c.inFeatures as number, O = c.outFeatures as number;
        if (I !== H * W * C) throw new Error(`tfjs-zoo: ${at} expects ${I} inputs, gets ${H * W * C}`);
        const w = take(params, `${at}.weight`, [O, I]);
        // After a Flatten of an [h, w, c] map the inputs arrive in HWC order, miniconv's rows are in CHW order.
        const [h, wd, ch] = prev?.type === 'Flatten' && prevShape ? prevShape : [1, 1, I];
        const kernel = trainable(`${at}.weight`, denseToTfHwc(w.data, O, ch, h, wd), [I, O]) as tf.Variable<tf.Rank.R2>;
        const b = c.bias ? trainable(`${at}.bias`, take(params, `${at}.bias`, [O]).data, [O]) : null;
        return [(x) => {
          const y = tf.matMul(x.rank === 2 ? (x as unknown as tf.Tensor2D) : tf.reshape(x, [x.shape[0], I]), kernel);
          return b ? tf.add(y, b) : y;
        }, [1, 1, O]];
      }
      case 'Residual': {
        const [block, out] = layer(c.block as LayerConfig, at, s, null, null);
        const short = c.shortcut ? layer(c.shortcut as LayerConfig, at, s, null, null) : null;
        if (short && short[1].join() !== out.join()) throw new Error(`tfjs-zoo: ${at}: block gives [${out.join(', ')}], shortcut [${short[1].join(', ')}]`);
        return [(x, training) => tf.add(block(x, training), short ? short[0](x, training) : x), out];
      }
      default:
        throw new Error(`tfjs-zoo: layer ${at} of type ${c.type} is not translated to TF.js (Normalize, Conv2D, BatchNorm2D, ReLU, Tanh, Sigmoid, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, Dense, Residual, Sequential are)`);
    }
  }

  const [H, W, C] = [fx.inputShape[1], fx.inputShape[2], fx.inputShape[0]];
  const [forward, out] = layer(fx.config, '', [H, W, C], null, null);
  if (out[0] !== 1 || out[1] !== 1 || out[2] !== fx.classes) throw new Error(`tfjs-zoo: the network gives [${out.join(', ')}] per image, expected ${fx.classes} classes`);
  const unused = [...fx.params, ...fx.buffers].map((t) => t.name).filter((n) => !used.has(n));
  if (unused.length) throw new Error(`tfjs-zoo: fixture tensors not used by the translation: ${unused.join(', ')}`);
  // The fixture's param order (the order miniconv's optimiser sees them in).
  const vars = fx.params.map((t) => varByName.get(t.name) as tf.Variable);

  return {
    vars,
    logits: (x, training) => forward(x, training) as tf.Tensor2D,
    updateRunningStats: (apply = true) => {
      if (apply) tf.tidy(() => {
        for (const p of pending) {
          if (!p.stats) continue;
          const { mean, variance, count } = p.stats;
          const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
          p.mean.assign(tf.add(tf.mul(p.mean, 1 - p.momentum), tf.mul(mean, p.momentum)));
          p.variance.assign(tf.add(tf.mul(p.variance, 1 - p.momentum), tf.mul(unbiased, p.momentum)));
        }
      });
      for (const p of pending) {
        if (!p.stats) continue;
        p.stats.mean.dispose(); p.stats.variance.dispose(); p.stats = null;
      }
    },
    layerTypes,
    hasDepthwise,
  };
}

/** The optimiser of the fixture with TF.js's: its update, plus the weight decay TF.js's optimisers lack, done by hand. */
export function makeTfOptimizer(fx: Pick<ZooFixture, 'optimizer'>): { step: (grads: tf.NamedTensorMap, vars: tf.Variable[]) => void; what: string } {
  const o = fx.optimizer;
  const tfOpt = o.name === 'sgd'
    ? (o.momentum > 0 ? tf.train.momentum(o.lr, o.momentum, o.nesterov) : tf.train.sgd(o.lr))
    : tf.train.adam(o.lr, o.betas[0], o.betas[1], o.eps);
  const decoupled = o.name === 'adamw';
  const what = `${o.name === 'sgd' ? (o.momentum > 0 ? `tf.train.momentum(${o.lr}, ${o.momentum}, nesterov ${o.nesterov})` : `tf.train.sgd(${o.lr})`) : `tf.train.adam(${o.lr}, ${o.betas.join(', ')}, eps ${o.eps})`}` +
    (o.weightDecay > 0 ? (decoupled ? `, decoupled weight decay ${o.weightDecay} (w *= 1 - lr*wd before the step, by hand: TF.js has no AdamW)` : `, L2 weight decay ${o.weightDecay} added to the gradients by hand`) : '');
  return {
    what,
    step: (grads, vars) => {
      if (o.weightDecay > 0) {
        for (const v of vars) {
          if (decoupled) v.assign(tf.mul(v, 1 - o.lr * o.weightDecay));
          else grads[v.name] = tf.add(grads[v.name], tf.mul(v, o.weightDecay));
        }
      }
      tfOpt.applyGradients(grads as unknown as { [name: string]: tf.Variable }); // a map of gradients by variable name
    },
  };
}
