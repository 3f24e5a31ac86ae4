// The wasm worker: owns the single Trainer and the dataset. ALL wasm work runs here (and in the
// helper workers of the data-parallel pool it starts, parallel.js); the page talks to it through
// the RPC protocol in protocol.js. Long jobs (training, fine-tuning, evaluation) run in short chunks
// and yield to the event loop between chunks so that predict, pause and stop requests are answered
// while they run.

import init, { Trainer, RunPlan, FineTune, parseIdx, preprocessDrawing, judge, defaults as wasmDefaults, limits as wasmLimits, validationSize as coreValidationSize, buildInfo } from '../pkg/inkling.js';
import wasmUrl from '../pkg/inkling_bg.wasm?url';
import { serveRpc, withTransfer, plain, yieldToEvents, MSG, EVT } from '../protocol/protocol.js';
import { loadDataset } from '../data/data.js';
import { IMAGE_BYTES, gatherBatch } from '../shared/batching.js';
import { driveRun } from './training-run.js';
import { misclassifiedIndices, RateMeter, etaSeconds } from '../shared/metrics.js';
import { TrainerPool } from '../pool/parallel.js';
import { compileEngine, startHelpers } from './engine.js';

const CHUNK_MS = 50; // train for about this long, then yield
const EVAL_CHUNK = 500; // images per evaluate() call
const GALLERY_LIMIT = 60; // misclassified test digits sent back for the gallery

let ready = null;
let info = null;
let pool = new TrainerPool(); // the coordinator alone until the helpers have started
let poolReady = null;
let trainer = null;
let weightsVersion = 0; // bumped whenever the weights change
let data = null; // { trainImages, trainLabels, trainCount, valCount, testImages, testLabels, testCount, ... }
let job = null; // the running long job: { kind, paused, stop, wake, done }
const evalCache = new Map(); // split -> { version, evaluation }

const now = () => performance.now();

let cachedDefaults = null;
/** The core's defaults (after init). */
function coreDefaults() {
  if (!cachedDefaults) cachedDefaults = plain(wasmDefaults());
  return cachedDefaults;
}

