// Types of parallel-protocol.mjs (see there for the layout).
export declare const CTRL_STRIDE: number;
export declare const C_SEQ: number, C_DONE: number, C_CMD: number, C_START: number, C_COUNT: number, C_BATCH: number, C_ERROR: number, C_STATUS: number, C_AUGMENT: number, C_UPDATE: number;
export declare const CMD_TRAIN: number, CMD_PREDICT: number, CMD_EXIT: number;
export declare const B_ARRIVED: number, B_ABORT: number, BARRIER_INTS: number;
export declare const STARTING: number, READY: number, FAILED: number;
export declare const NO_ERROR: number, JOB_FAILED: number, JOB_DIVERGED: number;
export declare const ERROR_BYTES: number;
export declare const RESULTS_STRIDE: number;
export declare const SCALAR_LR: number, SCALAR_STEPS: number, SCALAR_MOMENTUM: number, SCALARS: number;
export declare function ctrlOffset(index: number): number;
export declare function writeError(errors: SharedArrayBuffer, index: number, message: string): void;
export declare function readError(errors: SharedArrayBuffer, index: number): string;
export declare function setStatus(ctrl: SharedArrayBuffer, index: number, status: number): void;
