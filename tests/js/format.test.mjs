import test from 'node:test';
import assert from 'node:assert/strict';
import { formatInt, formatPercent, formatEta, formatRate, formatBytes, formatLearningRate, formatCount, datasetStatusText } from '../../www/app/format.js';

test('formatEta', () => {
  assert.equal(formatEta(Infinity), '—');
  assert.equal(formatEta(NaN), '—');
  assert.equal(formatEta(-1), '—');
  assert.equal(formatEta(0.2), '<1 s');
  assert.equal(formatEta(42.4), '42 s');
  assert.equal(formatEta(187), '3:07');
  assert.equal(formatEta(3723), '1:02:03');
  assert.equal(formatEta(59.6), '1:00');
});

test('numbers and percentages', () => {
  assert.equal(formatInt(55000), '55,000');
  assert.equal(formatInt(NaN), '—');
  assert.equal(formatPercent(0.97123), '97.12 %');
  assert.equal(formatPercent(1, 1), '100.0 %');
  assert.equal(formatPercent(undefined), '—');
  assert.equal(formatRate(1234.4), '1,234 samples/s');
  assert.equal(formatRate(12.345), '12.3 samples/s');
  assert.equal(formatRate(0), '— samples/s');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(9912422), '9.9 MB');
  assert.equal(formatLearningRate(0.001), '1e-3');
  assert.equal(formatLearningRate(0.0005), '5e-4');
  assert.equal(formatLearningRate(0.05), '0.05');
  assert.equal(formatCount(1234567), '1.23 M');
  assert.equal(formatCount(45678), '45.7 k');
  assert.equal(formatCount(12), '12');
});

test('dataset status line', () => {
  assert.equal(datasetStatusText({ train: 55000, validation: 5000, test: 10000 }), 'MNIST loaded: 55,000 train · 5,000 validation · 10,000 test');
});
