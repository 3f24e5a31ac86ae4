// IDX (MNIST file format) writer/validator and the deterministic split used by data.mjs.
// Pure functions on Uint8Arrays; unit-tested in tests/js/tools-idx.test.mjs.
//
// IDX: big-endian u32 magic, then one big-endian u32 per dimension, then the bytes.
//   images: magic 0x00000803, count, rows, cols, count*rows*cols pixels (0..255)
//   labels: magic 0x00000801, count, count labels (0..9 for MNIST)

import { gunzipSync, gzipSync } from 'node:zlib';
import { mulberry32 } from '../www/shared/batching.js';

export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;

/** Encode images (count*rows*cols bytes) as an IDX3 file. */
export function encodeImages(pixels, count, rows = 28, cols = 28) {
  if (pixels.length !== count * rows * cols) {
    throw new Error(`IDX: ${pixels.length} pixel bytes, expected ${count}*${rows}*${cols}`);
  }
  const out = new Uint8Array(16 + pixels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IMAGES_MAGIC);
  view.setUint32(4, count);
  view.setUint32(8, rows);
  view.setUint32(12, cols);
  out.set(pixels, 16);
  return out;
}

/** Encode labels as an IDX1 file. */
export function encodeLabels(labels) {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, LABELS_MAGIC);
  view.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}

/** True when the bytes start with the gzip magic 1f 8b. */
export const isGzip = (bytes) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Deterministic gzip (zlib level 9, mtime 0): same input, same bytes. */
export const gzip = (bytes) => new Uint8Array(gzipSync(bytes, { level: 9 }));

/**
 * Parse and validate an IDX file (raw or gzipped).
 * Returns { kind: 'images'|'labels', count, rows, cols, data }; throws "IDX: ..." naming the failed check.
 * Options: maxLabel (default 9) bounds label values.
 */
export function parseIdx(bytes, { maxLabel = 9 } = {}) {
  let raw = bytes;
  if (isGzip(raw)) {
    try {
      raw = new Uint8Array(gunzipSync(raw));
    } catch (err) {
      throw new Error(`IDX: corrupt gzip data (${err.message})`, { cause: err });
    }
  }
  if (raw.length < 8) throw new Error(`IDX: file too short (${raw.length} bytes)`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  const count = view.getUint32(4);
  if (magic === IMAGES_MAGIC) {
    if (raw.length < 16) throw new Error('IDX: image header truncated');
    const rows = view.getUint32(8);
    const cols = view.getUint32(12);
    const expected = 16 + count * rows * cols;
    if (raw.length !== expected) {
      throw new Error(`IDX: image file is ${raw.length} bytes, header says ${expected} (${count}x${rows}x${cols})`);
    }
    return { kind: 'images', count, rows, cols, data: raw.subarray(16) };
  }
  if (magic === LABELS_MAGIC) {
    if (raw.length !== 8 + count) throw new Error(`IDX: label file is ${raw.length} bytes, header says ${8 + count}`);
    const data = raw.subarray(8);
    const bad = data.findIndex((v) => v > maxLabel);
    if (bad >= 0) throw new Error(`IDX: label ${bad} is ${data[bad]}, outside 0..${maxLabel}`);
    return { kind: 'labels', count, rows: 0, cols: 0, data };
  }
  throw new Error(`IDX: bad magic 0x${magic.toString(16).padStart(8, '0')} (want 0x00000803 images or 0x00000801 labels)`);
}

/**
 * Validate an images/labels pair: matching counts, 28x28 images.
 * Returns the count; throws with the failed check named.
 */
export function checkPair(images, labels, name = 'set') {
  if (images.kind !== 'images') throw new Error(`${name}: images file holds ${images.kind}`);
  if (labels.kind !== 'labels') throw new Error(`${name}: labels file holds ${labels.kind}`);
  if (images.rows !== 28 || images.cols !== 28) throw new Error(`${name}: images are ${images.rows}x${images.cols}, want 28x28`);
  if (images.count !== labels.count) throw new Error(`${name}: ${images.count} images but ${labels.count} labels`);
  if (images.count === 0) throw new Error(`${name}: empty`);
  return images.count;
}

/** Float pixel in [0,1] to a byte (rounded, clamped). */
export const floatToByte = (v) => Math.max(0, Math.min(255, Math.round(v * 255)));

// The app's seeded PRNG, re-exported so the data tools and the app share one.
export { mulberry32 };

/** Fisher-Yates shuffle in place with the given rng; returns the array. */
export function shuffle(array, rng) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [array[i], array[j]] = [array[j], array[i]];
  }
  return array;
}

/**
 * Stratified, seeded train/test split of sample indices.
 * labels: array of class ids per sample. testCount: exact size of the test set; each class gets
 * its share by the largest-remainder rule. Both index lists come back shuffled (seeded).
 */
export function stratifiedSplit(labels, testCount, seed = 1) {
  const rng = mulberry32(seed);
  const byClass = new Map();
  labels.forEach((label, i) => {
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label).push(i);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const n = labels.length;
  if (testCount < 0 || testCount > n) throw new Error(`split: test size ${testCount} outside 0..${n}`);
  // Largest remainder: floor of each exact share, then +1 for the biggest fractional parts.
  const shares = classes.map((c) => {
    const exact = (byClass.get(c).length * testCount) / n;
    return { c, take: Math.floor(exact), frac: exact - Math.floor(exact) };
  });
  let left = testCount - shares.reduce((s, x) => s + x.take, 0);
  for (const s of [...shares].sort((a, b) => b.frac - a.frac || a.c - b.c)) {
    if (left-- <= 0) break;
    s.take += 1;
  }
  const train = [];
  const test = [];
  for (const { c, take } of shares) {
    const idx = shuffle([...byClass.get(c)], rng);
    test.push(...idx.slice(0, take));
    train.push(...idx.slice(take));
  }
  return { train: shuffle(train, rng), test: shuffle(test, rng) };
}
