#!/usr/bin/env node
// `npm run soak`: a memory-leak soak test of the wasm build, in Node (no browser needed) or, with
// --browser firefox|chromium, in that browser's bench worker (the bench page, www/bench/).
//
// In Node it loads www/pkg/inkling_bg.wasm with init({ module_or_path: bytes }) (init() returns the
// wasm exports, `memory` included); in a browser the bench worker loads it as the app's worker does.
// Either way the run (www/bench/soak-run.js) trains the cnn for N "epochs" the way the app's worker does
// (shuffled batches of 64 over the training split, the last batch partial, then an evaluation in
// chunks of 500 images), and records the wasm linear memory (memory.buffer.byteLength) after each
// epoch. Then it predicts 10,000 single images, one call each (like the drawing pad), and records it
// again. The data is parsed in JS (tools/idx.mjs), so only the trainer's own allocations live
// in wasm memory.
//
// Two readings after each epoch and after the predictions:
//   wasm memory   memory.buffer.byteLength. It only grows (64 KiB pages), never shrinks: a
//                 high-water mark of the Rust allocator's heap. A leak shows here only once it has
//                 used up the free space the allocator already holds (tens of MiB after training).
//   heap in use   wasm memory minus the free space the allocator can hand out without growing:
//                 probed by allocating 4 KiB blocks through wasm-bindgen's exported
//                 __wbindgen_malloc until memory grows, then freeing them (the probe's own growth,
//                 one page or so, is subtracted from later readings). This sees a leak at once.
//                 (Checked: --inject-leak keeps one extra mlp Trainer, ~1.2 MiB, alive per epoch;
//                 the heap in use grows by that much while wasm memory stays flat.)
// Verdict: the first epoch sets the baseline (weights, optimizer state, activations of full and
// partial batches and of the evaluation chunks). FAIL (exit code 1) if either reading, at any later
// epoch or after the predictions, exceeds its epoch-1 value by more than the tolerance, 1 MiB by
// default (--tolerance-mib). Why 1 MiB: above the noise of the probe and the allocator (free
// fragments under 4 KiB are not counted; dlmalloc may keep a few pages' worth of slack as
// alternating batch shapes land differently; observed deltas are 0 here), yet far below anything
// batch-sized: one cnn B=64 input batch alone is 64*784*4 B = 196 KiB, so leaking one per step
// fails within 6 steps. A leak smaller than tolerance / number of calls goes unseen: the report
// prints that detection floor (per training step and per prediction); longer runs lower it.
//
//   npm run soak                         20 epochs over the whole training split (long: hours on 2 cores)
//   npm run soak -- --quick              3 epochs of 2,000 images + 1,000 predictions (< 1 minute)
//   npm run soak -- --epochs 5 --epoch-size 10000 --predictions 10000
//   npm run soak -- --browser firefox --epochs 5 --epoch-size 20000    the same in Firefox ESR
//   options: --model cnn --batch-size 64 --eval 2000 --tolerance-mib 1 --json
//            --inject-leak   keep an extra (mlp) Trainer alive per epoch: the run must then FAIL
//            --browser B     firefox or chromium (Debian's), one bench worker, no pool

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { probeFreeHeap, soak, verdict } from '../www/bench/soak-run.js';
import { browserSoak } from './bench/soak-browser.mjs';
import { ensureData, FILES, OUT_DIR } from './data.mjs';
import { parseIdx } from './idx.mjs';
import { ROOT, banner, formatDuration, isMain, logger, main } from './lib.mjs';

export { probeFreeHeap, verdict };

const log = logger('soak');
const MiB = 1024 * 1024;
const PKG = join(ROOT, 'www', 'pkg');

const mib = (b) => `${(b / MiB).toFixed(2)} MiB`;
const signedMib = (b) => `${b >= 0 ? '+' : '-'}${Math.abs(b) < MiB ? `${(Math.abs(b) / 1024).toFixed(0)} KiB` : mib(Math.abs(b))}`;