/** Loads the engine; `workers` (from the page) overrides the number of cores used. */
function ensureInit(workers) {
  if (!ready) {
    ready = compileEngine(wasmUrl).then(async (module) => {
      await init({ module_or_path: module });
      info = { ...plain(buildInfo()), defaults: coreDefaults(), limits: plain(wasmLimits()) };
      poolReady = startHelpers(module, workers, {
        onHelperLost: (err, size) => console.warn(`Inkling: a helper worker failed (${err && err.message}); going on with ${size} worker(s).`),
      }).then((started) => {
        pool = started.pool;
        return pool.size;
      });
      return info;
    });
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

/** Cores in use: the engine, the mode and the pool size, for the page. */
async function engineInfo() {
  const size = poolReady ? await poolReady.catch(() => pool.size) : pool.size;
  return { ...info, workers: size };
}

function requireTrainer() {
  if (!trainer) throw new Error('No model yet.');
  return trainer;
}

function modelSummary() {
  const t = requireTrainer();
  return { config: plain(t.config), steps: t.steps, parameterCount: t.parameterCount, version: weightsVersion };
}

function setTrainer(t) {
  if (trainer && trainer !== t) trainer.free();
  trainer = t;
  weightsVersion++;
  evalCache.clear();
}

// --- jobs ------------------------------------------------------------------------------------

async function acquire(kind) {
  // A running evaluation gives way to anything else; training/fine-tuning/loading do not.
  while (job && job.kind === 'evaluate') {
    job.stop = true;
    await job.done;
  }
  if (job) throw new Error(`The worker is busy (${job.kind} in progress).`);
  let finish;
  const j = { kind, paused: false, stop: false, wake: null, done: new Promise((r) => (finish = r)) };
  j.finish = () => {
    if (job === j) job = null;
    finish();
  };
  job = j;
  return j;
}

async function acquireOrFree(kind, t) {
  try {
    return await acquire(kind);
  } catch (err) {
    t.free();
    throw err;
  }
}

/** Makes `t` the worker's trainer once no job holds the current one (new model, imported weights). */
async function installTrainer(kind, t) {
  const j = await acquireOrFree(kind, t);
  try {
    setTrainer(t);
  } finally {
    j.finish();
  }
  return modelSummary();
}

function wake(j) {
  if (j && j.wake) {
    const w = j.wake;
    j.wake = null;
    w();
  }
}

function waitForResume(j) {
  return new Promise((resolve) => {
    j.wake = resolve;
  });
}

class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

// --- dataset ---------------------------------------------------------------------------------

function splitView(split) {
  if (!data) throw new Error('The dataset is not loaded yet.');
  if (split === 'test') return { images: data.testImages, labels: data.testLabels, offset: 0, count: data.testCount };
  if (split === 'validation') return { images: data.trainImages, labels: data.trainLabels, offset: data.trainCount, count: data.valCount };
  if (split === 'train') return { images: data.trainImages, labels: data.trainLabels, offset: 0, count: data.trainCount };
  throw new Error(`unknown split "${split}"`);
}

function datasetSummary() {
  if (!data) return null;
  return {
    train: data.trainCount,
    validation: data.valCount,
    test: data.testCount,
    baseUrl: data.baseUrl,
    fromCache: data.fromCache,
    bytes: data.bytes,
    name: data.name,
    source: data.source,
  };
}

/** Optional dataset.json next to the files ({ name, source }); absent is fine. */
async function describeDataset(baseUrl) {
  try {
    const res = await fetch(new URL('dataset.json', baseUrl), { cache: 'no-cache' });
    if (!res.ok) return {};
    const j = await res.json();
    return { name: typeof j.name === 'string' ? j.name : undefined, source: typeof j.source === 'string' ? j.source : undefined };
  } catch {
    return {};
  }
}

async function loadData({ baseUrl, validationSize }) {
  await ensureInit();
  validationSize ??= coreDefaults().trainer.validationSize;
  const j = await acquire('load');
  try {
    let last = 0;
    const result = await loadDataset(baseUrl, {
      validate: (bytes) => plain(parseIdx(bytes)),
      onProgress: (p) => {
        const t = now();
        if (t - last > 60 || p.loaded >= p.total) {
          last = t;
          server.emit(EVT.DATA_PROGRESS, p);
        }
      },
    });
    const f = result.files;
    const about = await describeDataset(baseUrl);
    const val = coreValidationSize(validationSize, f.trainImages.count);
    data = {
      trainImages: f.trainImages.data,
      trainLabels: f.trainLabels.data,
      trainCount: f.trainImages.count - val,
      valCount: val,
      testImages: f.testImages.data,
      testLabels: f.testLabels.data,
      testCount: f.testImages.count,
      baseUrl,
      fromCache: result.fromCache,
      bytes: result.bytes,
      name: about.name,
      source: about.source,
    };
    evalCache.clear();
    return datasetSummary();
  } finally {
    j.finish();
  }
}

// --- evaluation ------------------------------------------------------------------------------

/** Evaluate the current weights on a split in chunks (yielding between them). Cached per weights version. */
async function evaluateSplit(split, j) {
  const cached = evalCache.get(split);
  if (cached && cached.version === weightsVersion) return cached.evaluation;
  const version = weightsVersion;
  const { images, labels, offset, count } = splitView(split);
  // Whole chunks to each worker in turn (pool.stream); the pool yields between chunks, so predict
  // and stop requests are served meanwhile.
  const evaluation = await pool.evaluateChunks(
    requireTrainer(),
    images.subarray(offset * IMAGE_BYTES, (offset + count) * IMAGE_BYTES),
    labels.subarray(offset, offset + count),
    version,
    EVAL_CHUNK,
    () => version !== weightsVersion || (j && j.kind === 'evaluate' && j.stop),
  );
  if (version !== weightsVersion) throw new Error('the model changed during the evaluation');
  if (!evaluation) throw new Cancelled();
  evalCache.set(split, { version, evaluation });
  return evaluation;
}

function brief(ev) {
  return ev ? { count: ev.count, loss: ev.loss, accuracy: ev.accuracy, macroF1: ev.macroF1 } : null;
}

/** Full report for the results panel: metrics, confusion and a gallery of misclassified digits. */
function fullReport(ev, split) {
  const { images, labels, offset } = splitView(split);
  const split_labels = labels.subarray(offset, offset + ev.count);
  const mis = misclassifiedIndices(split_labels, ev.predictions, GALLERY_LIMIT);
  const galleryImages = new Uint8Array(mis.length * IMAGE_BYTES);
  mis.forEach((i, k) => galleryImages.set(images.subarray((offset + i) * IMAGE_BYTES, (offset + i + 1) * IMAGE_BYTES), k * IMAGE_BYTES));
  let wrong = 0;
  for (let i = 0; i < ev.count; i++) if (split_labels[i] !== ev.predictions[i]) wrong++;
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
      labels: mis.map((i) => split_labels[i]),
      predictions: mis.map((i) => ev.predictions[i]),
      images: galleryImages,
    },
  };
}

