// ONNX export and import. export.ts, import.ts, import-ops.ts, mean-std.ts and proto.ts use no file
// system (a browser page imports them directly); file.ts adds the files the command line reads and writes.

export { exportOnnx, LAYER_EXPORTERS, ONNX_OPSET, ONNX_IR_VERSION, type ExportOptions, type LayerExporter } from './export.ts';
export { importOnnx, IMPORT_OPSETS, type ImportOptions, type ImportResult, type ImportInfo } from './import.ts';
export { OP_IMPORTERS, type OpImporter } from './import-ops.ts';
export { applyPreprocess, checkPreprocess, modelPreprocess, preprocessDataset, PreprocessError, type Preprocess } from './mean-std.ts';
export { exportOnnxFile, importOnnxFile, readOnnxFile, MAX_ONNX_BYTES } from './file.ts';
