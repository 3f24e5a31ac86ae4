// The bench's peers (`npm run bench -- --peers`): the same cnn (93,322 parameters, Adam 1e-3, B=64)
// trained by TensorFlow.js and jax-js on their wasm backends in the same headless Chromium
// (www/bench/peers.html, a fresh page per configuration, as each library's backend is global), and by
// TensorFlow on the CPU natively when a Python with `tensorflow` is found (tools/bench/tf-cpu.mjs; it
// is installed only on request). Then the ratios of Inkling's figures from the same run to the peers'.
//
// Like for like: the peers train on fixed pseudo-random batches without augmentation, so Inkling's
// figures in the ratios are its augmentation-off ones (wasm `train-plain`, native `--no-augment`).

import { launchChromium } from '../chromium.mjs';
import { banner, logger } from '../lib.mjs';
import { serveStatic } from '../serve.mjs';
import { fmt } from './report.mjs';
import { SITE } from './site.mjs';
import { findTfPython, TF_SETUP, tfCpuBench } from './tf-cpu.mjs';

const log = logger('bench');

/** Browser peers' configurations: TF.js on 1 thread and on every core, jax-js's fastest. */
const browserPeers = (cores) => [
  { peer: 'tfjs', params: { threads: 1 } },
  ...(cores > 1 ? [{ peer: 'tfjs', params: { threads: cores } }] : []),
  { peer: 'jax', params: {} },
];

/** A peer page gets its warm-up and measuring time plus this long to load before it counts as hung. */
const PEER_SLACK_MS = 120_000;

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no result within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export async function peersBench({ seconds, batch = 64, mnistDir, results }) {
  banner(`peers in Chromium: the cnn B=${batch} (${seconds}s per configuration)`);
  const site = await serveStatic(SITE, { cacheAssets: true });
  const browser = await launchChromium();
  try {
    for (const { peer, params } of browserPeers(results.machine.cores)) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => log.warn(`peer page error: ${e.message}`));
      try {
        await page.goto(new URL('www/bench/peers.html', site.url).href);
        await page.waitForFunction(() => window.peers);
        const run = page.evaluate(([name, p]) => window.peers.run(name, p), [peer, { ...params, batch, seconds }]);
        // A hung peer (a backend whose threads never start) is reported and skipped; closing its page ends it.
        const r = await within(run, 3 * seconds * 1000 + PEER_SLACK_MS, `${peer} ${JSON.stringify(params)}`);
        results.push({ bench: 'peer', target: 'wasm', ...r });
        log(`${r.peer} ${r.version}, ${r.backend}, ${r.variant}: ${fmt(r.samplesPerSec)} samples/s (${r.steps} steps; loss ${r.firstLoss.toFixed(3)} -> ${r.lastLoss.toFixed(3)})`);
      } catch (err) {
        log.warn(`${peer} ${JSON.stringify(params)} failed: ${err.message.split('\n')[0]}`);
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await site.close();
  }

  banner(`peers natively: TensorFlow CPU, the cnn B=${batch}`);
  const python = findTfPython();
  if (!python) {
    log.warn(`no Python with tensorflow found (TF_PYTHON, .venv-peers, python3); to install it from PyPI: ${TF_SETUP}`);
    return;
  }
  try {
    const r = await tfCpuBench({ python, batch, seconds, threads: 0, mnistDir });
    results.push({ bench: 'peer', target: 'native', ...r });
    log(`tensorflow ${r.version} (CPU, ${r.how}, ${r.threads || 'all'} threads): ${fmt(r.samplesPerSec)} samples/s (${r.steps} steps)`);
  } catch (err) {
    log.warn(`TensorFlow CPU failed: ${err.message}`);
  }
}

/** Inkling's figure / the best peer's, for the browser (1 worker and the pool) and natively. */
export function peerRatios(results) {
  const L = results.list;
  const best = (target) => L.filter((r) => r.bench === 'peer' && r.target === target).sort((a, b) => b.samplesPerSec - a.samplesPerSec)[0];
  const ours = (target, workers) => L.find((r) => r.bench === 'train-plain' && r.target === target && r.model === 'cnn' && r.batch === 64 && (workers === undefined || r.workers === workers));
  const ratios = [];
  const browserPeer = best('wasm');
  const pool = L.find((r) => r.bench === 'build-info')?.workers ?? 1;
  for (const workers of [...new Set([1, pool])]) {
    const mine = ours('wasm', workers);
    if (browserPeer && mine) ratios.push({ bench: 'peer-ratio', target: 'wasm', workers, inkling: mine.samplesPerSec, peer: `${browserPeer.peer} ${browserPeer.backend}`, peerSamplesPerSec: browserPeer.samplesPerSec, ratio: mine.samplesPerSec / browserPeer.samplesPerSec });
  }
  const nativePeer = best('native');
  const mine = ours('native');
  if (nativePeer && mine) ratios.push({ bench: 'peer-ratio', target: 'native', threads: mine.threads, inkling: mine.samplesPerSec, peer: `${nativePeer.peer} ${nativePeer.version}`, peerSamplesPerSec: nativePeer.samplesPerSec, ratio: mine.samplesPerSec / nativePeer.samplesPerSec });
  return ratios;
}
