// The missing-feature notice (www/shared/features.js): it names what is missing, what it costs and
// what still works, and says nothing when all is there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURES, missingFeaturesMessage } from '../../www/shared/features.js';

const all = Object.fromEntries(FEATURES.map((f) => [f.id, true]));

test('no message when every feature is present', () => {
  assert.equal(missingFeaturesMessage(all), null);
});

test('one missing feature: its name, its cost and what still works', () => {
  const m = missingFeaturesMessage({ ...all, indexedDB: false });
  assert.match(m, /^This browser lacks IndexedDB: /);
  assert.match(m, /not kept when the page closes/);
  assert.match(m, /everything else works/);
  const d = missingFeaturesMessage({ ...all, decompression: false });
  assert.match(d, /DecompressionStream/);
  assert.match(d, /pretrained CNN still loads/);
});

test('several missing features are all named, in order', () => {
  const m = missingFeaturesMessage({ ...all, moduleWorkers: false, indexedDB: false });
  assert.ok(m.indexOf('module workers') < m.indexOf('IndexedDB'));
  assert.match(m, /It also lacks IndexedDB/);
});
