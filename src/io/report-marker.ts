// The line in report.html's <head> by which the destination rule (destination.ts) knows a file it
// may replace as "a miniconv report". Its own file: the report (also built in the page) needs no fs.
export const REPORT_MARKER = '<meta name="generator" content="miniconv inspect">';
