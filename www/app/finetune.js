// The fine-tune panel: runs the core's fine-tune recipe on My digits (a hold-out is measured
// before and after), shows its progress and the before/after report.

import { EVT, MSG } from '../protocol/protocol.js';
import { holdoutSplit, IMAGE_BYTES } from '../shared/batching.js';
import { persistModel, setModel } from './model.js';
import { evaluateTest, setTestAccuracy } from './results.js';
import { readFineTuneSettings } from './config-form.js';
import { dom, emit, refreshControls, rpc, state } from './store.js';
import { renderFinetuneResult, setProgress } from './ui.js';

function showStatus(text, className = 'muted small') {
  dom.ftResult.replaceChildren(Object.assign(document.createElement('p'), { className, textContent: text }));
}

rpc.on(EVT.FINETUNE_PROGRESS, (p) => {
  if (!state.finetuning) return;
  const text = {
    before: 'Measuring before fine-tuning…',
    training: `Fine-tuning: step ${p.step} of ${p.steps}${Number.isFinite(p.loss) ? ` · loss ${p.loss.toFixed(4)}` : ''}`,
    after: 'Measuring after fine-tuning…',
  }[p.phase];
  setProgress(dom.ftBar, p.phase === 'before' ? 0 : p.phase === 'after' ? 1 : p.step / p.steps);
  showStatus(text);
});

async function startFinetune() {
  const n = state.digits.length;
  if (!n || dom.ftStart.disabled) return;
  const ftSettings = readFineTuneSettings();
  if (!ftSettings) return;
  const { holdout } = holdoutSplit(n);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  state.digits.forEach((d, i) => {
    images.set(d.image, i * IMAGE_BYTES);
    labels[i] = d.label;
  });
  state.finetuning = true;
  dom.ftResult.dataset.state = 'running';
  setProgress(dom.ftBar, 0);
  refreshControls();
  try {
    const r = await rpc.call(MSG.FINETUNE, { images, labels, holdout, settings: ftSettings }, [images.buffer, labels.buffer]);
    renderFinetuneResult(dom.ftResult, r);
    setProgress(dom.ftBar, 1, { state: 'done' });
    setModel(r.model, 'fine-tuned');
    dom.ftResult.dataset.state = 'done';
    if (r.after.test) setTestAccuracy(r.after.test.accuracy);
    emit('weights');
    await persistModel('fine-tuned');
    if (state.dataset) evaluateTest({ quiet: true }); // refresh the confusion matrix (cached in the worker)
  } catch (err) {
    dom.ftResult.dataset.state = 'error';
    showStatus(`Fine-tuning failed: ${err.message}`, 'model-message is-error');
  } finally {
    state.finetuning = false;
    refreshControls();
  }
}

dom.ftStart.addEventListener('click', () => startFinetune());
dom.ftStop.addEventListener('click', () => rpc.call(MSG.STOP).catch(() => {}));
