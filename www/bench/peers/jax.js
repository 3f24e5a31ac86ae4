// jax-js's training of Inkling's `cnn`, for the bench's peer figures.
//
// The network is written with jax-js's NumPy/lax API on its wasm backend (kernels generated per
// program, spread over one Web Worker per hardware thread when the page is cross-origin isolated).
// A whole step is one jit-compiled function: valueAndGrad of the loss (forward and gradients) and
// Adam's update of every weight, written out with array ops (jax-js's optimizers are a separate
// package, @jax-js/optax). Three ways of writing the 3x3 valid convolutions, all from the same
// initial weights (so their losses agree to float rounding):
//  - 'shift' (the fastest here, so 'best'): NHWC; a conv is the sum over the nine kernel taps (i, j)
//    of np.dot(x[:, i:i+Ho, j:j+Wo, :], W[i, j]), products of strided views that jax-js's wasm code
//    generator runs as SIMD matrix kernels; their gradients are products of the same kind.
//  - 'im2col': NHWC; the nine views concatenated into a (B·Ho·Wo, 9·Ci) patch matrix and one np.dot.
//    The single product is faster, but jax-js builds a concatenation as a sum of padded copies
//    (every element evaluates all nine), which costs more than the product saves.
//  - 'conv': NCHW with lax.convGeneralDilated and lax.reduceWindow(np.max): jax-js's own
//    convolution, whose reductions (NCHW outputs over a patch buffer) its wasm code generator does
//    not tile, tens of times slower per multiply-add.
// Max-pooling in NHWC is a reshape to 2x2 windows and a max over them.

import { blockUntilReady, defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { cnnWeights as initialWeights, oneHot, peerBatches } from './batches.js';

const VERSION = '0.1.25'; // the installed @jax-js/jax (package.json pins it)
const LR = 1e-3;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8; // Inkling's Adam is candle-nn's AdamW arithmetic (its defaults, no decay)
const BATCHES = 4; // distinct input batches, cycled

// ---- NHWC ('shift', 'im2col'): conv kernels as (9·Ci, Co) matrices, rows in (i, j, ci) order ----

/** The nine shifted views x[:, i:i+Ho, j:j+Wo, :] of x (B, H, W, C), in (i, j) order; consumes x. */
function shifts(x) {
  const [Ho, Wo] = [x.shape[1] - 2, x.shape[2] - 2];
  const views = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) views.push(x.ref.slice([], [i, i + Ho], [j, j + Wo], []));
  x.dispose();
  return views;
}

/** relu(conv3x3(x) + b), valid, as a sum of nine matrix products: x (B, H, W, Ci), w (9·Ci, Co), b (Co). */
function convShift(x, w, b) {
  const [ci, co] = [x.shape[3], w.shape[1]];
  const w9 = w.reshape([9, ci, co]);
  // With one input channel each product is a broadcast multiply (no reduction to speak of).
  const term = ci === 1 ? (v, s) => v.mul(w9.ref.slice(s)) : (v, s) => np.dot(v, w9.ref.slice(s));
  const acc = shifts(x).map(term).reduce((a, t) => a.add(t));
  w9.dispose();
  return nn.relu(acc.add(b));
}

/** relu(conv3x3(x) + b), valid, as one matrix product of the (B·Ho·Wo, 9·Ci) patch matrix. */
function convIm2col(x, w, b) {
  const [B, H, W, C] = x.shape;
  const [Ho, Wo, Co] = [H - 2, W - 2, w.shape[1]];
  const patches = np.concatenate(shifts(x), -1).reshape([B * Ho * Wo, 9 * C]);
  return nn.relu(np.dot(patches, w).add(b)).reshape([B, Ho, Wo, Co]);
}

/** 2x2 max-pool, stride 2, of x (B, H, W, C); an odd last row and column are dropped. */
function poolNhwc(x) {
  const [B, H, W, C] = x.shape;
  const [Hp, Wp] = [H >> 1, W >> 1];
  if (H !== 2 * Hp || W !== 2 * Wp) x = x.slice([], [0, 2 * Hp], [0, 2 * Wp], []);
  return x.reshape([B, Hp, 2, Wp, 2, C]).max([2, 4]);
}

