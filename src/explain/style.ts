// ANSI styling for `miniconv explain` on a terminal: bold headings, dim padding, green and red marks,
// the window behind a sum in reverse video, and a colour for each kind of zero. Without a terminal
// every style is the identity: the output is plain text, and the window is bracketed instead.

export interface Styles {
  /** Whether the styles write ANSI escapes (a terminal) or nothing (plain text). */
  color: boolean;
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  /** A cell of the window behind a sum (reverse video). */
  mark(s: string): string;
  /** A zero of one kind, in that kind's colour. */
  zero(kind: ZeroKind, s: string): string;
}

/**
 * The three kinds of zeros the explanations draw, each with its own tag ('0p', '0d', '0f'):
 * 'pad' the border padding of x; 'dilation' the zeros between dy's entries that the stride makes
 * (and between a dilated kernel's taps); 'full' the border of KH-1 rows and KW-1 columns around dy
 * that a full correlation adds (with the rows a stride left under no window).
 */
export type ZeroKind = 'pad' | 'dilation' | 'full';

export const ZERO_TAG: Record<ZeroKind, string> = { pad: '0p', dilation: '0d', full: '0f' };

const ZERO_MEANING: Record<ZeroKind, string> = {
  pad: 'the border padding of x',
  dilation: 'a zero put between entries by the stride or the dilation',
  full: 'the border that makes the correlation full',
};

/** The styles, or plain text when `color` is false. */
export function styles(color: boolean): Styles {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  const zeroColor: Record<ZeroKind, (s: string) => string> = { pad: wrap(2, 22), dilation: wrap(36, 39), full: wrap(35, 39) };
  return {
    color, bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), mark: wrap(7, 27),
    zero: (kind, s) => zeroColor[kind](s),
  };
}

/** One line that says what each tag present in a printed matrix means. */
export function zeroLegend(st: Styles, kinds: Iterable<ZeroKind>): string {
  const present = [...new Set(kinds)];
  return present.length === 0 ? '' : `  (${present.map((k) => `${st.zero(k, ZERO_TAG[k])} = ${ZERO_MEANING[k]}`).join('; ')})`;
}

/** '✓' when the analytic and numeric gradients agree to 1e-6 (relative, absolute near zero). */
export function checkMark(st: Styles, analytic: number, numeric: number): string {
  const ok = Math.abs(analytic - numeric) <= 1e-6 * Math.max(1, Math.abs(analytic), Math.abs(numeric));
  const n = numeric.toFixed(6).replace(/^-(0\.0+)$/, '$1');
  return ok ? `${st.green('✓')} finite difference ${n}` : `${st.red('✗')} finite difference ${n} DISAGREES`;
}
