#!/usr/bin/env node
// `npm run soak`: a memory-leak soak test of the wasm build, in Node (no browser needed).
//
// It loads www/pkg/inkling_bg.wasm with init({ module_or_path: bytes }) (init() returns the wasm
// exports, `memory` included), trains the cnn for N "epochs" the way the app's worker does
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
//   options: --model cnn --batch-size 64 --eval 2000 --tolerance-mib 1 --json
//            --inject-leak   keep an extra (mlp) Trainer alive per epoch: the run must then FAIL

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IMAGE_BYTES } from '../www/shared/batching.js';
import { driveRun } from '../www/engine/training-run.js';
import { ensureData, FILES, OUT_DIR } from './data.mjs';
import { parseIdx } from './idx.mjs';
import { ROOT, banner, formatDuration, isMain, logger, main } from './lib.mjs';

const log = logger('soak');
const MiB = 1024 * 1024;
const PKG = join(ROOT, 'www', 'pkg');
const EVAL_CHUNK = 500; // as in www/engine/worker.js

/**
 * The verdict from the memory series (pure; unit-testable).
 * epochs: bytes after each epoch (>= 1 entries); afterPredictions: bytes after the predictions.
 */
export function verdict({ epochs, afterPredictions, toleranceBytes }) {
  const base = epochs[0];
  const later = epochs.slice(1);
  const maxLater = later.length ? Math.max(...later) : base;
  const trainingGrowth = maxLater - base;
  const predictionGrowth = afterPredictions === undefined ? 0 : afterPredictions - base;
  const ok = trainingGrowth <= toleranceBytes && predictionGrowth <= toleranceBytes;
  return { base, maxLater, trainingGrowth, predictionGrowth, ok };
}

/**
 * Heap bytes the Rust allocator could hand out right now without growing memory, found by
 * allocating 4 KiB blocks through the wasm-bindgen exports (__wbindgen_malloc/free) until memory
 * grows, then freeing them all. Returns { free, grewBy } (grewBy: the page(s) the probe itself
 * added, which the caller subtracts from later readings). Free fragments under 4 KiB are not seen.
 */
