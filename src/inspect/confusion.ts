// The confusion matrix as an HTML table: the one renderer of `miniconv inspect`'s report and of the
// playground's Train panel (which inserts it into the page). Plain strings, no DOM and no Node: it
// runs in both. Its look is CONFUSION_CSS, which both include.

import { escapeHtml as esc } from './svg.ts';

const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;
const fmtInt = (v: number) => v.toLocaleString('en-US');

/** The table's style rules (the report's and the page's); colours through --line, --panel and --muted. */
export const CONFUSION_CSS = `table.confusion { margin: 8px 0; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.confusion th, table.confusion td { border: 1px solid var(--line, #e3e3e3); min-width: 46px; padding: 2px 6px; text-align: right; }
table.confusion th { background: var(--panel, #f6f6f6); text-align: center; }
table.confusion th.corner { font-weight: 400; font-size: 12px; color: var(--muted, #666); min-width: 0; }
table.confusion td.diag { font-weight: 700; }
table.confusion td.strong { color: #fff; font-weight: 700; }
table.confusion td.recall { background: var(--panel, #f6f6f6); color: var(--muted, #666); }`;

/**
 * confusion[true][predicted] as a note ("`source` 1,960 of 2,000 right (98.00%). Rows are ...") and
 * a table: true classes down, predictions across, each class's recall at the end of its row.
 * Diagonal cells green by the share of the class that was right; off the diagonal red by the count
 * relative to the largest mix-up, so that the worst ones stand out. `source` is escaped. `names`: the
 * class names of a model trained on pictures (default: the digits 0, 1, ...).
 */
export function confusionTableHtml(matrix: readonly (readonly number[])[], source: string, names?: readonly string[]): string {
  const name = (k: number) => esc(names?.[k] ?? String(k));
  const classes = matrix.length;
  if (classes === 0 || matrix.some((r) => !Array.isArray(r) || r.length !== classes || r.some((v) => !Number.isInteger(v) || v < 0))) {
    throw new RangeError(`confusionTableHtml: expected a square matrix of counts (integers >= 0), confusion[true][predicted]; got ${JSON.stringify(matrix).slice(0, 80)}`);
  }
  const rowSums = matrix.map((r) => r.reduce((a, v) => a + v, 0));
  const total = rowSums.reduce((a, v) => a + v, 0);
  const correct = matrix.reduce((a, r, i) => a + r[i], 0);
  let maxOff = 0;
  matrix.forEach((r, i) => r.forEach((v, j) => { if (i !== j && v > maxOff) maxOff = v; }));
  const cell = (v: number, i: number, j: number) => {
    const t = i === j ? (rowSums[i] === 0 ? 0 : v / rowSums[i]) : maxOff === 0 ? 0 : v / maxOff;
    const bg = i === j ? `rgba(44, 160, 44, ${(0.12 + 0.6 * t).toFixed(2)})` : v === 0 ? 'transparent' : `rgba(214, 39, 40, ${(0.1 + 0.75 * t).toFixed(2)})`;
    const strong = i !== j && t > 0.6 ? ' strong' : '';
    return `<td class="num${i === j ? ' diag' : ''}${strong}" style="background:${bg}" title="true ${name(i)}, predicted ${name(j)}: ${v}">${v === 0 && i !== j ? '·' : v}</td>`;
  };
  const head = `<tr><th class="corner">true ↓ / predicted →</th>${Array.from({ length: classes }, (_, j) => `<th class="num">${name(j)}</th>`).join('')}<th class="num">recall</th></tr>`;
  const rows = matrix.map((r, i) => `<tr><th class="num">${name(i)}</th>${r.map((v, j) => cell(v, i, j)).join('')}<td class="num recall">${rowSums[i] === 0 ? '–' : pct(r[i] / rowSums[i])}</td></tr>`);
  return `<p class="note">${esc(source)} ${fmtInt(correct)} of ${fmtInt(total)} right (${total === 0 ? '–' : pct(correct / total, 2)}). ` +
    `Rows are the true ${names ? 'classes' : 'digits'}, columns the predictions; green cells are right (shade: the share of that ${names ? 'class' : 'digit'}), red cells are mistakes (shade: the count, relative to the largest mix-up).</p>\n` +
    `<table class="confusion">\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}
