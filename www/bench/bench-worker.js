// Benchmark worker for www/bench/bench.html (driven by tools/bench.mjs): the same wasm package and
// data loading as the app's worker (www/engine/worker.js), but each request is one measurement.
// Times are taken here with performance.now() around the wasm calls only, except `firstBatch`,
// which reports worker-side timestamps (ms since this worker's time origin, plus that origin)
// so the page can place them on its own navigation timeline.
//
// Training, inference and the epoch run on the app's data-parallel pool (parallel.js) with
// `workers` workers (params.workers: 'all' = one per core, the app's default; 1 = the single-worker
// path, Trainer.trainBatch / predict directly).
//
// Requests and events are protocol.js's (BENCH, EVT.BENCH_PROGRESS).

import init, { Trainer, RunPlan, FineTune, parseIdx, buildInfo, defaults, validationSize } from '../pkg/inkling.js';
import wasmUrl from '../pkg/inkling_bg.wasm?url';
import { loadDataset } from '../data/data.js';
import { describeDataset } from '../data/about.js';
import { plain, serveRpc, BENCH, EVT } from '../protocol/protocol.js';
import { IMAGE_BYTES, gatherBatch } from '../shared/batching.js';
import { driveRun } from '../engine/training-run.js';
import { soak } from './soak-run.js';
import { TrainerPool } from '../pool/parallel.js';
import { compileEngine, startHelpers } from '../engine/engine.js';

const now = () => performance.now();
let wasm = null; // the wasm exports (memory included)
let data = null; // { images, labels, trainCount, testImages, testLabels, testCount, ... }
const trainers = new Map(); // model -> Trainer (kept after `train` for inference/latency)

let allPool = null; // the pool with one worker per core (started at init)
const single = new TrainerPool(); // the coordinator alone

async function ensureInit() {
  if (!wasm) {
    const module = await compileEngine(wasmUrl);
    wasm = await init({ module_or_path: module });
    allPool = (await startHelpers(module)).pool;
  }
  return wasm;
}

/** The pool for params.workers ('all' or 1). */
function poolFor(workers = 'all') {
  return workers === 1 || !allPool ? single : allPool;
}

let version = 0; // weights version for the pool's mirrors (bumped after every step)

/** One step on the pool (a plain trainBatch with one worker, or where splitting does not pay), as the app's worker does. */
async function step(pool, t, img, lbl, stream = t.steps) {
  const r = await pool.trainBatch(t, img, lbl, version, stream);
  version++;
  return r;
}

async function loadData({ baseUrl }) {
  const t0 = now();
  const res = await loadDataset(baseUrl, { validate: (bytes) => plain(parseIdx(bytes)) });
  const f = res.files;
  const val = validationSize(defaults().trainer.validationSize, f.trainImages.count); // the app's validation split
  const about = await describeDataset(baseUrl);
  data = {
    images: f.trainImages.data,
    labels: f.trainLabels.data,
    trainCount: f.trainImages.count - val,
    testImages: f.testImages.data,
    testLabels: f.testLabels.data,
    testCount: f.testImages.count,
  };
  return {
    train: data.trainCount,
    validation: val,
    test: data.testCount,
    fromCache: res.fromCache,
    name: about.name || 'unknown',
    official: about.official,
    source: about.source || '',
    ms: now() - t0,
  };
}

function requireData() {
  if (!data) throw new Error('load the dataset first');
  return data;
}

function trainerFor(model) {
  let t = trainers.get(model);
  if (!t) {
    t = new Trainer({ model, seed: 1 });
    trainers.set(model, t);
  }
  return t;
}

/** A batch source cycling through the training set in a shuffled order, like the app. */
function batches(batch, seed = 1) {
  const d = requireData();
  const plan = new RunPlan({ seed, batchSize: batch }, d.trainCount);
  const order = plan.epochOrder(0); // the app's first epoch
  plan.free();
  const img = new Uint8Array(batch * IMAGE_BYTES);
  const lbl = new Uint8Array(batch);
  let pos = 0;
  return () => {
    if (pos + batch > d.trainCount) pos = 0;
    gatherBatch(d.images, d.labels, order, pos, pos + batch, img, lbl);
    pos += batch;
    return [img, lbl];
  };
}

/**
 * Training throughput: untimed warm-up (at least `warmup` steps and `warmupSeconds`, so V8 has
 * tiered the hot wasm functions up), then steps until `seconds` have passed (at least minSteps).
 */
