// Line charts as inline SVG text, for the HTML report: axes with "nice" ticks, one polyline with
// point markers per series, and a legend. No scripts, no fonts to load, no external files.

/** Escapes text for HTML and SVG (element content and attribute values alike). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface ChartSeries {
  name: string;
  /** [x, y] pairs; non-finite y values are skipped. */
  points: Array<[number, number]>;
  color: string;
  /** A dash pattern such as '6 4' (default solid). */
  dash?: string;
  /** 'circle' (default) or 'square': a second cue besides colour. */
  marker?: 'circle' | 'square';
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Force the y range (e.g. [0, 1] for accuracy); default: the data's range, widened to nice ticks. */
  yMin?: number;
  yMax?: number;
  /** Tick labels on the y axis (default: the tick's shortest decimal form). */
  formatY?: (v: number) => string;
  /** Only integer x ticks (epochs). Default true. */
  integerX?: boolean;
  width?: number; // default 440
  height?: number; // default 280
}

/**
 * About `count` evenly spaced round numbers (steps of 1, 2 or 5 times a power of ten) that cover
 * [lo, hi]: the axis then starts and ends on a tick.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`niceTicks: the range must be finite, got [${lo}, ${hi}]`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) { const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= pad; hi += pad; }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step, last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= last + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A line chart: plot area with grid lines, axes, tick labels, axis titles, and a legend above the plot. */
export function lineChartSvg(o: LineChartOptions): string {
  const W = o.width ?? 440, H = o.height ?? 280;
  const m = { left: 58, right: 16, top: 54, bottom: 46 }; // room for tick labels, titles and the legend
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const pts = o.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  if (pts.length === 0) throw new RangeError(`lineChartSvg(${o.title}): no finite points to draw`);

  // x: integer ticks (epochs) from the first to the last point; a single point gets half a step each side.
  let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
  const integerX = o.integerX ?? true;
  let xTicks = integerX ? integerTicks(x0, x1) : niceTicks(x0, x1);
  if (x0 === x1) { x0 -= 0.5; x1 += 0.5; } else { x0 = Math.min(x0, xTicks[0]); x1 = Math.max(x1, xTicks[xTicks.length - 1]); }
  xTicks = xTicks.filter((t) => t >= x0 && t <= x1);
  const yTicks = niceTicks(o.yMin ?? Math.min(...pts.map((p) => p[1])), o.yMax ?? Math.max(...pts.map((p) => p[1])));
  const y0 = o.yMin ?? yTicks[0], y1 = o.yMax ?? yTicks[yTicks.length - 1];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const fmtY = o.formatY ?? ((v: number) => String(v));
  const r = (v: number) => Number(v.toFixed(1)); // short coordinates

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(o.title)}">`);
  out.push(`<title>${escapeHtml(o.title)}</title>`);
  out.push(`<text x="${m.left}" y="18" class="chart-title">${escapeHtml(o.title)}</text>`);
  // Grid and y ticks.
  for (const t of yTicks.filter((t) => t >= y0 - 1e-12 && t <= y1 + 1e-12)) {
    const y = r(sy(t));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" class="grid"></line>`);
    out.push(`<text x="${m.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${escapeHtml(fmtY(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = r(sx(t));
    out.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" class="axis"></line>`);
    out.push(`<text x="${x}" y="${m.top + ph + 18}" class="tick" text-anchor="middle">${escapeHtml(String(t))}</text>`);
  }
  // Axes and their titles.
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" class="axis"></line>`);
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" class="axis"></line>`);
  out.push(`<text x="${r(m.left + pw / 2)}" y="${H - 8}" class="axis-title" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  out.push(`<text x="14" y="${r(m.top + ph / 2)}" class="axis-title" text-anchor="middle" transform="rotate(-90 14 ${r(m.top + ph / 2)})">${escapeHtml(o.yLabel)}</text>`);
  // Series.
  for (const s of o.series) {
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => [r(sx(x)), r(sy(y))]);
    if (p.length === 0) continue;
    const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
    if (p.length > 1) out.push(`<polyline points="${p.map((q) => q.join(',')).join(' ')}" fill="none" stroke="${escapeHtml(s.color)}" stroke-width="2"${dash}></polyline>`);
    for (const [x, y] of p) out.push(marker(s, x, y));
  }
  // Legend: one row above the plot.
  let lx = m.left;
  for (const s of o.series) {
    const dash = s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : '';
    out.push(`<line x1="${lx}" y1="36" x2="${lx + 26}" y2="36" stroke="${escapeHtml(s.color)}" stroke-width="2"${dash}></line>`);
    out.push(marker(s, lx + 13, 36));
    out.push(`<text x="${lx + 32}" y="36" class="legend" dominant-baseline="middle">${escapeHtml(s.name)}</text>`);
    lx += 32 + 7.5 * s.name.length + 18;
  }
  out.push('</svg>');
  return out.join('\n');
}

function marker(s: ChartSeries, x: number, y: number): string {
  const c = escapeHtml(s.color);
  return s.marker === 'square'
    ? `<rect x="${x - 3.5}" y="${y - 3.5}" width="7" height="7" fill="${c}"></rect>`
    : `<circle cx="${x}" cy="${y}" r="3.5" fill="${c}"></circle>`;
}

/** Integer ticks lo, lo + step, ... up to hi, at most about 10 of them (step 1, 2, 5, 10, ...). */
function integerTicks(lo: number, hi: number): number[] {
  const a = Math.floor(lo), b = Math.ceil(hi);
  const step = [1, 2, 5, 10, 20, 50, 100].find((s) => (b - a) / s <= 10) ?? Math.ceil((b - a) / 10);
  const ticks: number[] = [];
  for (let v = a; v <= b; v += step) ticks.push(v);
  return ticks;
}
