#!/usr/bin/env node
// End-to-end test of the built app (dist/) in a browser: headless Chromium (playwright-core),
// headless Firefox (puppeteer-core) or WebKitGTK's MiniBrowser on Xvfb (selenium-webdriver), see
// browsers.mjs. It serves dist/ itself (tools/serve.mjs, COOP/COEP headers) and drives the UI only
// through data-testid hooks: load the dataset, train the CNN for a few hundred batches and check the test
// accuracy (> 90 %), draw real MNIST test digits with the mouse and check the predictions, add
// drawings to "My digits" and fine-tune, download the weights (safetensors), upload a garbage file
// (the model must survive), reload and check that the model and My digits are restored.
// Saves test-results/app-trained.png (app-trained-firefox.png; chromium-failure.png, ... on failure).
//
//   node tests/e2e/app.e2e.mjs                      (after `node tools/build.mjs`)
//   node tests/e2e/app.e2e.mjs --browser firefox    the same journey in Firefox (or --browser webkit)
//   E2E_URL=http://127.0.0.1:4173/ node tests/e2e/app.e2e.mjs    test a running server instead
//   env: E2E_DIST (default dist), E2E_RESULTS (default test-results), CHROMIUM (default /usr/bin/chromium),
//        FIREFOX (default /usr/bin/firefox-esr), WEBKIT_DRIVER (default /usr/bin/WebKitWebDriver),
//        E2E_BATCHES (default 300)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coresOf, workerCount } from '../../www/pool/shares.js';
import { ENGINES } from './browsers.mjs';
import { DIST, e2e, screenshot } from './harness.mjs';
import { MINUTE, assert, loadTestDigits, log, pageDriver, pickDigits, sleep, t0, tid, waitFor } from './page.mjs';

const TARGET_BATCHES = Number(process.env.E2E_BATCHES || 300);
const MIN_ACCURACY = 0.9;
const ENGINE = parseArgs({ options: { browser: { type: 'string', default: 'chromium' } } }).values.browser;