export function probeFreeHeap(wasm, chunk = 4096) {
  const before = wasm.memory.buffer.byteLength;
  const ptrs = [];
  let free = 0;
  while (ptrs.length < 1 << 20) {
    ptrs.push(wasm.__wbindgen_malloc(chunk, 8));
    if (wasm.memory.buffer.byteLength !== before) break;
    free += chunk;
  }
  for (const p of ptrs) wasm.__wbindgen_free(p, chunk, 8);
  return { free, grewBy: wasm.memory.buffer.byteLength - before };
}

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
    return { trainImages: read('trainImages'), trainLabels: read('trainLabels'), testImages: read('testImages'), info };
  });
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
      },
    });
    const q = values.quick;
    const epochs = Number(values.epochs ?? (q ? 3 : 20));
    const predictions = Number(values.predictions ?? (q ? 1000 : 10000));
    const evalCount = Number(values.eval ?? (q ? 500 : 2000));
    const batch = Number(values['batch-size']);
    const toleranceBytes = Number(values['tolerance-mib']) * MiB;
    if (!(epochs >= 1) || !(batch >= 1) || !(predictions >= 0) || !(toleranceBytes >= 0)) throw new Error('bad option value');

    const wasmFile = join(PKG, 'inkling_bg.wasm');
    if (!existsSync(wasmFile)) throw new Error('www/pkg/inkling_bg.wasm is missing: run `npm run build` (or node tools/build.mjs --wasm)');
    const { default: init, Trainer, RunPlan, buildInfo, defaults, validationSize } = await import(join(PKG, 'inkling.js'));
    const wasm = await init({ module_or_path: readFileSync(wasmFile) });
    let probeGrowth = 0; // memory added by the heap probes themselves (not by the trainer)
    const mem = () => wasm.memory.buffer.byteLength - probeGrowth;
    /** { bytes: memory.buffer.byteLength (probe pages excluded), inUse: bytes minus the allocator's free space } */
    const canProbe = typeof wasm.__wbindgen_malloc === 'function' && typeof wasm.__wbindgen_free === 'function';
    if (!canProbe) log.warn('this wasm-bindgen build exports no __wbindgen_malloc/free: heap-in-use readings are skipped');
    const measure = () => {
      const bytes = mem();
      const raw = wasm.memory.buffer.byteLength;
      const { free, grewBy } = canProbe ? probeFreeHeap(wasm) : { free: 0, grewBy: 0 };
      probeGrowth += grewBy;
      return { bytes, inUse: raw - free };
    };
    const afterInit = mem();

    const d = await loadMnist();
    const total = d.trainImages.count;
    const val = validationSize(defaults().trainer.validationSize, total);
    const trainCount = total - val;
    const epochSize = Math.min(trainCount, Number(values['epoch-size'] ?? (q ? 2000 : trainCount)));
    const evalN = Math.min(evalCount, val || d.testImages.count);
    const info = buildInfo();
    banner('soak');
    log(`wasm ${info.version}, simd ${info.simd}, threads ${info.threads}; model ${values.model}, batch ${batch}`);
    log(`data: ${d.info.name || 'MNIST-style'}${d.info.official ? ' (official)' : ''}, training split ${trainCount}; ${epochs} epochs of ${epochSize} images, evaluation of ${evalN} images after each; then ${predictions} single-image predictions`);
    log(`wasm memory after init: ${mib(afterInit)}`);

    const trainer = new Trainer({ model: values.model, seed: 1, batchSize: batch });
    const afterTrainer = mem();
    // The app's run (the core's plan, walked by the app's driver) over the first epochSize images.
    const plan = new RunPlan({ model: values.model, seed: 1, batchSize: batch, epochs }, epochSize);
    const perEpoch = plan.batchesPerEpoch;
    const series = [];
    const leaked = [];
    const t0 = Date.now();
    let te = Date.now();
    let loss = 0;
    try {
      await driveRun({
        plan,
        trainer,
        images: d.trainImages.data,
        labels: d.trainLabels.data,
        step: (im, lb) => trainer.trainBatch(im, lb),
        beforeBatch: ({ batch: b }) => {
          if (b === 0) te = Date.now();
          return true;
        },
        afterBatch: ({ result }) => {
          loss = result.loss;
        },
        afterEpoch: ({ epoch }) => {
          const e = epoch + 1;
          // Evaluate on the validation split in chunks, like the worker does after each epoch.
          let correct = 0;
          for (let s = 0; s < evalN; s += EVAL_CHUNK) {
            const n = Math.min(EVAL_CHUNK, evalN - s);
            const from = trainCount + s;
            const ev = trainer.evaluate(d.trainImages.data.subarray(from * IMAGE_BYTES, (from + n) * IMAGE_BYTES), d.trainLabels.data.subarray(from, from + n));
            correct += ev.accuracy * ev.count;
          }
          // --inject-leak: keep one extra mlp Trainer alive per epoch (a deliberate leak, to check the check).
          if (values['inject-leak']) leaked.push(new Trainer({ model: 'mlp', seed: e }));
          const ms = Date.now() - te;
          const { bytes, inUse } = measure();
          series.push({ epoch: e, bytes, inUse, loss, valAccuracy: evalN ? correct / evalN : null, ms });
          const delta = e === 1 ? '' : ` (${signedMib(bytes - series[0].bytes)} vs epoch 1)`;
          const deltaUse = e === 1 ? '' : ` (${signedMib(inUse - series[0].inUse)})`;
          log(`epoch ${String(e).padStart(2)}/${epochs}: wasm memory ${mib(bytes)}${delta}, heap in use ${mib(inUse)}${deltaUse}; loss ${loss.toFixed(3)}, val acc ${evalN ? ((correct / evalN) * 100).toFixed(1) + '%' : '—'}; ${formatDuration(ms)} (${Math.round((epochSize / ms) * 1000)} samples/s)`);
        },
      });
    } finally {
      plan.free();
    }

    const beforePredictions = mem();
    const tp = Date.now();
    const nTest = d.testImages.count;
    for (let i = 0; i < predictions; i++) {
      const k = i % nTest;
      trainer.predict(d.testImages.data.subarray(k * IMAGE_BYTES, (k + 1) * IMAGE_BYTES));
    }
    const predMs = Date.now() - tp;
    const { bytes: afterPredictions, inUse: inUseAfterPredictions } = measure();
    log(`${predictions} single-image predictions: wasm memory ${mib(afterPredictions)} (${signedMib(afterPredictions - series[0].bytes)} vs epoch 1), heap in use ${mib(inUseAfterPredictions)} (${signedMib(inUseAfterPredictions - series[0].inUse)}); ${formatDuration(predMs)} (${predictions ? (predMs / predictions).toFixed(2) : 0} ms each)`);
    trainer.free();

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
      console.log(JSON.stringify({ soak: values.model, batch, epochs, epochSize, predictions, afterInit, afterTrainer, series, beforePredictions, afterPredictions, inUseAfterPredictions, toleranceBytes, memory: v, heapInUse: u, ok }));
    }
    return ok ? 0 : 1;
  });
}
