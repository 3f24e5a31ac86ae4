// Index math for batching, shuffling and data splits. Pure (no DOM, no wasm); unit-tested.

export const IMAGE_BYTES = 784; // 28 x 28

/** Small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randInt(rng, n) {
  return Math.floor(rng() * n);
}

/** A Fisher-Yates shuffled permutation of 0..n-1. */
export function permutation(n, rng) {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Number of batches for n samples (the last one may be partial). */
export function batchCount(n, batchSize) {
  if (!(batchSize >= 1)) throw new RangeError('batch size must be >= 1');
  return n <= 0 ? 0 : Math.ceil(n / batchSize);
}

/** [start, end) positions of batch b. */
export function batchRange(b, n, batchSize) {
  const start = b * batchSize;
  return [start, Math.min(n, start + batchSize)];
}

/**
 * Copy the samples `order[start..end)` (indices into images/labels) into the output buffers.
 * `images` is N*784 bytes, `labels` N bytes. Returns the number of samples copied.
 * Images are read at `offset + index` so a split can be a view into a larger set.
 */
export function gatherBatch(images, labels, order, start, end, outImages, outLabels, offset = 0) {
  const count = end - start;
  for (let k = 0; k < count; k++) {
    const i = order[start + k] + offset;
    outImages.set(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), k * IMAGE_BYTES);
    outLabels[k] = labels[i];
  }
  return count;
}

/**
 * Size of the validation split taken from the end of the training set:
 * the requested size (default 5000), but at most 10 % of the set.
 */
export function validationSizeFor(trainCount, requested = 5000) {
  const want = Number.isFinite(requested) && requested >= 0 ? Math.floor(requested) : 5000;
  return Math.max(0, Math.min(want, Math.floor(trainCount * 0.1)));
}

/** Train / validation counts for a training set of `trainCount` images. */
export function splitTrainValidation(trainCount, requested = 5000) {
  const validation = validationSizeFor(trainCount, requested);
  return { train: trainCount - validation, validation };
}

/** How many of n user digits are held out for evaluation: ~20 %, at least 1 when n >= 5. */
export function holdoutCount(n, fraction = 0.2) {
  if (n < 5) return 0;
  return Math.max(1, Math.round(n * fraction));
}

/**
 * Deterministic hold-out split of n items (indices). Items are chosen by a seeded shuffle,
 * so the same collection always gives the same split.
 */
export function holdoutSplit(n, seed = 1234, fraction = 0.2) {
  const k = holdoutCount(n, fraction);
  const p = permutation(n, mulberry32(seed));
  const holdout = Array.from(p.subarray(0, k)).sort((a, b) => a - b);
  const train = Array.from(p.subarray(k)).sort((a, b) => a - b);
  return { train, holdout };
}

/**
 * Fine-tuning sampler: each batch is about half user digits and half replayed MNIST
 * training digits (all user digits when no MNIST is available). User digits are cycled
 * through in shuffled order, so every one is seen before any repeats.
 */
export class MixedSampler {
  constructor(userIndices, mnistCount, batchSize, rng) {
    if (!userIndices.length) throw new RangeError('no user digits to fine-tune on');
    this.user = Array.from(userIndices);
    this.mnistCount = mnistCount;
    this.batchSize = Math.max(2, batchSize | 0);
    this.rng = rng;
    this.order = [];
    this.pos = 0;
  }

  /** Split of one batch: how many user and how many MNIST samples. */
  get userPerBatch() {
    return this.mnistCount > 0 ? Math.ceil(this.batchSize / 2) : this.batchSize;
  }

  nextUser() {
    if (this.pos >= this.order.length) {
      const p = permutation(this.user.length, this.rng);
      this.order = Array.from(p, (i) => this.user[i]);
      this.pos = 0;
    }
    return this.order[this.pos++];
  }

  /** { user: indices into the user set, mnist: indices into the MNIST train split } */
  next() {
    const nUser = this.userPerBatch;
    const user = [];
    for (let i = 0; i < nUser; i++) user.push(this.nextUser());
    const mnist = [];
    if (this.mnistCount > 0) {
      for (let i = 0; i < this.batchSize - nUser; i++) mnist.push(randInt(this.rng, this.mnistCount));
    }
    return { user, mnist };
  }
}
