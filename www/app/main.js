// The page controller: wires the DOM to the wasm worker. The main thread never runs wasm;
// every model operation is an RPC to worker.js.

import { RpcClient, MSG, EVT, LatestOnlyQueue } from '../protocol/protocol.js';
import { resolveDataBase } from '../data/data.js';
import { holdoutSplit, IMAGE_BYTES } from '../shared/batching.js';
import { argmax } from '../shared/metrics.js';
import { formatEta, formatInt, formatPercent, formatRate, formatBytes, formatCount, datasetStatusText } from './format.js';
import { checkWeightsFile, describeWeights, MAX_WEIGHTS_BYTES } from './safetensors.js';
import * as storage from './storage.js';
import { DrawingPad, paintDigit } from './canvas.js';
import { TrainingCharts } from './charts.js';
import {
  $,
  setProgress,
  toast,
  showNotice,
  buildProbBars,
  buildLabelButtons,
  renderConfusion,
  renderClassTable,
  renderGallery,
  renderThumbs,
  renderClassCounts,
  renderFinetuneResult,
} from './ui.js';

const PRETRAINED_URL = 'models/cnn-mnist.safetensors';
// The core's defaults and limits (buildInfo from the engine); the form is filled from them at start-up.
let defaults = { trainer: { validationSize: 5000 }, fineTune: {} };
let limits = { maxEpochs: 100, maxFineTuneSteps: 2000, maxLearningRate: 1 };

const PREDICT_DEBOUNCE_MS = 70;

const STATUS_TEXT = {
  untrained: 'untrained',
  training: 'training…',
  trained: 'trained',
  restored: 'restored from this browser',
  pretrained: 'pretrained',
  imported: 'imported from file',
  'fine-tuned': 'fine-tuned',
};

const state = {
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
};

// ---- worker -----------------------------------------------------------------------------------

const worker = new Worker(new URL('../engine/worker.js', import.meta.url), { type: 'module', name: 'inkling-engine' });
const rpc = new RpcClient(worker);

// ---- elements & widgets -------------------------------------------------------------------------

const dom = {
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
};

const updateProbs = buildProbBars($('probs'));
buildLabelButtons($('label-buttons'), (d) => addCurrentDrawing(d));
const charts = new TrainingCharts({ loss: $('chart-loss'), accuracy: $('chart-acc'), epochs: $('chart-epoch') });

// ---- model status / buttons --------------------------------------------------------------------

function setSource(source) {
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

function setModel(summary, source) {
  state.model = summary;
  if (source) setSource(source);
  dom.modelInfo.textContent = describeModel();
  refreshControls();
}

function refreshControls() {
  const ready = state.engine === 'ready' && !!state.model;
  const running = state.train === 'training' || state.train === 'paused';
  const busy = running || state.finetuning || state.busy;
  dom.start.disabled = !ready || !state.dataset || busy;
  dom.pause.disabled = !running || state.stopping;
  dom.stop.disabled = !running || state.stopping;
  dom.pause.textContent = state.train === 'paused' ? 'Resume' : 'Pause';
  dom.pause.setAttribute('aria-pressed', String(state.train === 'paused'));
  for (const input of [dom.cfgModel, dom.cfgOptimizer, dom.cfgLr, dom.cfgBatch, dom.cfgEpochs]) input.disabled = running;
  const sameModel = state.model && state.model.config && state.model.config.model === dom.cfgModel.value;
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

function modelMessage(text, kind = '') {
  dom.modelMessage.textContent = text;
  dom.modelMessage.className = `model-message${kind ? ` is-${kind}` : ''}`;
}

// ---- config form -------------------------------------------------------------------------------

function readConfig() {
  const errors = [];
  const num = (input, name, { min, max, integer }) => {
    const v = Number(input.value);
    const bad = input.value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v));
    input.setAttribute('aria-invalid', String(bad));
    if (bad) errors.push(`${name} must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max}.`);
    return v;
  };
  const config = {
    model: dom.cfgModel.value,
    optimizer: dom.cfgOptimizer.value,
    learningRate: num(dom.cfgLr, 'Learning rate', { min: 1e-6, max: 1 }),
    batchSize: num(dom.cfgBatch, 'Batch size', { min: 1, max: 1024, integer: true }),
    epochs: num(dom.cfgEpochs, 'Epochs', { min: 1, max: limits.maxEpochs, integer: true }),
    validationSize: defaults.trainer.validationSize,
    augment: dom.cfgAugment.checked,
  };
  if (config.optimizer === 'adamw') config.weightDecay = 0.01;
  dom.cfgError.hidden = !errors.length;
  dom.cfgError.textContent = errors.join(' ');
  return errors.length ? null : config;
}

