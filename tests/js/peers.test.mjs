// The bench peers' shared inputs (www/bench/peers/batches.js): every peer must train the same network
// from the same weights on the same batches, or the ratios compare different work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CNN_SHAPES, cnnWeights, oneHot, peerBatches } from '../../www/bench/peers/batches.js';

test("the peers' cnn weights are Inkling's cnn: 93,322 values in Keras's layouts, seeded, Glorot-bounded", () => {
  const w = cnnWeights(1);
  assert.deepEqual(Object.keys(w), Object.keys(CNN_SHAPES));
  for (const [name, values] of Object.entries(w)) {
    assert.equal(values.length, CNN_SHAPES[name].reduce((a, b) => a * b, 1), name);
  }
  assert.equal(Object.values(w).reduce((n, v) => n + v.length, 0), 93_322);
  const limit = Math.sqrt(6 / (576 + 64));
  assert.ok(w.f1.every((v) => Math.abs(v) <= limit) && w.f1.some((v) => Math.abs(v) > limit / 2));
  assert.ok(w.b1.every((v) => v === 0));
  assert.deepEqual(cnnWeights(1).c2, w.c2, 'the same seed gives the same weights');
  assert.notDeepEqual(cnnWeights(2).c2, w.c2);
});

test('peer batches: pixels in [0, 1), labels 0..9, the same every time; one-hot rows', () => {
  const [a, b] = peerBatches(8, 2);
  assert.equal(a.images.length, 8 * 784);
  assert.ok(a.images.every((v) => v >= 0 && v < 1));
  assert.ok(a.labels.every((l) => Number.isInteger(l) && l >= 0 && l < 10));
  assert.notDeepEqual(a.images, b.images);
  assert.deepEqual(peerBatches(8, 2)[1].labels, b.labels);
  const rows = oneHot(Int32Array.from([3, 0, 9]));
  assert.deepEqual([...rows].map((v, i) => (v ? i : -1)).filter((i) => i >= 0), [3, 10, 29]);
});