function loadMnist() {
  const have = () => Object.values(FILES).every((f) => existsSync(join(OUT_DIR, f)));
  return (have() ? Promise.resolve() : ensureData()).then(() => {
    const read = (key) => parseIdx(readFileSync(join(OUT_DIR, FILES[key])));
    const info = (() => {
      try {
        return JSON.parse(readFileSync(join(OUT_DIR, 'dataset.json'), 'utf8'));
      } catch {
        return {};
      }
    })();
    return { trainImages: read('trainImages'), trainLabels: read('trainLabels'), testImages: read('testImages'), testLabels: read('testLabels'), info };
  });
}

/** One epoch's log line (`epochs`: the run's length). */
function logEpoch(r, series, epochs, epochSize) {
  const first = series[0];
  const delta = r.epoch === 1 ? '' : ` (${signedMib(r.bytes - first.bytes)} vs epoch 1)`;
  const deltaUse = r.epoch === 1 ? '' : ` (${signedMib(r.inUse - first.inUse)})`;
  const acc = r.valAccuracy === null ? '—' : `${(r.valAccuracy * 100).toFixed(1)}%`;
  log(`epoch ${String(r.epoch).padStart(2)}/${epochs}: wasm memory ${mib(r.bytes)}${delta}, heap in use ${mib(r.inUse)}${deltaUse}; loss ${r.loss.toFixed(3)}, val acc ${acc}; ${formatDuration(r.ms)} (${Math.round((epochSize / r.ms) * 1000)} samples/s)`);
}

/** The soak in Node: www/pkg's wasm, MNIST (or the fallback set) from www/public/data/mnist. */
async function nodeSoak(settings) {
  const wasmFile = join(PKG, 'inkling_bg.wasm');
  if (!existsSync(wasmFile)) throw new Error('www/pkg/inkling_bg.wasm is missing: run `npm run build` (or node tools/build.mjs --wasm)');
  const { default: init, Trainer, RunPlan, buildInfo, defaults, validationSize } = await import(join(PKG, 'inkling.js'));
  const wasm = await init({ module_or_path: readFileSync(wasmFile) });
  const d = await loadMnist();
  const total = d.trainImages.count;
  const trainCount = total - validationSize(defaults().trainer.validationSize, total);
  const data = { images: d.trainImages.data, labels: d.trainLabels.data, trainCount, testImages: d.testImages.data, testLabels: d.testLabels.data, testCount: d.testImages.count };
  const options = runOptions(settings, data, total);
  const info = buildInfo();
  banner('soak');
  log(`wasm ${info.version}, simd ${info.simd}, threads ${info.threads}; in Node ${process.version}; model ${options.model}, batch ${options.batch}`);
  logData(d.info, options, trainCount);
  const result = await soak({ wasm, Trainer, RunPlan }, data, options, (r, series) => logEpoch(r, series, options.epochs, options.epochSize));
  return { ...result, options };
}

/** The run's sizes from the command line and the data: { model, batch, epochs, epochSize, evalN, predictions, injectLeak }. */
export function runOptions(settings, { trainCount, testCount }, total) {
  const { quick, model, batch, epochs, predictions, evalCount, epochSize, injectLeak } = settings;
  return {
    model,
    batch,
    epochs,
    epochSize: Math.min(trainCount, epochSize ?? (quick ? 2000 : trainCount)),
    evalN: Math.min(evalCount, total - trainCount || testCount),
    predictions,
    injectLeak,
  };
}

function logData(info, options, trainCount) {
  log(`data: ${info.name || 'MNIST-style'}${info.official ? ' (official)' : ''}, training split ${trainCount}; ${options.epochs} epochs of ${options.epochSize} images, evaluation of ${options.evalN} images after each; then ${options.predictions} single-image predictions`);
}

