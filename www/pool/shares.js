// How the pool cuts work into shares and puts the answers back together: the number of workers,
// contiguous ranges of a batch (one per worker) or of a split (chunks streamed to the workers), the
// batch gradient from the shards' gradients, and the probabilities of the parts in order.
// Pure functions on arrays: no worker, no wasm.

import { IMAGE_BYTES } from '../shared/batching.js';

/** Most workers used (coordinator included); more gives little at these batch sizes. */
export const MAX_WORKERS = 8;

/**
 * Device memory (GiB, as `navigator.deviceMemory` reports it) per worker of the default pool. Each
 * worker holds its own model, optimiser state and activations; the largest settings (cnn-large at
 * batch 256) peak near half a GiB of wasm memory in one worker, so a phone that reports 1 GiB or
 * less trains on one worker rather than running out of memory.
 */
export const GIB_PER_WORKER = 1;

/**
 * The cores to plan for from what `navigator` reports. WebKit reports a privacy bucket instead of
 * its core count (4 for fewer than 8 cores, 8 for 8 or more), so a 2-core machine would get twice
 * the workers it can run; there half the bucket is used, a count every device in it has. WebKit is
 * told by its user agent (AppleWebKit without Chrome's or Chromium's token), the one mark a
 * worker's navigator also carries; every browser on iOS is WebKit.
 */
export function coresOf(navigator) {
  const reported = navigator?.hardwareConcurrency;
  const agent = navigator?.userAgent ?? '';
  const bucketed = /AppleWebKit\//.test(agent) && !/(Chrome|Chromium|HeadlessChrome)\//.test(agent);
  return bucketed && Number.isInteger(reported) ? Math.max(1, reported / 2) : reported;
}

/**
 * Workers to use: `requested` when given (1..MAX_WORKERS), else one per logical core, and no more
 * than one per GIB_PER_WORKER of `deviceMemory` where the browser reports it.
 */
export function workerCount(hardwareConcurrency, requested, deviceMemory) {
  const byMemory = Number.isFinite(deviceMemory) && deviceMemory > 0 ? Math.floor(deviceMemory / GIB_PER_WORKER) : Infinity;
  const want = Number.isInteger(requested) && requested > 0 ? requested : Math.min(hardwareConcurrency, byMemory);
  return Math.max(1, Math.min(MAX_WORKERS, Number.isInteger(want) ? want : 1));
}

/** `count` items cut into consecutive [start, end) ranges of `size` (the last may be shorter). */
export function chunkRanges(count, size) {
  if (!Number.isInteger(count) || count < 0) throw new Error(`cannot cut ${count} images into chunks`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunk size must be a positive integer, not ${size}`);
  const out = [];
  for (let s = 0; s < count; s += size) out.push([s, Math.min(count, s + size)]);
  return out;
}

/**
 * Splits `count` items into at most `parts` contiguous [start, end) ranges whose sizes differ by at
 * most one (larger ones first), none smaller than `minSize` unless there is only one.
 */
export function splitRanges(count, parts, minSize = 1) {
  const k = Math.max(1, Math.min(parts, Math.floor(count / Math.max(1, minSize)) || 1));
  const base = Math.floor(count / k);
  const extra = count % k;
  const out = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

/**
 * The batch gradient from shard gradients ({ loss, correct, count, values }): their average weighted
 * by count, the mean loss and the accuracy. A shard without values (its loss was not finite) makes
 * the loss NaN and `values` null: the step must then be refused.
 */
export function combineGradients(parts) {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const correct = parts.reduce((s, p) => s + p.correct, 0);
  const loss = parts.reduce((s, p) => s + p.loss * p.count, 0) / count;
  const accuracy = correct / count;
  if (!Number.isFinite(loss) || parts.some((p) => !p.values || !p.values.length)) return { values: null, loss: NaN, accuracy, count };
  const len = parts[0].values.length;
  if (parts.some((p) => p.values.length !== len)) throw new Error('shard gradients have different lengths');
  const values = new Float32Array(len);
  for (const p of parts) {
    const w = p.count / count;
    const v = p.values;
    for (let i = 0; i < len; i++) values[i] += w * v[i];
  }
  return { values, loss, accuracy, count };
}

/** Images [s, e) of `data` ({ images, labels? }): copies for a helper (they are transferred), views here. */
export function shareOf(data, [s, e], copy) {
  const cut = (a, from, to) => (copy ? a.slice(from, to) : a.subarray(from, to));
  const out = { images: cut(data.images, s * IMAGE_BYTES, e * IMAGE_BYTES) };
  if (data.labels) out.labels = cut(data.labels, s, e);
  return out;
}

/** The parts' probabilities (Float32Arrays) one after another, in one array. */
export function concat(parts) {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
