// The reader's tuning classifier: the default digit model, trained as `npm start` trains it but on
// the first 7,000 of the 8,000 training digits only, so that the last 1,000 (the tuning set of
// `measure-read --set tune`) are as new to it as the held-out digits are to models/digits.json.
// Tuning the reader on digits its classifier learnt from favours whatever the classifier is sure of
// (the tune set read 91.7% of touching numbers entirely right, the held-out set 87.7%).
//
//   npx tsx scripts/train-tune-model.ts     (writes models/tune-digits.json, about a minute; not in git)
import { loadDigits } from '../datasets/mnist.ts';
import { SGD, fit } from '../src/index.ts';
import { saveModel } from '../src/io/model-file.ts';
import { scheduleFromSpec } from '../src/optim/schedule-spec.ts';
import { augmentByName } from '../src/train/augment.ts';
import { zooModel } from '../src/train/zoo.ts';

const { train } = loadDigits();
const first = { images: train.images.subarray(0, 7000 * 784), labels: train.labels.subarray(0, 7000), count: 7000, shape: train.shape };
const tune = { images: train.images.subarray(7000 * 784), labels: train.labels.subarray(7000), count: 1000, shape: train.shape };
const zoo = zooModel('digits'), d = zoo.defaults;
const model = zoo.build(1);
const history = fit(model, first as typeof train, {
  epochs: d.epochs, batchSize: d.batchSize, seed: 1, testSet: tune as typeof train,
  optimizer: new SGD(model.params(), { lr: d.lr, momentum: d.momentum, weightDecay: d.weightDecay }),
  schedule: d.schedule ? scheduleFromSpec(d.schedule, d.lr, d.epochs) : undefined, augment: augmentByName(d.augment),
});
console.log(`tune set accuracy ${JSON.stringify(history.epochs.at(-1))}`);
saveModel('models/tune-digits.json', model, [1, 28, 28], { dataset: 'first 7,000 training digits (scripts/train-tune-model.ts)' });
