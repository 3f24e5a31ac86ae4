// Batches gathered from a set, and the seeded hold-out of My digits. Pure (no DOM, no wasm);
// unit-tested. The training run's own order and splits come from the core (RunPlan, validationSize).

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

/** Fewest user digits from which some are held out to measure a fine-tune. */
export const HOLDOUT_MIN = 5;

/** How many of n user digits are held out for evaluation: ~20 %, at least 1 when n >= HOLDOUT_MIN. */
export function holdoutCount(n, fraction = 0.2) {
  if (n < HOLDOUT_MIN) return 0;
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
