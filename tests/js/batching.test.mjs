import test from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, permutation, gatherBatch, holdoutCount, holdoutSplit, IMAGE_BYTES } from '../../www/shared/batching.js';

test('mulberry32 is deterministic and in [0,1)', () => {
  const a = mulberry32(42); const b = mulberry32(42);
  for (let i = 0; i < 1000; i++) { const x = a(); assert.equal(x, b()); assert.ok(x >= 0 && x < 1); }
  assert.notEqual(mulberry32(1)(), mulberry32(2)());
});

test('permutation contains every index once and depends on the seed', () => {
  const p = permutation(1000, mulberry32(7));
  assert.equal(new Set(p).size, 1000);
  assert.equal(Math.max(...p), 999);
  assert.deepEqual(p, permutation(1000, mulberry32(7)));
  assert.notDeepEqual(p, permutation(1000, mulberry32(8)));
  assert.equal(permutation(0, mulberry32(1)).length, 0);
});

test('gatherBatch copies the selected rows and labels (with an offset)', () => {
  const n = 5;
  const images = new Uint8Array(n * IMAGE_BYTES);
  for (let i = 0; i < n; i++) images.fill(i + 1, i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
  const labels = Uint8Array.from([0, 1, 2, 3, 4]);
  const outI = new Uint8Array(3 * IMAGE_BYTES); const outL = new Uint8Array(3);
  const order = [4, 0, 2];
  assert.equal(gatherBatch(images, labels, order, 0, 3, outI, outL), 3);
  assert.deepEqual([...outL], [4, 0, 2]);
  assert.equal(outI[0], 5); assert.equal(outI[IMAGE_BYTES], 1); assert.equal(outI[3 * IMAGE_BYTES - 1], 3);
  gatherBatch(images, labels, [0, 1], 0, 2, outI, outL, 3);
  assert.deepEqual([...outL.subarray(0, 2)], [3, 4]);
});

test('hold-out: ~20 %, at least 1 from 5 digits, deterministic and disjoint', () => {
  assert.equal(holdoutCount(0), 0);
  assert.equal(holdoutCount(4), 0);
  assert.equal(holdoutCount(5), 1);
  assert.equal(holdoutCount(12), 2);
  assert.equal(holdoutCount(50), 10);
  const s = holdoutSplit(23);
  assert.equal(s.holdout.length, 5);
  assert.equal(s.train.length, 18);
  assert.equal(new Set([...s.train, ...s.holdout]).size, 23);
  assert.deepEqual(s, holdoutSplit(23));
  assert.deepEqual(holdoutSplit(3), { train: [0, 1, 2], holdout: [] });
});
