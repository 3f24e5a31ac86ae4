#!/usr/bin/env node
// The app offline after a first visit, and a new build replacing the cached one, in Chromium.
// Build A (dist/) is served and visited once: its service worker caches the app, the data loader
// caches MNIST. Then the server is shut down and the browser set offline: a reload must still open
// the app, load the pretrained CNN, read a drawn digit, train and fine-tune. Then build B (a copy of
// dist/ with another title, its sw.js written for it as the build writes it) is served on the same
// port: one visit online must leave only B's cache, and the next offline reload must show B.
//
//   node tests/e2e/offline.e2e.mjs        (after `node tools/build.mjs`)
//   env: E2E_DIST (default dist), E2E_RESULTS (default test-results), CHROMIUM (default /usr/bin/chromium)

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM } from '../../tools/chromium.mjs';
import { writeServiceWorker } from '../../tools/precache.mjs';
import { DIST, e2e } from './harness.mjs';
import { MINUTE, assert, loadTestDigits, log, pageDriver, pickDigits, tid, waitFor } from './page.mjs';

const TITLE_B = 'Inkling (build B)';

/** Build B: dist/ with another title, and its own sw.js. Resolves to { dir, build }. */
function secondBuild() {
  const dir = mkdtempSync(join(tmpdir(), 'inkling-build-b-'));
  cpSync(DIST, dir, { recursive: true });
  const html = join(dir, 'index.html');
  writeFileSync(html, readFileSync(html, 'utf8').replace(/<title>[^<]*<\/title>/, `<title>${TITLE_B}</title>`));
  return { dir, build: writeServiceWorker(dir).build };
}

const shellCaches = (page) => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('inkling-shell-')));
const buildOf = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) => {
        navigator.serviceWorker.addEventListener('message', (e) => resolve(e.data.build), { once: true });
        navigator.serviceWorker.controller.postMessage('build');
      }),
  );

async function opened(page) {
  await page.waitForSelector(`${tid('dataset-status')}[data-ready="true"]`, { timeout: 5 * MINUTE });
  await page.waitForSelector(`${tid('offline-status')}[data-ready="true"]`, { timeout: MINUTE });
  await waitFor('the service worker to control the page', () => page.evaluate(() => !!navigator.serviceWorker.controller), MINUTE, 200);
}

async function offlineJourney(page, digits) {
  const { text, attr, click, setInput, drawAndPredict, draw } = pageDriver(page);
  log(`offline: "${await page.title()}"; ${await text('dataset-status')}; ${await text('build-info')}`);
  await click('load-pretrained');
  await waitFor('the pretrained model, offline', async () => ({ ok: (await attr('model-status', 'data-source')) === 'pretrained', seen: await text('model-status') }), MINUTE);
  const [seven] = pickDigits(digits, [7]);
  const read = await drawAndPredict(seven, ' offline');
  assert(read === 7, `a drawn 7 is read offline (got ${read})`);

  await setInput('cfg-epochs', 1);
  await click('train-start');
  await waitFor('30 batches trained offline', async () => ({ ok: Number(await attr('train-progress', 'data-batches')) >= 30, seen: await text('train-progress') }), 5 * MINUTE, 500);
  await click('train-stop');
  await waitFor('training to stop', async () => (await attr('train-progress', 'data-state')) !== 'training', MINUTE);
  log(`offline: trained ${await attr('train-progress', 'data-batches')} batches`);

  for (const d of pickDigits(digits, [3, 5], new Set([seven.index]))) {
    await draw(d);
    await click(`label-${d.label}`);
  }
  await setInput('ft-steps', 40);
  await click('finetune-start');
  await page.waitForSelector(`${tid('finetune-result')}[data-state="done"]`, { timeout: 5 * MINUTE });
  log(`offline: ${await text('finetune-result')}`);
}

await e2e('offline', 15, async (t) => {
  assert(existsSync(CHROMIUM), `${CHROMIUM} exists (node tools/setup.mjs --browser)`);
  assert(existsSync(join(DIST, 'sw.js')), `${DIST}/sw.js exists (node tools/build.mjs)`);
  const digits = loadTestDigits(DIST);
  const b = secondBuild();
  try {
    const a = await t.serve(DIST);
    const port = Number(new URL(a.url).port);
    const { page, context } = await t.open('chromium');
    await page.goto(a.url);
    await opened(page);
    log(`first visit: build ${await buildOf(page)} cached (${(await shellCaches(page)).join(', ')})`);

    await a.close();
    await context.setOffline(true);
    await page.reload();
    await opened(page);
    await offlineJourney(page, digits);

    const served = await t.serve(b.dir, { port });
    await context.setOffline(false);
    await page.reload();
    await waitFor(
      `build B's cache (${b.build}) alone`,
      async () => {
        const keys = await shellCaches(page);
        return { ok: keys.length === 1 && keys[0] === `inkling-shell-${b.build}`, seen: keys };
      },
      MINUTE,
    );
    await served.close();
    await context.setOffline(true);
    await page.reload();
    await opened(page);
    const title = await page.title();
    assert(title === TITLE_B, `offline after the update, the page is build B ("${title}")`);
    assert((await buildOf(page)) === b.build, `build B's service worker is in control`);
    log(`after the update: "${title}", build ${b.build}, caches ${(await shellCaches(page)).join(', ')}`);
  } finally {
    rmSync(b.dir, { recursive: true, force: true });
  }
});
