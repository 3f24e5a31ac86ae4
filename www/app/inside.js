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

/** An empty `w`×`h` canvas for one tile. */
function blank(w, h, className) {
  return Object.assign(document.createElement('canvas'), { width: w, height: h, className });
}

/** Repaints `canvas` (its own size) from `values` at `offset` through `shade` (value → 0–255). */
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
 * Shading of a layer's values: 0 → black, the largest → white (the smallest black when some are
 * negative). A layer's maps share one shading, so the maps its filters answer strongly stand out.
 */
function mapShade(values) {
  let lo = 0;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
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
  const tiles = Array.from({ length: shown }, () => blank(w, h, 'inside-map'));
  const what = view.kind === 'maxpool' ? 'pooled maps' : 'feature maps';
  return section(`${view.name}: ${c} ${what}, ${h}×${w}`, tiles, shown < c ? `(the first ${shown})` : '');
}

function strip(view) {
  const n = view.values.length;
  const canvas = blank(n, 1, n === 10 ? 'inside-strip inside-logits' : 'inside-strip');
  canvas.setAttribute('aria-label', `${view.name}: ${n} activations`);
  return section(`${view.name}: ${n === 10 ? '10 logits, 0 to 9' : `${n} activations`}`, [canvas]);
}

function filters(view) {
  const [f, , kh, kw] = view.shape;
  const tiles = Array.from({ length: Math.min(f, MAX_TILES) }, () => blank(kw, kh, 'inside-filter'));
  return section(`${view.name} filters: ${f} of ${kh}×${kw}`, tiles, '(grey 0, white positive, black negative)');
}

let shown = ''; // the layers' names and shapes the panel holds tiles for

/** Draws an inspection: into the tiles already there when the network is the same, else into new ones. */
function render(seen) {
  const list = views(seen);
  const key = JSON.stringify(list.map(({ view }) => [view.name, view.shape]));
  if (key !== shown) {
    shown = key;
    dom.insideLayers.replaceChildren(...list.map(({ view, weights }) => (weights ? filters(view) : view.shape.length === 3 ? maps(view) : strip(view))));
  }
  const sections = dom.insideLayers.querySelectorAll('.inside-layer');
  list.forEach(({ view, weights }, s) => {
    // Tile k holds the k-th filter or map (values.length / count of them each); a strip holds all.
    const per = view.shape.length === 1 ? view.values.length : view.values.length / view.shape[0];
    const shade = weights ? signedShade(view.values) : mapShade(view.values);
    sections[s].querySelectorAll('canvas').forEach((c, k) => paint(c, view.values, k * per, shade));
  });
}

/** The panel's sections in order: the first filters (weights), then each layer's output. */
function views(seen) {
  return [...(seen.filters ? [{ view: seen.filters, weights: true }] : []), ...seen.layers.map((view) => ({ view, weights: false }))];
}