function applyConfigToForm(config = {}) {
  if (config.model) dom.cfgModel.value = config.model;
  if (config.optimizer) dom.cfgOptimizer.value = config.optimizer;
  if (config.learningRate) dom.cfgLr.value = String(config.learningRate);
  if (config.batchSize) dom.cfgBatch.value = String(config.batchSize);
  if (config.epochs) dom.cfgEpochs.value = String(config.epochs);
  if (typeof config.augment === 'boolean') dom.cfgAugment.checked = config.augment;
}

function applyCoreSettings(b) {
  if (b.defaults) defaults = b.defaults;
  if (b.limits) limits = b.limits;
  applyConfigToForm(defaults.trainer);
  dom.cfgEpochs.max = String(limits.maxEpochs);
  const ft = defaults.fineTune;
  if (ft.learningRate) dom.ftLr.value = String(ft.learningRate);
  if (ft.steps) dom.ftSteps.value = String(ft.steps);
  dom.ftSteps.max = String(limits.maxFineTuneSteps);
  dom.ftFreeze.checked = !!ft.headOnly;
}

/** Config for a new Trainer that will receive imported weights of `model`. */
function importConfig(model) {
  const c = readConfig() || {};
  return { ...c, model: model || c.model || 'cnn' };
}

// ---- engine start & dataset --------------------------------------------------------------------

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

function dataBaseUrl() {
  const param = new URLSearchParams(location.search).get('data');
  return resolveDataBase(location.href, param);
}

rpc.on(EVT.DATA_PROGRESS, (p) => {
  const f = p.total ? p.loaded / p.total : 0;
  setProgress(dom.dataBar, f);
  if (!state.dataset) {
    dom.datasetStatus.textContent = p.fromCache
      ? 'Loading MNIST from the browser cache…'
      : `Downloading MNIST… ${Math.round(f * 100)} % (${formatBytes(p.loaded)} of ${formatBytes(p.total)})`;
  }
});

async function loadData() {
  if (state.dataLoading || state.engine !== 'ready') return;
  state.dataLoading = true;
  dom.dataError.hidden = true;
  dom.datasetStatus.dataset.ready = 'false';
  dom.datasetStatus.textContent = 'Loading MNIST…';
  setProgress(dom.dataBar, 0);
  let base;
  try {
    base = dataBaseUrl();
    const summary = await rpc.call(MSG.LOAD_DATA, { baseUrl: base, validationSize: defaults.trainer.validationSize });
    state.dataset = summary;
    dom.datasetStatus.textContent = datasetStatusText(summary);
    dom.datasetStatus.dataset.ready = 'true';
    setProgress(dom.dataBar, 1, { state: 'done' });
    const rel = base.startsWith(location.origin) ? base.slice(location.origin.length) : base;
    dom.dataSource.textContent = `${summary.name || 'IDX files'} from ${rel} · ${summary.fromCache ? 'cached in this browser' : `loaded ${formatBytes(summary.bytes)}`}`;
    dom.dataSource.title = summary.source || '';
  } catch (err) {
    dom.datasetStatus.textContent = 'MNIST could not be loaded.';
    dom.dataErrorText.textContent = err.message;
    dom.dataError.hidden = false;
    setProgress(dom.dataBar, 0);
  } finally {
    state.dataLoading = false;
    refreshControls();
  }
}

