import test from 'node:test';
import assert from 'node:assert/strict';
import { Ema, emaSeries, metricsFromConfusion, mergeEvaluations, emptyConfusion, misclassifiedIndices, countCorrect, argmax, RateMeter, etaSeconds } from '../../www/shared/metrics.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('EMA is bias-corrected: constant input gives the constant', () => {
  const e = new Ema(0.9);
  assert.ok(Number.isNaN(e.value));
  for (let i = 0; i < 5; i++) close(e.push(2), 2);
  assert.deepEqual(emaSeries([1, 1, 1], 0.5), [1, 1, 1]);
  const s = emaSeries([0, 10], 0.5);
  close(s[0], 0); close(s[1], (0.5 * 0 * 0.5 + 0.5 * 10) / 0.75);
  assert.equal(new Ema(0).push(3), 3);
  e.push(NaN); close(e.value, 2); // non-finite values are skipped
  assert.throws(() => new Ema(1));
});

test('metrics from a confusion matrix', () => {
  const c = emptyConfusion(3);
  // true 0: 8 right, 2 as 1; true 1: 5 right; true 2: 1 as 0, 4 right
  c[0][0] = 8; c[0][1] = 2; c[1][1] = 5; c[2][0] = 1; c[2][2] = 4;
  const m = metricsFromConfusion(c);
  assert.equal(m.count, 20); assert.equal(m.correct, 17); close(m.accuracy, 0.85);
  close(m.precision[0], 8 / 9); close(m.recall[0], 0.8);
  close(m.precision[1], 5 / 7); close(m.recall[1], 1);
  close(m.f1[2], (2 * 1 * 0.8) / 1.8);
  assert.deepEqual(m.support, [10, 5, 5]);
  close(m.macroF1, (m.f1[0] + m.f1[1] + m.f1[2]) / 3);
});

test('absent classes get zeros and are left out of macro F1', () => {
  const c = emptyConfusion(10);
  c[3][3] = 4;
  const m = metricsFromConfusion(c);
  assert.equal(m.precision[0], 0); assert.equal(m.recall[0], 0);
  assert.equal(m.macroF1, 1);
  assert.equal(metricsFromConfusion(emptyConfusion(10)).accuracy, 0);
});

test('mergeEvaluations sums confusions, weights loss and concatenates predictions', () => {
  const a = { count: 2, loss: 1, confusion: emptyConfusion(), predictions: Uint8Array.from([1, 2]) };
  a.confusion[1][1] = 1; a.confusion[3][2] = 1;
  const b = { count: 6, loss: 0.2, confusion: emptyConfusion(), predictions: Uint8Array.from([4, 4, 4, 4, 4, 4]) };
  b.confusion[4][4] = 6;
  const m = mergeEvaluations([a, b]);
  assert.equal(m.count, 8); close(m.loss, (2 + 1.2) / 8); close(m.accuracy, 7 / 8);
  assert.deepEqual([...m.predictions], [1, 2, 4, 4, 4, 4, 4, 4]);
  assert.equal(m.confusion[4][4], 6);
  assert.equal(mergeEvaluations([]).count, 0);
});

test('misclassified, countCorrect, argmax', () => {
  assert.deepEqual(misclassifiedIndices([1, 2, 3, 4], [1, 0, 3, 0]), [1, 3]);
  assert.deepEqual(misclassifiedIndices([1, 2, 3, 4], [0, 0, 0, 0], 2), [0, 1]);
  assert.equal(countCorrect([1, 2, 3], [1, 2, 0]), 2);
  assert.equal(argmax([0.1, 0.7, 0.2], 0, 3), 1);
  assert.equal(argmax(Float32Array.from([0, 0, 0, 0.9, 0.1, 0, 0, 0, 0, 0, 0.5, 0.5]), 10, 2), 0);
});

test('RateMeter measures samples per second over a window', () => {
  const r = new RateMeter(1000);
  r.reset(0);
  assert.equal(r.rate(0), 0);
  r.add(100, 500); r.add(100, 1000);
  close(r.rate(1000), 200);
  r.add(100, 1500); r.add(100, 2000);
  close(r.rate(2000), 200);
  r.reset(5000); r.add(50, 5500);
  close(r.rate(5500), 100);
});

test('etaSeconds', () => {
  assert.equal(etaSeconds(0, 10), 0);
  assert.equal(etaSeconds(100, 0), Infinity);
  assert.equal(etaSeconds(100, 50), 2);
});

test('ThinningSeries stays bounded, keeps the first and the latest point, and stays ordered', async () => {
  const { ThinningSeries } = await import('../../www/shared/metrics.js');
  const s = new ThinningSeries(100);
  for (let i = 0; i < 10000; i++) {
    s.push(i, i * 2);
    assert.ok(s.points.length <= 101, `length ${s.points.length} at ${i}`);
    assert.equal(s.points.at(-1).x, i);
  }
  assert.equal(s.points[0].x, 0);
  for (let k = 1; k < s.points.length; k++) assert.ok(s.points[k].x > s.points[k - 1].x);
  assert.ok(s.points.length > 40);
  s.clear();
  s.push(5, 1);
  assert.deepEqual(s.points, [{ x: 5, y: 1 }]);
});
