// The shared-memory protocol between the threaded trainer (threaded-trainer.ts, the main thread) and
// its workers (worker-loop.ts; in Node started by worker-entry.mjs and worker.ts, in a page by
// web-threads.ts). Plain JavaScript, so that worker-entry.mjs can read it before any TypeScript
// loader is registered; parallel-protocol.d.mts gives its types.
//
// Control array (Int32): one block of CTRL_STRIDE ints per worker; worker w (1-based, 0 is the main
// thread) owns ints [(w - 1) * CTRL_STRIDE, w * CTRL_STRIDE).
//   C_SEQ     bumped by the main thread to start a job (the worker sleeps on it with Atomics.wait)
//   C_DONE    set to the job's seq by the worker when it has finished
//   C_CMD     CMD_TRAIN (the worker's slice of the batch, then, once every thread is past the
//             barrier below, the sum of every thread's gradients over this worker's stripe of the
//             parameters, into the main thread's), CMD_PREDICT or CMD_EXIT
//   C_START   first image of the worker's slice
//   C_COUNT   images in the slice
//   C_BATCH   images in the whole batch (N)
//   C_ERROR   NO_ERROR, or how the worker's last job failed (JOB_FAILED; JOB_DIVERGED with the bad
//             value in the worker's first results slot); the message is in its error block
//   C_STATUS  STARTING, READY or FAILED (set by the worker once it has loaded)
//   C_AUGMENT 1 when the worker must augment its slice in place first (from the shared draws), else 0
//   C_UPDATE  with CMD_TRAIN: 1 when the worker then applies the optimiser's update to the same
//             stripe (at the lr, step count and momentum in the shared scalars: SCALAR_LR,
//             SCALAR_STEPS, SCALAR_MOMENTUM), else 0
// With CMD_PREDICT a worker ignores C_START and C_COUNT: every thread claims chunks of the C_BATCH
// images from a shared Int32 counter (claims, worker-step.ts's predictChunks) until none is left.
// Barrier (Int32, shared by all): [B_ARRIVED, B_ABORT]. A thread whose slice is done adds 1 to
// B_ARRIVED and waits until every thread has (worker-step.ts's arrive); one whose slice failed sets
// B_ABORT first, and then no thread sums or updates anything. The main thread zeroes both before it
// starts a step, when every worker is idle.
// Scalars (Float64, shared by all): the optimiser's learning rate, step count and momentum (SGD's;
// a run may change it between steps, as the playground's control does) for the update.
// Results (Float64): two per worker, [lossSum, correct]. Errors: ERROR_BYTES per worker, UTF-8,
// zero-padded.

export const CTRL_STRIDE = 10;
export const C_SEQ = 0, C_DONE = 1, C_CMD = 2, C_START = 3, C_COUNT = 4, C_BATCH = 5, C_ERROR = 6, C_STATUS = 7, C_AUGMENT = 8, C_UPDATE = 9;
export const CMD_TRAIN = 1, CMD_PREDICT = 2, CMD_EXIT = 3;
export const B_ARRIVED = 0, B_ABORT = 1, BARRIER_INTS = 2;
export const STARTING = 0, READY = 1, FAILED = 2;
export const NO_ERROR = 0, JOB_FAILED = 1, JOB_DIVERGED = 2;
export const ERROR_BYTES = 1024;
export const RESULTS_STRIDE = 2;
export const SCALAR_LR = 0, SCALAR_STEPS = 1, SCALAR_MOMENTUM = 2, SCALARS = 3;

/** Index of worker `index`'s first int in the control array. */
export function ctrlOffset(index) {
  return (index - 1) * CTRL_STRIDE;
}

/** Writes a worker's error message into its block of the shared error buffer. */
export function writeError(errors, index, message) {
  const block = new Uint8Array(errors, (index - 1) * ERROR_BYTES, ERROR_BYTES);
  block.fill(0);
  block.set(new TextEncoder().encode(message).subarray(0, ERROR_BYTES - 4));
}

/** Reads a worker's error message. */
export function readError(errors, index) {
  const block = new Uint8Array(errors, (index - 1) * ERROR_BYTES, ERROR_BYTES).slice();
  const end = block.indexOf(0);
  return new TextDecoder().decode(block.subarray(0, end < 0 ? block.length : end));
}

/** Sets a worker's status (READY or FAILED) and wakes the main thread waiting for it. */
export function setStatus(ctrl, index, status) {
  const c = new Int32Array(ctrl);
  Atomics.store(c, ctrlOffset(index) + C_STATUS, status);
  Atomics.notify(c, ctrlOffset(index) + C_STATUS);
}
