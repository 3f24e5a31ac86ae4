// Evaluating the current weights on a split: streamed over the worker pool in chunks (so predict
// and stop are served meanwhile), cached per weights version, and turned into the results panel's
// report (metrics, confusion matrix, a gallery of misclassified digits).

import { withTransfer } from '../protocol/protocol.js';
import { IMAGE_BYTES } from '../shared/batching.js';
import { misclassifiedIndices } from '../shared/metrics.js';
import { engine, ensureInit, requireTrainer } from './state.js';
import { acquire, Cancelled } from './jobs.js';
import { splitView } from './dataset.js';

const EVAL_CHUNK = 500; // images per evaluate() call
const GALLERY_LIMIT = 60; // misclassified test digits sent back for the gallery

/**
 * The core's evaluation of the current weights on `split`, from the cache if the weights have not
 * changed. `j`, when an evaluation job, stops it early (throwing Cancelled).
 */
export async function evaluateSplit(split, j) {
  const cached = engine.evalCache.get(split);
  if (cached && cached.version === engine.weightsVersion) return cached.evaluation;
  const version = engine.weightsVersion;
  const { images, labels, offset, count } = splitView(split);
  // Whole chunks go to each worker in turn; the pool yields between them.
  const evaluation = await engine.pool.evaluateChunks(
    requireTrainer(),
    images.subarray(offset * IMAGE_BYTES, (offset + count) * IMAGE_BYTES),
    labels.subarray(offset, offset + count),
    version,
    EVAL_CHUNK,
    () => version !== engine.weightsVersion || (j && j.kind === 'evaluate' && j.stop),
  );
  if (version !== engine.weightsVersion) throw new Error('the model changed during the evaluation');
  if (!evaluation) throw new Cancelled();
  engine.evalCache.set(split, { version, evaluation });
  return evaluation;
}

/** The headline figures of an evaluation, for progress events. */
export function brief(ev) {
  return ev ? { count: ev.count, loss: ev.loss, accuracy: ev.accuracy, macroF1: ev.macroF1 } : null;
}

/** Full report for the results panel: metrics, confusion and a gallery of misclassified digits. */
export function fullReport(ev, split) {
  const { images, labels, offset } = splitView(split);
  const splitLabels = labels.subarray(offset, offset + ev.count);
  const mis = misclassifiedIndices(splitLabels, ev.predictions, GALLERY_LIMIT);
  const galleryImages = new Uint8Array(mis.length * IMAGE_BYTES);
  mis.forEach((i, k) => galleryImages.set(images.subarray((offset + i) * IMAGE_BYTES, (offset + i + 1) * IMAGE_BYTES), k * IMAGE_BYTES));
  let wrong = 0;
  for (let i = 0; i < ev.count; i++) if (splitLabels[i] !== ev.predictions[i]) wrong++;
  return {
    split,
    count: ev.count,
    loss: ev.loss,
    accuracy: ev.accuracy,
    macroF1: ev.macroF1,
    confusion: ev.confusion,
    precision: ev.precision,
    recall: ev.recall,
    f1: ev.f1,
    support: ev.support,
    misclassifiedCount: wrong,
    gallery: {
      indices: mis,
      labels: mis.map((i) => splitLabels[i]),
      predictions: mis.map((i) => ev.predictions[i]),
      images: galleryImages,
    },
  };
}

/** The EVALUATE request: the full report of `split`, its gallery images transferred. */
export async function evaluate({ split = 'test' }) {
  await ensureInit();
  requireTrainer();
  const j = await acquire('evaluate');
  try {
    const report = fullReport(await evaluateSplit(split, j), split);
    return withTransfer(report, [report.gallery.images.buffer]);
  } finally {
    j.finish();
  }
}
