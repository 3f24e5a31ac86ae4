// Unit tests for the pure parts of tools/bench.mjs (statistics, table) and soak.mjs (verdict).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCS_BEGIN, DOCS_END, buildTable, markdownTable, median, percentile, replaceResults, resultsBlock } from '../../tools/bench/report.mjs';
import { peerRatios } from '../../tools/bench/peers.mjs';
import { probeFreeHeap, runOptions, verdict } from '../../tools/soak.mjs';

test('median and nearest-rank percentile', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const v = Array.from({ length: 200 }, (_, i) => 200 - i); // 1..200, unsorted
  assert.equal(percentile(v, 95), 190);
  assert.equal(percentile(v, 50), 100);
  assert.equal(percentile(v, 100), 200);
  assert.equal(percentile([7], 95), 7);
  assert.ok(Number.isNaN(median([])));
});

test('markdown table: header, alignment row, padded cells', () => {
  const t = markdownTable(['a', 'b'], [['x', '1'], ['long name', '22']]).split('\n');
  assert.equal(t.length, 4);
  assert.match(t[1], /^\|:-+\|-+:\|$/);
  assert.equal(new Set(t.map((l) => l.length)).size, 1, 'all lines the same width');
  assert.match(t[3], /^\| long name \| +22 \|$/);
});