$('data-retry').addEventListener('click', () => loadData());

// ---- persistence ---------------------------------------------------------------------------------

async function persistModel(source) {
  try {
    const { bytes, config } = await rpc.call(MSG.EXPORT);
    await storage.saveModel({ config, weights: bytes, source });
  } catch (err) {
    console.warn('could not save the model in IndexedDB:', err);
  }
}

async function persistDigits() {
  try {
    await storage.saveDigits(state.digits);
  } catch (err) {
    console.warn('could not save My digits in IndexedDB:', err);
    toast('Could not save your digits in this browser.');
  }
}

async function restoreOrCreateModel() {
  const [modelRes, digitsRes] = await Promise.all([storage.loadModel(), storage.loadDigits()]);
  const problems = [];
  if (digitsRes.status === 'ok') {
    state.digits = digitsRes.items;
  } else if (digitsRes.status === 'corrupt') {
    problems.push(`My digits: ${digitsRes.reason}`);
  }
  renderDigits();

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

// ---- training ------------------------------------------------------------------------------------

function setTrainState(s, text) {
  state.train = s;
  dom.progress.dataset.state = s;
  if (text) dom.trainText.textContent = text;
  setProgress(dom.trainBar, Number(dom.trainBar.getAttribute('aria-valuenow')) / 100, { state: s });
  refreshControls();
}

function setTestAccuracy(accuracy) {
  dom.testAccuracy.textContent = `Test accuracy: ${formatPercent(accuracy)}`;
  dom.testAccuracy.dataset.value = accuracy.toFixed(6);
}

rpc.on(EVT.TRAIN_PROGRESS, (p) => {
  charts.addSteps(p.steps);
  dom.progress.dataset.batches = String(p.batchesDone);
  setProgress(dom.trainBar, p.totalBatches ? p.batchesDone / p.totalBatches : 0, { state: state.train });
  dom.statEpoch.textContent = `${p.epoch} / ${p.epochs}`;
  dom.statBatch.textContent = `${formatInt(p.batch)} / ${formatInt(p.batchesPerEpoch)}`;
  dom.statSpeed.textContent = state.train === 'paused' ? '—' : formatRate(p.samplesPerSec).replace(' samples/s', '/s');
  dom.statSpeed.title = formatRate(p.samplesPerSec);
  dom.statEta.textContent = state.train === 'paused' ? 'paused' : formatEta(p.etaSeconds);
  const last = p.steps[p.steps.length - 1];
  if (last) dom.statLoss.textContent = last.loss.toFixed(4);
  // Watch the prediction of the drawing evolve with the live weights.
  const t = performance.now();
  if (!pad.isEmpty && !pad.current && t - lastLivePredict > 1500) {
    lastLivePredict = t;
    predictNow();
  }
});
let lastLivePredict = 0;

rpc.on(EVT.TRAIN_STATE, ({ state: s }) => {
  if (state.train !== 'training' && state.train !== 'paused') return;
  if (s === 'evaluating') {
    dom.trainText.textContent = state.stopping ? 'Stopping — evaluating on the test set…' : 'Evaluating on the validation and test sets…';
  } else if (s === 'training' && state.train === 'training' && !state.stopping) {
    dom.trainText.textContent = 'Training…';
  }
});

rpc.on(EVT.EPOCH, (e) => {
  charts.addEpoch(e);
  if (e.validation) dom.statVal.textContent = formatPercent(e.validation.accuracy, 2);
  if (e.test) setTestAccuracy(e.test.accuracy);
  const parts = [`Epoch ${e.epoch} of ${e.epochs} done`];
  if (e.validation) parts.push(`validation ${formatPercent(e.validation.accuracy)}`);
  if (e.test) parts.push(`test ${formatPercent(e.test.accuracy)}`);
  if (state.train === 'training' && !state.stopping) dom.trainText.textContent = `${parts.join(' · ')}. Training…`;
  predictNow(); // the weights changed: refresh the drawing's prediction
});

async function startTraining() {
  const config = readConfig();
  if (!config || dom.start.disabled) return;
  const continueTraining = dom.cfgContinue.checked;
  evaluating++; // a running evaluation is cancelled by the worker; ignore its result
  charts.reset();
  for (const s of [dom.statEpoch, dom.statBatch, dom.statSpeed, dom.statEta, dom.statLoss, dom.statVal]) s.textContent = '—';
  dom.progress.dataset.batches = '0';
  setProgress(dom.trainBar, 0);
  state.stopping = false;
  setSource('training');
  setTrainState('training', continueTraining ? 'Continuing training…' : `Training a new ${config.model} model…`);
  try {
    const result = await rpc.call(MSG.TRAIN, { config, continueTraining });
    setModel(result.model, 'trained');
    showReport(result.test);
    if (result.stopped && result.batchesDone % result.batchesPerEpoch !== 0) {
      // Plot the test accuracy measured at the stop, at its fractional epoch.
      charts.addEpoch({ epoch: +(result.batchesDone / result.batchesPerEpoch).toFixed(2), test: { accuracy: result.test.accuracy } });
    }
    dom.progress.dataset.batches = String(result.batchesDone);
    const summary = result.stopped
      ? `Stopped after ${formatInt(result.batchesDone)} batches — test accuracy ${formatPercent(result.test.accuracy)}.`
      : `Done — ${result.epochsDone} epoch${result.epochsDone === 1 ? '' : 's'}, ${formatInt(result.batchesDone)} batches, test accuracy ${formatPercent(result.test.accuracy)}.`;
    if (!result.stopped) setProgress(dom.trainBar, 1);
    dom.statEta.textContent = '—';
    setTrainState('done', summary);
    predictNow();
    await persistModel('trained');
  } catch (err) {
    setTrainState('idle', `Training failed: ${err.message}`);
    setSource(state.model && state.model.steps > 0 ? 'trained' : 'untrained');
    rpc.call(MSG.INFO).then((i) => i.model && setModel(i.model), () => {});
  } finally {
    state.stopping = false;
    refreshControls();
  }
}

let pauseBusy = false;
async function togglePause() {
  if (pauseBusy) return;
  pauseBusy = true;
  try {
    await togglePauseNow();
  } finally {
    pauseBusy = false;
  }
}

async function togglePauseNow() {
  if (state.train === 'training') {
    await rpc.call(MSG.PAUSE);
    if (state.train === 'training') setTrainState('paused', 'Paused — press Resume to continue.');
    dom.statEta.textContent = 'paused';
    dom.statSpeed.textContent = '—';
  } else if (state.train === 'paused') {
    await rpc.call(MSG.RESUME);
    if (state.train === 'paused') setTrainState('training', 'Training…');
  }
}

async function stopTraining() {
  if (state.train !== 'training' && state.train !== 'paused') return;
  state.stopping = true;
  const wasPaused = state.train === 'paused';
  if (wasPaused) setTrainState('training');
  dom.trainText.textContent = 'Stopping — evaluating on the test set…';
  refreshControls();
  await rpc.call(MSG.STOP);
}

dom.start.addEventListener('click', () => startTraining());
dom.pause.addEventListener('click', () => togglePause().catch((e) => toast(e.message)));
dom.stop.addEventListener('click', () => stopTraining().catch((e) => toast(e.message)));
dom.form.addEventListener('submit', (e) => {
  e.preventDefault();
  startTraining();
});
dom.form.addEventListener('input', () => {
  readConfig();
  refreshControls();
});
dom.cfgModel.addEventListener('change', () => refreshControls());

// ---- results -------------------------------------------------------------------------------------

function showReport(report) {
  setTestAccuracy(report.accuracy);
  dom.resultsNote.textContent = `${formatInt(report.count)} test digits · loss ${report.loss.toFixed(4)} · macro F1 ${formatPercent(report.macroF1)} · ${formatInt(report.misclassifiedCount)} misclassified`;
  dom.resultsBody.hidden = false;
  renderConfusion($('confusion'), report.confusion);
  renderClassTable($('class-table'), report);
  renderGallery($('gallery'), report.gallery, (image, label) => addDigit(image, label, { quiet: false }));
  $('gallery-count').textContent =
    report.misclassifiedCount > report.gallery.labels.length
      ? `(first ${report.gallery.labels.length} of ${formatInt(report.misclassifiedCount)})`
      : `(${report.gallery.labels.length})`;
}

function clearReport() {
  dom.testAccuracy.textContent = 'Test accuracy: —';
  delete dom.testAccuracy.dataset.value;
  dom.resultsBody.hidden = true;
  dom.resultsNote.textContent = 'Train a model (or load the pretrained one) to see how it does on the 10,000 MNIST test digits.';
}

// Evaluation does not lock the UI: the worker cancels it when training, fine-tuning or an
// import starts.
let evaluating = 0;
async function evaluateTest({ quiet = false } = {}) {
  if (!state.dataset || state.engine !== 'ready' || !state.model) return;
  const ticket = ++evaluating;
  dom.evaluate.disabled = true;
  dom.resultsNote.textContent = 'Evaluating on the test set…';
  try {
    const report = await rpc.call(MSG.EVALUATE, { split: 'test' });
    if (ticket === evaluating && state.train !== 'training' && state.train !== 'paused') showReport(report);
  } catch (err) {
    if (ticket === evaluating) dom.resultsNote.textContent = '';
    if (!quiet && err.message !== 'cancelled') toast(`Evaluation failed: ${err.message}`);
  } finally {
    refreshControls();
  }
}

dom.evaluate.addEventListener('click', () => evaluateTest());

// ---- drawing & live prediction --------------------------------------------------------------------

let drawVersion = 0;
let predictTimer = 0;
const predictQueue = new LatestOnlyQueue(
  ({ version, pixels }) => rpc.call(MSG.PREDICT, pixels, [pixels.pixels.buffer]).then((r) => ({ r, version })),
  ({ r }) => showPrediction(r),
  () => {},
);

function clearPrediction() {
  dom.prediction.textContent = '';
  delete dom.prediction.dataset.verdict;
  dom.predictionEmpty.hidden = false;
  dom.confidence.textContent = '';
  dom.predictionLive.textContent = '';
  updateProbs(null);
  dom.preview.getContext('2d').clearRect(0, 0, 28, 28);
}

let lastAnnounced = '';
function showPrediction(r) {
  if (pad.isEmpty || !r || r.empty) {
    clearPrediction();
    return;
  }
  const probs = r.probs;
  const v = r.verdict || { kind: 'digit', digit: argmax(probs), probability: probs[argmax(probs)] };
  dom.predictionEmpty.hidden = true;
  dom.prediction.dataset.verdict = v.kind;
  let msg;
  if (v.kind === 'scribble') {
    // Too much ink for a digit: say so rather than classify it.
    dom.prediction.textContent = '?';
    dom.confidence.textContent = 'Not a digit: too much ink.';
    updateProbs(null);
    msg = 'That does not look like a digit';
  } else if (v.kind === 'unsure') {
    dom.prediction.textContent = `${v.first} or ${v.second}`;
    dom.confidence.textContent = `Not sure: ${pct(v.firstProbability)} ${v.first}, ${pct(v.secondProbability)} ${v.second}`;
    updateProbs(probs);
    msg = `Not sure: ${v.first} or ${v.second}`;
  } else {
    dom.prediction.textContent = String(v.digit);
    dom.confidence.textContent = `${pct(v.probability)} sure`;
    updateProbs(probs);
    msg = `Prediction: ${v.digit}, ${Math.round(v.probability * 100)} percent`;
  }
  paintDigit(dom.preview, r.preview);
  if (!pad.current && msg !== lastAnnounced) {
    dom.predictionLive.textContent = msg;
    lastAnnounced = msg;
  }
}

const pct = (p) => `${(p * 100).toFixed(p >= 0.995 ? 0 : 1)} %`;

function predictNow() {
  clearTimeout(predictTimer);
  if (pad.isEmpty) {
    predictQueue.cancelQueued();
    clearPrediction();
    return;
  }
  if (state.engine !== 'ready' || !state.model) return;
  predictQueue.push({ version: drawVersion, pixels: pad.grayscale() });
}

function schedulePredict() {
  clearTimeout(predictTimer);
  predictTimer = setTimeout(predictNow, PREDICT_DEBOUNCE_MS);
}

const pad = new DrawingPad(dom.canvas, {
  onInput: () => {
    drawVersion++;
    schedulePredict();
  },
  onStrokeEnd: () => predictNow(),
  onChange: () => {
    drawVersion++;
    dom.undo.disabled = pad.strokeCount === 0;
    if (pad.isEmpty) predictNow();
  },
});

dom.clear.addEventListener('click', () => {
  pad.clear();
  predictNow();
});
dom.undo.addEventListener('click', () => {
  pad.undo();
  predictNow();
});

function isTyping(target) {
  return target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable);
}

