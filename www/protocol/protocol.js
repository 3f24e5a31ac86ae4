// The one message layer: requests, responses and events between the page (main thread) and the
// wasm worker, between the coordinator and the pool's helpers (pool/shard.js names their requests)
// and between the benchmark page and its worker.
//
// Requests   main -> worker : { id, type, payload }
// Responses  worker -> main : { id, ok: true, result } | { id, ok: false, error: { name, message, kind? } }
// Events     worker -> main : { event, data }            (no id; progress, epoch results, ...)
//
// Pure module: no DOM, no wasm. Used by both sides and unit-tested in node.

/**
 * Payloads of the app's messages (the shapes the engine's handlers return; `config` is the core's
 * TrainConfig as plain data, `defaults()`/`limits()` name its keys).
 *
 * @typedef {{ config: object, steps: number, parameterCount: number, version: number }} ModelSummary
 * @typedef {{ train: number, validation: number, test: number, baseUrl: string, fromCache: boolean, bytes: number, name?: string, source?: string }} DatasetSummary
 * @typedef {{ count: number, loss: number, accuracy: number, macroF1: number }} Brief
 * @typedef {Brief & { split: string, confusion: number[], precision: number[], recall: number[], f1: number[], support: number[],
 *   misclassifiedCount: number, gallery: { indices: number[], labels: number[], predictions: number[], images: Uint8Array } }} Report
 * @typedef {{ stopped: boolean, batchesDone: number, epochsDone: number, totalBatches: number, batchesPerEpoch: number, model: ModelSummary, test: Report }} RunSummary
 * @typedef {{ count: number, correct: number, accuracy: number, predictions: number[] }} DigitsScore
 * @typedef {{ stopped: boolean, steps: number, trainCount: number, holdoutCount: number, mnistReplay: boolean,
 *   before: { holdout: DigitsScore | null, test: Brief | null }, after: { holdout: DigitsScore | null, test: Brief | null }, model: ModelSummary }} FinetuneReport
 * @typedef {{ kind: 'digit', digit: number, probability: number }
 *   | { kind: 'unsure', first: number, firstProbability: number, second: number, secondProbability: number }
 *   | { kind: 'scribble' }} Verdict
 * @typedef {{ pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: number }} Drawing
 */

/** Request types (main -> worker): payload -> result. */
export const MSG = Object.freeze({
  INIT: 'init', // { workers? } -> { buildInfo } (buildInfo() with defaults, limits and the pool's workers)
  LOAD_DATA: 'loadData', // { baseUrl, validationSize? } -> DatasetSummary
  NEW_MODEL: 'newModel', // { config } -> ModelSummary
  TRAIN: 'train', // { config, continueTraining } -> RunSummary (resolves when the run ends)
  PAUSE: 'pause', // -> { paused }
  RESUME: 'resume', // -> { paused: false }
  STOP: 'stop', // -> { stopping }
  PREDICT: 'predict', // Drawing -> { empty: true } | { empty: false, probs: Float32Array, preview: Uint8Array, verdict: Verdict, version }
  PREPROCESS: 'preprocess', // Drawing -> { empty: true } | { empty: false, image: Uint8Array }
  EVALUATE: 'evaluate', // { split: 'test' | 'validation' | 'train' } -> Report
  EXPORT: 'exportWeights', // -> { bytes: Uint8Array, config }
  IMPORT: 'importWeights', // { bytes, config } -> ModelSummary
  FINETUNE: 'finetune', // { images, labels, holdout: number[], settings: FineTuneConfig keys } -> FinetuneReport
  INFO: 'info', // -> { model: ModelSummary | null, dataset: DatasetSummary | null, buildInfo, job: string | null }
  INSPECT: 'inspect', // { image: 784 bytes } -> Inspection (each layer's output and the first filters; Float32Array values)
  SUMMARIZE: 'summarize', // { model?, spec? } -> NetworkSummary (the core's summarize(): spec, layers, params, fixed)
});