test('a --run epoch run is reported by its own settings, not as the default cnn run', () => {
  const config = { model: 'keras-cnn', optimizer: 'adadelta', batchSize: 128, epochs: 2 };
  const epochs = [
    { epoch: 1, seconds: 60, test: 0.985 },
    { epoch: 2, seconds: 121, test: 0.991 },
  ];
  const list = [
    { bench: 'epoch', target: 'wasm', model: 'keras-cnn', batch: 128, workers: 2, images: 55000, dataset: 'MNIST', seconds: 58, samplesPerSec: 948, testAccuracy: 0.985 },
    { bench: 'run', target: 'wasm', config, workers: 2, dataset: 'MNIST', epochs: 2, seconds: 121, testAccuracy: 0.991 },
    { bench: 'time-to-99', target: 'wasm', model: 'keras-cnn', workers: 2, dataset: 'MNIST', seconds: 121, epoch: 2, epochs },
  ];
  const table = buildTable({ list, buildInfo: { workers: 2 } });
  assert.match(table, /keras-cnn run, 2 epochs \(\{"model":"keras-cnn".*\| +121 \|.*test acc\. 99\.10 %/);
  assert.match(table, /one epoch keras-cnn B=128 \(55,000 MNIST images\)/);
  assert.match(table, /start → 99\.0 % test accuracy, the keras-cnn run \(MNIST\)/);
  assert.doesNotMatch(table, /default cnn run/);
});

test('peer ratios: like for like (augmentation off) over the fastest peer of each target', () => {
  const list = [
    { bench: 'build-info', workers: 2 },
    { bench: 'train', target: 'wasm', model: 'cnn', batch: 64, workers: 2, samplesPerSec: 2500 },
    { bench: 'train-plain', target: 'wasm', model: 'cnn', batch: 64, workers: 2, samplesPerSec: 3000 },
    { bench: 'train-plain', target: 'wasm', model: 'cnn', batch: 64, workers: 1, samplesPerSec: 2000 },
    { bench: 'train-plain', target: 'native', model: 'cnn', batch: 64, threads: 2, samplesPerSec: 6000 },
    { bench: 'peer', target: 'wasm', peer: 'tensorflow.js', version: '4.22.0', backend: 'wasm (1 thread)', variant: 'op API', batch: 64, samplesPerSec: 150 },
    { bench: 'peer', target: 'wasm', peer: 'tensorflow.js', version: '4.22.0', backend: 'wasm (2 threads)', variant: 'op API', batch: 64, samplesPerSec: 200 },
    { bench: 'peer', target: 'wasm', peer: 'jax-js', version: '0.1.25', backend: 'wasm', variant: 'im2col', batch: 64, samplesPerSec: 100 },
    { bench: 'peer', target: 'native', peer: 'tensorflow-cpu', version: '2.21.0', how: 'tf.function', batch: 64, samplesPerSec: 2400 },
  ];
  const ratios = peerRatios({ list });
  assert.deepEqual(ratios.map((r) => [r.target, r.workers ?? r.threads, r.peer, r.ratio]), [
    ['wasm', 1, 'tensorflow.js wasm (2 threads)', 10],
    ['wasm', 2, 'tensorflow.js wasm (2 threads)', 15],
    ['native', 2, 'tensorflow-cpu 2.21.0', 2.5],
  ]);
  const table = buildTable({ list: [...list, ...ratios] });
  assert.match(table, /Inkling ÷ best peer, cnn B=64, augmentation off +\| +15\.0× \| +10\.0× \| +2\.5× \|/);
  assert.match(table, /peer: jax-js 0\.1\.25, cnn B=64, wasm +\| +100 \|/);
  assert.match(table, /peer: tensorflow-cpu 2\.21\.0, cnn B=64, CPU .*\| +2,400 \| +samples\/s \(tf\.function\)/);
  // No peer measured (no Python with TensorFlow, say): no ratio for that target, nothing made up.
  assert.deepEqual(peerRatios({ list: list.filter((r) => r.target !== 'native' || r.bench !== 'peer') }).map((r) => r.target), ['wasm', 'wasm']);
});

test('the docs results block names machine, commit, date and command, and replaces only what is between the markers', () => {
  const machine = { cpu: 'Some CPU', cores: 2, loadavg: [0.5, 0.4, 0.3], node: 'v20', commit: 'abc1234', date: '2026-12-03T20:00:00.000Z', chromium: '148' };
  const block = resultsBlock({ machine, dataset: { official: true, train: 55000 }, command: 'npm run bench -- --epoch', table: '| a |\n|:--|' });
  assert.match(block, /^Machine: Some CPU, 2 cores, .*commit abc1234; 2026-12-03T20:00:00.000Z\.\nData: real MNIST, 55,000 training images\.\nCommand: `npm run bench -- --epoch`\.\n\n\| a \|/);
  const doc = `# P\n\nintro\n${DOCS_BEGIN}\nold table\n${DOCS_END}\n\nafter\n`;
  const out = replaceResults(doc, block);
  assert.ok(out.startsWith(`# P\n\nintro\n${DOCS_BEGIN}\nMachine: Some CPU`));
  assert.ok(out.endsWith(`| a |\n|:--|\n${DOCS_END}\n\nafter\n`));
  assert.ok(!out.includes('old table'));
  assert.equal(replaceResults(out, block), out, 'writing twice changes nothing');
  assert.throws(() => replaceResults('# no markers', block), /markers/);
});

test('soak verdict: flat passes, growth after epoch 1 or after predictions fails', () => {
  const MiB = 1 << 20;
  const base = 200 * MiB;
  assert.equal(verdict({ epochs: [base, base, base], afterPredictions: base, toleranceBytes: MiB }).ok, true);
  // growth during epoch 1 itself is allowed (it sets the baseline)
  assert.equal(verdict({ epochs: [base], afterPredictions: base + MiB, toleranceBytes: MiB }).ok, true);
  const grew = verdict({ epochs: [base, base + 64 * 1024 * 20, base], afterPredictions: base, toleranceBytes: MiB });
  assert.equal(grew.ok, false);
  assert.equal(grew.trainingGrowth, 64 * 1024 * 20);
  const pred = verdict({ epochs: [base, base], afterPredictions: base + 2 * MiB, toleranceBytes: MiB });
  assert.equal(pred.ok, false);
  assert.equal(pred.predictionGrowth, 2 * MiB);
});

test('soak sizes: --quick epochs of 2,000, never past the training split; evaluation within the validation split', () => {
  const settings = { quick: true, model: 'cnn', batch: 64, epochs: 3, predictions: 1000, evalCount: 500, injectLeak: false };
  const mnist = { trainCount: 55_000, testCount: 10_000 };
  assert.deepEqual(runOptions(settings, mnist, 60_000), { model: 'cnn', batch: 64, epochs: 3, epochSize: 2000, evalN: 500, predictions: 1000, injectLeak: false });
  assert.equal(runOptions({ ...settings, quick: false }, mnist, 60_000).epochSize, 55_000);
  assert.equal(runOptions({ ...settings, epochSize: 90_000 }, mnist, 60_000).epochSize, 55_000);
  assert.equal(runOptions({ ...settings, evalCount: 9000 }, mnist, 60_000).evalN, 5000);
  // No validation split: the evaluation is bounded by the test set's size.
  assert.equal(runOptions({ ...settings, evalCount: 9000 }, { trainCount: 1000, testCount: 300 }, 1000).evalN, 300);
});

test('heap probe: counts 4 KiB blocks until memory grows, frees every block', () => {
  // A fake allocator with 10 free blocks; the 11th malloc grows memory by one 64 KiB page.
  const memory = { buffer: { byteLength: 1 << 20 } };
  let live = 0;
  let next = 0;
  const wasm = {
    memory,
    __wbindgen_malloc: (size) => {
      assert.equal(size, 4096);
      live++;
      if (++next > 10) memory.buffer.byteLength += 65536;
      return next * 4096;
    },
    __wbindgen_free: () => live--,
  };
  assert.deepEqual(probeFreeHeap(wasm), { free: 10 * 4096, grewBy: 65536 });
  assert.equal(live, 0);
});
