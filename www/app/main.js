// The page's entry point: starts the engine (the app worker), then restores or creates the model
// and loads the data. Each panel is its own module and wires its part of the DOM when imported;
// the main thread never runs wasm.

import { MSG } from '../protocol/protocol.js';
import { applyCoreSettings } from './config-form.js';
import { loadData } from './dataset.js';
import { missingFeatures } from './features.js';
import { renderDigits } from './digits.js';
import { clearPrediction } from './draw.js';
import './finetune.js';
import { restoreOrCreateModel, setSource } from './model.js';
import { enableOffline } from './offline.js';
import { evaluateTest } from './results.js';
import { dom, refreshControls, rpc, state } from './store.js';
import './training.js';
import { $, showNotice } from './ui.js';

async function startEngine() {
  try {
    // ?workers=N caps the cores used (1: the single-worker path); default: one per core.
    const workers = Number.parseInt(new URLSearchParams(location.search).get('workers') ?? '', 10);
    const { buildInfo } = await rpc.call(MSG.INIT, Number.isInteger(workers) ? { workers } : {});
    state.engine = 'ready';
    const b = buildInfo || {};
    applyCoreSettings(b);
    const cores = b.workers > 1 ? `${b.workers} workers (data-parallel)` : '1 worker';
    dom.buildInfo.textContent = `Inkling ${b.version ?? ''} · wasm SIMD ${b.simd ? 'on' : 'off'} · ${cores} · models: ${(b.models || []).join(', ')}`;
    dom.buildInfo.dataset.workers = String(b.workers ?? 1);
    dom.buildInfo.dataset.simd = String(!!b.simd);
  } catch (err) {
    state.engine = 'failed';
    dom.buildInfo.textContent = 'Engine: failed to load';
    dom.datasetStatus.textContent = `The WebAssembly engine failed to load: ${err.message}`;
    showNotice(`The WebAssembly engine failed to load (${err.message}). Try reloading the page.`);
    refreshControls();
    return false;
  }
  return true;
}

$('notice-close').addEventListener('click', () => {
  $('notice').hidden = true;
});

async function main() {
  const missing = missingFeatures();
  if (missing) {
    showNotice(missing);
    $('notice').dataset.missing = 'true';
  }
  setSource('untrained');
  dom.modelStatus.textContent = 'loading…';
  clearPrediction();
  renderDigits();
  refreshControls();
  enableOffline();
  if (!(await startEngine())) return;
  try {
    await restoreOrCreateModel();
  } catch (err) {
    showNotice(`Could not create the model: ${err.message}`);
  }
  refreshControls();
  await loadData();
  // A restored model: show how it does on the test set.
  if (state.dataset && state.source !== 'untrained' && state.train === 'idle') evaluateTest({ quiet: true });
}

main();
