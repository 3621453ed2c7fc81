// miniconv's timed inference pass, the same for the reference network (miniconv.ts) and the zoo
// models (zoo-miniconv.ts): in evaluation mode, as inference is run (model.eval(); ParallelTrainer's
// predict does the same on every thread), where Sequential fuses each Conv2D + ReLU + MaxPool2D into
// one pass (sequential.ts).
import type { Sequential } from '../src/layers/sequential.ts';
import { Tensor } from '../src/tensor.ts';
import type { ParallelTrainer } from '../src/train/parallel.ts';
import { countCorrect, warmUp } from './peers/common.ts';

/**
 * Predicts the first `n` test images in batches of `batch`, first up to `warmup` passes untimed
 * (common.ts's warmUp), then `runs` times over timed: the milliseconds of each timed pass, how many
 * predictions the last pass got right, and how many warm-up passes ran.
 */
export function timeInference(
  model: Sequential, parallel: ParallelTrainer | null,
  test: { images: Float32Array; labels: Uint8Array }, o: { n: number; batch: number; runs: number; warmup: number; inputShape: readonly number[]; classes: number },
): { times: number[]; correct: number; warmup: number } {
  model.eval();
  const per = o.inputShape.reduce((a, d) => a * d, 1);
  const pass = (): number => {
    let correct = 0;
    for (let s = 0; s < o.n; s += o.batch) {
      const m = Math.min(o.batch, o.n - s);
      const x = new Tensor([m, ...o.inputShape], test.images.subarray(s * per, (s + m) * per));
      const logits = parallel ? parallel.predict(x) : model.forwardView(x);
      correct += countCorrect(logits.data, test.labels.subarray(s, s + m), m, o.classes);
    }
    return correct;
  };
  const warmup = warmUp(pass, o.warmup);
  const times: number[] = [];
  let correct = 0;
  for (let r = 0; r < o.runs; r++) {
    const t0 = performance.now();
    correct = pass();
    times.push(performance.now() - t0);
  }
  return { times, correct, warmup };
}
