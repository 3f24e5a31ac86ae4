#!/usr/bin/env node
// The app in a browser that lacks features it uses, in Chromium with them removed before the page
// runs: IndexedDB, DecompressionStream and service workers. The page must say what is missing and
// what it costs, and what still works must work: the pretrained CNN loads and reads a drawn digit.
//
//   node tests/e2e/features.e2e.mjs        (after `node tools/build.mjs`)
//   env: E2E_DIST (default dist), E2E_RESULTS (default test-results), CHROMIUM (default /usr/bin/chromium)

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launchChromium } from '../../tools/chromium.mjs';
import { serveStatic } from '../../tools/serve.mjs';
import { MINUTE, assert, loadTestDigits, log, pageDriver, pickDigits, waitFor } from './page.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = resolve(process.env.E2E_DIST || join(ROOT, 'dist'));
const RESULTS = resolve(process.env.E2E_RESULTS || join(ROOT, 'test-results'));

/** Runs in the page before its scripts: the browser without these features. */
function removeFeatures() {
  Object.defineProperty(window, 'indexedDB', { value: undefined });
  delete window.DecompressionStream;
  delete Navigator.prototype.serviceWorker;
}

async function run(page, digits) {
  const { text, attr, click, drawAndPredict } = pageDriver(page);
  await page.waitForSelector('#notice[data-missing="true"]:not([hidden])', { timeout: MINUTE });
  const notice = (await page.$eval('#notice-text', (el) => el.textContent)).trim();
  log(`notice: ${notice}`);
  for (const [what, why] of [
    ['IndexedDB', /not kept when the page closes/],
    ['DecompressionStream', /pretrained CNN still loads/],
  ]) {
    assert(notice.includes(what), `the notice names ${what}`);
    assert(why.test(notice), `the notice says what missing ${what} costs and what still works (${why})`);
  }
  assert(!/WebAssembly|module workers/.test(notice), 'the notice names only what is missing');
  await waitFor('the footer on offline use', async () => ({ ok: (await attr('offline-status', 'data-ready')) === 'false', seen: await text('offline-status') }), MINUTE);
  log(`footer: ${await text('offline-status')}`);
  assert(/no service workers/.test(await text('offline-status')), 'the footer says offline use is not available');

  await click('load-pretrained');
  await waitFor('the pretrained model', async () => ({ ok: (await attr('model-status', 'data-source')) === 'pretrained', seen: await text('model-status') }), MINUTE);
  const [two] = pickDigits(digits, [2]);
  const read = await drawAndPredict(two, ' without IndexedDB');
  assert(read === 2, `the pretrained CNN reads a drawn 2 (got ${read})`);
}

async function main() {
  assert(existsSync(CHROMIUM), `${CHROMIUM} exists (node tools/setup.mjs --browser)`);
  assert(existsSync(join(DIST, 'index.html')), `${DIST}/index.html exists (node tools/build.mjs)`);
  const digits = loadTestDigits(DIST);
  const server = await serveStatic(DIST);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.addInitScript(removeFeatures);
  const page = await context.newPage();
  page.setDefaultTimeout(MINUTE);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  let failure = null;
  try {
    await page.goto(server.url);
    await run(page, digits);
    if (pageErrors.length) throw new Error(`uncaught page errors: ${pageErrors.join(' | ')}`);
  } catch (err) {
    failure = err;
    console.error(`[e2e features] FAILED: ${err.message}`);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'features-failure.png'), fullPage: true }).catch(() => {});
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(failure ? 'e2e features: 0 passed, 1 failed' : 'e2e features: 1 passed, 0 failed');
  process.exitCode = failure ? 1 : 0;
}

const watchdog = setTimeout(() => {
  console.error('[e2e features] FAILED: overall timeout (5 min)');
  process.exit(1);
}, 5 * MINUTE);
watchdog.unref();
await main();