if (isMain(import.meta.url)) {
  main('soak', async () => {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        epochs: { type: 'string' },
        'epoch-size': { type: 'string' },
        predictions: { type: 'string' },
        eval: { type: 'string' },
        model: { type: 'string', default: 'cnn' },
        'batch-size': { type: 'string', default: '64' },
        'tolerance-mib': { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        'inject-leak': { type: 'boolean', default: false },
        browser: { type: 'string' },
      },
    });
    const q = values.quick;
    const settings = {
      quick: q,
      model: values.model,
      batch: Number(values['batch-size']),
      epochs: Number(values.epochs ?? (q ? 3 : 20)),
      predictions: Number(values.predictions ?? (q ? 1000 : 10000)),
      evalCount: Number(values.eval ?? (q ? 500 : 2000)),
      epochSize: values['epoch-size'] === undefined ? undefined : Number(values['epoch-size']),
      injectLeak: values['inject-leak'],
    };
    const toleranceBytes = Number(values['tolerance-mib']) * MiB;
    if (!(settings.epochs >= 1) || !(settings.batch >= 1) || !(settings.predictions >= 0) || !(toleranceBytes >= 0)) throw new Error('bad option value');
    if (settings.epochSize !== undefined && !(settings.epochSize >= 1)) throw new Error('bad option value');

    const t0 = Date.now();
    const r = values.browser
      ? await browserSoak(values.browser, settings, { runOptions, logData, logEpoch })
      : await nodeSoak(settings);
    const { options, series, afterInit, afterTrainer, afterPredictions, inUseAfterPredictions, predMs, perEpoch } = r;
    if (!r.canProbe) log.warn('this wasm-bindgen build exports no __wbindgen_malloc/free: heap-in-use readings are skipped');
    const { epochs, predictions } = options;
    log(`${predictions} single-image predictions: wasm memory ${mib(afterPredictions)} (${signedMib(afterPredictions - series[0].bytes)} vs epoch 1), heap in use ${mib(inUseAfterPredictions)} (${signedMib(inUseAfterPredictions - series[0].inUse)}); ${formatDuration(predMs)} (${predictions ? (predMs / predictions).toFixed(2) : 0} ms each)`);

    const v = verdict({ epochs: series.map((s) => s.bytes), afterPredictions, toleranceBytes });
    const u = verdict({ epochs: series.map((s) => s.inUse), afterPredictions: inUseAfterPredictions, toleranceBytes });
    const ok = v.ok && u.ok;
    const stepsAfterFirst = perEpoch * (epochs - 1);
    banner(`verdict (${formatDuration(Date.now() - t0)})`);
    console.log(`wasm memory: init ${mib(afterInit)}, trainer created ${mib(afterTrainer)}, after epoch 1 ${mib(v.base)}, max after epochs 2..${epochs} ${epochs > 1 ? mib(v.maxLater) : '— (1 epoch only)'}, after ${predictions} predictions ${mib(afterPredictions)}`);
    console.log(`growth after epoch 1: wasm memory: training ${signedMib(v.trainingGrowth)}, predictions ${signedMib(v.predictionGrowth)}; heap in use (probe): training ${signedMib(u.trainingGrowth)}, predictions ${signedMib(u.predictionGrowth)}; tolerance ${mib(toleranceBytes)}`);
    if (stepsAfterFirst) console.log(`detection floor: a leak above ~${Math.ceil(toleranceBytes / stepsAfterFirst).toLocaleString('en-US')} B per training step (${stepsAfterFirst} steps after epoch 1) or ~${predictions ? Math.ceil(toleranceBytes / predictions).toLocaleString('en-US') : '∞'} B per prediction would fail this run`);
    if (epochs < 2) log.warn('only one epoch: the training part of the verdict needs --epochs 2 or more');
    console.log(
      ok
        ? 'PASS: neither wasm memory nor the heap in use grew after the first epoch'
        : `FAIL: ${v.ok ? '' : 'wasm memory'}${!v.ok && !u.ok ? ' and ' : ''}${u.ok ? '' : 'the heap in use'} grew after the first epoch (leak)`,
    );
    if (values.json) {
      console.log(JSON.stringify({ soak: options.model, engine: r.engine ?? `Node ${process.version}`, batch: options.batch, epochs, epochSize: options.epochSize, predictions, afterInit, afterTrainer, series, beforePredictions: r.beforePredictions, afterPredictions, inUseAfterPredictions, toleranceBytes, memory: v, heapInUse: u, ok }));
    }
    return ok ? 0 : 1;
  });
}