document.addEventListener('keydown', (e) => {
  if (isTyping(e.target) || e.altKey) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
    if (pad.undo()) predictNow();
    e.preventDefault();
    return;
  }
  if (e.ctrlKey || e.metaKey) return;
  if (/^[0-9]$/.test(e.key)) {
    e.preventDefault();
    addCurrentDrawing(Number(e.key));
  } else if ((e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') && e.target === dom.canvas) {
    e.preventDefault();
    pad.clear();
    predictNow();
  }
});

// ---- My digits -----------------------------------------------------------------------------------

function newId() {
  return typeof crypto !== 'undefined' && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function renderDigits() {
  const n = state.digits.length;
  dom.digitsCount.textContent = String(n);
  dom.digitsEmpty.hidden = n > 0;
  renderThumbs(dom.thumbs, state.digits, (id) => deleteDigit(id));
  renderClassCounts(dom.classCounts, state.digits);
  if (!state.finetuning && dom.ftResult.dataset.state !== 'done') {
    const hint = $('ft-hint');
    if (hint) {
      const held = n >= 5 ? Math.max(1, Math.round(n * 0.2)) : 0;
      hint.textContent = n === 0 ? 'Add at least one digit to fine-tune.' : held ? `${n} digits: ${n - held} for training, ${held} held out for the before/after check.` : `${n} digit${n === 1 ? '' : 's'} — add ${5 - n} more to hold some out for a before/after check.`;
    }
  }
  refreshControls();
}

function addDigit(image, label, { quiet = true } = {}) {
  state.digits.push({ id: newId(), image: Uint8Array.from(image), label, addedAt: Date.now() });
  renderDigits();
  persistDigits();
  if (!quiet) toast(`Added a ${label} to My digits (${state.digits.length}).`);
}

function deleteDigit(id) {
  state.digits = state.digits.filter((d) => d.id !== id);
  renderDigits();
  persistDigits();
}

// Adds run one after another; the pixels are taken when the label is chosen, so a quick
// "label, clear, draw the next one" sequence never mixes drawings up.
let addChain = Promise.resolve();
function addCurrentDrawing(label) {
  if (pad.isEmpty) {
    toast('Draw a digit first, then pick its label.');
    return addChain;
  }
  const pixels = pad.grayscale();
  const version = drawVersion;
  addChain = addChain.then(async () => {
    try {
      const r = await rpc.call(MSG.PREPROCESS, pixels, [pixels.pixels.buffer]);
      if (r.empty) {
        toast('Draw a digit first, then pick its label.');
        return;
      }
      addDigit(r.image, label);
      toast(`Added a ${label} to My digits (${state.digits.length}).`);
      // Ready for the next one — unless the user already started another drawing meanwhile.
      if (drawVersion === version) {
        pad.clear();
        predictNow();
      }
    } catch (err) {
      toast(`Could not add the digit: ${err.message}`);
    }
  });
  return addChain;
}

dom.digitsClear.addEventListener('click', () => {
  if (!state.digits.length) return;
  if (!confirm(`Delete all ${state.digits.length} of your digits?`)) return;
  state.digits = [];
  renderDigits();
  persistDigits();
});

// ---- fine-tuning ---------------------------------------------------------------------------------

rpc.on(EVT.FINETUNE_PROGRESS, (p) => {
  if (!state.finetuning) return;
  const text = {
    before: 'Measuring before fine-tuning…',
    training: `Fine-tuning: step ${p.step} of ${p.steps}${Number.isFinite(p.loss) ? ` · loss ${p.loss.toFixed(4)}` : ''}`,
    after: 'Measuring after fine-tuning…',
  }[p.phase];
  setProgress(dom.ftBar, p.phase === 'before' ? 0 : p.phase === 'after' ? 1 : p.step / p.steps);
  dom.ftResult.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted small', textContent: text }));
});

async function startFinetune() {
  const n = state.digits.length;
  if (!n || dom.ftStart.disabled) return;
  const lr = Number(dom.ftLr.value);
  const steps = Math.round(Number(dom.ftSteps.value));
  if (!(lr > 0 && lr <= 0.1) || !(steps >= 1 && steps <= limits.maxFineTuneSteps)) {
    toast(`Fine-tune learning rate must be in (0, 0.1] and steps 1–${limits.maxFineTuneSteps}.`);
    return;
  }
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
    const r = await rpc.call(
      MSG.FINETUNE,
      { images, labels, holdout, settings: { learningRate: lr, steps, headOnly: dom.ftFreeze.checked } },
      [images.buffer, labels.buffer],
    );
    renderFinetuneResult(dom.ftResult, r);
    setProgress(dom.ftBar, 1, { state: 'done' });
    setModel(r.model, 'fine-tuned');
    dom.ftResult.dataset.state = 'done';
    if (r.after.test) setTestAccuracy(r.after.test.accuracy);
    predictNow();
    await persistModel('fine-tuned');
    if (state.dataset) evaluateTest({ quiet: true }); // refresh the confusion matrix (cached in the worker)
  } catch (err) {
    dom.ftResult.dataset.state = 'error';
    dom.ftResult.replaceChildren(Object.assign(document.createElement('p'), { className: 'model-message is-error', textContent: `Fine-tuning failed: ${err.message}` }));
  } finally {
    state.finetuning = false;
    refreshControls();
  }
}

