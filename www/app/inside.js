// A look inside the network, for the drawing on the pad: the first layer's filters, the feature maps
// of every convolution and pooling layer as small grayscale tiles, and the dense layers' activations
// as strips, from the core's inspect() in the worker. Only while the panel is open; the latest
// drawing wins, so it never holds up the prediction.

import { LatestOnlyQueue, MSG } from '../protocol/protocol.js';
import { dom, rpc } from './store.js';

/** Most tiles drawn per layer (a 1024-filter layer would be a wall of noise). */
const MAX_TILES = 64;
/** Least time between two looks while drawing: the tiles follow the pen without taking the page's time. */
const MIN_INTERVAL_MS = 200;

let lastImage = null;
let lastLook = 0;
let timer = 0;

const queue = new LatestOnlyQueue(
  (image) => rpc.call(MSG.INSPECT, { image }, [image.buffer]),
  (seen) => {
    if (lastImage) render(seen);
  },
  (err) => {
    dom.insideLayers.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted small', textContent: `Cannot look inside: ${err.message}` }));
  },
);

/** The drawing the model saw (28×28 bytes) changed: show what each layer makes of it. */
export function showInside(image) {
  lastImage = image ? image.slice() : null;
  if (!lastImage) {
    clearInside();
    return;
  }
  if (dom.inside.open) look();
}

/** Asks for the latest drawing's inspection, at most once per MIN_INTERVAL_MS. */
function look() {
  if (timer) return;
  timer = setTimeout(
    () => {
      timer = 0;
      lastLook = performance.now();
      if (lastImage) queue.push(lastImage.slice());
    },
    Math.max(0, lastLook + MIN_INTERVAL_MS - performance.now()),
  );
}

/** Nothing drawn: empty the panel. */
export function clearInside() {
  lastImage = null;
  queue.cancelQueued();
  clearTimeout(timer);
  timer = 0;
  shown = '';
  dom.insideLayers.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted small', textContent: 'Draw a digit to see what each layer makes of it.' }));
}

dom.inside.addEventListener('toggle', () => {
  if (dom.inside.open && lastImage) look();
});

/** A canvas of `w`×`h` pixels from `values` mapped through `shade` (value → 0–255). */
function tile(values, offset, w, h, shade, className) {
  const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h, className });
  paint(canvas, values, offset, shade);
  return canvas;
}

/** Repaints `canvas` (its own size) from `values` at `offset` through `shade`. */
function paint(canvas, values, offset, shade) {
  const [w, h] = [canvas.width, canvas.height];
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = shade(values[offset + i]);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Shading of `n` values from `offset`: 0 → black, the largest → white (the smallest black when some
 * are negative). A layer's maps share one shading, so the maps its filters answer strongly stand out.
 */
function mapShade(values, offset, n) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = offset; i < offset + n; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  lo = Math.min(lo, 0);
  const span = hi - lo || 1;
  return (v) => Math.round((255 * (v - lo)) / span);
}

/** Shading of weights: 0 → mid grey, the largest magnitude → white or black. */
function signedShade(values) {
  const m = values.reduce((a, v) => Math.max(a, Math.abs(v)), 0) || 1;
  return (v) => Math.round(127.5 + (127.5 * v) / m);
}

function section(title, tiles, note) {
  const s = Object.assign(document.createElement('section'), { className: 'inside-layer' });
  const h = Object.assign(document.createElement('h4'), { textContent: title });
  if (note) h.append(Object.assign(document.createElement('span'), { className: 'muted small', textContent: ` ${note}` }));
  const row = Object.assign(document.createElement('div'), { className: 'inside-tiles' });
  row.append(...tiles);
  s.append(h, row);
  return s;
}

function maps(view) {
  const [c, h, w] = view.shape;
  const shown = Math.min(c, MAX_TILES);
  const tiles = [];
  const shade = mapShade(view.values, 0, view.values.length);
  for (let k = 0; k < shown; k++) tiles.push(tile(view.values, k * h * w, w, h, shade, 'inside-map'));
  const what = view.kind === 'maxpool' ? 'pooled maps' : 'feature maps';
  return section(`${view.name}: ${c} ${what}, ${h}×${w}`, tiles, shown < c ? `(the first ${shown})` : '');
}

function strip(view) {
  const n = view.values.length;
  const shade = mapShade(view.values, 0, n);
  const canvas = tile(view.values, 0, n, 1, shade, n === 10 ? 'inside-strip inside-logits' : 'inside-strip');
  canvas.setAttribute('aria-label', `${view.name}: ${n} activations`);
  return section(`${view.name}: ${n === 10 ? '10 logits, 0 to 9' : `${n} activations`}`, [canvas]);
}

function filters(view) {
  const [f, , kh, kw] = view.shape;
  const shade = signedShade(view.values);
  const per = view.values.length / f; // in·k·k; the first input channel is the image's
  const tiles = [];
  for (let k = 0; k < Math.min(f, MAX_TILES); k++) tiles.push(tile(view.values, k * per, kw, kh, shade, 'inside-filter'));
  return section(`${view.name} filters: ${f} of ${kh}×${kw}`, tiles, '(grey 0, white positive, black negative)');
}

let shown = ''; // the layers' names and shapes the panel holds tiles for

/** Draws an inspection: in the tiles already there when the network is the same, else anew. */
function render(seen) {
  const views = [...(seen.filters ? [seen.filters] : []), ...seen.layers];
  const key = JSON.stringify(views.map((v) => [v.name, v.shape]));
  if (key === shown) {
    repaint(seen);
    return;
  }
  shown = key;
  const parts = [];
  if (seen.filters) parts.push(filters(seen.filters));
  for (const view of seen.layers) {
    if (view.shape.length === 3) parts.push(maps(view));
    else parts.push(strip(view));
  }
  dom.insideLayers.replaceChildren(...parts);
}

/** The same network's new inspection into the existing tiles, section by section. */
function repaint(seen) {
  const sections = dom.insideLayers.querySelectorAll('.inside-layer');
  let s = 0;
  if (seen.filters) {
    const f = seen.filters;
    const per = f.values.length / f.shape[0];
    const shade = signedShade(f.values);
    sections[s++].querySelectorAll('canvas').forEach((c, k) => paint(c, f.values, k * per, shade));
  }
  for (const view of seen.layers) {
    const canvases = sections[s++].querySelectorAll('canvas');
    if (view.shape.length === 3) {
      const [, h, w] = view.shape;
      const shade = mapShade(view.values, 0, view.values.length);
      canvases.forEach((c, k) => paint(c, view.values, k * h * w, shade));
    } else {
      paint(canvases[0], view.values, 0, mapShade(view.values, 0, view.values.length));
    }
  }
}
