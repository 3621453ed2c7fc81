// A training thread: a replica of the model whose weights are views on the shared weights and
// whose gradients go to this thread's own shared buffers. It sleeps on its control block until
// the main thread starts a job (parallel-protocol.mjs), runs it on its slice of the batch
// (worker-step.ts), and reports. Plain arithmetic and Atomics: a Node worker (worker.ts) and a
// page's Web Worker (web-threads.ts) run this same loop.

import { TrainingDivergedError } from '../errors.ts';
import { modelFromConfig } from '../layers/from-config.ts';
import '../kernels/winograd.ts'; // a replica of a Conv2D({ winograd: true }) runs it too
import { Tensor } from '../tensor.ts';
import {
  CMD_EXIT, CMD_PREDICT, CMD_TRAIN, C_AUGMENT, C_BATCH, C_CMD, C_COUNT, C_DONE, C_ERROR, C_SEQ, C_START, C_UPDATE,
  JOB_DIVERGED, JOB_FAILED, NO_ERROR, READY, RESULTS_STRIDE, SCALAR_LR, SCALAR_MOMENTUM, SCALAR_STEPS, ctrlOffset, setStatus, writeError,
} from './parallel-protocol.mjs';
import { type WorkerSetup, arrive, predictChunks, reduceAndUpdate, trainSlice } from './worker-step.ts';
import { augmentFromSpec } from './augment.ts';
import { optimizerReplica, setLiveSettings } from '../optim/replica.ts';

/**
 * Serves thread `setup.index` of a threaded trainer: builds the replica, reports READY, then runs
 * every job the main thread starts until CMD_EXIT, and returns. A replica that cannot be built
 * throws (the caller reports it as FAILED).
 */
export function serveTrainingThread(setup: WorkerSetup): void {
  const model = modelFromConfig(setup.config).setBackend(setup.backend);
  model.useRandomStream(setup.index); // dropout masks of its own, not the main thread's
  const params = model.params();
  params.forEach((p, k) => {
    p.value = new Tensor(p.value.shape, new Float32Array(setup.values[k]));
    p.grad = new Tensor(p.value.shape, new Float32Array(setup.grads[k]));
  });
  // Batch norm's running statistics: the main thread's (shared) when predicting; while training, a
  // private copy that this replica may update and nobody reads (only the main thread's count).
  const buffers = model.buffers();
  const sharedBuffers = buffers.map((b, k) => new Tensor(b.value.shape, new Float32Array(setup.buffers[k])));
  const privateBuffers = buffers.map((b) => b.value.clone());
  const ctrl = new Int32Array(setup.ctrl);
  const input = new Float32Array(setup.input);
  const labels = new Int32Array(setup.labels);
  const logits = new Float32Array(setup.logits);
  const results = new Float64Array(setup.results);
  const allGrads = setup.allGrads.map((thread) => thread.map((g) => new Float32Array(g)));
  const draws = new Float64Array(setup.draws);
  const augment = setup.augment ? augmentFromSpec(setup.augment) : null;
  // The optimiser's replica: the shared weights, the reduced gradients (thread 0's: the model's own) and
  // the shared state (velocity, moments), so that this thread can update its stripe of every step.
  const optimizer = setup.optimizer && optimizerReplica(
    setup.optimizer.config,
    params.map((p, k) => ({ name: p.name, value: p.value, grad: new Tensor(p.value.shape, allGrads[0][k]) })),
  );
  optimizer?.adoptState(setup.optimizer!.state.map((b) => new Float64Array(b)));
  const scalars = new Float64Array(setup.scalars);
  const claims = new Int32Array(setup.claims);
  const barrier = new Int32Array(setup.barrier);
  const shape = setup.inputShape as [number, number, number];
  const per = shape.reduce((a, d) => a * d, 1);
  const o = ctrlOffset(setup.index);
  const r = RESULTS_STRIDE * (setup.index - 1);

  setStatus(setup.ctrl, setup.index, READY);

  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, o + C_SEQ, seen);
    seen = Atomics.load(ctrl, o + C_SEQ);
    const cmd = ctrl[o + C_CMD];
    if (cmd === CMD_EXIT) break;
    try {
      const start = ctrl[o + C_START], count = ctrl[o + C_COUNT];
      if (cmd === CMD_TRAIN) {
        // The slice; then, past the barrier (every thread's gradients complete), the reduction and
        // the update of this worker's stripe. A failed slice still comes to the barrier, flagged, so
        // that no thread waits for it and none sums or updates.
        let failure: unknown = null;
        const update = ctrl[o + C_UPDATE] === 1;
        try {
          if (update && !optimizer) throw new Error('asked to update the weights, but no optimiser was shared with this worker');
          buffers.forEach((b, k) => { b.value = privateBuffers[k]; });
          for (const p of params) p.grad.data.fill(0);
          if (ctrl[o + C_AUGMENT] && augment) { // this worker's slice of the batch's augmentation, in place
            const D = augment.drawsPerImage;
            augment.apply(input.subarray(start * per, (start + count) * per), count, shape, draws.subarray(start * D, (start + count) * D));
          }
          const res = trainSlice(model, input, labels, setup.inputShape, start, count, ctrl[o + C_BATCH]);
          results[r] = res.lossSum;
          results[r + 1] = res.correct;
        } catch (e) {
          failure = e ?? new Error('the slice failed');
        }
        const go = arrive(barrier, allGrads.length, failure !== null);
        if (failure !== null) throw failure;
        if (go) {
          if (update) {
            optimizer!.lr = scalars[SCALAR_LR];
            optimizer!.steps = scalars[SCALAR_STEPS];
            setLiveSettings(optimizer!, scalars[SCALAR_MOMENTUM]);
          }
          reduceAndUpdate(allGrads, setup.index, allGrads.length, update ? optimizer : null);
        }
      } else if (cmd === CMD_PREDICT) {
        buffers.forEach((b, k) => { b.value = sharedBuffers[k]; });
        predictChunks(model, input, logits, setup.inputShape, ctrl[o + C_BATCH], claims);
      }
      ctrl[o + C_ERROR] = NO_ERROR;
    } catch (e) {
      writeError(setup.errors, setup.index, e instanceof Error ? e.message : String(e));
      if (e instanceof TrainingDivergedError) results[r] = e.value;
      ctrl[o + C_ERROR] = e instanceof TrainingDivergedError ? JOB_DIVERGED : JOB_FAILED;
    }
    Atomics.store(ctrl, o + C_DONE, seen);
    Atomics.notify(ctrl, o + C_DONE);
  }
}
