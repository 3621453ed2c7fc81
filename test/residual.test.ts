// Residual(block, shortcut?): y = block(x) + shortcut(x). Gradient checks in float64 with an identity
// and with a 1x1-conv shortcut on every backend, the shape check, naming, config and the modes.
import { describe, expect, it } from 'vitest';
import { BatchNorm2D, Conv2D, Dense, Dropout, Flatten, type Layer, ReLU, Residual, Sequential, Tanh, Tensor, createRng, gradCheck } from '../src/index.ts';
import { layerFromConfig, modelFromConfig } from '../src/layers/from-config.ts';
import { randn } from './helpers.ts';

const BACKENDS = ['naive', 'ts', 'wasm'] as const;
type B = (typeof BACKENDS)[number];

/** conv 3x3 (stride s, C -> F) - tanh - conv 3x3 (F -> F): smooth, so the gradient check has no kinks. */
function block(C: number, F: number, stride: number, rng: ReturnType<typeof createRng>, backend: B): Sequential {
  return new Sequential([
    new Conv2D({ inChannels: C, outChannels: F, kernelSize: 3, stride, padding: 1, rng, backend, biasInit: 'xavierUniform' }),
    new Tanh({ backend }),
    new Conv2D({ inChannels: F, outChannels: F, kernelSize: 3, padding: 1, rng, backend, biasInit: 'xavierUniform' }),
  ]);
}

describe.each(BACKENDS)('Residual gradient checks in float64, %s backend', (backend) => {
  it('identity shortcut: dx = dblock + dy; every parameter of the block', () => {
    const r = new Residual(block(3, 3, 1, createRng(1), backend));
    r.setBackend(backend);
    const res = gradCheck(r, randn([2, 3, 5, 4], 'res-id'), { seed: 1 });
    expect(Object.keys(res.errors)).toEqual(['x', 'block.conv2d_1.weight', 'block.conv2d_1.bias', 'block.conv2d_2.weight', 'block.conv2d_2.bias']);
    expect(res.maxRelError, JSON.stringify(res.errors)).toBeLessThan(1e-6);
  });

  it('1x1-conv shortcut with stride 2 and more channels (3 -> 4, 7x6 -> 4x3)', () => {
    const rng = createRng(2);
    const shortcut = new Conv2D({ inChannels: 3, outChannels: 4, kernelSize: 1, stride: 2, rng, backend, biasInit: 'xavierUniform' });
    const r = new Residual(block(3, 4, 2, rng, backend), shortcut).setBackend(backend);
    expect(r.outputShape([2, 3, 7, 6])).toEqual([2, 4, 4, 3]);
    const res = gradCheck(r, randn([2, 3, 7, 6], 'res-conv'), { seed: 2 });
    expect(Object.keys(res.errors)).toContain('shortcut.weight');
    expect(res.maxRelError, JSON.stringify(res.errors)).toBeLessThan(1e-6);
  });

  it('two residual blocks in a network with batch norm, softmax cross-entropy, training mode', () => {
    const rng = createRng(3);
    const bnBlock = (C: number) => new Sequential([
      new Conv2D({ inChannels: C, outChannels: C, kernelSize: 3, padding: 1, bias: false, rng, backend }),
      new BatchNorm2D({ numFeatures: C, backend }), new Tanh({ backend }),
    ]);
    const model = new Sequential([
      new Residual(bnBlock(2)),
      new Residual(bnBlock(2), new Conv2D({ inChannels: 2, outChannels: 2, kernelSize: 1, rng, backend })),
      new Flatten(), new Dense({ inFeatures: 2 * 4 * 4, outFeatures: 3, rng, backend }),
    ]).setBackend(backend);
    const res = gradCheck(model, randn([3, 2, 4, 4], 'res-model'), { labels: [2, 0, 1] });
    expect(res.maxRelError, JSON.stringify(res.errors)).toBeLessThan(1e-6);
  });
});