async function evaluate({ split = 'test' }) {
  await ensureInit();
  requireTrainer();
  const j = await acquire('evaluate');
  try {
    const ev = await evaluateSplit(split, j);
    const report = fullReport(ev, split);
    return withTransfer(report, [report.gallery.images.buffer]);
  } finally {
    j.finish();
  }
}

// --- training --------------------------------------------------------------------------------

async function train({ config = {}, continueTraining = false }) {
  await ensureInit();
  if (!data) throw new Error('Load the dataset before training.');
  const j = await acquire('train');
  try {
    if (!continueTraining || !trainer || plain(trainer.config).model !== (config.model || 'cnn')) {
      setTrainer(new Trainer(config));
    } else if (config.learningRate) {
      trainer.setLearningRate(config.learningRate);
    }
    return await runTraining(j, plain(trainer.config));
  } finally {
    server.emit(EVT.TRAIN_STATE, { state: 'idle' });
    j.finish();
  }
}

/**
 * Drives the core's plan of the run (RunPlan, walked by training-run.js) in chunks of about
 * CHUNK_MS, yielding between them so that predict, pause and stop are served, and evaluating after
 * every epoch.
 */
async function runTraining(j, cfg) {
  const t = trainer;
  const plan = new RunPlan(cfg, data.trainCount);
  const bs = plan.batchSize;
  const epochs = plan.epochs;
  const perEpoch = plan.batchesPerEpoch;
  const total = plan.totalBatches;
  const meter = new RateMeter(4000);
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
    server.emit(EVT.TRAIN_PROGRESS, {
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
  server.emit(EVT.TRAIN_STATE, { state: 'training' });
  let chunkStart = now();
  try {
    await driveRun({
      plan,
      trainer: t,
      images: data.trainImages,
      labels: data.trainLabels,
      // With helpers, the batch's gradient is computed in shares across the workers (when that pays).
      step: async (images, labels, stream) => {
        const r = await pool.trainBatch(t, images, labels, weightsVersion, stream);
        weightsVersion++;
        return r;
      },
      beforeBatch: async (at) => {
        ({ epoch, batch } = at);
        if (j.stop) return false;
        if (j.paused) {
          emitProgress();
          server.emit(EVT.TRAIN_STATE, { state: 'paused' });
          await waitForResume(j);
          meter.reset(now());
          if (j.stop) return false;
          server.emit(EVT.TRAIN_STATE, { state: 'training' });
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
        server.emit(EVT.TRAIN_STATE, { state: 'evaluating' });
        const validation = data.valCount ? await evaluateSplit('validation') : null;
        lastTest = await evaluateSplit('test');
        lastTestVersion = weightsVersion;
        epochsDone = epoch + 1;
        server.emit(EVT.EPOCH, { epoch: epoch + 1, epochs, validation: brief(validation), test: brief(lastTest) });
        if (epoch + 1 < epochs && !j.stop) server.emit(EVT.TRAIN_STATE, { state: 'training' });
        chunkStart = now();
      },
    });
  } finally {
    plan.free();
  }
  const stopped = j.stop;
  if (lastTestVersion !== weightsVersion) {
    server.emit(EVT.TRAIN_STATE, { state: 'evaluating' });
    lastTest = await evaluateSplit('test');
  }
  const report = fullReport(lastTest, 'test');
  return withTransfer(
    { stopped, batchesDone: done, epochsDone, totalBatches: total, batchesPerEpoch: perEpoch, model: modelSummary(), test: report },
    [report.gallery.images.buffer],
  );
}

// --- fine-tuning -----------------------------------------------------------------------------

function evalUserDigits(images, labels, idx) {
  if (!idx.length) return null;
  const im = new Uint8Array(idx.length * IMAGE_BYTES);
  const lb = new Uint8Array(idx.length);
  idx.forEach((i, k) => {
    im.set(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), k * IMAGE_BYTES);
    lb[k] = labels[i];
  });
  const ev = plain(requireTrainer().evaluate(im, lb));
  const predictions = Array.from(ev.predictions);
  return { count: idx.length, correct: predictions.filter((p, k) => p === lb[k]).length, accuracy: ev.accuracy, predictions };
}

/**
 * Fine-tunes on the person's digits with the core's recipe (FineTune: class-balanced, augmented,
 * MNIST replayed), holding out `holdout` to measure before and after. `settings` are FineTuneConfig
 * keys; the core's defaults fill the rest.
 */
async function finetune({ images, labels, holdout = [], settings = {} }) {
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
  const steps = ft.steps;
  const baseLr = plain(t.config).learningRate;
  const progress = (phase, step = 0, extra = {}) => server.emit(EVT.FINETUNE_PROGRESS, { phase, step, steps, ...extra });
  try {
    progress('before');
    const before = { holdout: evalUserDigits(images, labels, [...held]), test: data ? brief(await evaluateSplit('test')) : null };
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
      weightsVersion++;
      if (now() - chunkStart >= CHUNK_MS) {
        progress('training', ft.stepsDone, { loss: lastLoss });
        await yieldToEvents();
        chunkStart = now();
      }
    }
    const done = ft.stepsDone;
    progress('after', done, { loss: lastLoss });
    const after = { holdout: evalUserDigits(images, labels, [...held]), test: data ? brief(await evaluateSplit('test')) : null };
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

// --- requests --------------------------------------------------------------------------------

function preprocess({ pixels, width, height, channels }) {
  return preprocessDrawing(pixels, width, height, channels);
}

const handlers = {
  async [MSG.INIT]({ workers } = {}) {
    await ensureInit(workers);
    return { buildInfo: await engineInfo() };
  },
  [MSG.LOAD_DATA]: loadData,
  async [MSG.NEW_MODEL]({ config = {} }) {
    await ensureInit();
    if (job && job.kind !== 'evaluate') throw new Error(`The worker is busy (${job.kind} in progress).`);
    const t = new Trainer(config); // throws on a bad config; the current model stays
    return installTrainer('reset', t);
  },
  [MSG.TRAIN]: train,
  [MSG.PAUSE]() {
    if (job && (job.kind === 'train' || job.kind === 'finetune')) job.paused = true;
    return { paused: !!job && job.paused };
  },
  [MSG.RESUME]() {
    if (job) {
      job.paused = false;
      wake(job);
    }
    return { paused: false };
  },
  [MSG.STOP]() {
    if (job) {
      job.stop = true;
      job.paused = false;
      wake(job);
    }
    return { stopping: !!job };
  },
  async [MSG.PREDICT](req) {
    await ensureInit();
    const image = preprocess(req);
    if (!image) return { empty: true };
    const probs = requireTrainer().predict(image);
    const verdict = plain(judge(probs, image));
    return withTransfer({ empty: false, probs, preview: image, verdict, version: weightsVersion }, [probs.buffer, image.buffer]);
  },
  async [MSG.PREPROCESS](req) {
    await ensureInit();
    const image = preprocess(req);
    return image ? withTransfer({ empty: false, image }, [image.buffer]) : { empty: true };
  },
  [MSG.EVALUATE]: evaluate,
  async [MSG.EXPORT]() {
    await ensureInit();
    const bytes = requireTrainer().exportWeights();
    return withTransfer({ bytes, config: plain(trainer.config) }, [bytes.buffer]);
  },
  async [MSG.IMPORT]({ bytes, config = {} }) {
    await ensureInit();
    if (job && job.kind !== 'evaluate') throw new Error(`The worker is busy (${job.kind} in progress).`);
    const t = new Trainer(config);
    try {
      t.importWeights(bytes);
    } catch (err) {
      t.free(); // the current model stays
      throw err;
    }
    return installTrainer('import', t);
  },
  [MSG.FINETUNE]: finetune,
  async [MSG.INFO]() {
    await ensureInit();
    return { model: trainer ? modelSummary() : null, dataset: datasetSummary(), buildInfo: await engineInfo(), job: job ? job.kind : null };
  },
};

const server = serveRpc(self, handlers);
