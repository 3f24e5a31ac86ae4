// Turn a 28x28 MNIST digit into pen strokes, the way the e2e test "draws" it on the canvas, like a
// person tracing the digit's centre line: pixels > threshold are thinned to a one-pixel skeleton
// (Zhang-Suen), and each pair of neighbouring skeleton pixels becomes one short straight stroke
// (the app's round brush gives the stroke its width). The digit's ink box is scaled up to fill
// part of the canvas. Pure functions (unit-tested in tests/js/tools-strokes.test.mjs).

/** Bounding box {x0, y0, x1, y1} (inclusive, pixel units) of pixels > threshold, or null if none. */
export function inkBox(pixels, { threshold = 128, size = 28 } = {}) {
  let box = null;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (pixels[y * size + x] <= threshold) continue;
      if (!box) box = { x0: x, y0: y, x1: x, y1: y };
      else {
        box.x0 = Math.min(box.x0, x);
        box.x1 = Math.max(box.x1, x);
        box.y0 = Math.min(box.y0, y);
        box.y1 = Math.max(box.y1, y);
      }
    }
  }
  return box;
}

/** Zhang-Suen thinning of a 0/1 mask (size x size); returns a new mask. */
export function thin(mask, size = 28) {
  const m = Uint8Array.from(mask);
  const at = (x, y) => (x >= 0 && y >= 0 && x < size && y < size ? m[y * size + x] : 0);
  for (let changed = true; changed; ) {
    changed = false;
    for (const pass of [0, 1]) {
      const remove = [];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if (!m[y * size + x]) continue;
          // neighbours clockwise from north: P2..P9
          const p = [at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1), at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)];
          const b = p.reduce((s, v) => s + v, 0);
          let a = 0;
          for (let i = 0; i < 8; i++) if (!p[i] && p[(i + 1) % 8]) a++;
          const [n, , e, , s, , w] = p;
          const ok = pass === 0 ? !(n && e && s) && !(e && s && w) : !(n && e && w) && !(n && s && w);
          if (b >= 2 && b <= 6 && a === 1 && ok) remove.push(y * size + x);
        }
      }
      for (const i of remove) m[i] = 0;
      if (remove.length) changed = true;
    }
  }
  return m;
}

/**
 * Strokes [[x0, y0], [x1, y1]] (pixel-centre coordinates) along the digit's skeleton: one per pair of
 * 8-neighbouring skeleton pixels, and a dot for an isolated pixel.
 */
export function digitStrokes(pixels, { threshold = 128, size = 28 } = {}) {
  const skel = thin(Uint8Array.from({ length: size * size }, (_, i) => (pixels[i] > threshold ? 1 : 0)), size);
  const on = (x, y) => x >= 0 && y >= 0 && x < size && y < size && skel[y * size + x] === 1;
  const strokes = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!on(x, y)) continue;
      const c = [x + 0.5, y + 0.5];
      let linked = false;
      for (const [dx, dy] of [[1, 0], [0, 1], [1, 1], [-1, 1]]) {
        if (on(x + dx, y + dy)) {
          strokes.push([c, [x + dx + 0.5, y + dy + 0.5]]);
          linked = true;
        }
      }
      const hasAnyNeighbour = linked || on(x - 1, y) || on(x, y - 1) || on(x - 1, y - 1) || on(x + 1, y - 1);
      if (!hasAnyNeighbour) strokes.push([c, c]);
    }
  }
  return strokes;
}

/**
 * Map strokes from pixel units into a screen rectangle {x, y, width, height}: the ink box is scaled
 * uniformly to `fill` of the rectangle's smaller side and centred.
 */
export function placeStrokes(strokes, box, rect, fill = 0.7) {
  const w = box.x1 - box.x0 + 1;
  const h = box.y1 - box.y0 + 1;
  const scale = (fill * Math.min(rect.width, rect.height)) / Math.max(w, h);
  const ox = rect.x + rect.width / 2 - ((box.x0 + box.x1 + 1) / 2) * scale;
  const oy = rect.y + rect.height / 2 - ((box.y0 + box.y1 + 1) / 2) * scale;
  return strokes.map((stroke) => stroke.map(([x, y]) => [ox + x * scale, oy + y * scale]));
}
