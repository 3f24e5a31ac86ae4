// The FINETUNE request: the core's fine-tune recipe (FineTune: class-balanced, augmented, MNIST
// replayed) run on the person's digits in chunks, with a held-out part of them and the test set
// measured before and after.

import { FineTune } from '../pkg/inkling.js';
import { plain, yieldToEvents, EVT } from '../protocol/protocol.js';
import { IMAGE_BYTES, gatherBatch } from '../shared/batching.js';
import { engine, ensureInit, now, requireTrainer, modelSummary } from './state.js';
import { acquire, waitForResume } from './jobs.js';
import { evaluateSplit, brief } from './evaluation.js';
import { CHUNK_MS } from './training.js';

/** How many of the digits at `idx` the current model gets right. */
function evalUserDigits(images, labels, idx) {
  if (!idx.length) return null;
  const im = new Uint8Array(idx.length * IMAGE_BYTES);
  const lb = new Uint8Array(idx.length);
  gatherBatch(images, labels, idx, 0, idx.length, im, lb);
  const ev = plain(requireTrainer().evaluate(im, lb));
  const predictions = Array.from(ev.predictions);
  return { count: idx.length, correct: predictions.filter((p, k) => p === lb[k]).length, accuracy: ev.accuracy, predictions };
}

/**
 * Fine-tunes on the person's digits, holding out the indices in `holdout` to measure before and
 * after. `settings` are FineTuneConfig keys; the core's defaults fill the rest.
 */
export async function finetune({ images, labels, holdout = [], settings = {} }) {
  await ensureInit();
  const t = requireTrainer();
  const n = labels.length;
  if (!n || images.length !== n * IMAGE_BYTES) throw new Error('Add some digits to My digits first.');
  const held = new Set(holdout);
  const trainIdx = [];
  for (let i = 0; i < n; i++) if (!held.has(i)) trainIdx.push(i);
  if (!trainIdx.length) throw new Error('Every digit is held out; add more digits.');
  const own = new Uint8Array(trainIdx.length * IMAGE_BYTES);
  const ownLabels = new Uint8Array(trainIdx.length);
  const count = gatherBatch(images, labels, trainIdx, 0, trainIdx.length, own, ownLabels);
  const ft = new FineTune(own.subarray(0, count * IMAGE_BYTES), ownLabels.subarray(0, count), settings); // throws on bad settings
  const j = await acquire('finetune').catch((err) => {
    ft.free();
    throw err;
  });
  const { data } = engine;
  const steps = ft.steps;
  const baseLr = plain(t.config).learningRate;
  const progress = (phase, step = 0, extra = {}) => engine.emit(EVT.FINETUNE_PROGRESS, { phase, step, steps, ...extra });
  const measure = async () => ({ holdout: evalUserDigits(images, labels, [...held]), test: data ? brief(await evaluateSplit('test')) : null });
  try {
    progress('before');
    const before = await measure();
    if (data) ft.setReplay(data.trainImages.subarray(0, data.trainCount * IMAGE_BYTES), data.trainLabels.subarray(0, data.trainCount));
    let chunkStart = now();
    let lastLoss = NaN;
    progress('training', 0);
    while (!ft.isDone) {
      if (j.stop) break;
      if (j.paused) {
        await waitForResume(j);
        if (j.stop) break;
      }
      lastLoss = plain(ft.step(t)).loss;
      engine.weightsVersion++;
      if (now() - chunkStart >= CHUNK_MS) {
        progress('training', ft.stepsDone, { loss: lastLoss });
        await yieldToEvents();
        chunkStart = now();
      }
    }
    const done = ft.stepsDone;
    progress('after', done, { loss: lastLoss });
    const after = await measure();
    return { stopped: j.stop, steps: done, trainCount: trainIdx.length, holdoutCount: held.size, mnistReplay: !!data, before, after, model: modelSummary() };
  } finally {
    ft.free();
    try {
      t.freezeFeatures(false);
      if (baseLr) t.setLearningRate(baseLr);
    } catch {
      /* trainer replaced meanwhile */
    }
    j.finish();
  }
}
