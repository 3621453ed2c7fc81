// The inspection report's style sheet (report-html.ts inlines it into the page).

import { CONFUSION_CSS } from './confusion.ts';

export const REPORT_CSS = `
:root { --fg: #1d1d22; --muted: #5d5d68; --line: #d9d9e0; --panel: #f6f6f9; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header h1 { margin: 0 0 12px; font-size: 26px; word-break: break-all; }
h2 { margin: 40px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); font-size: 21px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 16px; min-width: 150px; }
.card .k { color: var(--muted); font-size: 13px; }
.card .v { font-size: 22px; font-weight: 600; }
.sub { font-size: 13px; font-weight: 400; color: var(--muted); }
.details { color: var(--muted); font-size: 14px; display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 10px 0; }
.details b { color: var(--fg); font-weight: 600; }
nav { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
nav a { color: var(--accent); text-decoration: none; padding: 2px 10px; border: 1px solid var(--line); border-radius: 14px; font-size: 14px; }
.note { color: var(--muted); max-width: 900px; }
.neg { color: #2166ac; font-weight: 600; } .pos { color: #b2182b; font-weight: 600; }
.ok { color: #2ca02c; font-weight: 600; } .bad { color: #d62728; font-weight: 600; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: left; }
.num { text-align: right; }
table.summary, table.history { margin: 8px 0; }
table.summary th, table.history th { border-bottom: 2px solid var(--line); }
table.summary td, table.history td { border-bottom: 1px solid var(--line); }
table.summary tfoot td { font-weight: 600; border-bottom: none; }
tr.input td { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 20px; margin: 8px 0; }
svg.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
svg .grid { stroke: #e2e2e8; stroke-width: 1; }
svg .axis { stroke: #55555f; stroke-width: 1; }
svg .tick { font-size: 12px; fill: #55555f; }
svg .axis-title { font-size: 13px; fill: #33333b; }
svg .chart-title { font-size: 15px; font-weight: 600; fill: #1d1d22; }
svg .legend { font-size: 13px; fill: #33333b; }
figure { margin: 14px 0; }
figcaption { color: var(--muted); font-size: 14px; margin-bottom: 4px; }
img.fig { max-width: 100%; height: auto; border-radius: 4px; display: block; }
img.pixel { image-rendering: pixelated; display: block; border-radius: 4px; }
.scroll { overflow-x: auto; }
.maps { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
.digit { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 20px; }
.digit figure { margin: 8px 0; }
.prediction { font-size: 17px; margin: 8px 0; }
.prediction b { font-size: 22px; }
table.probs td { padding: 1px 8px; }
.barcell { width: 260px; }
.bar { height: 14px; background: #9fb7d0; border-radius: 2px; min-width: 1px; }
tr.top .bar { background: var(--accent); }
tr.top td { font-weight: 600; }
.truth { color: #2ca02c; }
${CONFUSION_CSS}
table.change { margin: 6px 0; font-size: 14px; color: var(--muted); }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, 176px); gap: 14px; max-width: 950px; }
figure.wrong { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px; display: flex; flex-direction: column; align-items: center; }
figure.wrong figcaption { margin: 6px 0 0; font-size: 13px; text-align: center; color: var(--fg); }
code { background: var(--panel); padding: 0 4px; border-radius: 3px; }
/* A phone (390 px): nothing may widen the page. Wide tables and strips scroll inside their own box. */
table.summary, table.history, table.confusion, table.change { display: block; max-width: 100%; overflow-x: auto; }
svg.chart { max-width: 100%; height: auto; }
.strip img.pixel { max-width: none; }
@media (max-width: 640px) {
  main { padding: 14px 12px 48px; }
  header h1 { font-size: 21px; }
  .card { min-width: 0; flex: 1 1 40%; }
  .barcell { width: 110px; }
  .digit { padding: 8px 10px; gap: 12px; }
}
`;
