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
//   peers      (--peers) the same cnn B=64 trained by TensorFlow.js and jax-js (wasm backends) in the same
//              Chromium, and by TensorFlow on the CPU natively when a Python with tensorflow is found
//              (`node tools/bench/tf-cpu.mjs --setup` installs one from PyPI into .venv-peers); then
//              Inkling's samples/s over the best peer's, like for like (tools/bench/peers.mjs).
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
//   npm run bench -- --epoch --docs        the same, and write the table into docs/performance.md
//   npm run bench -- --run '{"model":"keras-cnn","optimizer":"adadelta","learningRate":1,"batchSize":128,
//                    "epochs":12,"lrDecay":1,"augment":false}'   the epoch run with these settings instead
//   npm run bench -- --peers               everything, the epoch run, the peers and the ratios to them
//   npm run bench -- --peers --models cnn --batches 64   the same, only the cnn at B=64
//   npm run bench -- --quality             drawn-digit accuracy and the fine-tune benchmark (MNIST_DIR)
//   npm run bench -- --quality --weights W  the same for another weights file
//   env: CHROMIUM (default /usr/bin/chromium); BENCH_DEBUG=1 prints the bench page's console

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { browserBench } from './bench/browser.mjs';
import { OUT_DIR as DATA_DIR } from './data.mjs';
import { nativeBench } from './bench/native.mjs';
import { peerRatios, peersBench } from './bench/peers.mjs';
import { PRETRAINED, qualityBench } from './bench/quality.mjs';
import { buildTable, machineInfo, machineLine, PEERS_MARKERS, replaceResults, resultsBlock, staticFacts } from './bench/report.mjs';
import { buildIfNeeded, RESULTS, SITE } from './bench/site.mjs';
import { banner, formatDuration, isMain, logger, main, ROOT } from './lib.mjs';

const log = logger('bench');
const MODELS = ['mlp', 'cnn', 'cnn-large'];
const BATCHES = [32, 64, 128];

if (isMain(import.meta.url)) main('bench', async () => {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      epoch: { type: 'boolean', default: false },
      peers: { type: 'boolean', default: false },
      run: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'no-native': { type: 'boolean', default: false },
      models: { type: 'string', default: MODELS.join(',') },
      batches: { type: 'string', default: BATCHES.join(',') },
      latency: { type: 'string', default: '200' },
      'native-threads': { type: 'string' },
      quality: { type: 'boolean', default: false },
      weights: { type: 'string', default: PRETRAINED },
      docs: { type: 'boolean', default: false },
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
  if (values.peers) values.epoch = true; // the time to 99 % belongs to the peers' table
  let runConfig;
  if (values.run) {
    try {
      runConfig = JSON.parse(values.run);
    } catch (err) {
      throw new Error(`--run takes a TrainerConfig as JSON (${err.message})`, { cause: err });
    }
    values.epoch = true;
  }

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
  await browserBench({ seconds, models, batches, epoch: values.epoch, runConfig, latencyCount, results });
  // Candle's CPU threads come from rayon; on a small, shared machine 1 thread can beat 2.
  if (values['native-threads']) process.env.RAYON_NUM_THREADS = values['native-threads'];
  if (!values['no-native']) await nativeBench({ seconds, models, batches, epoch: values.epoch, plain: values.peers, results });
  if (values.peers) {
    await peersBench({ seconds, results, mnistDir: DATA_DIR });
    for (const r of peerRatios(results)) results.push(r);
  }

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
  const command = `npm run bench -- ${process.argv.slice(2).filter((a) => a !== '--docs').join(' ')}`.trim();
  const block = resultsBlock({ machine, dataset: results.dataset, command, table });
  const md = `# Inkling benchmarks\n\n${block}\n`;
  writeFileSync(join(RESULTS, 'latest.md'), md);
  log.ok(`wrote ${relative(ROOT, join(RESULTS, 'latest.json'))} and ${relative(ROOT, join(RESULTS, 'latest.md'))}`);
  if (values.docs) {
    const doc = join(ROOT, 'docs', 'performance.md');
    writeFileSync(doc, replaceResults(readFileSync(doc, 'utf8'), block, ...(values.peers ? [PEERS_MARKERS] : [])));
    log.ok(`wrote the results into ${relative(ROOT, doc)}`);
  }
  return 0;
});
