// The results panel: test accuracy, the confusion matrix, per-class precision/recall/F1 and the
// gallery of misclassified test digits (each can be added to My digits).

import { MSG } from '../protocol/protocol.js';
import { addDigit } from './digits.js';
import { formatInt, formatPercent } from './format.js';
import { dom, refreshControls, rpc, state, training } from './store.js';
import { $, renderClassTable, renderConfusion, renderGallery, toast } from './ui.js';

export function setTestAccuracy(accuracy) {
  dom.testAccuracy.textContent = `Test accuracy: ${formatPercent(accuracy)}`;
  dom.testAccuracy.dataset.value = accuracy.toFixed(6);
}

/** Show a full evaluation report of the test set. */
export function showReport(report) {
  setTestAccuracy(report.accuracy);
  dom.resultsNote.textContent = `${formatInt(report.count)} test digits · loss ${report.loss.toFixed(4)} · macro F1 ${formatPercent(report.macroF1)} · ${formatInt(report.misclassifiedCount)} misclassified`;
  dom.resultsBody.hidden = false;
  renderConfusion($('confusion'), report.confusion);
  renderClassTable($('class-table'), report);
  renderGallery($('gallery'), report.gallery, (image, label) => addDigit(image, label, { quiet: false }));
  $('gallery-count').textContent =
    report.misclassifiedCount > report.gallery.labels.length ? `(first ${report.gallery.labels.length} of ${formatInt(report.misclassifiedCount)})` : `(${report.gallery.labels.length})`;
}

export function clearReport() {
  dom.testAccuracy.textContent = 'Test accuracy: —';
  delete dom.testAccuracy.dataset.value;
  dom.resultsBody.hidden = true;
  dom.resultsNote.textContent = 'Train a model (or load the pretrained one) to see how it does on the 10,000 MNIST test digits.';
}

// Evaluation does not lock the UI: the worker cancels it when training, fine-tuning or an
// import starts, and a newer ticket makes an older result stale.
let evaluating = 0;

/** Make any evaluation in flight stale (its result is dropped). */
export function dropEvaluation() {
  evaluating++;
}

/** Evaluate the model on the test set and show the report. */
export async function evaluateTest({ quiet = false } = {}) {
  if (!state.dataset || state.engine !== 'ready' || !state.model) return;
  const ticket = ++evaluating;
  dom.evaluate.disabled = true;
  dom.resultsNote.textContent = 'Evaluating on the test set…';
  try {
    const report = await rpc.call(MSG.EVALUATE, { split: 'test' });
    if (ticket === evaluating && !training()) showReport(report);
  } catch (err) {
    if (ticket === evaluating) dom.resultsNote.textContent = '';
    if (!quiet && err.message !== 'cancelled') toast(`Evaluation failed: ${err.message}`);
  } finally {
    refreshControls();
  }
}

dom.evaluate.addEventListener('click', () => evaluateTest());
