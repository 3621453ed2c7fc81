// Your own layer, checked by gradCheck: a per-channel gain and offset, y = x * gain[c] + offset[c]
// on (N, C, H, W). Write forwardView and backwardView side by side, make the parameters with
// makeParam, ADD into param.grad (+=), and let gradCheck compare your backward pass with central
// finite differences in float64. Run: npx tsx examples/custom-layer.ts
import { Conv2D, Flatten, Dense, Layer, type LayerConfig, type Param, ReLU, Sequential, Tensor, createRng, gradCheck, makeParam } from 'miniconv';
import { randn } from 'miniconv/testing';

// N = batch, C = channels, H, W = height and width
class ChannelScale extends Layer {
  readonly type = 'ChannelScale';
  readonly gain: Param; // (C)
  readonly offset: Param; // (C)
  private x: Tensor | null = null; // the input of the last forward, for backward

  constructor(channels: number, private readonly mistake = false) {
    super();
    this.gain = makeParam('gain', new Tensor([channels], new Float32Array(channels).fill(1)));
    this.offset = makeParam('offset', Tensor.zeros([channels]));
  }

  // y[n,c,i,j] = x[n,c,i,j] * gain[c] + offset[c]
  forwardView(x: Tensor): Tensor {
    const [N, C, H, W] = x.shape;
    this.x = x.clone();
    const y = Tensor.zeros([N, C, H, W], x.dtype); // (N, C, H, W)
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let k = 0; k < H * W; k++) {
      const at = (n * C + c) * H * W + k;
      y.data[at] = x.data[at] * this.gain.value.data[c] + this.offset.value.data[c];
    }
    return y;
  }

  // dx = dy * gain[c];  dgain[c] += sum over n, i, j of dy * x;  doffset[c] += sum of dy
  backwardView(dy: Tensor): Tensor {
    const x = this.x!;
    const [N, C, H, W] = x.shape;
    const dx = Tensor.zeros([N, C, H, W], dy.dtype); // (N, C, H, W)
    const dgain = this.gain.grad.data, doffset = this.offset.grad.data; // (C), (C)
    if (this.mistake) { dgain.fill(0); doffset.fill(0); } // the classic bug: grad = ... instead of grad += ...
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let k = 0; k < H * W; k++) {
      const at = (n * C + c) * H * W + k;
      dx.data[at] = dy.data[at] * this.gain.value.data[c];
      dgain[c] += dy.data[at] * x.data[at];
      doffset[c] += dy.data[at];
    }
    return dx;
  }

  outputShape(s: readonly number[]): number[] { return [...s]; }
  override params(): Param[] { return [this.gain, this.offset]; }
  config(): LayerConfig { return { type: this.type, channels: this.gain.value.size }; }
}

// The layer alone, then inside a model with softmax cross-entropy.
const alone = gradCheck(new ChannelScale(3), randn([2, 3, 4, 4], 1));
console.log(`ChannelScale alone: passed ${alone.passed}, relative errors ${JSON.stringify(alone.errors)}`);

const rng = createRng(7);
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1, rng }), new ChannelScale(3), new ReLU(),
  new Flatten(), new Dense({ inFeatures: 3 * 6 * 6, outFeatures: 4, rng }),
]);
const inModel = gradCheck(model, randn([2, 1, 6, 6], 2), { labels: [1, 3] });
console.log(`in a model: passed ${inModel.passed}, worst entry ${JSON.stringify(inModel.worst[0])}`);

// The same layer with the bug: gradCheck runs backward twice and sees the gradient did not double.
const buggy = gradCheck(new ChannelScale(3, true), randn([2, 3, 4, 4], 1));
console.log(`with grad = instead of grad +=: passed ${buggy.passed}`);
for (const f of buggy.accumulationFailures) console.log(`  ${f.message}`);
