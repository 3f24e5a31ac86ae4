// The bench's report: statistics (median, percentiles), the machine it ran on, the static facts of
// the measured .wasm (size, SIMD instructions) and the one table of results. Pure but for reading
// the .wasm and the machine.

import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { capture, ROOT } from '../lib.mjs';
import { countSimd } from '../wasm-simd.mjs';
import { measuredWasm } from './site.mjs';

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

export const fmt = (x, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? '—' : Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
/** A fraction as a percentage with two decimals ("—" when missing). */
export const pct = (x) => (x === undefined || x === null ? '—' : `${(100 * x).toFixed(2)} %`);

/** Render rows ([cells]) as a markdown table with a header; columns padded for the terminal. */
export function markdownTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sepLine = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(all[0]), sepLine, ...all.slice(1).map(line)].join('\n');
}

export function machineInfo() {
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

export function staticFacts(results) {
  const file = measuredWasm();
  const bytes = readFileSync(file);
  const simd = countSimd(bytes);
  results.push({ bench: 'wasm-size', file: relative(ROOT, file), rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  results.push({ bench: 'wasm-simd', file: relative(ROOT, file), simdInstructions: simd.simd, instructions: simd.instructions, functions: simd.functions, functionsWithSimd: simd.functionsWithSimd, named: simd.named });
}

export function buildTable(results) {
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
  const plainNative = find((r) => r.bench === 'train-plain' && r.target === 'native');
  if (plainNative) rows.push([`train ${plainNative.model} B=${plainNative.batch}, augmentation off, native`, '', '', fmt(plainNative.samplesPerSec), 'samples/s (`inkling bench --no-augment`)']);
  for (const r of L.filter((x) => x.bench === 'peer')) {
    const cell = fmt(r.samplesPerSec);
    rows.push([`peer: ${r.peer} ${r.version}, cnn B=${r.batch}, ${r.backend ?? 'CPU'}`, r.target === 'wasm' ? cell : '', '', r.target === 'native' ? cell : '', `samples/s (${r.variant ?? r.how})`]);
  }
  const ratios = L.filter((x) => x.bench === 'peer-ratio');
  if (ratios.length) {
    const cell = (pred) => {
      const r = ratios.find(pred);
      return r ? `${r.ratio.toFixed(1)}×` : '';
    };
    const peers = [...new Set(ratios.map((r) => `${r.target === 'wasm' ? 'browser' : 'native'}: ${r.peer}`))].join('; ');
    rows.push(['Inkling ÷ best peer, cnn B=64, augmentation off', cell((r) => r.target === 'wasm' && r.workers === all), cell((r) => r.target === 'wasm' && r.workers === 1), cell((r) => r.target === 'native'), `samples/s ratio (${peers})`]);
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
  const run = find((r) => r.bench === 'run');
  if (run) {
    const c = run.config;
    rows.push([`${c.model} run, ${run.epochs} epochs (${JSON.stringify(c)}; ${run.dataset})`, fmt(run.seconds, 0), '', '', `s (${run.workers} workers; test acc. ${(run.testAccuracy * 100).toFixed(2)} %)`]);
  }
  if (ep) rows.push([`one epoch ${ep.model} B=${ep.batch} (${ep.images.toLocaleString('en-US')} ${ep.dataset} images), measured`, fmt(ep.seconds, 1), '', '', `s (${ep.workers} workers; test acc. ${(ep.testAccuracy * 100).toFixed(1)}%)`]);
  const t99 = find((r) => r.bench === 'time-to-99');
  if (t99) {
    const path = t99.epochs.map((e) => `${fmt(e.seconds, 0)} s: ${(e.test * 100).toFixed(2)} %`).join(', ');
    rows.push([`start → 99.0 % test accuracy, ${run ? `the ${t99.model} run` : 'the default cnn run'} (${t99.dataset})`, t99.seconds ? fmt(t99.seconds, 1) : 'not reached', '', '', `s (${t99.workers} workers; after each epoch ${path})`]);
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

/** The markers between which `npm run bench -- --docs` writes its results in docs/performance.md. */
export const DOCS_BEGIN = '<!-- results: written by npm run bench -- --docs -->';
export const DOCS_END = '<!-- /results -->';
/** The markers of `npm run bench -- --peers --docs`'s block (the peers and the ratios to them). */
export const PEERS_MARKERS = ['<!-- peers: written by npm run bench -- --peers --docs -->', '<!-- /peers -->'];

/** A dated results block: the machine (with the commit), the data set, the command and the table. */
export function resultsBlock({ machine, dataset, command, table }) {
  return [
    `Machine: ${machineLine(machine)}.`,
    dataset ? `Data: ${dataset.official ? 'real MNIST' : dataset.name}, ${dataset.train.toLocaleString('en-US')} training images.` : '',
    `Command: \`${command}\`.`,
    '',
    table,
  ].filter((l, i) => l || i > 2).join('\n');
}

/** `doc` with the text between the results markers replaced by `block`; throws when the markers are missing. */
export function replaceResults(doc, block, [begin, end] = [DOCS_BEGIN, DOCS_END]) {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`the results markers (${begin} … ${end}) are missing`);
  return `${doc.slice(0, a + begin.length)}\n${block}\n${doc.slice(b)}`;
}

export function machineLine(m) {
  return `${m.cpu}, ${m.cores} cores, load average ${m.loadavg.join(' ')} at start; Chromium ${m.chromium || '—'}; node ${m.node}; commit ${m.commit}; ${m.date}`;
}
