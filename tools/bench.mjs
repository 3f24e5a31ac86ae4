#!/usr/bin/env node
// `npm run bench`: Inkling's speed figures, printed (never asserted). What it measures and how:
//
//   wasm, in headless Chromium (bench page www/bench/bench.html + www/bench/bench-worker.js, built with Vite from
//   the same www/pkg as the app into bench-results/site/, served on 127.0.0.1 with COOP/COEP):
//     train      samples/s for mlp, cnn, cnn-large at B = 32, 64, 128: a fresh Trainer, untimed
//                warm-up (>= 2 steps and >= 1 s), then steps on shuffled real training batches until --seconds pass
//                (at least 3 steps). Wall time includes gathering each batch (as in the app).
//     infer      samples/s of predict() on 256 test images per call (split across the workers), for
//                --seconds/2; and streamed: the test set in batches of 256, each whole to one worker
//                (TrainerPool.predictChunks, the app's evaluation path).
//     latency    one-image predict(): median and p95 over 200 calls (after >= 10 calls and >= 0.3 s of warm-up),
//                timed inside the worker around the wasm call, AND from the main thread as a
//                postMessage round trip (page -> worker -> predict -> page).
//     first      page open -> first trained batch: navigation start to the first cnn B=64
//                trainBatch result reaching the page, on the app's start-up path (wasm init,
//                Trainer, dataset from the Cache API, one step). Cold (fresh browser context)
//                and warm (a reload: wasm from the HTTP cache, data from the Cache API).
//     run        (--epoch) the app's default cnn run (3 epochs of B=64 over the training split, 55,000
//                images with real MNIST; otherwise the embedded set, said so), evaluated after each
//                epoch as the app does: the first epoch's time and the time from the start to 99.0 %
//                test accuracy. Minutes long. The extrapolation from the B=64 train figure is printed
//                on a separate, labelled line. Natively, `inkling train --epochs 1` with the same seed.
//   native     `inkling bench --model M --batch-size B --seconds 2*S --json` (release build; the CLI
//              spends half of its time training, half on B=256 inference) for each model/batch.
//   static     threads and SIMD (buildInfo()), .wasm size raw and gzipped (level 9), and the count
//              of SIMD (0xFD-prefixed) instructions in the shipped .wasm (tools/wasm-simd.mjs).
//
// Output: the machine (CPU, cores, Chromium) and load average at start, ONE table, then one JSON
// line per measurement ({"bench": ...}). Also writes bench-results/latest.json and latest.md.
// The machine may be shared: figures are noisy; compare runs with care.
//
//   npm run bench                          build if needed, everything but the epoch
//   npm run bench -- --seconds 3           shorter timed windows (default 5)
//   npm run bench -- --epoch               add the app's default cnn run and time to 99 % (minutes)
//   npm run bench -- --no-build --no-native
//   npm run bench -- --models cnn --batches 64
//   npm run bench -- --native-threads 1    (RAYON_NUM_THREADS for the native runs; default: the CLI's)
//   npm run bench -- --quality             drawn-digit accuracy and the fine-tune benchmark (MNIST_DIR)
//   npm run bench -- --quality --weights W  the same for another weights file
//   env: CHROMIUM (default /usr/bin/chromium); BENCH_DEBUG=1 prints the bench page's console

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PKG_DIR, VITE, buildWasm, buildWeb } from './build.mjs';
import { ROOT, banner, capture, formatDuration, isMain, logger, main, run } from './lib.mjs';
import { countSimd } from './wasm-simd.mjs';
import { launchChromium } from './chromium.mjs';
import { serveStatic } from './serve.mjs';
import { OUT_DIR as DATA_DIR } from './data.mjs';

const log = logger('bench');
const RESULTS = join(ROOT, 'bench-results');
const SITE = join(RESULTS, 'site');
const BENCH_CONFIG = join(ROOT, 'tools', 'vite.bench.config.js');
const DIST = join(ROOT, 'dist');
const MODELS = ['mlp', 'cnn', 'cnn-large'];
const BATCHES = [32, 64, 128];