/** The forward pass, logits (B, 10) of images (B, 28, 28, 1), with `conv` for the convolutions. */
const forwardNhwc = (conv) => (p, x) => {
  let h = poolNhwc(conv(x, p.c1, p.b1)); // (B, 13, 13, 32)
  h = poolNhwc(conv(h, p.c2, p.b2)); // (B, 5, 5, 64)
  h = conv(h, p.c3, p.b3); // (B, 3, 3, 64)
  h = nn.relu(np.dot(h.reshape([-1, 576]), p.f1).add(p.g1)); // (B, 64)
  return np.dot(h, p.f2).add(p.g2);
};

/** The NHWC variants' parameters: conv kernels as (9·Ci, Co) matrices. */
function paramsNhwc(w) {
  const a = (data, shape) => np.array(data).reshape(shape);
  return {
    c1: a(w.c1, [9, 32]), b1: a(w.b1, [32]),
    c2: a(w.c2, [288, 64]), b2: a(w.b2, [64]),
    c3: a(w.c3, [576, 64]), b3: a(w.b3, [64]),
    f1: a(w.f1, [576, 64]), g1: a(w.g1, [64]),
    f2: a(w.f2, [64, 10]), g2: a(w.g2, [10]),
  };
}

// ---- 'conv': NCHW, lax.convGeneralDilated ----

/** relu(conv3x3(x) + b), valid: x (B, Ci, H, W), w (Co, Ci, 3, 3), b (Co). */
function convLax(x, w, b) {
  const co = w.shape[0];
  return nn.relu(lax.convGeneralDilated(x, w, [1, 1], 'VALID').add(b.reshape([co, 1, 1])));
}

const poolNchw = (x) => lax.reduceWindow(x, np.max, [2, 2], [2, 2]);

/** Logits (B, 10) of images (B, 28, 28, 1). */
function forwardConv(p, x) {
  let h = poolNchw(convLax(x.reshape([-1, 1, 28, 28]), p.c1, p.b1)); // (B, 32, 13, 13)
  h = poolNchw(convLax(h, p.c2, p.b2)); // (B, 64, 5, 5)
  h = convLax(h, p.c3, p.b3); // (B, 64, 3, 3)
  h = nn.relu(np.dot(h.reshape([-1, 576]), p.f1).add(p.g1)); // (B, 64), flattened in (c, y, x) order
  return np.dot(h, p.f2).add(p.g2);
}

/** The conv variant's parameters: the same values as the NHWC variants', in OIHW and (c, y, x)-flatten order. */
function paramsConv(w) {
  const oihw = (data, ci, co) => np.array(data).reshape([3, 3, ci, co]).transpose([3, 2, 0, 1]);
  const a = (data, shape) => np.array(data).reshape(shape);
  return {
    c1: oihw(w.c1, 1, 32), b1: a(w.b1, [32]),
    c2: oihw(w.c2, 32, 64), b2: a(w.b2, [64]),
    c3: oihw(w.c3, 64, 64), b3: a(w.b3, [64]),
    // rows (y, x, c) -> (c, y, x), as the NCHW flatten
    f1: np.array(w.f1).reshape([3, 3, 64, 64]).transpose([2, 0, 1, 3]).reshape([576, 64]), g1: a(w.g1, [64]),
    f2: a(w.f2, [64, 10]), g2: a(w.g2, [10]),
  };
}

const VARIANTS = {
  shift: { forward: forwardNhwc(convShift), params: paramsNhwc, label: 'NHWC, 3x3 conv as a sum of 9 np.dot of shifted slices' },
  im2col: { forward: forwardNhwc(convIm2col), params: paramsNhwc, label: 'NHWC, 3x3 conv as one np.dot of an im2col matrix (9 slices concatenated)' },
  conv: { forward: forwardConv, params: paramsConv, label: 'NCHW, lax.convGeneralDilated + lax.reduceWindow' },
};
const BEST = 'shift';

// ---- training ----

