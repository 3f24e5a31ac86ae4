// Metric math: EMA smoothing, confusion-matrix statistics, merging chunked evaluations,
// throughput and ETA. Pure (no DOM, no wasm); unit-tested.

export const NUM_CLASSES = 10;

/**
 * Exponential moving average with bias correction (like Adam's / TensorBoard's smoothing):
 * the first values are not dragged towards 0.
 */
export class Ema {
  constructor(smoothing = 0.9) {
    if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError('smoothing must be in [0, 1)');
    this.beta = smoothing;
    this.avg = 0;
    this.n = 0;
  }

  push(x) {
    if (!Number.isFinite(x)) return this.value;
    this.n++;
    this.avg = this.beta * this.avg + (1 - this.beta) * x;
    return this.value;
  }

  get value() {
    if (this.n === 0) return NaN;
    return this.avg / (1 - Math.pow(this.beta, this.n));
  }

  reset() {
    this.avg = 0;
    this.n = 0;
  }
}

/** Smoothed copy of a series. */
export function emaSeries(values, smoothing = 0.9) {
  const ema = new Ema(smoothing);
  return values.map((v) => ema.push(v));
}

/** Empty 10x10 confusion matrix. */
export function emptyConfusion(n = NUM_CLASSES) {
  return Array.from({ length: n }, () => new Array(n).fill(0));
}

/**
 * Statistics from a confusion matrix confusion[true][predicted].
 * Classes with no predictions get precision 0, classes with no samples get recall 0
 * (and F1 0); macroF1 averages over classes that occur in the data or the predictions.
 */
export function metricsFromConfusion(confusion) {
  const n = confusion.length;
  const support = new Array(n).fill(0);
  const predicted = new Array(n).fill(0);
  let correct = 0;
  let count = 0;
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) {
      const c = confusion[t][p];
      support[t] += c;
      predicted[p] += c;
      count += c;
      if (t === p) correct += c;
    }
  }
  const precision = [];
  const recall = [];
  const f1 = [];
  let f1Sum = 0;
  let f1Classes = 0;
  for (let k = 0; k < n; k++) {
    const tp = confusion[k][k];
    const pr = predicted[k] ? tp / predicted[k] : 0;
    const rc = support[k] ? tp / support[k] : 0;
    const f = pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0;
    precision.push(pr);
    recall.push(rc);
    f1.push(f);
    if (support[k] || predicted[k]) {
      f1Sum += f;
      f1Classes++;
    }
  }
  return {
    count,
    correct,
    accuracy: count ? correct / count : 0,
    precision,
    recall,
    f1,
    support,
    macroF1: f1Classes ? f1Sum / f1Classes : 0,
  };
}

/**
 * Merge evaluations of consecutive chunks (each { count, loss, confusion, predictions? })
 * into one evaluation over the whole set. Loss is averaged weighted by count.
 */
export function mergeEvaluations(parts) {
  const confusion = emptyConfusion(parts.length ? parts[0].confusion.length : NUM_CLASSES);
  let lossSum = 0;
  let total = 0;
  let predLength = 0;
  for (const part of parts) {
    for (let t = 0; t < confusion.length; t++) {
      for (let p = 0; p < confusion.length; p++) confusion[t][p] += part.confusion[t][p];
    }
    lossSum += part.loss * part.count;
    total += part.count;
    predLength += part.predictions ? part.predictions.length : 0;
  }
  const predictions = new Uint8Array(predLength);
  let off = 0;
  for (const part of parts) {
    if (part.predictions) {
      predictions.set(part.predictions, off);
      off += part.predictions.length;
    }
  }
  const stats = metricsFromConfusion(confusion);
  return { ...stats, count: total, loss: total ? lossSum / total : NaN, confusion, predictions };
}

/** Indices where prediction differs from the label. */
export function misclassifiedIndices(labels, predictions, limit = Infinity) {
  const out = [];
  const n = Math.min(labels.length, predictions.length);
  for (let i = 0; i < n && out.length < limit; i++) if (labels[i] !== predictions[i]) out.push(i);
  return out;
}

/** Number correct among a set of labels/predictions. */
export function countCorrect(labels, predictions) {
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) c++;
  return c;
}

/** Index of the largest value (the predicted class) in probs[offset .. offset+n). */
export function argmax(probs, offset = 0, n = NUM_CLASSES) {
  let best = 0;
  let bestV = -Infinity;
  for (let k = 0; k < n; k++) {
    if (probs[offset + k] > bestV) {
      bestV = probs[offset + k];
      best = k;
    }
  }
  return best;
}

/**
 * Throughput over a sliding time window (ms). `add(samples, now)` records work done;
 * `rate(now)` gives samples per second over the window. Paused time is excluded by
 * calling `reset()` on resume.
 */
export class RateMeter {
  constructor(windowMs = 3000) {
    this.windowMs = windowMs;
    this.events = [];
    this.start = null;
  }

  reset(now) {
    this.events = [];
    this.start = now ?? null;
  }

  add(samples, now) {
    if (this.start === null) this.start = now;
    this.events.push([now, samples]);
    const cutoff = now - this.windowMs;
    while (this.events.length > 1 && this.events[0][0] < cutoff) this.events.shift();
  }

  rate(now) {
    if (this.start === null || !this.events.length) return 0;
    // Time span: from the window start (or the first work) to now.
    const from = Math.max(this.start, now - this.windowMs);
    const span = (now - from) / 1000;
    let samples = 0;
    for (const [t, s] of this.events) if (t > from) samples += s; // an event at t covers work ending at t
    return span > 0 ? samples / span : 0;
  }
}

/** Seconds left for `remaining` units at `rate` units per second (Infinity when unknown). */
export function etaSeconds(remaining, rate) {
  if (remaining <= 0) return 0;
  if (!(rate > 0)) return Infinity;
  return remaining / rate;
}

/**
 * A chart series that stays small: points are appended with a stride, and when it grows past
 * `max` every other point is dropped and the stride doubles. The last point is always kept
 * current, so the line ends at the latest value. Pure; unit-tested.
 */
export class ThinningSeries {
  constructor(max = 1000) {
    this.max = Math.max(4, max);
    this.points = [];
    this.stride = 1;
    this.seen = 0;
    this.tailPending = false;
  }

  push(x, y) {
    const take = this.seen % this.stride === 0;
    this.seen++;
    if (this.tailPending) this.points.pop();
    this.points.push({ x, y });
    this.tailPending = !take; // an off-stride point is only a provisional tail
    if (this.points.length > this.max) {
      const last = this.points[this.points.length - 1];
      const body = this.tailPending ? this.points.slice(0, -1) : this.points;
      this.points = body.filter((_, i) => i % 2 === 0);
      if (this.tailPending || this.points[this.points.length - 1] !== last) {
        this.points.push(last);
        this.tailPending = true;
      }
      this.stride *= 2;
    }
  }

  clear() {
    this.points = [];
    this.stride = 1;
    this.seen = 0;
    this.tailPending = false;
  }
}
