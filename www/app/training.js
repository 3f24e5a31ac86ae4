// The training panel: start, pause, resume and stop a run of the core's training plan in the
// engine, its live progress and statistics, and the loss/accuracy charts.

import { EVT, MSG } from '../protocol/protocol.js';
import { TrainingCharts } from './charts.js';
import { readConfig } from './config-form.js';
import { formatEta, formatInt, formatPercent, formatRate } from './format.js';
import { persistModel, setModel, setSource } from './model.js';
import { dropEvaluation, setTestAccuracy, showReport } from './results.js';
import { dom, emit, on, refreshControls, rpc, state, training } from './store.js';
import { $, setProgress, toast } from './ui.js';

const charts = new TrainingCharts({ loss: $('chart-loss'), accuracy: $('chart-acc'), epochs: $('chart-epoch') });

function setTrainState(s, text) {
  state.train = s;
  dom.progress.dataset.state = s;
  if (text) dom.trainText.textContent = text;
  setProgress(dom.trainBar, Number(dom.trainBar.getAttribute('aria-valuenow')) / 100, { state: s });
  refreshControls();
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
  emit('weights', { live: true }); // the drawing's prediction follows the live weights
});

rpc.on(EVT.TRAIN_STATE, ({ state: s }) => {
  if (!training()) return;
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
  emit('weights');
});

// A new untrained model: its curves start from nothing.
on('weights', ({ fresh }) => {
  if (fresh) charts.reset();
});

async function startTraining() {
  const config = readConfig();
  if (!config || dom.start.disabled) return;
  const continueTraining = dom.cfgContinue.checked;
  dropEvaluation(); // a running evaluation is cancelled by the worker; ignore its result
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
    emit('weights');
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

// One pause/resume request at a time: a double click must not pause and resume at once.
let pauseBusy = false;
async function togglePause() {
  if (pauseBusy) return;
  pauseBusy = true;
  try {
    if (state.train === 'training') {
      await rpc.call(MSG.PAUSE);
      if (state.train === 'training') setTrainState('paused', 'Paused — press Resume to continue.');
      dom.statEta.textContent = 'paused';
      dom.statSpeed.textContent = '—';
    } else if (state.train === 'paused') {
      await rpc.call(MSG.RESUME);
      if (state.train === 'paused') setTrainState('training', 'Training…');
    }
  } finally {
    pauseBusy = false;
  }
}

async function stopTraining() {
  if (!training()) return;
  state.stopping = true;
  if (state.train === 'paused') setTrainState('training');
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
