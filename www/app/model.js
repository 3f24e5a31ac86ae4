// The model panel: what the current model is and where it came from, keeping it in IndexedDB,
// and the pretrained / download / upload / new-model buttons. Every weights file is checked
// before it reaches the engine, and a refused one leaves the current model as it was.

import { MSG } from '../protocol/protocol.js';
import { applyConfigToForm, importConfig, readConfig } from './config-form.js';
import { dataSettled } from './dataset.js';
import { restoreDigits } from './digits.js';
import { formatBytes, formatCount, formatInt } from './format.js';
import { clearReport, evaluateTest } from './results.js';
import { MAX_WEIGHTS_BYTES, checkWeightsFile, describeWeights } from './safetensors.js';
import * as storage from './storage.js';
import { dom, emit, refreshControls, rpc, state } from './store.js';
import { showNotice } from './ui.js';

const PRETRAINED_URL = 'models/cnn-mnist.safetensors';

const STATUS_TEXT = {
  untrained: 'untrained',
  training: 'training…',
  trained: 'trained',
  restored: 'restored from this browser',
  pretrained: 'pretrained',
  imported: 'imported from file',
  'fine-tuned': 'fine-tuned',
};

/** Where the current weights came from (one of STATUS_TEXT's keys). */
export function setSource(source) {
  state.source = source;
  dom.modelStatus.textContent = STATUS_TEXT[source] || source;
  dom.modelStatus.dataset.source = source;
  dom.untrainedNote.hidden = source !== 'untrained';
}

function describeModel() {
  const m = state.model;
  if (!m) return '';
  const c = m.config || {};
  return `${c.model ?? '?'} · ${formatCount(m.parameterCount)} parameters · ${formatInt(m.steps)} steps`;
}

/** The engine's summary of the current model, and optionally its new source. */
export function setModel(summary, source) {
  state.model = summary;
  if (source) setSource(source);
  dom.modelInfo.textContent = describeModel();
  refreshControls();
}

function modelMessage(text, kind = '') {
  dom.modelMessage.textContent = text;
  dom.modelMessage.className = `model-message${kind ? ` is-${kind}` : ''}`;
}

/** Keep the current weights in this browser (a failure only costs the restore on reload). */
export async function persistModel(source) {
  try {
    const { bytes, config } = await rpc.call(MSG.EXPORT);
    await storage.saveModel({ config, weights: bytes, source });
  } catch (err) {
    console.warn('could not save the model in IndexedDB:', err);
  }
}

/** Start-up: the model and digits saved in this browser, else a new untrained model. */
export async function restoreOrCreateModel() {
  const [modelRes, digitsRes] = await Promise.all([storage.loadModel(), storage.loadDigits()]);
  const problems = [];
  const digitsProblem = restoreDigits(digitsRes);
  if (digitsProblem) problems.push(digitsProblem);

  let restored = false;
  if (modelRes.status === 'ok') {
    try {
      const summary = await rpc.call(MSG.IMPORT, { bytes: modelRes.model.weights, config: modelRes.model.config });
      applyConfigToForm(summary.config);
      setModel(summary, 'restored');
      restored = true;
    } catch (err) {
      problems.push(`saved model: ${err.message}`);
      await storage.deleteModel().catch(() => {});
    }
  } else if (modelRes.status === 'corrupt') {
    problems.push(`saved model: ${modelRes.reason}`);
  }
  if (!restored) {
    const summary = await rpc.call(MSG.NEW_MODEL, { config: readConfig() || {} });
    setModel(summary, 'untrained');
  }
  if (problems.length) {
    showNotice(`Some data saved in this browser could not be used (${problems.join('; ')}). It was removed and the app started clean.`);
  }
}

/** Waits for a data load in progress (the engine runs one job at a time), saying so. */
async function untilDataLoaded(label) {
  if (!state.dataLoading) return;
  modelMessage(`${label} is waiting for MNIST to finish loading…`);
  await dataSettled();
}

async function importBytes(bytes, { source, label }) {
  let desc;
  try {
    desc = describeWeights(bytes);
  } catch (err) {
    modelMessage(`${label} was refused: ${err.message} The current model is unchanged.`, 'error');
    return false;
  }
  state.busy = true;
  refreshControls();
  try {
    await untilDataLoaded(label);
    const summary = await rpc.call(MSG.IMPORT, { bytes, config: importConfig(desc.model || state.model?.config?.model) }, [bytes.buffer]);
    applyConfigToForm({ model: summary.config.model, spec: summary.config.spec });
    setModel(summary, source);
    modelMessage(`${label} loaded: ${describeModel()}.`, 'ok');
    emit('weights');
    clearReport();
  } catch (err) {
    modelMessage(`${label} was refused: ${err.message} The current model is unchanged.`, 'error');
    return false;
  } finally {
    state.busy = false;
    refreshControls();
  }
  await persistModel(source);
  if (state.dataset) evaluateTest({ quiet: true });
  return true;
}

dom.pretrained.addEventListener('click', async () => {
  modelMessage('Downloading the pretrained CNN…');
  let bytes;
  try {
    const res = await fetch(new URL(PRETRAINED_URL, location.href));
    // A dev server answers a missing file with its index.html: treat that as missing too.
    const missing = res.status === 404 || /text\/html/i.test(res.headers.get('content-type') || '');
    if (missing) throw new Error('it is not available on this server (models/cnn-mnist.safetensors is missing)');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const length = Number(res.headers.get('content-length')) || 0;
    if (length > MAX_WEIGHTS_BYTES) throw new Error('the file is too large');
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    modelMessage(`The pretrained CNN could not be downloaded: ${err.message}.`, 'error');
    return;
  }
  await importBytes(bytes, { source: 'pretrained', label: 'The pretrained CNN' });
});

dom.download.addEventListener('click', async () => {
  try {
    const { bytes, config } = await rpc.call(MSG.EXPORT);
    const name = `inkling-${config.model || 'model'}.safetensors`;
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    modelMessage(`Saved ${name} (${formatBytes(bytes.length)}).`, 'ok');
  } catch (err) {
    modelMessage(`Download failed: ${err.message}`, 'error');
  }
});

dom.upload.addEventListener('change', async () => {
  const file = dom.upload.files && dom.upload.files[0];
  dom.upload.value = '';
  if (!file) return;
  const problem = checkWeightsFile(file);
  if (problem) {
    modelMessage(`${problem} The current model is unchanged.`, 'error');
    return;
  }
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    modelMessage(`"${file.name}" could not be read: ${err.message}`, 'error');
    return;
  }
  await importBytes(bytes, { source: 'imported', label: `"${file.name}"` });
});

dom.reset.addEventListener('click', async () => {
  const config = readConfig();
  if (!config) return;
  state.busy = true;
  refreshControls();
  try {
    await untilDataLoaded('The new model');
    const summary = await rpc.call(MSG.NEW_MODEL, { config });
    setModel(summary, 'untrained');
    clearReport();
    modelMessage(`New untrained ${config.model} model.`, 'ok');
    await storage.deleteModel().catch(() => {});
    emit('weights', { fresh: true });
  } catch (err) {
    modelMessage(`Could not create the model: ${err.message}`, 'error');
  } finally {
    state.busy = false;
    refreshControls();
  }
});
