// The README's short example: build a tiny CNN and train it a few steps on the bundled digits.
// Run: npx tsx examples/quickstart.ts
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng, softmaxCrossEntropy } from '../src/index.ts';
import { loadDigits } from '../datasets/mnist.ts';

const rng = createRng(42); // same seed, same weights, bit for bit
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), // (N, 8, 28, 28)
  new ReLU(),
  new MaxPool2D({ size: 2 }), // (N, 8, 14, 14)
  new Flatten(), // (N, 1568)
  new Dense({ inFeatures: 8 * 14 * 14, outFeatures: 10, rng }), // (N, 10)
]);
model.summary([1, 28, 28]);

const { train } = loadDigits(); // 8,000 training digits, [N, 1, 28, 28] in 0..1
const opt = new SGD(model.params(), { lr: 0.01, momentum: 0.9 });
for (let step = 0; step < 20; step++) {
  const x = new Tensor([32, 1, 28, 28], train.images.subarray(step * 32 * 784, (step + 1) * 32 * 784));
  const y = train.labels.subarray(step * 32, (step + 1) * 32);
  opt.zeroGrad();
  const { loss, grad } = softmaxCrossEntropy(model.forward(x), y); // mean loss, dL/dlogits
  model.backward(grad); // adds dL/dW into every param.grad
  opt.step();
  if (step % 5 === 4) console.log(`step ${step + 1}: loss ${loss.toFixed(3)}`);
}