async function train({ model, batch, warmup = 2, warmupSeconds = 1, seconds = 5, minSteps = 3, workers = 'all', augment = true }) {
  const pool = poolFor(workers);
  const old = trainers.get(model);
  if (old) old.free();
  trainers.delete(model);
  // `augment: false` measures what the app's default augmentation costs (a throwaway trainer).
  const t = augment ? trainerFor(model) : new Trainer({ model, seed: 1, augment: false });
  const next = batches(batch);
  const w0 = now();
  let warm = 0;
  while (warm < warmup || now() - w0 < warmupSeconds * 1000) {
    await step(pool, t, ...next());
    warm++;
  }
  let steps = 0;
  let busy = 0; // time inside the step only (excludes gathering the batch)
  pool.timing = { local: 0, wait: 0, calls: 0 }; // the timed steps only
  const t0 = now();
  let last = null;
  while (steps < minSteps || now() - t0 < seconds * 1000) {
    const [img, lbl] = next();
    const s = now();
    last = await step(pool, t, img, lbl);
    busy += now() - s;
    steps++;
  }
  const ms = now() - t0;
  if (!augment) t.free();
  return { model, batch, augment, workers: pool.size, timing: { ...pool.timing }, warmup: warm, steps, samples: steps * batch, ms, samplesPerSec: (steps * batch) / (ms / 1000), wasmSamplesPerSec: (steps * batch) / (busy / 1000), loss: last.loss };
}

/**
 * Inference throughput: predict(batch of `batch` test images), or with `stream` the whole test set
 * streamed in such batches, until `seconds` have passed, after an
 * untimed warm-up of at least `warmupSeconds` (V8's tiering, and the pool's timed trials of split and
 * unsplit calls, see TIMED_CALLS in split-timer.js).
 */
async function infer({ model, batch = 256, warmupSeconds = 1, seconds = 3, minCalls = 3, workers = 'all', stream = false }) {
  const d = requireData();
  const pool = poolFor(workers);
  const t = trainerFor(model);
  const n = Math.min(batch, d.testCount);
  // One call: `batch` images, split across the workers. Streamed: the whole test set in batches of
  // `batch`, each batch whole to one worker (pool.predictChunks, the path of the app's evaluation).
  const count = stream ? d.testCount : n;
  const img = d.testImages.subarray(0, count * IMAGE_BYTES);
  const run = stream ? () => pool.predictChunks(t, img, version, n) : () => pool.predict(t, img, version);
  version++; // this trainer's weights may not be mirrored yet
  const w0 = now();
  do await run(); // the first also sends the mirrors' weights
  while (now() - w0 < warmupSeconds * 1000);
  let calls = 0;
  const t0 = now();
  while (calls < minCalls || now() - t0 < seconds * 1000) {
    await run();
    calls++;
  }
  const ms = now() - t0;
  return { model, batch: n, workers: pool.size, stream, calls, samples: calls * count, ms, samplesPerSec: (calls * count) / (ms / 1000) };
}

/** Single-image predict latency measured around the wasm call (after >= `warmup` calls and >= warmupMs): every call's ms. */
function latency({ model, count = 200, warmup = 10, warmupMs = 300 }) {
  const d = requireData();
  const t = trainerFor(model);
  const image = (i) => d.testImages.subarray((i % d.testCount) * IMAGE_BYTES, ((i % d.testCount) + 1) * IMAGE_BYTES);
  const w0 = now();
  for (let i = 0; i < warmup || now() - w0 < warmupMs; i++) t.predict(image(i));
  const times = [];
  for (let i = 0; i < count; i++) {
    const s = now();
    t.predict(image(i));
    times.push(now() - s);
  }
  return { model, times };
}

/** One prediction for the page's round-trip measurement (the pixels come with the request). */
function predictOne({ model, pixels }) {
  return { probs: trainerFor(model).predict(pixels) };
}

/**
 * The app's training run with its default settings (or `epochs` of them, or any TrainerConfig keys in
 * `config`) and its driver (the core's
 * run plan: shuffled, the last batch partial, augmented), evaluated on the validation and test splits
 * after every epoch as the app does (here on this worker alone, where the app streams the evaluation
 * over the pool, so the wall times are an upper bound). Times from the start: each epoch's training
 * alone, and the wall time at each epoch's end (evaluations included), which is what a user waits for.
 */
