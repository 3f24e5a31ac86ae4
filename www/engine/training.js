// The TRAIN request: a new or continued model trained on the loaded data set by the core's run
// plan (RunPlan, walked by training-run.js), in chunks of about CHUNK_MS between which the worker
// yields so that predict, pause and stop are served; each batch's gradient is shared over the
// worker pool when that pays, and every epoch ends with a validation and a test evaluation.

import { Trainer, RunPlan } from '../pkg/inkling.js';
import { withTransfer, plain, yieldToEvents, EVT } from '../protocol/protocol.js';
import { RateMeter, etaSeconds } from '../shared/metrics.js';
import { driveRun } from './training-run.js';
import { engine, ensureInit, now, setTrainer, modelSummary, coreDefaults } from './state.js';
import { acquire, waitForResume } from './jobs.js';
import { evaluateSplit, brief, fullReport } from './evaluation.js';

/** Train for about this long, then yield to the event loop. */
export const CHUNK_MS = 50;

const RATE_WINDOW_MS = 4000; // samples/s averaged over this window

export async function train({ config = {}, continueTraining = false }) {
  await ensureInit();
  if (!engine.data) throw new Error('Load the dataset before training.');
  const j = await acquire('train');
  try {
    const { trainer } = engine;
    if (!continueTraining || !trainer || plain(trainer.config).model !== (config.model || coreDefaults().trainer.model)) {
      setTrainer(new Trainer(config));
    } else if (config.learningRate) {
      trainer.setLearningRate(config.learningRate);
    }
    return await runTraining(j, plain(engine.trainer.config));
  } finally {
    engine.emit(EVT.TRAIN_STATE, { state: 'idle' });
    j.finish();
  }
}

async function runTraining(j, cfg) {
  const t = engine.trainer;
  const data = engine.data;
  const emit = engine.emit;
  const plan = new RunPlan(cfg, data.trainCount);
  const bs = plan.batchSize;
  const epochs = plan.epochs;
  const perEpoch = plan.batchesPerEpoch;
  const total = plan.totalBatches;
  const meter = new RateMeter(RATE_WINDOW_MS);
  meter.reset(now());
  let done = 0;
  let steps = [];
  let epoch = 0;
  let batch = 0;
  let epochsDone = 0;
  let lastTest = null;
  let lastTestVersion = -1;

  const emitProgress = () => {
    const rate = meter.rate(now());
    emit(EVT.TRAIN_PROGRESS, {
      epoch: epoch + 1,
      epochs,
      batch,
      batchesPerEpoch: perEpoch,
      batchesDone: done,
      totalBatches: total,
      samplesPerSec: rate,
      etaSeconds: etaSeconds((total - done) * bs, rate),
      globalStep: t.steps,
      steps,
    });
    steps = [];
  };
  emit(EVT.TRAIN_STATE, { state: 'training' });
  let chunkStart = now();
  try {
    await driveRun({
      plan,
      trainer: t,
      images: data.trainImages,
      labels: data.trainLabels,
      step: async (images, labels, stream) => {
        const r = await engine.pool.trainBatch(t, images, labels, engine.weightsVersion, stream);
        engine.weightsVersion++;
        return r;
      },
      beforeBatch: async (at) => {
        ({ epoch, batch } = at);
        if (j.stop) return false;
        if (j.paused) {
          emitProgress();
          emit(EVT.TRAIN_STATE, { state: 'paused' });
          await waitForResume(j);
          meter.reset(now());
          if (j.stop) return false;
          emit(EVT.TRAIN_STATE, { state: 'training' });
          chunkStart = now();
        }
        return true;
      },
      afterBatch: async ({ batch: b, count, result: r }) => {
        batch = b;
        done++;
        steps.push({ step: t.steps, loss: r.loss, accuracy: r.accuracy });
        meter.add(count, now());
        if (now() - chunkStart >= CHUNK_MS) {
          emitProgress();
          await yieldToEvents();
          chunkStart = now();
        }
      },
      afterEpoch: async () => {
        emitProgress();
        emit(EVT.TRAIN_STATE, { state: 'evaluating' });
        const validation = data.valCount ? await evaluateSplit('validation') : null;
        lastTest = await evaluateSplit('test');
        lastTestVersion = engine.weightsVersion;
        epochsDone = epoch + 1;
        emit(EVT.EPOCH, { epoch: epoch + 1, epochs, validation: brief(validation), test: brief(lastTest) });
        if (epoch + 1 < epochs && !j.stop) emit(EVT.TRAIN_STATE, { state: 'training' });
        chunkStart = now();
      },
    });
  } finally {
    plan.free();
  }
  const stopped = j.stop;
  if (lastTestVersion !== engine.weightsVersion) {
    emit(EVT.TRAIN_STATE, { state: 'evaluating' });
    lastTest = await evaluateSplit('test');
  }
  const report = fullReport(lastTest, 'test');
  return withTransfer(
    { stopped, batchesDone: done, epochsDone, totalBatches: total, batchesPerEpoch: perEpoch, model: modelSummary(), test: report },
    [report.gallery.images.buffer],
  );
}