dom.ftStart.addEventListener('click', () => startFinetune());
dom.ftStop.addEventListener('click', () => rpc.call(MSG.STOP).catch(() => {}));

// ---- model: pretrained / download / upload / reset -------------------------------------------------

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
    const summary = await rpc.call(MSG.IMPORT, { bytes, config: importConfig(desc.model || state.model?.config?.model) }, [bytes.buffer]);
    applyConfigToForm({ model: summary.config.model });
    setModel(summary, source);
    modelMessage(`${label} loaded: ${describeModel()}.`, 'ok');
    predictNow();
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
    const summary = await rpc.call(MSG.NEW_MODEL, { config });
    setModel(summary, 'untrained');
    clearReport();
    charts.reset();
    modelMessage(`New untrained ${config.model} model.`, 'ok');
    await storage.deleteModel().catch(() => {});
    predictNow();
  } catch (err) {
    modelMessage(`Could not create the model: ${err.message}`, 'error');
  } finally {
    state.busy = false;
    refreshControls();
  }
});

$('notice-close').addEventListener('click', () => {
  $('notice').hidden = true;
});

// ---- start -----------------------------------------------------------------------------------------

async function main() {
  setSource('untrained');
  dom.modelStatus.textContent = 'loading…';
  clearPrediction();
  renderDigits();
  refreshControls();
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