/** Event names (worker -> main) and their data. */
export const EVT = Object.freeze({
  DATA_PROGRESS: 'dataProgress', // { file, loaded, total, fromCache }
  TRAIN_PROGRESS: 'trainProgress', // { epoch, epochs, batch, batchesPerEpoch, batchesDone, totalBatches, samplesPerSec, etaSeconds, globalStep, steps: [{ step, loss, accuracy }] }
  TRAIN_STATE: 'trainState', // { state: 'training' | 'paused' | 'evaluating' | 'idle' }
  EPOCH: 'epoch', // { epoch, epochs, validation: Brief | null, test: Brief }
  FINETUNE_PROGRESS: 'finetuneProgress', // { phase: 'before' | 'training' | 'after', step, steps, loss? }
  BENCH_PROGRESS: 'benchProgress', // { task, epoch, batch, batches, ms, loss } while a bench run trains (a soak: each epoch's reading)
});

/** Requests the benchmark's worker answers (www/bench/bench-worker.js), each one measurement. */
export const BENCH = Object.freeze({
  INIT: 'init', // -> { buildInfo, memoryBytes }
  LOAD: 'load', // { baseUrl } -> { train, test, ms, ... }
  TRAIN: 'train', // { model, batch, seconds, workers, augment, ... } -> { steps, ms, samplesPerSec, wasmSamplesPerSec, timing, loss }
  INFER: 'infer', // { model, batch, seconds, workers, stream } -> { calls, samples, ms, samplesPerSec }
  LATENCY: 'latency', // { model } -> { model, times }
  PREDICT_ONE: 'predictOne', // { model, pixels } -> { probs }
  RUN: 'run', // { model, batch, seed, epochs, workers } -> { stepsPerEpoch, epochs: [{ trainMs, validation, test, ... }] }
  FIRST_BATCH: 'firstBatch', // { baseUrl, model, batch } -> { timeOrigin, marks, dataset, loss, workers }
  FINETUNE: 'finetune', // { model, perClass } -> { digits, steps, ms }
  SOAK: 'soak', // { model, batch, epochs, epochSize, evalN, predictions, injectLeak } -> soak-run.js's readings
  MEMORY: 'memory', // -> { memoryBytes }
});

/** Resolves after the event loop's next turn, so that messages queued meanwhile are handled first. */
export const yieldToEvents = () => new Promise((resolve) => setTimeout(resolve));

/**
 * A wasm result as plain data: serde-wasm-bindgen may hand back Maps, which structured clone and
 * property access treat differently; Maps become objects, recursively. Typed arrays stay as they are.
 */
export function plain(v) {
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) o[k] = plain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Object.prototype) {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

/** Serialise an Error (or anything thrown) into a structured-clone-safe object. */
export function serializeError(err) {
  if (err && typeof err === 'object') {
    const out = {
      name: typeof err.name === 'string' ? err.name : 'Error',
      message: typeof err.message === 'string' && err.message ? err.message : String(err),
    };
    if (typeof err.kind === 'string') out.kind = err.kind;
    return out;
  }
  return { name: 'Error', message: String(err) };
}

/** Error raised on the calling side when the worker answers with { ok: false }. */
export class RpcError extends Error {
  constructor(info = {}, type = '') {
    super(info.message || 'worker request failed');
    this.name = info.name && info.name !== 'Error' ? info.name : 'RpcError';
    this.kind = info.kind;
    this.type = type;
  }
}

export function isResponse(msg) {
  return !!msg && typeof msg === 'object' && typeof msg.id === 'number' && typeof msg.ok === 'boolean';
}

export function isEvent(msg) {
  return !!msg && typeof msg === 'object' && typeof msg.event === 'string';
}

/**
 * Wrap a handler result so its ArrayBuffers are transferred instead of copied.
 * `serveRpc` unwraps it.
 */
export function withTransfer(value, transfer) {
  return { [TRANSFER]: true, value, transfer: transfer.filter(Boolean) };
}
const TRANSFER = '__inklingTransfer';

function listen(endpoint, fn) {
  if (typeof endpoint.addEventListener === 'function') {
    endpoint.addEventListener('message', fn);
    return () => endpoint.removeEventListener('message', fn);
  }
  endpoint.onmessage = fn;
  return () => {
    if (endpoint.onmessage === fn) endpoint.onmessage = null;
  };
}

/**
 * Promise-based RPC client. `endpoint` is anything with postMessage + message events
 * (a Worker, a MessagePort, or a fake in tests).
 */
export class RpcClient {
  constructor(endpoint) {
    this.endpoint = endpoint;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.closed = null;
    this.unlisten = listen(endpoint, (e) => this.receive(e.data));
    if (typeof endpoint.addEventListener === 'function') {
      const onError = (e) => {
        const message = (e && (e.message || (e.error && e.error.message))) || 'the worker crashed';
        this.failAll(new RpcError({ name: 'WorkerError', message }));
      };
      endpoint.addEventListener('error', onError);
      endpoint.addEventListener('messageerror', onError);
    }
  }

  /** Send a request; resolves with the result or rejects with an RpcError. */
  call(type, payload = {}, transfer = []) {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, type });
      try {
        this.endpoint.postMessage({ id, type, payload }, transfer);
      } catch (err) {
        this.pending.delete(id);
        reject(new RpcError(serializeError(err), type));
      }
    });
  }

  /** Subscribe to an event; returns an unsubscribe function. */
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return () => this.handlers.get(event)?.delete(fn);
  }

  get inFlight() {
    return this.pending.size;
  }

  receive(msg) {
    if (isResponse(msg)) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new RpcError(msg.error, p.type));
    } else if (isEvent(msg)) {
      const set = this.handlers.get(msg.event);
      if (set) for (const fn of [...set]) fn(msg.data);
    }
  }

  failAll(err) {
    this.closed = err;
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
  }

  dispose() {
    this.unlisten();
    this.failAll(new RpcError({ message: 'RPC client closed' }));
  }
}

