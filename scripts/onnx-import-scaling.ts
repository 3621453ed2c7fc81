// How importOnnx's time grows with the graph (issue 24, defect 4): residual blocks in sequence,
// residual blocks nested, and chains of nodes. Prints one line per graph: its nodes, its bytes, and
// the median of 3 imports (or the error, for graphs beyond the limits).
//   npx tsx scripts/onnx-import-scaling.ts
import { importOnnx } from '../src/io/onnx/import.ts';
import { type NodeProto, int64, onnx, tensorValueInfo } from '../src/io/onnx/proto.ts';

const node = (opType: string, input: string[], output: string[]): NodeProto => onnx.NodeProto.create({ opType, input, output });
function file(nodes: NodeProto[], dims: Array<number | string>): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: int64(8), opsetImport: [{ domain: '', version: int64(17) }],
    graph: { name: 'g', node: nodes, input: [tensorValueInfo('x', dims)], output: [tensorValueInfo('y', ['N'])] },
  });
}
/** `n` blocks in sequence on (N, 1, 4, 4): x -> Relu -> Add(relu(x), x). */
function sequence(n: number): Uint8Array {
  const nodes: NodeProto[] = [];
  let x = 'x';
  for (let i = 0; i < n; i++) { nodes.push(node('Relu', [x], [`r${i}`]), node('Add', [`r${i}`, x], [`a${i}`])); x = `a${i}`; }
  nodes.push(node('Flatten', [x], ['y']));
  return file(nodes, ['N', 1, 4, 4]);
}
/** Blocks nested `depth` deep: at each level v_d -> Relu -> v_{d+1}, the next level, and Add(its result, v_d). */
function nested(depth: number): Uint8Array {
  const nodes: NodeProto[] = [];
  for (let d = 0; d < depth; d++) nodes.push(node('Relu', [d === 0 ? 'x' : `v${d}`], [`v${d + 1}`]));
  let y = `v${depth}`;
  for (let d = depth - 1; d >= 0; d--) { nodes.push(node('Add', [y, d === 0 ? 'x' : `v${d}`], [`add${d}`])); y = `add${d}`; }
  nodes.push(node('Flatten', [y], ['y']));
  return file(nodes, ['N', 1, 4, 4]);
}
function chain(n: number): Uint8Array {
  const nodes = Array.from({ length: n }, (_, i) => node('Relu', [i === 0 ? 'x' : `v${i - 1}`], [`v${i}`]));
  nodes.push(node('Flatten', [`v${n - 1}`], ['y']));
  return file(nodes, ['N', 1, 2, 2]);
}

const cases: Array<[string, () => Uint8Array]> = [
  ...[200, 400, 600, 1000].map((n): [string, () => Uint8Array] => [`${n} residual blocks in sequence`, () => sequence(n)]),
  ['residual blocks nested 800 deep', () => nested(800)],
  ...[5000, 20_000].map((n): [string, () => Uint8Array] => [`a chain of ${n} nodes`, () => chain(n)]),
];
const only = process.argv[2];
for (const [name, make] of cases) {
  if (only && !name.includes(only)) continue;
  const bytes = make();
  const times: number[] = [];
  let outcome = '';
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    try {
      const r = importOnnx(bytes);
      outcome = `${r.model.layers.length} layers`;
    } catch (e) {
      outcome = `error: ${(e as Error).message.slice(0, 90)}`;
    }
    times.push(performance.now() - t0);
    if (times[0] > 20_000) break; // one run is enough to show it
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(36)} ${String(bytes.length).padStart(7)} bytes  ${(times[Math.floor(times.length / 2)] / 1000).toFixed(3).padStart(8)} s  ${outcome}`);
}
