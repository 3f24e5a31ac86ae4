// The page's shared state: the worker connection, the element table, what the page knows about
// the engine, the model, the data and the jobs, and the one function that enables or disables
// every control from that state. The panels (config-form, dataset, model, training, results,
// draw, digits, finetune) import it; it imports none of them.

import { RpcClient } from '../protocol/protocol.js';
import { $ } from './ui.js';

/** The app worker: every model operation is an RPC to it; the page never runs wasm. */
export const rpc = new RpcClient(new Worker(new URL('../engine/worker.js', import.meta.url), { type: 'module', name: 'inkling-engine' }));

/** The core's defaults and limits (buildInfo from the engine); the forms are filled from them at start-up. */
export const settings = {
  defaults: null,
  limits: null,
};

export const state = {
  engine: 'starting', // starting | ready | failed
  dataset: null,
  dataLoading: false,
  model: null, // { config, steps, parameterCount }
  source: 'untrained',
  train: 'idle', // idle | training | paused | done
  stopping: false,
  finetuning: false,
  busy: false, // import / reset / evaluate in progress
  digits: [],
  // The network the form describes (builder.js): its layers, and the problem with them, if any.
  network: { spec: null, error: null },
};

/** True while a training run (running or paused) owns the model. */
export const training = () => state.train === 'training' || state.train === 'paused';

export const dom = {
  datasetStatus: $('dataset-status'),
  dataSource: $('data-source'),
  dataBar: $('data-progress'),
  dataError: $('data-error'),
  dataErrorText: $('data-error-text'),
  modelStatus: $('model-status'),
  modelInfo: $('model-info'),
  modelMessage: $('model-message'),
  form: $('train-form'),
  cfgModel: $('cfg-model'),
  cfgOptimizer: $('cfg-optimizer'),
  cfgLr: $('cfg-lr'),
  cfgBatch: $('cfg-batch-size'),
  cfgEpochs: $('cfg-epochs'),
  cfgContinue: $('cfg-continue'),
  cfgAugment: $('cfg-augment'),
  cfgError: $('cfg-error'),
  netBuilder: $('net-builder'),
  netTotal: $('net-total'),
  netLayers: $('net-layers'),
  netAddType: $('net-add-type'),
  netAdd: $('net-add'),
  netError: $('net-error'),
  netSummary: $('net-summary'),
  inside: $('inside'),
  insideLayers: $('inside-layers'),
  start: $('train-start'),
  pause: $('train-pause'),
  stop: $('train-stop'),
  progress: $('train-progress'),
  trainBar: $('train-bar'),
  trainText: $('train-state-text'),
  statEpoch: $('stat-epoch'),
  statBatch: $('stat-batch'),
  statSpeed: $('stat-speed'),
  statEta: $('stat-eta'),
  statLoss: $('stat-loss'),
  statVal: $('stat-val'),
  testAccuracy: $('test-accuracy'),
  resultsNote: $('results-note'),
  resultsBody: $('results-body'),
  evaluate: $('evaluate-test'),
  canvas: $('draw-canvas'),
  clear: $('draw-clear'),
  undo: $('draw-undo'),
  prediction: $('prediction'),
  predictionEmpty: $('prediction-empty'),
  confidence: $('prediction-confidence'),
  predictionLive: $('prediction-live'),
  preview: $('preview'),
  untrainedNote: $('untrained-note'),
  digitsCount: $('mydigits-count'),
  digitsEmpty: $('mydigits-empty'),
  digitsClear: $('mydigits-clear'),
  thumbs: $('thumbs'),
  classCounts: $('class-counts'),
  ftLr: $('ft-lr'),
  ftSteps: $('ft-steps'),
  ftError: $('ft-error'),
  ftFreeze: $('ft-freeze'),
  ftStart: $('finetune-start'),
  ftStop: $('finetune-stop'),
  ftBar: $('ft-bar'),
  ftResult: $('finetune-result'),
  pretrained: $('load-pretrained'),
  download: $('weights-download'),
  upload: $('weights-upload'),
  reset: $('model-reset'),
  buildInfo: $('build-info'),
  offlineStatus: $('offline-status'),
};

/** Enable or disable every control from the state. */
export function refreshControls() {
  const ready = state.engine === 'ready' && !!state.model;
  const running = training();
  const busy = running || state.finetuning || state.busy;
  dom.start.disabled = !ready || !state.dataset || busy;
  dom.pause.disabled = !running || state.stopping;
  dom.stop.disabled = !running || state.stopping;
  dom.pause.textContent = state.train === 'paused' ? 'Resume' : 'Pause';
  dom.pause.setAttribute('aria-pressed', String(state.train === 'paused'));
  for (const input of [dom.cfgModel, dom.cfgOptimizer, dom.cfgLr, dom.cfgBatch, dom.cfgEpochs]) input.disabled = running;
  dom.netBuilder.classList.toggle('locked', running);
  for (const el of dom.netBuilder.querySelectorAll('input, select, button')) el.disabled = running;
  const c = state.model?.config;
  const sameSpec = dom.cfgModel.value !== 'custom' || JSON.stringify(c?.spec) === JSON.stringify(state.network.spec);
  const sameModel = !!c && c.model === dom.cfgModel.value && sameSpec;
  dom.cfgContinue.disabled = running || !sameModel || state.source === 'untrained';
  if (dom.cfgContinue.disabled) dom.cfgContinue.checked = false;
  dom.evaluate.disabled = !ready || !state.dataset || busy;
  dom.download.disabled = !ready || busy;
  dom.pretrained.disabled = state.engine !== 'ready' || busy;
  dom.upload.disabled = state.engine !== 'ready' || busy;
  dom.reset.disabled = !ready || busy || state.source === 'untrained';
  dom.ftStart.disabled = !ready || busy || state.digits.length === 0;
  dom.ftStop.disabled = !state.finetuning;
  dom.digitsClear.disabled = state.digits.length === 0 || state.finetuning;
}

// The panels tell each other what happened through these events instead of importing each other.
const listeners = new Map();

/**
 * Listen to a page event:
 * - `weights` ({ live?, fresh? }): the model's weights changed (live: during training; fresh: a new
 *   untrained model), so the drawing's prediction is stale.
 */
export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(fn);
}

export function emit(event, payload = {}) {
  for (const fn of listeners.get(event) || []) fn(payload);
}
