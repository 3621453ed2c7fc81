// ANSI styling for `miniconv explain` on a terminal: bold headings, dim padding, green and red marks.

export interface Styles { bold(s: string): string; dim(s: string): string; green(s: string): string; red(s: string): string }

/** The styles, or plain text when `color` is false. */
export function styles(color: boolean): Styles {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39) };
}
