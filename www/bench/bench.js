// Benchmark page (www/bench/bench.html), driven by tools/bench.mjs through `window.bench`.
// The only module of the benchmark that touches the DOM: it starts www/bench/bench-worker.js (the wasm
// runs there, as in the app), forwards tasks to it, and measures the main-thread round trip of a
// single-image prediction (postMessage -> predict in the worker -> postMessage back). Messages are
// protocol.js's (BENCH).
//
// With ?first in the URL it immediately runs the app's start-up path in the worker (wasm init,
// Trainer, dataset load, first trainBatch) and publishes `window.firstBatchResult`: times in ms
// since this page's navigation start (performance.timeOrigin).

import { RpcClient, BENCH, EVT } from '../protocol/protocol.js';

const statusEl = document.getElementById('status');
const logEl = document.getElementById('log');
const status = (text) => {
  statusEl.textContent = text;
};
const logLine = (text) => {
  logEl.textContent += `${text}\n`;
};

const rpc = new RpcClient(new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' }));
// Every progress event is also kept for the driver to poll (`window.benchProgress`, oldest first).
window.benchProgress = [];
rpc.on(EVT.BENCH_PROGRESS, (p) => {
  window.benchProgress.push(p);
  status(p.task === BENCH.SOAK ? `soak: epoch ${p.epoch}` : `${p.task}: batch ${p.batch} / ${p.batches} (${(p.ms / 1000).toFixed(0)} s)`);
});

/** Send one task to the worker; resolves with its result. */
const call = (task, params = {}, transfer = []) => rpc.call(task, params, transfer);

/** Main-thread round trip of `count` single-image predictions (after `warmup`), ms each. */
async function roundTrip({ model, count = 200, warmup = 10, warmupMs = 300, images }) {
  const times = [];
  const w0 = performance.now();
  let warm = 0;
  for (let i = 0; times.length < count; i++) {
    const k = i % (images.length / 784);
    const pixels = images.slice(k * 784, (k + 1) * 784); // a fresh buffer, transferred like the app does
    const s = performance.now();
    await call(BENCH.PREDICT_ONE, { model, pixels }, [pixels.buffer]);
    if (warm < warmup || performance.now() - w0 < warmupMs) warm++;
    else times.push(performance.now() - s);
  }
  return { model, times };
}

const dataBase = () => new URL('../../data/mnist/', location.href).href; // the site's data/mnist/ (this page is www/bench/bench.html)

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
  window.firstBatchResult = call(BENCH.FIRST_BATCH, { baseUrl: dataBase() }).then((r) => {
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
