// The bench's browser side: the bench page (www/bench/) served from bench-results/site and driven
// in headless Chromium, one request per measurement.

import { launchChromium } from '../chromium.mjs';
import { banner, formatDuration, logger } from '../lib.mjs';
import { serveStatic } from '../serve.mjs';
import { fmt, median, pct, percentile } from './report.mjs';
import { SITE } from './site.mjs';

const log = logger('bench');

export async function browserBench({ seconds, models, batches, epoch, runConfig, latencyCount, results }) {
  const site = await serveStatic(SITE, { cacheAssets: true });
  const browser = await launchChromium();
  const pageUrl = new URL('www/bench/bench.html', site.url).href;
  try {
    results.machine.chromium = browser.version();
    log(`chromium ${browser.version()}; bench page ${pageUrl}`);
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => log.warn(`page error: ${e.message}`));
    page.on('console', (m) => (m.type() === 'error' && !/Failed to load resource/.test(m.text()) ? log.warn(`console: ${m.text()}`) : process.env.BENCH_DEBUG && log(`console: ${m.text()}`)));
    page.on('response', (r) => r.status() >= 400 && log.warn(`HTTP ${r.status()} for ${r.url()}`));

    // Page open -> first trained batch: cold (nothing cached), then warm (reload).
    banner('wasm: page open -> first trained batch');
    for (const kind of ['cold', 'warm']) {
      if (kind === 'cold') await page.goto(`${pageUrl}?first`);
      else await page.reload();
      await page.waitForFunction(() => window.firstBatchResult);
      const r = await page.evaluate(() => window.firstBatchResult);
      const rec = {
        bench: 'first-batch',
        cache: kind,
        model: 'cnn',
        batch: 64,
        workers: r.workers,
        ms: r.firstBatchReceived,
        wasmReadyMs: r.wasmReady,
        dataReadyMs: r.dataReady,
        dataFromCache: r.dataset.fromCache,
      };
      results.push(rec);
      log(`${kind}: first batch ${fmt(rec.ms)} ms after navigation start (wasm ready ${fmt(r.wasmReady)} ms, data ready ${fmt(r.dataReady)} ms, data from cache: ${r.dataset.fromCache})`);
    }

    // Everything else on a fresh load of the page (no ?first): one worker, tasks one by one.
    await page.goto(pageUrl);
    await page.waitForFunction(() => window.bench);
    const call = (task, params) => page.evaluate(([t, p]) => window.bench.run(t, p), [task, params]);
    const init = await call('init');
    results.buildInfo = init.buildInfo;
    results.push({ bench: 'build-info', threads: init.buildInfo.threads, workers: init.buildInfo.workers, simd: init.buildInfo.simd, version: init.buildInfo.version });
    // All workers (the app's default), and one worker beside it to show what the pool adds.
    const modes = init.buildInfo.workers > 1 ? ['all', 1] : ['all'];
    const dataset = await call('load', { baseUrl: await page.evaluate(() => window.bench.dataBase()) });
    results.dataset = dataset;
    log(`dataset: ${dataset.name}${dataset.official ? ' (official files)' : ''}, ${dataset.train} train + ${dataset.validation} validation + ${dataset.test} test`);

    banner(`wasm: training throughput (${seconds}s per configuration)`);
    for (const model of models) {
      for (const workers of modes) {
        for (const batch of batches) {
          const r = await call('train', { model, batch, seconds, workers });
          // With a pool: ms per step on the coordinator's own share, and waiting for the helpers after it.
          const pool = r.timing.calls ? { localMsPerStep: r.timing.local / r.timing.calls, waitMsPerStep: r.timing.wait / r.timing.calls } : {};
          results.push({ bench: 'train', target: 'wasm', model, batch, workers: r.workers, samplesPerSec: r.samplesPerSec, steps: r.steps, seconds: r.ms / 1000, warmupSteps: r.warmup, ...pool });
          log(`${model.padEnd(9)} B=${String(batch).padEnd(3)} ${r.workers} worker(s): ${fmt(r.samplesPerSec)} samples/s (${r.steps} steps in ${(r.ms / 1000).toFixed(1)}s)`);
        }
        if (batches.includes(64)) {
          // The same steps without the augmentation the app trains with: what redrawing the images costs.
          const r = await call('train', { model, batch: 64, seconds, workers, augment: false });
          results.push({ bench: 'train-plain', target: 'wasm', model, batch: 64, workers: r.workers, samplesPerSec: r.samplesPerSec, steps: r.steps });
          log(`${model.padEnd(9)} B=64  ${r.workers} worker(s), augmentation off: ${fmt(r.samplesPerSec)} samples/s`);
        }
        const inf = await call('infer', { model, batch: 256, seconds: seconds / 2, workers });
        results.push({ bench: 'infer', target: 'wasm', model, batch: inf.batch, workers: inf.workers, samplesPerSec: inf.samplesPerSec, calls: inf.calls });
        log(`${model.padEnd(9)} inference B=256 ${inf.workers} worker(s): ${fmt(inf.samplesPerSec)} samples/s (${inf.calls} calls)`);
        if (workers === 'all' && init.buildInfo.workers > 1) {
          const st = await call('infer', { model, batch: 256, seconds: seconds / 2, workers, stream: true });
          results.push({ bench: 'infer-stream', target: 'wasm', model, batch: st.batch, workers: st.workers, samplesPerSec: st.samplesPerSec, samples: st.samples });
          log(`${model.padEnd(9)} inference B=256 streamed, ${st.workers} worker(s): ${fmt(st.samplesPerSec)} samples/s (${st.samples} test images)`);
        }
      }
    }

    banner(`wasm: single-image prediction latency (${latencyCount} calls)`);
    for (const model of models) {
      for (const where of ['worker', 'round-trip']) {
        const r = await call(where === 'worker' ? 'latency' : 'roundTrip', { model, count: latencyCount });
        const rec = { bench: 'predict-latency', where, model, calls: r.times.length, medianMs: median(r.times), p95Ms: percentile(r.times, 95), maxMs: Math.max(...r.times) };
        results.push(rec);
        log(`${model.padEnd(9)} ${where.padEnd(10)} median ${fmt(rec.medianMs, 2)} ms, p95 ${fmt(rec.p95Ms, 2)} ms`);
      }
    }

    if (epoch) {
      const what = runConfig ? `the run ${JSON.stringify(runConfig)}` : "the app's default cnn run";
      banner(`wasm: ${what} (${dataset.train.toLocaleString('en-US')} images per epoch), evaluated after each epoch as the app does`);
      const t0 = Date.now();
      const r = await call('run', { model: 'cnn', batch: 64, config: runConfig ?? {} });
      const data = dataset.official ? 'MNIST' : dataset.name;
      for (const e of r.epochs) {
        log(`epoch ${e.epoch}: trained in ${formatDuration(e.trainMs)}, ${formatDuration(e.wallMs)} from the start; validation ${pct(e.validation)}, test ${pct(e.test)}`);
      }
      const first = r.epochs[0];
      results.push({ bench: 'epoch', target: 'wasm', model: r.model, batch: r.batch, workers: r.workers, images: r.samples, dataset: data, seconds: first.trainMs / 1000, samplesPerSec: r.samples / (first.trainMs / 1000), testAccuracy: first.test });
      const last = r.epochs[r.epochs.length - 1];
      if (runConfig) results.push({ bench: 'run', target: 'wasm', config: runConfig, workers: r.workers, dataset: data, epochs: r.epochs.length, seconds: last.wallMs / 1000, testAccuracy: last.test });
      const reached = r.epochs.find((e) => e.test >= 0.99);
      results.push({ bench: 'time-to-99', target: 'wasm', model: r.model, workers: r.workers, dataset: data, seconds: reached ? reached.wallMs / 1000 : null, epoch: reached?.epoch ?? null, epochs: r.epochs.map((e) => ({ epoch: e.epoch, seconds: e.wallMs / 1000, test: e.test })) });
      log(`start -> 99.0 % test accuracy: ${reached ? `${formatDuration(reached.wallMs)} (after epoch ${reached.epoch})` : `not reached in ${r.epochs.length} epochs`} (wall ${formatDuration(Date.now() - t0)})`);
    }
    const cnn64 = results.list.find((r) => r.bench === 'train' && r.target === 'wasm' && r.model === 'cnn' && r.batch === 64 && r.workers === init.buildInfo.workers);
    if (cnn64) {
      results.push({ bench: 'epoch-estimate', extrapolated: true, model: 'cnn', batch: 64, images: dataset.train, seconds: dataset.train / cnn64.samplesPerSec, from: `train cnn B=64 (${cnn64.steps} steps)` });
    }
    results.push({ bench: 'wasm-memory', bytes: (await call('memory')).memoryBytes, note: 'after all wasm benchmarks' });
    await context.close();
  } finally {
    await browser.close();
    await site.close();
  }
}
