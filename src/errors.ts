// Errors that callers catch by class rather than by reading the message.

/**
 * Training produced a number that is not finite (NaN or ±Infinity): the logits softmaxCrossEntropy
 * was handed, or the loss of a batch. softmaxCrossEntropy throws it without a position; the
 * training loop (fit) rethrows it with the epoch and batch where it happened. The usual remedy is a
 * lower learning rate. A RangeError, as it was before it had a class of its own.
 */
export class TrainingDivergedError extends RangeError {
  /** 'TrainingDivergedError', so that a caller (or a log) can tell it from other RangeErrors. */
  override readonly name = 'TrainingDivergedError';
  /** The offending value (NaN, Infinity or -Infinity). */
  readonly value: number;
  /** 1-based epoch and batch, when the training loop knows them. */
  readonly epoch?: number;
  /** 1-based batch within that epoch, when the training loop knows it. */
  readonly batch?: number;

  constructor(message: string, info: { value: number; epoch?: number; batch?: number }) {
    super(message);
    this.value = info.value;
    this.epoch = info.epoch;
    this.batch = info.batch;
  }
}
