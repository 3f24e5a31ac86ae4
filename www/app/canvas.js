// The drawing pad: pointer events (mouse, touch, pen), thick round MNIST-like strokes,
// Clear and Undo. Strokes are kept as point lists so Undo can redraw without them.

const INK = '#141414';
const PAPER = '#ffffff';

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas  (its width/height attributes set the internal resolution)
   * @param {{ onInput?: () => void, onStrokeEnd?: () => void, onChange?: () => void }} hooks
   *   onInput: ink was added (while drawing); onStrokeEnd: a stroke finished;
   *   onChange: the drawing changed in any way (also clear/undo).
   */
  constructor(canvas, hooks = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.hooks = hooks;
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.brush = Math.round(canvas.width / 10);
    this.redraw();

    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    canvas.addEventListener('lostpointercapture', (e) => this.up(e));
    // No scrolling or zooming while drawing on touch screens (also set in CSS: touch-action: none).
    canvas.addEventListener('touchstart', (e) => e.preventDefault(), { passive: false });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  get isEmpty() {
    return this.strokes.length === 0 && !this.current;
  }

  get strokeCount() {
    return this.strokes.length;
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) * this.canvas.width) / r.width;
    const y = ((e.clientY - r.top) * this.canvas.height) / r.height;
    return [Math.max(0, Math.min(this.canvas.width, x)), Math.max(0, Math.min(this.canvas.height, y))];
  }

  down(e) {
    if (this.pointerId !== null) return;
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    this.pointerId = e.pointerId;
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      /* synthetic events may have no active pointer */
    }
    this.current = [this.point(e)];
    this.dot(this.current[0]);
    this.hooks.onInput?.();
    this.hooks.onChange?.();
  }

  move(e) {
    if (this.pointerId !== e.pointerId || !this.current) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    const list = events.length ? events : [e];
    for (const ev of list) {
      const p = this.point(ev);
      const last = this.current[this.current.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 1) continue;
      this.current.push(p);
      this.segment(last, p);
    }
    this.hooks.onInput?.();
  }

  up(e) {
    if (this.pointerId !== e.pointerId || !this.current) return;
    this.pointerId = null;
    this.strokes.push(this.current);
    this.current = null;
    this.redraw(); // smooth the finished stroke
    this.hooks.onStrokeEnd?.();
    this.hooks.onChange?.();
  }

  style() {
    const c = this.ctx;
    c.strokeStyle = INK;
    c.fillStyle = INK;
    c.lineWidth = this.brush;
    c.lineCap = 'round';
    c.lineJoin = 'round';
  }

  dot([x, y]) {
    this.style();
    this.ctx.beginPath();
    this.ctx.arc(x, y, this.brush / 2, 0, Math.PI * 2);
    this.ctx.fill();
  }

  segment(a, b) {
    this.style();
    this.ctx.beginPath();
    this.ctx.moveTo(a[0], a[1]);
    this.ctx.lineTo(b[0], b[1]);
    this.ctx.stroke();
  }

  /** Draw a stroke smoothed with quadratic curves through the midpoints. */
  drawStroke(pts) {
    if (pts.length === 1) return this.dot(pts[0]);
    const c = this.ctx;
    this.style();
    c.beginPath();
    c.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length - 1; i++) {
      const mx = (pts[i][0] + pts[i + 1][0]) / 2;
      const my = (pts[i][1] + pts[i + 1][1]) / 2;
      c.quadraticCurveTo(pts[i][0], pts[i][1], mx, my);
    }
    const last = pts[pts.length - 1];
    c.lineTo(last[0], last[1]);
    c.stroke();
  }

  redraw() {
    const c = this.ctx;
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = PAPER;
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    c.restore();
    for (const s of this.strokes) this.drawStroke(s);
    if (this.current) this.drawStroke(this.current);
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.redraw();
    this.hooks.onChange?.();
  }

  undo() {
    if (!this.strokes.length) return false;
    this.strokes.pop();
    this.redraw();
    this.hooks.onChange?.();
    return true;
  }

  /** Grayscale pixels (1 channel, dark ink on white) for preprocessDrawing. */
  grayscale() {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const gray = new Uint8Array(width * height);
    for (let i = 0, j = 0; j < gray.length; i += 4, j++) gray[j] = rgba[i + 1]; // ink is neutral gray: any channel
    return { pixels: gray, width, height, channels: 1 };
  }
}

/** Paint a 28x28 MNIST image (white on black, 784 bytes) into a canvas (scaled, pixelated via CSS). */
export function paintDigit(canvas, image, { invert = false } = {}) {
  canvas.width = 28;
  canvas.height = 28;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = invert ? 255 - image[i] : image[i];
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
