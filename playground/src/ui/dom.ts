// Small DOM helpers: build elements without a framework.

type Child = Node | string | null | undefined | false;

/** el('div', { class: 'x', 'data-testid': 'y' }, child, ...): attributes as strings; on* keys as listeners. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string | number | boolean | EventListener | undefined> = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** A canvas of w x h pixels, drawn at css size (cw x ch) with crisp pixels. */
export function pixelCanvas(w: number, h: number, cw: number, ch: number, attrs: Record<string, string> = {}): HTMLCanvasElement {
  const c = el('canvas', { width: w, height: h, class: 'pixels', ...attrs });
  c.style.width = `${cw}px`;
  c.style.height = `${ch}px`;
  return c;
}

/** A number written for people: 4 significant digits, no '-0'. */
export function fmt(v: number, digits = 4): string {
  if (v === 0 || Object.is(v, -0)) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  return String(Number(v.toPrecision(digits)));
}

/** Shows a message in the page's status line (errors in red), for bad input and worker errors. */
export function showMessage(text: string, kind: 'error' | 'info' = 'info'): void {
  const box = document.getElementById('message');
  if (!box) return;
  box.textContent = text;
  box.className = kind;
  box.hidden = text === '';
}

/**
 * Wraps a redraw so that it runs at most once per animation frame, and only while `element` is
 * shown; a hidden panel is redrawn when it opens. The main thread does only the drawing it must.
 */
export function lazyDraw(element: HTMLElement, draw: () => void): () => void {
  let queued = false, stale = false;
  const visible = () => element.isConnected && !element.closest('[hidden]');
  window.addEventListener('panel-open', () => { if (stale && visible()) { stale = false; draw(); } });
  return () => {
    if (!visible()) { stale = true; return; }
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; draw(); });
  };
}
