// A training worker: a replica of the model whose weights are views on the shared weights and
// whose gradients go to this worker's own shared buffers. It sleeps on its control block until
// the main thread starts a job (see parallel.ts), runs it on its slice of the batch, and reports.

import { workerData } from 'node:worker_threads';
import { modelFromConfig } from '../layers/from-config.ts';
import { Tensor } from '../tensor.ts';
import {
  CMD_EXIT, CMD_PREDICT, CMD_TRAIN, CTRL_STRIDE, C_BATCH, C_CMD, C_COUNT, C_DONE, C_ERROR, C_SEQ, C_START, C_STATUS, READY,
  type WorkerSetup, predictSlice, trainSlice, writeError,
} from './parallel.ts';

const setup = workerData as WorkerSetup;
const model = modelFromConfig(setup.config);
const params = model.params();
params.forEach((p, k) => {
  p.value = new Tensor(p.value.shape, new Float32Array(setup.values[k]));
  p.grad = new Tensor(p.value.shape, new Float32Array(setup.grads[k]));
});
const ctrl = new Int32Array(setup.ctrl);
const input = new Float32Array(setup.input);
const labels = new Int32Array(setup.labels);
const logits = new Float32Array(setup.logits);
const results = new Float64Array(setup.results);
const o = (setup.index - 1) * CTRL_STRIDE;
const r = 2 * (setup.index - 1);

Atomics.store(ctrl, o + C_STATUS, READY);
Atomics.notify(ctrl, o + C_STATUS);

let seen = 0;
for (;;) {
  Atomics.wait(ctrl, o + C_SEQ, seen);
  seen = Atomics.load(ctrl, o + C_SEQ);
  const cmd = ctrl[o + C_CMD];
  if (cmd === CMD_EXIT) break;
  try {
    const start = ctrl[o + C_START], count = ctrl[o + C_COUNT];
    if (cmd === CMD_TRAIN) {
      for (const p of params) p.grad.data.fill(0);
      const res = trainSlice(model, input, labels, setup.inputShape, start, count, ctrl[o + C_BATCH]);
      results[r] = res.lossSum;
      results[r + 1] = res.correct;
    } else if (cmd === CMD_PREDICT) {
      predictSlice(model, input, logits, setup.inputShape, start, count);
    }
    ctrl[o + C_ERROR] = 0;
  } catch (e) {
    writeError(setup.errors, setup.index, e instanceof Error ? e.message : String(e));
    ctrl[o + C_ERROR] = 1;
  }
  Atomics.store(ctrl, o + C_DONE, seen);
  Atomics.notify(ctrl, o + C_DONE);
}
