// The README's short example: build a tiny CNN, train it for two epochs on the bundled digits, and
// evaluate it on the 2,000 held-out ones. Run: npx tsx examples/quickstart.ts
import { Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, Tensor, createRng, evaluate, softmaxCrossEntropy } from 'miniconv';
import { loadDigits } from 'miniconv/datasets';

const rng = createRng(42); // same seed, same weights, bit for bit
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2, rng }), // (N, 8, 28, 28)
  new ReLU(),
  new MaxPool2D({ kernelSize: 2 }), // (N, 8, 14, 14)
  new Flatten(), // (N, 1568)
  new Dense({ inFeatures: 8 * 14 * 14, outFeatures: 10, rng }), // (N, 10)
]);
model.summary([1, 28, 28]);

const { train, test } = loadDigits(); // 8,000 training and 2,000 held-out digits, (N, 1, 28, 28) in 0..1
const opt = new SGD(model.params(), { lr: 0.01, momentum: 0.9 });
const B = 32, batches = Math.floor(train.count / B); // 250 batches make one epoch
let lossSum = 0;
for (let step = 0; step < 2 * batches; step++) {
  const b = step % batches; // wrap around at the end of the epoch
  const x = new Tensor([B, 1, 28, 28], train.images.subarray(b * B * 784, (b + 1) * B * 784));
  const y = train.labels.subarray(b * B, (b + 1) * B);
  opt.zeroGrad();
  const { loss, grad } = softmaxCrossEntropy(model.forward(x), y); // mean loss, dL/dlogits
  model.backward(grad); // adds dL/dw into every param.grad
  opt.step();
  lossSum += loss;
  if ((step + 1) % 100 === 0) {
    console.log(`step ${step + 1}: loss ${(lossSum / 100).toFixed(3)} (mean of the last 100 batches)`);
    lossSum = 0;
  }
}
const { accuracy } = evaluate(model, test);
console.log(`held-out accuracy: ${(100 * accuracy).toFixed(2)}%`);