async function run(page, digits) {
  const { text, attr, firstInt, setInput, click, box, stroke, upload, download, draw, drawAndPredict } = pageDriver(page);

  // 1. Load.
  log('waiting for the dataset (dataset-status data-ready="true")');
  await page.waitForSelector(`${tid('dataset-status')}[data-ready="true"]`, { timeout: 5 * MINUTE });
  log(`dataset: ${await text('dataset-status')}`);
  log(`model status: ${await text('model-status')}`);
  // The engine's mode: SIMD on, and one worker per core (the data-parallel pool), shown in the footer.
  await page.waitForSelector(`${tid('build-info')}[data-workers]`, { timeout: MINUTE });
  const mode = await page.$eval(tid('build-info'), (el) => ({ text: el.textContent, workers: Number(el.dataset.workers), simd: el.dataset.simd, cores: navigator.hardwareConcurrency, userAgent: navigator.userAgent, memory: navigator.deviceMemory }));
  log(`engine: ${mode.text} (navigator.hardwareConcurrency ${mode.cores}, deviceMemory ${mode.memory ?? 'not reported'})`);
  if (mode.simd !== 'true') throw new Error(`the engine reports SIMD off: ${mode.text}`);
  const expected = workerCount(coresOf({ hardwareConcurrency: mode.cores, userAgent: mode.userAgent }), undefined, mode.memory);
  if (mode.workers !== expected) throw new Error(`expected ${expected} workers (${mode.cores} cores, ${mode.memory ?? '?'} GiB), the footer says ${mode.workers}`);

  // 2. Train the CNN.
  await setInput('cfg-model', 'cnn');
  await setInput('cfg-batch-size', 64);
  await setInput('cfg-lr', 0.001);
  await setInput('cfg-epochs', 10);
  log(`training cnn (batch 64, lr 0.001) until ${TARGET_BATCHES} batches`);
  await click('train-start');
  let lastLogged = 0;
  await waitFor(
    `${TARGET_BATCHES} trained batches`,
    async () => {
      const batches = Number(await attr('train-progress', 'data-batches')) || 0;
      const state = await attr('train-progress', 'data-state');
      if (batches - lastLogged >= 50) {
        lastLogged = batches;
        log(`  ${batches} batches, state ${state}: ${await text('train-progress')}`);
      }
      return { ok: batches >= TARGET_BATCHES || state === 'done', seen: { batches, state } };
    },
    20 * MINUTE,
    1000,
  );
  if ((await attr('train-progress', 'data-state')) === 'training') {
    log('stop');
    await click('train-stop');
  }
  await waitFor(
    'training to stop',
    async () => {
      const state = await attr('train-progress', 'data-state');
      return { ok: state !== 'training', seen: state };
    },
    5 * MINUTE,
  );
  const batches = Number(await attr('train-progress', 'data-batches'));
  log(`stopped after ${batches} batches (state ${await attr('train-progress', 'data-state')})`);
  assert(batches >= Math.min(TARGET_BATCHES, 100), `trained at least ${Math.min(TARGET_BATCHES, 100)} batches (got ${batches})`);

  const acc = await waitFor(
    'the test accuracy (test-accuracy data-value)',
    async () => {
      const v = Number.parseFloat((await attr('test-accuracy', 'data-value')) ?? '');
      return { ok: Number.isFinite(v) && v > 0, seen: await text('test-accuracy'), v };
    },
    5 * MINUTE,
    1000,
  );
  const accText = await text('test-accuracy');
  log(`test accuracy: ${accText} (data-value ${acc.v})`);
  assert(/\d+(\.\d+)?\s*%/.test(accText), `test-accuracy text shows a percentage ("${accText}")`);
  assert(acc.v > MIN_ACCURACY, `test accuracy ${acc.v} > ${MIN_ACCURACY}`);
  log(`model status: ${await text('model-status')}`);

  // 3. Draw real test digits.
  log('drawing MNIST test digits on the canvas');
  const used = new Set();
  const probe = pickDigits(digits, [7, 2, 1, 0, 4], used);
  const recognised = [];
  for (const d of probe) if ((await drawAndPredict(d)) === d.label) recognised.push(d);
  const correct = recognised.length;
  log(`${correct}/${probe.length} drawn digits recognised`);
  assert(correct >= probe.length - 1, `at least ${probe.length - 1} of ${probe.length} drawn digits recognised (got ${correct})`);
  log(`saved ${await screenshot(page, `app-trained${ENGINE === 'chromium' ? '' : `-${ENGINE}`}.png`)}`);

  // The pad scribbled full (a zigzag, then crossed out) is not a digit: the page says so instead of
  // naming one.
  await click('draw-clear');
  const pad = await box('draw-canvas');
  const path = [[0.05, 0.05], [0.95, 0.2], [0.05, 0.35], [0.95, 0.5], [0.05, 0.65], [0.95, 0.8], [0.05, 0.95], [0.95, 0.95], [0.05, 0.05], [0.95, 0.05], [0.05, 0.95]];
  const zigzag = path.map(([x, y]) => [pad.x + pad.width * x, pad.y + pad.height * y]);
  await stroke(zigzag, 12);
  const scribble = await waitFor(
    'the scribble judged not a digit',
    async () => {
      const verdict = await attr('prediction', 'data-verdict');
      return { ok: verdict === 'scribble', seen: `${verdict}: ${await text('prediction')}` };
    },
    10_000,
    200,
  );
  log(`the pad scribbled full: ${scribble.seen}`);

  // 4. My digits + fine-tuning.
  const countBefore = firstInt(await text('mydigits-count')) || 0;
  const mine = pickDigits(digits, [3, 5, 6, 8, 9], used);
  log(`adding ${mine.length} drawings to My digits (had ${countBefore})`);
  for (const d of mine) {
    await draw(d);
    await click(`label-${d.label}`);
  }
  const countAfter = await waitFor(
    `My digits count ${countBefore + mine.length}`,
    async () => {
      const n = firstInt(await text('mydigits-count'));
      return { ok: n === countBefore + mine.length, seen: await text('mydigits-count'), n };
    },
    10_000,
  );
  log(`My digits: ${await text('mydigits-count')}`);
  log('fine-tuning');
  await click('finetune-start');
  await page.waitForSelector(`${tid('finetune-result')}[data-state="done"]`, { timeout: 10 * MINUTE });
  log(`fine-tune result: ${await text('finetune-result')}`);
  const check = recognised[0] ?? probe[0]; // re-drawn after each model change
  const before = await drawAndPredict(check, ' after fine-tuning');
  assert(!Number.isNaN(before), 'the model predicts after fine-tuning');

  // 5. Download the weights.
  const saved = await download('weights-download');
  const bytes = saved.bytes;
  assert(bytes.length > 16, `weights file is not empty (${bytes.length} bytes)`);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  assert(headerLen > 1 && 8 + headerLen <= bytes.length, `safetensors header length ${headerLen} fits in ${bytes.length} bytes`);
  assert(bytes[8] === 0x7b, "safetensors header starts with '{'");
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  const tensors = Object.keys(header).filter((k) => k !== '__metadata__');
  log(`downloaded ${saved.name}: ${bytes.length} bytes, ${tensors.length} tensors, metadata ${JSON.stringify(header.__metadata__ ?? {})}`);

  // 6. A garbage upload must not break the model.
  await upload('weights-upload', [{ name: 'garbage.safetensors', bytes: Buffer.from('this is not a safetensors file\u0000\u0001\u0002'.repeat(20)) }]);
  await sleep(2000);
  log(`after garbage upload, model status: ${await text('model-status')}`);
  const after = await drawAndPredict(check, ' after garbage upload');
  assert(after === before, `same prediction as before the garbage upload (${before} vs ${after})`);

  // 7. Reload: model and My digits come back.
  log('reloading the page');
  await page.reload();
  await page.waitForSelector(`${tid('dataset-status')}[data-ready="true"]`, { timeout: 5 * MINUTE });
  const status = await waitFor(
    'model-status other than "untrained"',
    async () => {
      const s = await text('model-status');
      return { ok: s && !/untrained|loading/i.test(s), seen: s, s };
    },
    MINUTE,
  );
  log(`after reload, model status: ${status.s}`);
  const restored = await waitFor(
    'My digits count restored',
    async () => {
      const n = firstInt(await text('mydigits-count'));
      return { ok: n === countAfter.n, seen: await text('mydigits-count'), n };
    },
    30_000,
  );
  log(`after reload, My digits: ${restored.n}`);
  const reloaded = await drawAndPredict(check, ' after reload');
  assert(reloaded === before, `same prediction after reload (${before} vs ${reloaded})`);
}

await e2e(ENGINE, 40, async (t) => {
  assert(ENGINES[ENGINE], `--browser is one of ${Object.keys(ENGINES).join(', ')} (got "${ENGINE}")`);
  assert(existsSync(ENGINES[ENGINE]), `${ENGINES[ENGINE]} exists (node tools/setup.mjs --browser)`);
  const external = process.env.E2E_URL;
  if (!external) assert(existsSync(join(DIST, 'index.html')), `${DIST}/index.html exists (node tools/build.mjs)`);
  const digits = loadTestDigits(DIST);
  const url = external || (await t.serve(DIST)).url;
  const { page, version } = await t.open(ENGINE);
  log(`serving ${external ? '(external)' : DIST} at ${url}; ${version}`);
  await page.goto(url);
  log(`opened ${url}: "${await page.title()}"; crossOriginIsolated=${await page.evaluate(() => self.crossOriginIsolated)}`);
  await run(page, digits);
  log(`finished in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
});
