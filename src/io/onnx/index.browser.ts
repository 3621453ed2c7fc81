// The package entry `miniconv/onnx` in a browser bundle (package.json `exports`, condition
// "browser"): ONNX export and import on bytes, with no file system. Kept out of the main entry so
// that a bundle that never touches ONNX carries no protobuf code.
export { exportOnnx, LAYER_EXPORTERS, ONNX_OPSET, ONNX_IR_VERSION, type ExportOptions, type LayerExporter } from './export.ts';
export { importOnnx, IMPORT_OPSETS, MAX_ONNX_NODES, type ImportOptions, type ImportResult, type ImportInfo } from './import.ts';
export { OP_IMPORTERS, type OpImporter } from './import-ops.ts';
export { applyPreprocess, checkPreprocess, modelPreprocess, preprocessDataset, PreprocessError, type Preprocess } from './mean-std.ts';