/** The jit-compiled step (params, m, v, scaleM, scaleV, x, y) -> [params, m, v, loss] for `forward`. */
function makeStep(forward) {
  // Mean softmax cross-entropy of one-hot labels y (B, 10).
  const loss = (p, x, y) => {
    const logp = nn.logSoftmax(forward(p, x), -1);
    return logp.mul(y).sum().mul(-1 / x.shape[0]);
  };
  // Adam as candle-nn computes it: w -= lr·m̂ / (sqrt(v̂) + ε), m̂ = m·scaleM, v̂ = v·scaleV, where
  // scaleM = 1 / (1 - β1^t) and scaleV = 1 / (1 - β2^t) are scalars, so the program compiles once.
  return jit((p, m, v, scaleM, scaleV, x, y) => {
    const [value, g] = valueAndGrad(loss)(tree.ref(p), x, y);
    const p2 = {};
    const m2 = {};
    const v2 = {};
    for (const k of Object.keys(p)) {
      const gk = g[k];
      m2[k] = m[k].mul(BETA1).add(gk.ref.mul(1 - BETA1));
      v2[k] = v[k].mul(BETA2).add(np.square(gk).mul(1 - BETA2));
      const delta = m2[k].ref.mul(scaleM.ref).div(np.sqrt(v2[k].ref.mul(scaleV.ref)).add(EPSILON));
      p2[k] = p[k].sub(delta.mul(LR));
    }
    scaleM.dispose();
    scaleV.dispose();
    return [p2, m2, v2, value];
  });
}

/**
 * A trainer of the `variant` network on `count` cycled batches of `batch` images: step() runs one
 * training step and resolves with its loss once the step's new weights and Adam moments are computed
 * and the loss is read back.
 */
async function trainer(variant, batch, count) {
  const devices = await init('wasm');
  if (!devices.includes('wasm')) throw new Error('jax-js: the wasm backend did not start');
  defaultDevice('wasm');
  const { forward, params } = VARIANTS[variant];
  let p = params(initialWeights(1));
  let m = tree.map((w) => np.zerosLike(w), tree.ref(p));
  let v = tree.map((w) => np.zerosLike(w), tree.ref(p));
  const data = peerBatches(batch, count).map(({ images, labels }) => ({
    x: np.array(images).reshape([batch, 28, 28, 1]),
    y: np.array(oneHot(labels)).reshape([batch, 10]),
  }));
  const size = Object.values(p).reduce((n, w) => n + w.size, 0);
  await blockUntilReady([p, m, v, data]);
  const update = makeStep(forward);
  let t = 0;
  const step = async () => {
    t++;
    const { x, y } = data[(t - 1) % count];
    let loss;
    [p, m, v, loss] = update(p, m, v, np.array(1 / (1 - BETA1 ** t)), np.array(1 / (1 - BETA2 ** t)), x.ref, y.ref);
    await blockUntilReady([p, m, v]);
    return (await loss.data())[0];
  };
  const dispose = () => {
    tree.dispose([p, m, v, data]);
    update.dispose();
  };
  return { step, dispose, size };
}

/**
 * jax-js's training of Inkling's cnn in this page: samples/s over `seconds`, after an untimed warm-up
 * of at least `warmupSteps` steps and `warmupMs` (the first step compiles the program).
 * `variant`: 'shift', 'im2col', 'conv' (lax.convGeneralDilated), or 'best' (the fastest measured).
 */
export async function jaxCnn({ batch = 64, seconds = 5, warmupSteps = 2, warmupMs = 1000, variant = 'best' } = {}) {
  const name = variant === 'best' ? BEST : variant;
  if (!Object.hasOwn(VARIANTS, name)) throw new Error(`jax-js peer: unknown variant ${variant}`);
  const { step, dispose, size } = await trainer(name, batch, BATCHES);
  try {
    const w0 = performance.now();
    const firstLoss = await step();
    for (let i = 1; i < warmupSteps || performance.now() - w0 < warmupMs; i++) await step();
    const t0 = performance.now();
    let steps = 0;
    let lastLoss;
    while (steps < 3 || performance.now() - t0 < seconds * 1000) {
      lastLoss = await step();
      steps++;
    }
    const ms = performance.now() - t0;
    // jax-js's wasm backend starts one worker per hardware thread when SharedArrayBuffer is usable.
    const threads = globalThis.crossOriginIsolated ? navigator.hardwareConcurrency || 4 : 1;
    return { peer: 'jax-js', version: VERSION, backend: 'wasm', variant: `${name}: ${VARIANTS[name].label}`, threads, params: size, batch, steps, ms, samplesPerSec: (steps * batch) / (ms / 1000), firstLoss, lastLoss };
  } finally {
    dispose();
  }
}
