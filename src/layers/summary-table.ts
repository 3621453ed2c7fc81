// The layer table of Sequential.summary (and so of `miniconv summary` and `miniconv train`): one row
// per layer with its output shape, parameters and multiply-adds per image (Layer.macs), then the totals.
//
// A container is opened: under a Residual come its two branches, `block` and `shortcut` (the
// identity, 0 and 0, when it has none), and under a branch that is a Sequential its layers, each row
// indented two spaces per level. A container's row counts everything inside it, so the rows indented
// under it add up to it (a Residual's sum multiplies nothing), and the totals add up only the
// top-level rows: they are what they were before the containers were opened.
//
// Containers are told apart by `type` (not instanceof), so that this file needs no layer class and
// sequential.ts can import it without an import cycle.

import { shapeStr } from '../tensor.ts';
import type { Layer } from './layer.ts';

// The containers, by what the table reads of them (not their classes: sequential.ts imports this file).
type ResidualLike = Layer & { readonly block: Layer; readonly shortcut: Layer | null };
type SequentialLike = Layer & { readonly layers: readonly Layer[] };

/** One row of the table: the text of its four cells, and its depth (0: a layer of the model itself). */
interface Row {
  depth: number;
  label: string;
  shape: string;
  params: number;
  macs: number;
}

const paramCount = (l: Layer) => l.params().reduce((a, p) => a + p.value.size, 0);
// Thousands separators by hand, as toLocaleString('en-US') writes them for an integer: Intl would load
// ICU's data, about 6 MB more RSS for `npm start`, whose only use of it this table was (issue 27).
const num = (v: number) => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * The rows of `layer` on an input of shape `x` (batch included) at `depth`, then the rows of what is
 * inside it at depth + 1; returns the layer's output shape.
 */
function addRows(rows: Row[], layer: Layer, x: readonly number[], depth: number): number[] {
  const y = layer.outputShape(x);
  rows.push({ depth, label: `${layer.name} (${layer.type})`, shape: shapeStr(['N', ...y.slice(1)]), params: paramCount(layer), macs: layer.macs(x) });
  if (layer.type === 'Residual') {
    const r = layer as ResidualLike;
    addRows(rows, r.block, x, depth + 1);
    if (r.shortcut) addRows(rows, r.shortcut, x, depth + 1);
    else rows.push({ depth: depth + 1, label: 'shortcut (identity)', shape: shapeStr(['N', ...x.slice(1)]), params: 0, macs: 0 });
  } else if (layer.type === 'Sequential') {
    let h = [...x];
    for (const l of (layer as SequentialLike).layers) h = addRows(rows, l, h, depth + 1);
  }
  return y;
}

/**
 * The summary table of `model` for one input of `inputShape` (without the batch dimension, e.g.
 * [1, 28, 28]): a Keras-style table of every layer, containers opened and their contents indented
 * (see the header), then the total parameters and multiply-adds per image.
 */
export function summaryTable(model: SequentialLike, inputShape: readonly number[]): string {
  const rows: Row[] = [];
  let shape = [1, ...inputShape];
  for (const l of model.layers) shape = addRows(rows, l, shape, 0);
  const top = rows.filter((r) => r.depth === 0);
  const total = top.reduce((a, r) => a + r.params, 0);
  const totalMacs = top.reduce((a, r) => a + r.macs, 0);

  const cells = [
    ['Layer (type)', 'Output shape', 'Params', 'Mult-adds'],
    ...rows.map((r) => [`${'  '.repeat(r.depth)}${r.label}`, r.shape, num(r.params), num(r.macs)]),
  ];
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('   ');
  const rule = '-'.repeat(widths.reduce((a, w) => a + w, 0) + 3 * (widths.length - 1));
  return [
    `Input: ${shapeStr(['N', ...inputShape])}`,
    rule, line(cells[0]), rule, ...cells.slice(1).map(line), rule,
    `Total params: ${num(total)}`,
    `Mult-adds per image: ${num(totalMacs)}`,
  ].join('\n');
}