describe('Residual forward, backward and bookkeeping', () => {
  it('forward is block(x) + x; backward is the block\'s dx + dy; the first layer of a model gets param gradients only', () => {
    const rng = createRng(4);
    const inner = block(2, 2, 1, rng, 'ts');
    const r = new Residual(inner);
    const x = randn([1, 2, 3, 3], 'fw').to('float32');
    const y = r.forward(x);
    const yb = inner.forward(x);
    for (let i = 0; i < y.size; i++) expect(y.data[i]).toBeCloseTo(yb.data[i] + x.data[i], 6);
    const dy = randn([1, 2, 3, 3], 'bw').to('float32');
    const dx = r.backward(dy);
    const dxBlock = inner.backward(dy);
    for (let i = 0; i < dx.size; i++) expect(dx.data[i]).toBeCloseTo(dxBlock.data[i] + dy.data[i], 6);
    for (const p of r.params()) p.grad.data.fill(0);
    r.forward(x);
    r.backwardParamsOnly(dy);
    const grads = r.params().map((p) => Array.from(p.grad.data));
    for (const p of r.params()) p.grad.data.fill(0);
    r.forward(x);
    r.backward(dy);
    expect(r.params().map((p) => Array.from(p.grad.data))).toEqual(grads);
  });

  it('the two outputs must have one shape: a clear error, from forward and from outputShape', () => {
    const rng = createRng(5);
    const r = new Residual(new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, rng }), null, { name: 'res' });
    const msg = "Residual(res): for input [1, 2, 5, 5] the block gives [1, 4, 5, 5] but the identity shortcut gives [1, 2, 5, 5]; they must match: give a shortcut that maps the input to the block's output shape (e.g. a 1x1 Conv2D with the block's stride and channels)";
    expect(() => r.outputShape([1, 2, 5, 5])).toThrow(msg);
    expect(() => r.forward(new Tensor([1, 2, 5, 5]))).toThrow(msg);
    const wrong = new Residual(new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, rng }), new Conv2D({ inChannels: 2, outChannels: 4, kernelSize: 1, rng }));
    expect(() => new Sequential([wrong])).not.toThrow();
    expect(() => wrong.forward(new Tensor([1, 2, 6, 6]))).toThrow('Residual(residual_1): for input [1, 2, 6, 6] the block gives [1, 4, 3, 3] but the shortcut gives [1, 4, 6, 6]');
  });

  it('bad arguments', () => {
    const conv = new Conv2D({ inChannels: 1, outChannels: 1, kernelSize: 1, rng: createRng(0) });
    expect(() => new Residual(undefined as never)).toThrow('Residual: block must be a layer (e.g. a Sequential), got undefined');
    expect(() => new Residual(conv, {} as never)).toThrow('Residual: shortcut must be a layer or omitted (the identity), got object');
    expect(() => new Residual(conv, conv)).toThrow('Residual: block and shortcut are the same layer object');
    const a = new ReLU({ name: 'same' }), b = new ReLU({ name: 'same' });
    expect(() => new Residual(a, b)).toThrow("Residual: block and shortcut are both named 'same'; names must differ");
  });

  it('params and buffers of both branches, named by their path; config nests both; the config rebuilds the same network', () => {
    const rng = createRng(6);
    const model = new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng }),
      new Residual(new Sequential([new Conv2D({ inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1, rng }), new BatchNorm2D({ numFeatures: 2 })])),
      new Residual(new Sequential([new BatchNorm2D({ numFeatures: 2 })]), new Conv2D({ inChannels: 2, outChannels: 2, kernelSize: 1, bias: false, rng })),
      new Flatten(), new Dropout({ p: 0.2, rng }), new Dense({ inFeatures: 2 * 16, outFeatures: 3, rng }),
    ]);
    expect(model.params().map((p) => p.name)).toEqual([
      'conv2d_1.weight', 'conv2d_1.bias',
      'residual_1.block.conv2d_1.weight', 'residual_1.block.conv2d_1.bias', 'residual_1.block.batchnorm2d_1.weight', 'residual_1.block.batchnorm2d_1.bias',
      'residual_2.block.batchnorm2d_1.weight', 'residual_2.block.batchnorm2d_1.bias', 'residual_2.shortcut.weight',
      'dense_1.weight', 'dense_1.bias',
    ]);
    expect(model.buffers().map((b) => b.name)).toEqual([
      'residual_1.block.batchnorm2d_1.runningMean', 'residual_1.block.batchnorm2d_1.runningVar',
      'residual_2.block.batchnorm2d_1.runningMean', 'residual_2.block.batchnorm2d_1.runningVar',
    ]);
    const cfg = model.config();
    expect((cfg.layers as any[])[2]).toEqual({
      type: 'Residual', name: 'residual_2',
      block: { type: 'Sequential', name: 'block', layers: [{ type: 'BatchNorm2D', name: 'batchnorm2d_1', numFeatures: 2, eps: 1e-5, momentum: 0.1 }] },
      shortcut: { type: 'Conv2D', name: 'shortcut', inChannels: 2, outChannels: 2, kernelSize: [1, 1], stride: 1, padding: 0, dilation: 1, groups: 1, bias: false },
    });
    const back = modelFromConfig(JSON.parse(JSON.stringify(cfg)));
    expect(back.config()).toEqual(cfg);
    expect(back.params().map((p) => p.name)).toEqual(model.params().map((p) => p.name));
    // Wrapping the same layers again renames nothing twice.
    const again = new Sequential([...model.layers]);
    expect(again.params().map((p) => p.name)).toEqual(model.params().map((p) => p.name));
  });

  it('from a config: nested errors say where; a Dropout without a seed takes one from the rng given', () => {
    expect(() => modelFromConfig({ type: 'Sequential', layers: [{ type: 'Residual', block: { type: 'Sequential', layers: [{ type: 'Softplus' }] } }] }))
      .toThrow('layer 0.block.layers[0] has unknown type "Softplus", expected one of');
    expect(() => layerFromConfig({ type: 'Residual', block: { type: 'constructor' } })).toThrow('layer.block has unknown type "constructor"');
    expect(() => layerFromConfig({ type: 'Sequential', layers: 3 })).toThrow('layer: a Sequential config needs a layer list, got 3');
    expect(() => layerFromConfig({ type: 'Dropout', p: 0.5 })).toThrow('Dropout: needs an rng');
    const d = layerFromConfig({ type: 'Dropout', p: 0.5 }, { rng: createRng(1) }) as Dropout;
    expect(d.seed).toBe((layerFromConfig({ type: 'Dropout', p: 0.5 }, { rng: createRng(1) }) as Dropout).seed);
  });
});

