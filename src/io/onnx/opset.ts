// The ONNX versions miniconv writes, in a module of their own: the command line quotes them in its
// help without loading the ONNX code (whose protobuf messages cost the process ~5 MB, see cli/export.ts).

/**
 * Opset 13 (ONNX 1.8) is the oldest that has every op we write with its present meaning (Softmax
 * over one axis); IR version 7 is the one that goes with it, so the widest range of runtimes reads
 * the file. ONNX Runtime runs opset 7 to 2x.
 */
export const ONNX_OPSET = 13;
/** The ONNX IR version exportOnnx writes: 7 (the one that goes with opset 13). */
export const ONNX_IR_VERSION = 7;