/**
 * Serve requests on `endpoint` (the worker's global scope). `handlers[type](payload)` may be
 * sync or async; several requests may be in progress at once (a long `train` request awaits
 * between chunks, and `predict` requests are answered meanwhile).
 * Returns { emit(event, data, transfer) } for pushing events.
 */
export function serveRpc(endpoint, handlers) {
  const post = (msg, transfer) => endpoint.postMessage(msg, transfer || []);
  listen(endpoint, async (e) => {
    const msg = e.data;
    if (!msg || typeof msg.id !== 'number' || typeof msg.type !== 'string') return;
    const handler = Object.prototype.hasOwnProperty.call(handlers, msg.type) ? handlers[msg.type] : null;
    if (!handler) {
      post({ id: msg.id, ok: false, error: { name: 'Error', message: `unknown request type "${msg.type}"` } });
      return;
    }
    try {
      const out = await handler(msg.payload || {});
      if (out && out[TRANSFER]) post({ id: msg.id, ok: true, result: out.value }, out.transfer);
      else post({ id: msg.id, ok: true, result: out });
    } catch (err) {
      post({ id: msg.id, ok: false, error: serializeError(err) });
    }
  });
  return {
    emit(event, data, transfer) {
      post({ event, data }, transfer);
    },
  };
}

/**
 * Coalesces requests so that at most one is in flight; a request made while one is
 * running replaces any queued one (latest wins). Used for live prediction while drawing.
 * `run(arg)` returns a promise; `onResult(result, arg)` receives each completed result.
 */
export class LatestOnlyQueue {
  constructor(run, onResult, onError = () => {}) {
    this.run = run;
    this.onResult = onResult;
    this.onError = onError;
    this.busy = false;
    this.queued = undefined;
    this.hasQueued = false;
  }

  push(arg) {
    if (this.busy) {
      this.queued = arg;
      this.hasQueued = true;
      return;
    }
    this.start(arg);
  }

  /** Drop a queued request (e.g. the canvas was cleared). */
  cancelQueued() {
    this.queued = undefined;
    this.hasQueued = false;
  }

  async start(arg) {
    this.busy = true;
    try {
      const result = await this.run(arg);
      this.onResult(result, arg);
    } catch (err) {
      this.onError(err, arg);
    } finally {
      this.busy = false;
      if (this.hasQueued) {
        const next = this.queued;
        this.cancelQueued();
        this.start(next);
      }
    }
  }
}
