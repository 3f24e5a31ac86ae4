// The engine's state inside the app's worker: the wasm engine once loaded, the one Trainer, the
// version of its weights, the data set, the worker pool and the evaluation cache. Every engine
// module reads and changes it through the one `engine` object, so there is no second copy.
// No DOM access: this runs inside a worker.

import init, { defaults as wasmDefaults, limits as wasmLimits, buildInfo } from '../pkg/inkling.js';
import wasmUrl from '../pkg/inkling_bg.wasm?url';
import { plain } from '../protocol/protocol.js';
import { TrainerPool } from '../pool/parallel.js';
import { compileEngine, startHelpers } from './engine.js';

/** What the engine holds; `emit` is set by worker.js to send events to the page. */
export const engine = {
  info: null,
  /** The coordinator alone until the helpers have started. */
  pool: new TrainerPool(),
  poolReady: null,
  trainer: null,
  /** Bumped whenever the weights change; evaluations and predictions carry it. */
  weightsVersion: 0,
  /** { trainImages, trainLabels, trainCount, valCount, testImages, testLabels, testCount, ... } */
  data: null,
  /** split -> { version, evaluation } */
  evalCache: new Map(),
  emit: () => {},
};

export const now = () => performance.now();

let ready = null;
let cachedDefaults = null;

/** The core's defaults (after init). */
export function coreDefaults() {
  if (!cachedDefaults) cachedDefaults = plain(wasmDefaults());
  return cachedDefaults;
}

/** Loads the engine once; `workers` (from the page) overrides the number of cores used. */
export function ensureInit(workers) {
  if (!ready) {
    ready = compileEngine(wasmUrl).then(async (module) => {
      await init({ module_or_path: module });
      engine.info = { ...plain(buildInfo()), defaults: coreDefaults(), limits: plain(wasmLimits()) };
      engine.poolReady = startHelpers(module, workers, {
        onHelperLost: (err, size) => console.warn(`Inkling: a helper worker failed (${err && err.message}); going on with ${size} worker(s).`),
      }).then((started) => {
        engine.pool = started.pool;
        return engine.pool.size;
      });
      return engine.info;
    });
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

/** Cores in use: the engine, the mode and the pool size, for the page. */
export async function engineInfo() {
  const { poolReady, pool } = engine;
  const size = poolReady ? await poolReady.catch(() => pool.size) : pool.size;
  return { ...engine.info, workers: size };
}

export function requireTrainer() {
  if (!engine.trainer) throw new Error('No model yet.');
  return engine.trainer;
}

export function modelSummary() {
  const t = requireTrainer();
  return { config: plain(t.config), steps: t.steps, parameterCount: t.parameterCount, version: engine.weightsVersion };
}

/** Makes `t` the trainer (freeing the one it replaces); cached evaluations are of the old weights. */
export function setTrainer(t) {
  if (engine.trainer && engine.trainer !== t) engine.trainer.free();
  engine.trainer = t;
  engine.weightsVersion++;
  engine.evalCache.clear();
}
