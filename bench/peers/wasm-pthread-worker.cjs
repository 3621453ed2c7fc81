// Node shim for the pthread workers of @tensorflow/tfjs-backend-wasm's threaded-SIMD build
// (used by tfjs.ts only with --threads N > 1).
// The backend gives Emscripten Blob URLs (blob:nodedata:...) for both the worker script and the
// main script; Node's worker_threads cannot start a Worker from a Blob URL, and the worker's
// importScripts() reads files with fs. tfjs.ts substitutes this file for the worker script; here we
// map the main script's Blob URL to the identical factory file on disk, then run the package's own
// worker source (the same string the backend would have put in the Blob) unchanged.
'use strict';
const path = require('node:path');
const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
const mainScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
URL.createObjectURL = () => mainScript;
URL.revokeObjectURL = () => {};
const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
// As the backend does before making its Blob: the template literal turned "\n" escapes into newlines.
const source = String(wasmWorkerContents).replace(/\n/g, '\\n');
new Function('require', '__filename', source)(require, mainScript);