describe('model.train() / model.eval(), as in PyTorch', () => {
  function net() {
    const rng = createRng(7);
    return new Sequential([
      new Conv2D({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng }),
      new Residual(new Sequential([new BatchNorm2D({ numFeatures: 2 }), new Dropout({ p: 0.5, rng })]), new BatchNorm2D({ numFeatures: 2 })),
    ]);
  }
  const every = (l: Layer): Layer[] => [l, ...('layers' in l ? (l as Sequential).layers.flatMap(every) : []),
    ...(l instanceof Residual ? [...every(l.block), ...(l.shortcut ? every(l.shortcut) : [])] : [])];

  it('layers start in training mode; eval() and train() reach every layer of nested containers and return the model', () => {
    const model = net();
    expect(every(model).length).toBe(7);
    expect(every(model).every((l) => l.training)).toBe(true);
    expect(model.eval()).toBe(model);
    expect(every(model).some((l) => l.training)).toBe(false);
    expect(model.train()).toBe(model);
    expect(every(model).every((l) => l.training)).toBe(true);
    model.train(false);
    expect(every(model).some((l) => l.training)).toBe(false);
    expect(() => model.train('no' as never)).toThrow("Sequential: train(mode) takes true or false, got no");
  });

  it('evaluation mode: the same input gives the same output, and the running statistics stay put', () => {
    const model = net();
    const x = randn([4, 1, 3, 3], 'modes').to('float32');
    const t1 = Array.from(model.forward(x).data), t2 = Array.from(model.forward(x).data);
    expect(t1).not.toEqual(t2); // dropout draws a new mask, batch norm moves its running statistics
    model.eval();
    const stats = model.buffers().map((b) => Array.from(b.value.data));
    const e1 = Array.from(model.forward(x).data), e2 = Array.from(model.forward(x).data);
    expect(e1).toEqual(e2);
    expect(model.buffers().map((b) => Array.from(b.value.data))).toEqual(stats);
  });
});
