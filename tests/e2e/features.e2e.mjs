#!/usr/bin/env node
// The app in a browser that lacks features it uses, in Chromium with them removed before the page
// runs: IndexedDB, DecompressionStream and service workers. The page must say what is missing and
// what it costs, and what still works must work: the pretrained CNN loads and reads a drawn digit.
//
//   node tests/e2e/features.e2e.mjs        (after `node tools/build.mjs`)
//   env: E2E_DIST (default dist), E2E_RESULTS (default test-results), CHROMIUM (default /usr/bin/chromium)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM } from '../../tools/chromium.mjs';
import { DIST, e2e } from './harness.mjs';
import { MINUTE, assert, loadTestDigits, log, pageDriver, pickDigits, waitFor } from './page.mjs';

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

await e2e('features', 5, async (t) => {
  assert(existsSync(CHROMIUM), `${CHROMIUM} exists (node tools/setup.mjs --browser)`);
  assert(existsSync(join(DIST, 'index.html')), `${DIST}/index.html exists (node tools/build.mjs)`);
  const digits = loadTestDigits(DIST);
  const { url } = await t.serve(DIST);
  const { page } = await t.open('chromium', { initScript: removeFeatures });
  await page.goto(url);
  await run(page, digits);
});