// --- statistics and formatting (pure) -----------------------------------------------------------

/** Percentile p (0..100) of a list of numbers, nearest-rank on the sorted values. */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export function median(values) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? '—' : Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
/** A fraction as a percentage with two decimals ("—" when missing). */
const pct = (x) => (x === undefined || x === null ? '—' : `${(100 * x).toFixed(2)} %`);

/** Render rows ([cells]) as a markdown table with a header; columns padded for the terminal. */
export function markdownTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sepLine = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(all[0]), sepLine, ...all.slice(1).map(line)].join('\n');
}

// --- build ------------------------------------------------------------------------------------

/** Newest mtime (ms) among files under the given paths (recursive; missing paths ignored). */
function newest(paths, skip = () => false) {
  let t = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (!skip(e)) visit(join(p, e));
    } else t = Math.max(t, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return t;
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/** Rebuild what is out of date: the wasm package, the app (dist/), the bench page (bench-results/site). */
async function buildIfNeeded() {
  const wasmOut = join(PKG_DIR, 'inkling_bg.wasm');
  const wasmInputs = newest(['src', 'Cargo.toml', 'Cargo.lock'].map((p) => join(ROOT, p)));
  if (mtime(wasmOut) < wasmInputs) await buildWasm();
  else log.ok('www/pkg is up to date');

  const webInputs = newest([PKG_DIR, join(ROOT, 'index.html'), join(ROOT, 'www')], (name) => name === 'bench' || name === 'pkg');
  if (mtime(join(DIST, 'index.html')) < webInputs) await buildWeb();
  else log.ok('dist/ is up to date');

  const benchInputs = Math.max(webInputs, newest([join(ROOT, 'www', 'bench'), BENCH_CONFIG]));
  if (mtime(join(SITE, 'www', 'bench', 'bench.html')) < benchInputs) await buildBenchPage();
  else log.ok('bench page is up to date');
}

async function buildBenchPage() {
  banner('build: bench page (vite)');
  await run(VITE, ['build', '--config', BENCH_CONFIG, '--logLevel', 'warn']);
}

/** The .wasm in `dir`/assets (inkling_bg-*.wasm), or null. */
function wasmIn(dir) {
  const assets = join(dir, 'assets');
  const hit = existsSync(assets) && readdirSync(assets).find((f) => /^inkling_bg.*\.wasm$/.test(f));
  return hit ? join(assets, hit) : null;
}

/**
 * The .wasm the figures are for: the bench page's (built from the same www/pkg as dist/, the shipped
 * app). With --no-build the page may be older than dist/: then the figures are still for the page's,
 * and a warning says so.
 */
function measuredWasm() {
  const site = wasmIn(SITE);
  const shipped = wasmIn(DIST) ?? join(PKG_DIR, 'inkling_bg.wasm');
  if (!site) return shipped;
  if (existsSync(shipped) && !readFileSync(site).equals(readFileSync(shipped))) {
    log.warn(`the bench page's wasm differs from ${relative(ROOT, shipped)} (built since; run without --no-build): these figures are for the page's`);
  }
  return site;
}

// --- machine --------------------------------------------------------------------------------

function machineInfo() {
  let cpu = cpus()[0]?.model || 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  const git = capture('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = capture('git', ['status', '--porcelain']);
  return {
    cpu,
    cores: cpus().length,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    node: process.version,
    commit: git.ok ? git.stdout.trim() + (dirty.stdout.trim() ? '+dirty' : '') : 'unknown',
    date: new Date().toISOString(),
  };
}

// --- the browser side -------------------------------------------------------------------------

async function browserBench({ seconds, models, batches, epoch, latencyCount, results }) {
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
      banner(`wasm: the app's default cnn run (${dataset.train.toLocaleString('en-US')} images per epoch), evaluated after each epoch as the app does`);
      const t0 = Date.now();
      const r = await call('run', { model: 'cnn', batch: 64 });
      const data = dataset.official ? 'MNIST' : dataset.name;
      for (const e of r.epochs) {
        log(`epoch ${e.epoch}: trained in ${formatDuration(e.trainMs)}, ${formatDuration(e.wallMs)} from the start; validation ${pct(e.validation)}, test ${pct(e.test)}`);
      }
      const first = r.epochs[0];
      results.push({ bench: 'epoch', target: 'wasm', model: 'cnn', batch: 64, workers: r.workers, images: r.samples, dataset: data, seconds: first.trainMs / 1000, samplesPerSec: r.samples / (first.trainMs / 1000), testAccuracy: first.test });
      const reached = r.epochs.find((e) => e.test >= 0.99);
      results.push({ bench: 'time-to-99', target: 'wasm', model: 'cnn', workers: r.workers, dataset: data, seconds: reached ? reached.wallMs / 1000 : null, epoch: reached?.epoch ?? null, epochs: r.epochs.map((e) => ({ epoch: e.epoch, seconds: e.wallMs / 1000, test: e.test })) });
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

// --- native ---------------------------------------------------------------------------------

async function nativeBench({ seconds, models, batches, epoch, results }) {
  banner('native: inkling bench (release)');
  await run('cargo', ['build', '--release', '--quiet', '--bin', 'inkling']);
  const bin = join(ROOT, 'target', 'release', 'inkling');
  if (epoch) {
    // The browser's first epoch, natively: same seed, same plan, the kernels round differently.
    const r = capture(bin, ['train', '--data', DATA_DIR, '--epochs', '1', '--seed', '1', '--json']);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const [first, end] = [lines.find((l) => l.epoch === 1), lines.find((l) => 'test_accuracy' in l)];
    if (r.ok && first && end) {
      results.push({ bench: 'epoch', target: 'native', model: 'cnn', batch: 64, seconds: first.seconds, testAccuracy: end.test_accuracy });
      log(`inkling train --epochs 1: ${first.seconds.toFixed(1)} s, test accuracy ${(end.test_accuracy * 100).toFixed(2)} %`);
    } else log.warn(`inkling train --epochs 1 failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  }
  for (const model of models) {
    for (const batch of batches) {
      // `cargo run --release -- bench ...` without cargo's per-call overhead: the binary it just built.
      const r = capture(bin, ['bench', '--model', model, '--batch-size', String(batch), '--seconds', String(seconds * 2), '--json']);
      const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      if (!r.ok || !line) {
        log.warn(`native ${model} B=${batch} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
        continue;
      }
      const j = JSON.parse(line);
      results.push({ bench: 'train', target: 'native', model, batch, samplesPerSec: j.train_samples_per_s, threads: j.threads });
      if (batch === batches[batches.length - 1]) results.push({ bench: 'infer', target: 'native', model, batch: 256, samplesPerSec: j.inference_samples_per_s_b256, threads: j.threads });
      log(`${model.padEnd(9)} B=${String(batch).padEnd(3)} ${fmt(j.train_samples_per_s)} samples/s, inference ${fmt(j.inference_samples_per_s_b256)} samples/s (${j.threads} threads)`);
    }
  }
}

// --- report ---------------------------------------------------------------------------------

function staticFacts(results) {
  const file = measuredWasm();
  const bytes = readFileSync(file);
  const simd = countSimd(bytes);
  results.push({ bench: 'wasm-size', file: relative(ROOT, file), rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  results.push({ bench: 'wasm-simd', file: relative(ROOT, file), simdInstructions: simd.simd, instructions: simd.instructions, functions: simd.functions, functionsWithSimd: simd.functionsWithSimd, named: simd.named });
}

function buildTable(results) {
  const L = results.list;
  const find = (pred) => L.find(pred);
  const rows = [];
  const bi = find((r) => r.bench === 'build-info');
  const all = bi?.workers ?? 1; // the pool's size: one worker per core
  const wasm = (bench, model, batch, workers) => find((r) => r.bench === bench && r.target === 'wasm' && r.model === model && (batch === undefined || r.batch === batch) && r.workers === workers);
  const models = [...new Set(L.filter((r) => r.model && r.bench === 'train').map((r) => r.model))];
  for (const model of models) {
    for (const batch of [...new Set(L.filter((r) => r.bench === 'train' && r.model === model).map((r) => r.batch))].sort((a, b) => a - b)) {
      const n = find((r) => r.bench === 'train' && r.target === 'native' && r.model === model && r.batch === batch);
      rows.push([`train ${model} B=${batch}`, fmt(wasm('train', model, batch, all)?.samplesPerSec), fmt(wasm('train', model, batch, 1)?.samplesPerSec), fmt(n?.samplesPerSec), 'samples/s']);
    }
    const plainAll = wasm('train-plain', model, 64, all);
    const plainOne = wasm('train-plain', model, 64, 1);
    if (plainAll || plainOne) {
      const share = (on, off) => (on && off ? ` ${Math.round((100 * on.samplesPerSec) / off.samplesPerSec)} %` : '');
      const ratio = `${share(wasm('train', model, 64, all), plainAll)} /${share(wasm('train', model, 64, 1), plainOne)}`;
      rows.push([`train ${model} B=64, augmentation off`, fmt(plainAll?.samplesPerSec), fmt(plainOne?.samplesPerSec), '', `samples/s (with it on, the speed is${ratio} of this)`]);
    }
  }
  for (const model of models) {
    const n = find((r) => r.bench === 'infer' && r.target === 'native' && r.model === model);
    rows.push([`inference ${model} B=256, one batch at a time`, fmt(wasm('infer', model, undefined, all)?.samplesPerSec), fmt(wasm('infer', model, undefined, 1)?.samplesPerSec), fmt(n?.samplesPerSec), 'samples/s']);
    const st = wasm('infer-stream', model, undefined, all);
    if (st) rows.push([`inference ${model} B=256, streamed`, fmt(st.samplesPerSec), '', '', 'samples/s (test set in batches of 256, a batch per worker: the app\'s evaluation)']);
  }
  for (const r of L.filter((x) => x.bench === 'predict-latency')) {
    rows.push([`predict 1 image ${r.model}, ${r.where === 'worker' ? 'in worker' : 'main-thread round trip'}`, '', `${fmt(r.medianMs, 2)} / ${fmt(r.p95Ms, 2)}`, '', `ms median / p95 (${r.calls} calls)`]);
  }
  for (const r of L.filter((x) => x.bench === 'first-batch')) {
    rows.push([`page open → first trained batch (${r.cache}${r.cache === 'warm' ? ', reload' : ''})`, fmt(r.ms), '', '', `ms (cnn B=64; wasm ready ${fmt(r.wasmReadyMs)}, data ${fmt(r.dataReadyMs)})`]);
  }
  const ep = find((r) => r.bench === 'epoch' && r.target === 'wasm');
  if (ep) rows.push([`one epoch cnn B=64 (${ep.images.toLocaleString('en-US')} ${ep.dataset} images), measured`, fmt(ep.seconds, 1), '', '', `s (${ep.workers} workers; test acc. ${(ep.testAccuracy * 100).toFixed(1)}%)`]);
  const t99 = find((r) => r.bench === 'time-to-99');
  if (t99) {
    const path = t99.epochs.map((e) => `${fmt(e.seconds, 0)} s: ${(e.test * 100).toFixed(2)} %`).join(', ');
    rows.push([`start → 99.0 % test accuracy, the default cnn run (${t99.dataset})`, t99.seconds ? fmt(t99.seconds, 1) : 'not reached', '', '', `s (${t99.workers} workers; after each epoch ${path})`]);
  }
  const cli = find((r) => r.bench === 'epoch' && r.target === 'native');
  if (cli) {
    const acc = (r) => (r ? (r.testAccuracy * 100).toFixed(2) : '—');
    rows.push(['test accuracy after one epoch, cnn B=64, seed 1 (the same plan)', acc(ep), '', acc(cli), `% (native: \`inkling train --epochs 1\`, ${fmt(cli.seconds, 1)} s; the kernels round differently)`]);
  }
  const est = find((r) => r.bench === 'epoch-estimate');
  if (est) rows.push([`one epoch cnn B=64, ESTIMATE extrapolated from ${est.from}`, `~${fmt(est.seconds, 0)}`, '', '', 's (estimate, not measured)']);
  if (bi) rows.push(['wasm workers / threads per worker / SIMD128', `${bi.workers} / ${bi.threads} / ${bi.simd ? 'on' : 'off'}`, '', '', 'data-parallel pool; buildInfo()']);
  const sz = find((r) => r.bench === 'wasm-size');
  if (sz) rows.push(['wasm size raw / gzip -9', `${fmt(sz.rawBytes / 1024)} / ${fmt(sz.gzipBytes / 1024)}`, '', '', `KiB (${sz.file})`]);
  const si = find((r) => r.bench === 'wasm-simd');
  if (si) rows.push(['SIMD (v128) instructions in the .wasm', fmt(si.simdInstructions), '', '', `of ${fmt(si.instructions)} instructions; ${si.functionsWithSimd}/${si.functions} functions`]);
  const native = find((r) => r.target === 'native' && r.threads);
  return markdownTable(['benchmark', `wasm, ${all} worker${all > 1 ? 's' : ''}`, 'wasm, 1 worker', `native${native ? ` (${native.threads} thr)` : ''}`, 'unit / notes'], rows);
}

function machineLine(m) {
  return `${m.cpu}, ${m.cores} cores, load average ${m.loadavg.join(' ')} at start; Chromium ${m.chromium || '—'}; node ${m.node}; commit ${m.commit}; ${m.date}`;
}

// --- quality (--quality) --------------------------------------------------------------------------

const PRETRAINED = 'www/public/models/cnn-mnist.safetensors';

/**
 * How well a model reads drawn digits and learns a style (`inkling quality` on real MNIST, see
 * src/quality.rs for which split each set comes from), and how long the app's fine-tune takes in
 * headless Chromium. Needs MNIST_DIR (the four official files).
 */
async function qualityBench({ weights, build }) {
  const dir = process.env.MNIST_DIR;
  if (!dir || !existsSync(dir)) throw new Error('--quality needs the real MNIST files: set MNIST_DIR to their directory');
  const machine = machineInfo();
  banner('quality: drawn digits and fine-tuning');
  log(`${machineLine(machine)}; weights ${weights}`);
  await run('cargo', ['build', '--release', '--quiet', '--bin', 'inkling']);
  const bin = join(ROOT, 'target', 'release', 'inkling');
  const q = JSON.parse(capture(bin, ['quality', '--weights', weights, '--data', dir, '--count', '1000', '--json']).stdout);
  if (build) await buildIfNeeded();
  const site = await serveStatic(SITE, { cacheAssets: true });
  const browser = await launchChromium();
  const times = {};
  try {
    const page = await browser.newPage();
    await page.goto(new URL('www/bench/bench.html', site.url).href);
    await page.waitForFunction(() => window.bench);
    const call = (task, params) => page.evaluate(([t, p]) => window.bench.run(t, p), [task, params]);
    await call('init');
    await call('load', { baseUrl: await page.evaluate(() => window.bench.dataBase()) });
    for (const perClass of [10, 20]) times[perClass] = await call('finetune', { perClass });
  } finally {
    await browser.close();
    await site.close();
  }
  const rows = [
    '| measure | result |',
    '|---|---|',
    `| MNIST test | ${pct(q.mnist_test)} |`,
    `| canvas-style drawings (${q.count} MNIST test digits, scaled 5–10×, off-centre, slanted, normal or heavy hard strokes) | ${pct(q.canvas)} |`,
    `| brush-stroke drawings (the same digits traced along their centre line with the app's round brush) | ${pct(q.strokes)} |`,
  ];
  for (const { result: r } of q.style) {
    const t = times[r.per_class];
    rows.push(
      `| fine-tune on ${r.per_class} per class of a strongly slanted heavy style: held-out error of the style | ${pct(r.error_before)} → ${pct(r.error_after)} (MNIST test ${pct(r.mnist_before)} → ${pct(r.mnist_after)}; ${r.steps} steps, ${t ? `${(t.ms / 1000).toFixed(1)} s in Chromium` : 'not timed'}) |`,
    );
  }
  banner('quality results');
  console.log(`machine: ${machineLine(machine)}; weights: ${weights}; \`npm run bench -- --quality\``);
  console.log(rows.join('\n'));
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'quality.json'), `${JSON.stringify({ machine, weights, quality: q, browserFineTune: times }, null, 2)}\n`);
  return 0;
}

// --- main -----------------------------------------------------------------------------------

if (isMain(import.meta.url)) main('bench', async () => {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      epoch: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'no-native': { type: 'boolean', default: false },
      models: { type: 'string', default: MODELS.join(',') },
      batches: { type: 'string', default: BATCHES.join(',') },
      latency: { type: 'string', default: '200' },
      'native-threads': { type: 'string' },
      quality: { type: 'boolean', default: false },
      weights: { type: 'string', default: PRETRAINED },
    },
  });
  if (values.quality) return qualityBench({ weights: values.weights, build: !values['no-build'] });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
  const models = values.models.split(',').filter(Boolean);
  for (const m of models) if (!MODELS.includes(m)) throw new Error(`unknown model "${m}" (${MODELS.join(', ')})`);
  const batches = values.batches.split(',').map(Number);
  if (batches.some((b) => !(b >= 1 && b <= 1024))) throw new Error('--batches: numbers in 1..1024');
  const latencyCount = Number(values.latency);

  const machine = machineInfo();
  banner('machine');
  log(`${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavg.join(' ')}`);

  if (!values['no-build']) await buildIfNeeded();
  if (!existsSync(join(SITE, 'www', 'bench', 'bench.html'))) {
    if (values['no-build']) throw new Error('bench-results/site is missing: run without --no-build once');
  }

  const results = { machine, list: [], push: (r) => results.list.push(r) };
  staticFacts(results);
  const t0 = Date.now();
  await browserBench({ seconds, models, batches, epoch: values.epoch, latencyCount, results });
  // Candle's CPU threads come from rayon; on a small, shared machine 1 thread can beat 2.
  if (values['native-threads']) process.env.RAYON_NUM_THREADS = values['native-threads'];
  if (!values['no-native']) await nativeBench({ seconds, models, batches, epoch: values.epoch, results });

  const table = buildTable(results);
  banner(`results (${formatDuration(Date.now() - t0)})`);
  console.log(`machine: ${machineLine(machine)}`);
  if (results.dataset) console.log(`dataset: ${results.dataset.official ? 'real MNIST (official files)' : results.dataset.name}, ${results.dataset.train} training images (after the ${results.dataset.validation}-image validation split)`);
  console.log(`timed window: ${seconds}s per training configuration (after >= 2 warm-up steps and >= 1s), ${seconds / 2}s per inference figure${values['no-native'] ? '; native skipped' : `; native: the CLI's ${seconds}s train + ${seconds}s inference`}`);
  console.log('');
  console.log(table);
  console.log('');
  for (const r of results.list) console.log(JSON.stringify(r));

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify({ machine, seconds, dataset: results.dataset, buildInfo: results.buildInfo, results: results.list }, null, 2)}\n`);
  const md = [
    '# Inkling benchmarks',
    '',
    `Machine: ${machineLine(machine)}.`,
    results.dataset ? `Dataset: ${results.dataset.official ? 'real MNIST' : results.dataset.name}, ${results.dataset.train.toLocaleString('en-US')} training images.` : '',
    `Produced by \`npm run bench -- --seconds ${seconds}${values.epoch ? ' --epoch' : ''}\` (tools/bench.mjs). wasm = headless Chromium, one worker thread; native = \`inkling bench\`.`,
    '',
    table,
    '',
  ].join('\n');
  writeFileSync(join(RESULTS, 'latest.md'), md);
  log.ok(`wrote ${relative(ROOT, join(RESULTS, 'latest.json'))} and ${relative(ROOT, join(RESULTS, 'latest.md'))}`);
  return 0;
});
