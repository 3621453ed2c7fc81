// Drawing on a pad with Pointer Events (one code path for mouse, touch and pen), shared by the Draw
// panel's digit pad and the "Write a number" pad: strokes of round black line in the canvas's own
// pixels, whatever size CSS gives the canvas on the screen.

export interface StrokeOptions {
  /** The canvas's own size in pixels (its width and height attributes). */
  width: number;
  height: number;
  /** The line width in canvas pixels for a pointer's pressure (0..1; 0.5 for a mouse button, 0 when unknown). */
  lineWidth: (pressure: number) => number;
  /** A stroke starts. */
  onStart?: () => void;
  /** The stroke went on (after each drawn segment). */
  onMove?: () => void;
  /** The stroke ended (pointer up or cancelled). */
  onEnd: () => void;
}

/** Lets the user draw on `pad` through `ctx`; `drawing()` says whether a stroke is under way. */
export function drawStrokes(pad: HTMLCanvasElement, ctx: CanvasRenderingContext2D, o: StrokeOptions): { drawing: () => boolean } {
  let drawing = false, px = 0, py = 0;
  const pos = (ev: PointerEvent) => {
    const r = pad.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * o.width, ((ev.clientY - r.top) / r.height) * o.height];
  };
  const line = (x0: number, y0: number, x1: number, y1: number, pressure: number) => {
    ctx.strokeStyle = '#000';
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.lineWidth = o.lineWidth(pressure);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  };
  pad.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    pad.setPointerCapture(ev.pointerId);
    o.onStart?.();
    drawing = true;
    [px, py] = pos(ev);
    line(px, py, px, py, ev.pressure);
  });
  pad.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    const [x, y] = pos(ev);
    line(px, py, x, y, ev.pressure);
    [px, py] = [x, y];
    o.onMove?.();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    o.onEnd();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  return { drawing: () => drawing };
}
