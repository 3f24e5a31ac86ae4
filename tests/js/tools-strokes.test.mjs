// Unit tests for tests/e2e/strokes.mjs: how the e2e test turns an MNIST digit into mouse strokes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digitStrokes, inkBox, placeStrokes, thin } from '../e2e/strokes.mjs';

/** A 28x28 image with the given [x, y] pixels inked. */
const image = (points) => {
  const px = new Uint8Array(784);
  for (const [x, y] of points) px[y * 28 + x] = 255;
  return px;
};
const rect = (x0, y0, x1, y1) => {
  const pts = [];
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) pts.push([x, y]);
  return pts;
};

test('inkBox bounds the pixels above the threshold', () => {
  const px = image([[3, 4], [10, 20], [7, 7]]);
  px[0] = 100; // faint: ignored at threshold 128
  assert.deepEqual(inkBox(px), { x0: 3, y0: 4, x1: 10, y1: 20 });
  assert.equal(inkBox(new Uint8Array(784)), null);
});

test('thin reduces a thick bar to a one-pixel line inside it', () => {
  const mask = Uint8Array.from(image(rect(5, 10, 20, 12)), (v) => (v ? 1 : 0));
  const skel = thin(mask);
  const on = [...skel.keys()].filter((i) => skel[i]);
  assert.ok(on.length >= 10 && on.length <= 16, `${on.length} skeleton pixels`);
  assert.ok(on.every((i) => mask[i]), 'skeleton lies inside the shape');
  assert.ok(on.every((i) => Math.floor(i / 28) === 11), 'skeleton runs along the middle row');
  assert.deepEqual(thin(skel), skel, 'a skeleton is its own skeleton');
});

test('digitStrokes links neighbouring skeleton pixels, and dots isolated ones', () => {
  // a diagonal line (already thin) and a lone pixel
  const strokes = digitStrokes(image([[2, 2], [3, 3], [4, 4], [20, 20]]));
  assert.deepEqual(strokes, [
    [[2.5, 2.5], [3.5, 3.5]],
    [[3.5, 3.5], [4.5, 4.5]],
    [[20.5, 20.5], [20.5, 20.5]],
  ]);
  assert.deepEqual(digitStrokes(new Uint8Array(784)), []);
});

test('placeStrokes centres the ink box and scales it to fill the canvas', () => {
  const px = image([[10, 10], [11, 10], [12, 10], [13, 10]]);
  const area = { x: 100, y: 50, width: 280, height: 280 };
  const placed = placeStrokes(digitStrokes(px), inkBox(px), area, 0.5);
  // box width 4 px -> 140 screen px, centred at (240, 190); first stroke from pixel 10 to 11
  const scale = 140 / 4;
  assert.deepEqual(placed[0], [[240 - 1.5 * scale, 190], [240 - 0.5 * scale, 190]]);
  assert.equal(placed.length, 3);
});
