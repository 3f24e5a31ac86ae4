// The soak run itself (`npm run soak`), the same in Node (tools/soak.mjs) and in a browser's bench
// worker (bench-worker.js, `npm run soak -- --browser firefox`): train the app's run for some epochs
// on one Trainer, read the wasm memory after each, then predict single images and read it again.
// What the readings mean and why the tolerance is what it is: tools/soak.mjs.

import { IMAGE_BYTES } from '../shared/batching.js';
import { driveRun } from '../engine/training-run.js';

const EVAL_CHUNK = 500; // as in www/engine/worker.js

/**
 * The verdict from the memory series (pure; unit-testable).
 * epochs: bytes after each epoch (>= 1 entries); afterPredictions: bytes after the predictions.
 */
export function verdict({ epochs, afterPredictions, toleranceBytes }) {
  const base = epochs[0];
  const later = epochs.slice(1);
  const maxLater = later.length ? Math.max(...later) : base;
  const trainingGrowth = maxLater - base;
  const predictionGrowth = afterPredictions === undefined ? 0 : afterPredictions - base;
  const ok = trainingGrowth <= toleranceBytes && predictionGrowth <= toleranceBytes;
  return { base, maxLater, trainingGrowth, predictionGrowth, ok };
}

/**
 * Heap bytes the Rust allocator could hand out right now without growing memory, found by
 * allocating 4 KiB blocks through the wasm-bindgen exports (__wbindgen_malloc/free) until memory
 * grows, then freeing them all. Returns { free, grewBy } (grewBy: the page(s) the probe itself
 * added, which the caller subtracts from later readings). Free fragments under 4 KiB are not seen.
 */
export function probeFreeHeap(wasm, chunk = 4096) {
  const before = wasm.memory.buffer.byteLength;
  const ptrs = [];
  let free = 0;
  while (ptrs.length < 1 << 20) {
    ptrs.push(wasm.__wbindgen_malloc(chunk, 8));
    if (wasm.memory.buffer.byteLength !== before) break;
    free += chunk;
  }
  for (const p of ptrs) wasm.__wbindgen_free(p, chunk, 8);
  return { free, grewBy: wasm.memory.buffer.byteLength - before };
}

/**
 * Runs the soak on `wasm` (the init() exports) with the package's `Trainer` and `RunPlan`, over
 * `data` ({ images, labels, trainCount, testImages, testLabels, testCount }: the validation split
 * follows the training split in `images`; without one, the evaluations take the test set). `options`: { model, batch, epochs, epochSize, evalN, predictions,
 * injectLeak }; `onEpoch(record)` sees each epoch's reading as it is taken. Resolves to
 * { canProbe, afterInit, afterTrainer, perEpoch, series, beforePredictions, afterPredictions,
 * inUseAfterPredictions, predMs }; memory figures exclude what the heap probes themselves added.
 */
export async function soak({ wasm, Trainer, RunPlan }, data, options, onEpoch = () => {}) {
  const { model, batch, epochs, epochSize, evalN, predictions, injectLeak } = options;
  let probeGrowth = 0;
  const mem = () => wasm.memory.buffer.byteLength - probeGrowth;
  const canProbe = typeof wasm.__wbindgen_malloc === 'function' && typeof wasm.__wbindgen_free === 'function';
  /** { bytes: wasm memory (probe pages excluded), inUse: bytes minus the allocator's free space } */
  const measure = () => {
    const bytes = mem();
    const raw = wasm.memory.buffer.byteLength;
    const { free, grewBy } = canProbe ? probeFreeHeap(wasm) : { free: 0, grewBy: 0 };
    probeGrowth += grewBy;
    return { bytes, inUse: raw - free };
  };
  const now = () => performance.now();
  const afterInit = mem();
  const trainer = new Trainer({ model, seed: 1, batchSize: batch });
  const afterTrainer = mem();
  // The app's run (the core's plan, walked by the app's driver) over the first epochSize images.
  const plan = new RunPlan({ model, seed: 1, batchSize: batch, epochs }, epochSize);
  const perEpoch = plan.batchesPerEpoch;
  const series = [];
  const leaked = [];
  const held = data.labels.length > data.trainCount
    ? { images: data.images, labels: data.labels, from: data.trainCount }
    : { images: data.testImages, labels: data.testLabels, from: 0 };
  let te = now();
  let loss = 0;
  try {
    await driveRun({
      plan,
      trainer,
      images: data.images,
      labels: data.labels,
      step: (im, lb) => trainer.trainBatch(im, lb),
      beforeBatch: ({ batch: b }) => {
        if (b === 0) te = now();
        return true;
      },
      afterBatch: ({ result }) => {
        loss = result.loss;
      },
      afterEpoch: ({ epoch }) => {
        // Evaluate on the validation split in chunks, like the worker does after each epoch.
        let correct = 0;
        for (let s = 0; s < evalN; s += EVAL_CHUNK) {
          const n = Math.min(EVAL_CHUNK, evalN - s);
          const from = held.from + s;
          const ev = trainer.evaluate(held.images.subarray(from * IMAGE_BYTES, (from + n) * IMAGE_BYTES), held.labels.subarray(from, from + n));
          correct += ev.accuracy * ev.count;
        }
        // injectLeak: keep one extra mlp Trainer alive per epoch (a deliberate leak, to check the check).
        if (injectLeak) leaked.push(new Trainer({ model: 'mlp', seed: epoch + 1 }));
        const ms = now() - te;
        const record = { epoch: epoch + 1, ...measure(), loss, valAccuracy: evalN ? correct / evalN : null, ms };
        series.push(record);
        onEpoch(record, series);
      },
    });
  } finally {
    plan.free();
  }

  const beforePredictions = mem();
  const tp = now();
  for (let i = 0; i < predictions; i++) {
    const k = i % data.testCount;
    trainer.predict(data.testImages.subarray(k * IMAGE_BYTES, (k + 1) * IMAGE_BYTES));
  }
  const predMs = now() - tp;
  const { bytes: afterPredictions, inUse: inUseAfterPredictions } = measure();
  trainer.free();
  for (const t of leaked) t.free();
  return { canProbe, afterInit, afterTrainer, perEpoch, series, beforePredictions, afterPredictions, inUseAfterPredictions, predMs };
}