async function run({ model = 'cnn', batch = 64, seed = 1, epochs, workers = 'all', config: overrides = {} }) {
  const d = requireData();
  const pool = poolFor(workers);
  const config = { model, seed, batchSize: batch, ...(epochs ? { epochs } : {}), ...overrides };
  const t = new Trainer(config);
  const plan = new RunPlan(config, d.trainCount);
  const perEpoch = plan.batchesPerEpoch;
  const valCount = d.labels.length - d.trainCount;
  const rows = [];
  let lastReport = now();
  const t0 = now();
  let epochStart = t0;
  let loss = 0;
  try {
    await driveRun({
      plan,
      trainer: t,
      images: d.images,
      labels: d.labels,
      step: (img, lbl, stream) => step(pool, t, img, lbl, stream),
      afterBatch: ({ epoch: e, batch: b, result }) => {
        loss = result.loss;
        if (now() - lastReport > 10_000) {
          lastReport = now();
          server.emit(EVT.BENCH_PROGRESS, { task: BENCH.RUN, epoch: e + 1, batch: b, batches: perEpoch, ms: lastReport - t0, loss });
        }
      },
      afterEpoch: ({ epoch: e }) => {
        const trainMs = now() - epochStart;
        const validation = valCount ? plain(t.evaluate(d.images.subarray(d.trainCount * IMAGE_BYTES), d.labels.subarray(d.trainCount))).accuracy : null;
        const test = plain(t.evaluate(d.testImages, d.testLabels)).accuracy;
        rows.push({ epoch: e + 1, trainMs, wallMs: now() - t0, loss, validation, test });
        epochStart = now();
      },
    });
  } finally {
    plan.free();
  }
  t.free();
  const n = d.trainCount;
  return { model: config.model, batch: config.batchSize, workers: pool.size, samples: n, stepsPerEpoch: perEpoch, epochs: rows };
}

/** The app's cold-start path, timestamped: wasm init, dataset (Cache API on a reload), Trainer, first step. */
async function firstBatch({ baseUrl, model = 'cnn', batch = 64 }) {
  const marks = { workerStart: now() };
  await ensureInit();
  marks.wasmReady = now();
  const t = trainerFor(model);
  marks.trainerReady = now();
  const dataset = await loadData({ baseUrl });
  marks.dataReady = now();
  const next = batches(batch);
  const first = await step(poolFor('all'), t, ...next());
  marks.firstBatch = now();
  return { timeOrigin: performance.timeOrigin, marks, dataset, loss: first.loss, workers: poolFor('all').size };
}

/**
 * The app's fine-tune on `perClass` digits per class (the first of each class in the validation
 * split, standing in for a person's), with the core's default recipe and the training split
 * replayed, on the coordinator as the app's worker runs it: wall time from the recipe's start to
 * its last step.
 */
async function finetune({ model = 'cnn', perClass = 20 }) {
  await ensureInit();
  const d = requireData();
  const picked = [];
  const counts = new Array(10).fill(0);
  for (let i = d.trainCount; i < d.labels.length && picked.length < perClass * 10; i++) {
    if (counts[d.labels[i]] < perClass) {
      counts[d.labels[i]]++;
      picked.push(i);
    }
  }
  const own = new Uint8Array(picked.length * IMAGE_BYTES);
  const ownLabels = new Uint8Array(picked.length);
  gatherBatch(d.images, d.labels, picked, 0, picked.length, own, ownLabels);
  const t = trainerFor(model);
  const t0 = now();
  const ft = new FineTune(own, ownLabels, {});
  ft.setReplay(d.images.subarray(0, d.trainCount * IMAGE_BYTES), d.labels.subarray(0, d.trainCount));
  while (!ft.isDone) ft.step(t);
  const ms = now() - t0;
  const steps = ft.stepsDone;
  ft.free();
  return { model, digits: picked.length, steps, ms };
}

const TASKS = {
  [BENCH.INIT]: async () => {
    await ensureInit();
    return { buildInfo: { ...plain(buildInfo()), workers: poolFor('all').size }, memoryBytes: wasm.memory.buffer.byteLength };
  },
  [BENCH.LOAD]: async (p) => {
    await ensureInit();
    return loadData(p);
  },
  [BENCH.TRAIN]: train,
  [BENCH.INFER]: infer,
  [BENCH.LATENCY]: latency,
  [BENCH.PREDICT_ONE]: predictOne,
  [BENCH.RUN]: run,
  [BENCH.FIRST_BATCH]: firstBatch,
  [BENCH.FINETUNE]: finetune,
  // The memory soak (soak-run.js) on this worker's own Trainer; each epoch's reading as progress.
  [BENCH.SOAK]: async (options) => soak({ wasm: await ensureInit(), Trainer, RunPlan }, requireData(), options, (record) => server.emit(EVT.BENCH_PROGRESS, { task: BENCH.SOAK, ...record })),
  [BENCH.MEMORY]: async () => ({ memoryBytes: (await ensureInit()).memory.buffer.byteLength }),
};

const server = serveRpc(self, TASKS);
