// Training batches for the bench's peers: deterministic pseudo-random pixels and labels, the same for
// every peer. A step's cost does not depend on the pixel values, so no dataset is needed.

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function seededUniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` batches of `batch` images (Float32Array, B·784 values in [0, 1]) and labels (Int32Array). */
export function peerBatches(batch, count = 4, seed = 7) {
  const next = seededUniform(seed);
  return Array.from({ length: count }, () => ({
    images: Float32Array.from({ length: batch * 784 }, () => next()),
    labels: Int32Array.from({ length: batch }, () => Math.floor(next() * 10)),
  }));
}

/** One-hot rows (B·10 values) of labels 0..9. */
export function oneHot(labels) {
  const rows = new Float32Array(labels.length * 10);
  labels.forEach((label, i) => {
    rows[i * 10 + label] = 1;
  });
  return rows;
}

/**
 * The cnn's initial weights: Glorot-uniform (Keras's default) from a seeded generator and zero biases,
 * flat, in Keras's layouts: conv kernels (3, 3, Ci, Co), dense kernels (In, Out). 93,322 values.
 */
export function cnnWeights(seed) {
  const next = seededUniform(seed);
  const glorot = (n, fanIn, fanOut) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: n }, () => (2 * next() - 1) * limit);
  };
  const conv = (ci, co) => glorot(9 * ci * co, 9 * ci, 9 * co);
  return {
    c1: conv(1, 32), b1: new Float32Array(32),
    c2: conv(32, 64), b2: new Float32Array(64),
    c3: conv(64, 64), b3: new Float32Array(64),
    f1: glorot(576 * 64, 576, 64), g1: new Float32Array(64),
    f2: glorot(64 * 10, 64, 10), g2: new Float32Array(10),
  };
}

/** The shapes of cnnWeights' tensors. */
export const CNN_SHAPES = {
  c1: [3, 3, 1, 32], b1: [32],
  c2: [3, 3, 32, 64], b2: [64],
  c3: [3, 3, 64, 64], b3: [64],
  f1: [576, 64], g1: [64],
  f2: [64, 10], g2: [10],
};
