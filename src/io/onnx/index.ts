// The package entry `miniconv/onnx` (package.json `exports`): ONNX export and import. export.ts,
// import.ts, import-ops.ts, mean-std.ts and proto.ts use no file system (a browser bundle gets
// index.browser.ts, the same minus the files); file.ts adds the files the command line reads and writes.
export {
  exportOnnx, LAYER_EXPORTERS, ONNX_OPSET, ONNX_IR_VERSION, type ExportOptions, type LayerExporter,
  importOnnx, IMPORT_OPSETS, MAX_ONNX_NODES, type ImportOptions, type ImportResult, type ImportInfo,
  OP_IMPORTERS, type OpImporter,
  applyPreprocess, checkPreprocess, modelPreprocess, preprocessDataset, PreprocessError, type Preprocess,
} from './index.browser.ts';
export { exportOnnxFile, importOnnxFile, readOnnxFile, MAX_ONNX_BYTES } from './file.ts';
