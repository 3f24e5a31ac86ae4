// Benchmark page (www/bench/bench.html), driven by tools/bench.mjs through `window.bench`.
// The only module of the benchmark that touches the DOM: it starts www/bench/bench-worker.js (the wasm
// runs there, as in the app), forwards tasks to it, and measures the main-thread round trip of a
// single-image prediction (postMessage -> predict in the worker -> postMessage back).
//
// With ?first in the URL it immediately runs the app's start-up path in the worker (wasm init,
// Trainer, dataset load, first trainBatch) and publishes `window.firstBatchResult`: times in ms
// since this page's navigation start (performance.timeOrigin).

const statusEl = document.getElementById('status');
const logEl = document.getElementById('log');
const status = (text) => {
  statusEl.textContent = text;
};
const logLine = (text) => {
  logEl.textContent += `${text}\n`;
};

const worker = new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;
worker.onmessage = ({ data: msg }) => {
  if (msg.progress) {
    const p = msg.progress;
    status(`${p.task}: batch ${p.batch} / ${p.batches} (${(p.ms / 1000).toFixed(0)} s)`);
    return;
  }
  const waiter = pending.get(msg.id);
  if (!waiter) return;
  pending.delete(msg.id);
  if (msg.ok) waiter.resolve(msg.result);
  else waiter.reject(new Error(msg.error));
};
worker.onerror = (e) => {
  const err = new Error(`bench worker error: ${e.message || 'failed to start'}`);
  for (const w of pending.values()) w.reject(err);
  pending.clear();
};

/** Send one task to the worker; resolves with its result. */
function call(task, params = {}, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, task, params }, transfer);
  });
}

/** Main-thread round trip of `count` single-image predictions (after `warmup`), ms each. */
async function roundTrip({ model, count = 200, warmup = 10, warmupMs = 300, images }) {
  const times = [];
  const w0 = performance.now();
  let warm = 0;
  for (let i = 0; times.length < count; i++) {
    const k = i % (images.length / 784);
    const pixels = images.slice(k * 784, (k + 1) * 784); // a fresh buffer, transferred like the app does
    const s = performance.now();
    await call('predictOne', { model, pixels }, [pixels.buffer]);
    if (warm < warmup || performance.now() - w0 < warmupMs) warm++;
    else times.push(performance.now() - s);
  }
  return { model, times };
}

const dataBase = () => new URL('data/mnist/', new URL('..', location.href)).href; // dist root/data/mnist/

window.bench = {
  dataBase,
  async run(task, params = {}) {
    status(`running ${task} ${JSON.stringify(params)}`);
    const t0 = performance.now();
    let result;
    if (task === 'roundTrip') {
      // The page holds no dataset: send pseudo-random pixels (predict's cost does not depend on them).
      const images = new Uint8Array(16 * 784);
      for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
      result = await roundTrip({ ...params, images });
    } else {
      result = await call(task, params);
    }
    logLine(`${task} ${JSON.stringify(params)}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    status('idle');
    return result;
  },
};

if (new URLSearchParams(location.search).has('first')) {
  window.firstBatchResult = call('firstBatch', { baseUrl: dataBase() }).then((r) => {
    const pageNow = performance.now();
    const toPage = (t) => r.timeOrigin + t - performance.timeOrigin;
    const marks = Object.fromEntries(Object.entries(r.marks).map(([k, v]) => [k, toPage(v)]));
    const result = { ...marks, firstBatchReceived: pageNow, dataset: r.dataset, loss: r.loss, workers: r.workers };
    logLine(`first batch after ${pageNow.toFixed(0)} ms`);
    status('idle');
    return result;
  });
} else {
  status('idle');
}
