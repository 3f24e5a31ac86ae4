// TensorFlow.js's training of Inkling's `cnn`, for the bench's peer figures (`npm run bench -- --peers`).
//
// The network is written with TF.js's op API on its wasm backend (XNNPACK, SIMD, optionally threads):
// tf.conv2d / tf.maxPool / tf.relu / tf.matMul on tf.variable weights, tf.losses.softmaxCrossEntropy and
// tf.train.adam(1e-3) through optimizer.minimize, one whole step per batch (forward, gradients, Adam).
// The wasm backend has no Conv2DBackpropFilter kernel, so each convolution is a tf.customGrad whose
// filter gradient is itself a tf.conv2d (input channels as the batch, the output gradient as the
// filter: the standard identity) and whose input gradient is tf.conv2dTranspose, both on wasm kernels.
// The Layers API is not used: its model.fit/trainOnBatch runs the same kernels with more bookkeeping.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { CNN_SHAPES, cnnWeights, peerBatches } from './batches.js';

/** x (B, H, W, Ci) ⊛ w (3, 3, Ci, Co), valid, stride 1, with gradients the wasm backend can run. */
const conv = tf.customGrad((x, w, save) => {
  save([x, w]);
  return {
    value: tf.conv2d(x, w, 1, 'valid'),
    gradFunc: (dy, [sx, sw]) => {
      const dx = tf.conv2dTranspose(dy, sw, sx.shape, 1, 'valid');
      // dW[i, j, ci, co] = Σ_b,y,x X[b, y+i, x+j, ci] · dY[b, y, x, co]: a valid conv of X with the
      // channels as the batch, (Ci, H, W, B), by dY as the filter, (Ho, Wo, B, Co) -> (Ci, 3, 3, Co).
      const dw = tf.transpose(tf.conv2d(tf.transpose(sx, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid'), [1, 2, 0, 3]);
      return [dx, dw];
    },
  };
});

/** The cnn's seeded initial weights (the same as every peer's) as TF.js variables. */
function weights(seed) {
  return Object.fromEntries(Object.entries(cnnWeights(seed)).map(([name, values]) => [name, tf.variable(tf.tensor(values, CNN_SHAPES[name]))]));
}

/** Logits (B, 10) of images (B, 28, 28, 1). */
function forward(p, x) {
  let h = tf.maxPool(tf.relu(tf.add(conv(x, p.c1), p.b1)), 2, 2, 'valid'); // (B, 13, 13, 32)
  h = tf.maxPool(tf.relu(tf.add(conv(h, p.c2), p.b2)), 2, 2, 'valid'); // (B, 5, 5, 64)
  h = tf.relu(tf.add(conv(h, p.c3), p.b3)); // (B, 3, 3, 64)
  h = tf.reshape(h, [-1, 576]); // (B, 576)
  h = tf.relu(tf.add(tf.matMul(h, p.f1), p.g1)); // (B, 64)
  return tf.add(tf.matMul(h, p.f2), p.g2); // (B, 10)
}

/** Starts TF.js's wasm backend with `threads` threads (1: the single-threaded SIMD build). */
async function start(threads) {
  setWasmPaths({ 'tfjs-backend-wasm.wasm': plainUrl, 'tfjs-backend-wasm-simd.wasm': simdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': threadedUrl });
  setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend did not start');
  await tf.ready();
}

/**
 * TF.js's training of Inkling's cnn in this page: samples/s over `seconds`, after an untimed warm-up of
 * at least `warmupSteps` steps and `warmupMs`. Each step ends by reading its loss back, so it is done.
 * TF.js's backend is global: one call per page load.
 */
export async function tfjsCnn({ batch = 64, seconds = 5, threads = 1, warmupSteps = 2, warmupMs = 1000 } = {}) {
  await start(threads);
  const p = weights(1);
  const params = Object.values(p).reduce((n, v) => n + v.size, 0);
  const optimizer = tf.train.adam(1e-3);
  const data = peerBatches(batch).map(({ images, labels }) => ({
    x: tf.tensor4d(images, [batch, 28, 28, 1]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10),
  }));
  let step = 0;
  const trainStep = () => {
    const { x, y } = data[step++ % data.length];
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(p, x)), true);
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
  const w0 = performance.now();
  const firstLoss = trainStep();
  for (let i = 1; i < warmupSteps || performance.now() - w0 < warmupMs; i++) trainStep();
  const t0 = performance.now();
  let steps = 0;
  let lastLoss;
  while (steps < 3 || performance.now() - t0 < seconds * 1000) {
    lastLoss = trainStep();
    steps++;
  }
  const ms = performance.now() - t0;
  const threadsUsed = getThreadsCount();
  return { peer: 'tensorflow.js', version: tf.version_core, backend: `wasm (${threadsUsed === threads ? '' : `asked for ${threads}, `}${threadsUsed} thread${threadsUsed === 1 ? '' : 's'})`, threadsAsked: threads, variant: 'op API, conv filter gradient as a conv2d', threads: threadsUsed, params, batch, steps, ms, samplesPerSec: (steps * batch) / (ms / 1000), firstLoss, lastLoss };
}
