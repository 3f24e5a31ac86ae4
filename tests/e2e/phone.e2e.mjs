#!/usr/bin/env node
// The app on a phone: a touch-emulating Chromium context (390×844, isMobile, hasTouch). The layout must
// fit the width with no horizontal scroll; a finger swipe on the drawing pad must draw instead of
// scrolling the page; and digits drawn with the finger (touch events, stroke by stroke) must be read
// by the pretrained CNN. Saves test-results/app-phone.png (the drawing pad as a phone shows it).
//
//   node tests/e2e/phone.e2e.mjs        (after `node tools/build.mjs`)
//   env: E2E_DIST (default dist), E2E_RESULTS (default test-results), CHROMIUM (default /usr/bin/chromium)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM } from '../../tools/chromium.mjs';
import { DIST, e2e, screenshot } from './harness.mjs';
import { MINUTE, assert, loadTestDigits, log, pageDriver, pickDigits, tid, waitFor } from './page.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function run(page, cdp, digits) {
  const { text, drawAndPredict } = pageDriver(page, { touch: cdp });

  await page.waitForSelector(`${tid('build-info')}[data-workers]`, { timeout: MINUTE });
  log(`engine: ${await text('build-info')}`);
  const width = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
  log(`page width ${width.page} px in a ${width.view} px viewport`);
  assert(width.page <= width.view, `no horizontal scroll on a phone (page ${width.page} px wide, viewport ${width.view} px)`);

  // The pretrained CNN, so that the test is about the phone, not about training.
  await page.tap(tid('load-pretrained'));
  await waitFor(
    'the pretrained model',
    async () => {
      const source = await page.getAttribute(tid('model-status'), 'data-source');
      return { ok: source === 'pretrained', seen: source };
    },
    MINUTE,
  );
  log(`model: ${await text('model-status')}`);

  // A long downward swipe across the pad draws a stroke and leaves the page where it was.
  const canvas = page.locator(tid('draw-canvas'));
  await canvas.scrollIntoViewIfNeeded();
  const touchAction = await canvas.evaluate((el) => getComputedStyle(el).touchAction);
  assert(touchAction === 'none', `the pad has touch-action: none (got ${touchAction})`);
  const rect = await canvas.boundingBox();
  const scrollBefore = await page.evaluate(() => window.scrollY);
  const x = rect.x + rect.width / 2;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y: rect.y + 10 }] });
  for (let i = 1; i <= 20; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: rect.y + 10 + ((rect.height - 20) * i) / 20 }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  const swipe = await waitFor(
    'the swipe drawn as a stroke',
    async () => {
      const p = await text('prediction');
      return { ok: /\d/.test(p), seen: p, p };
    },
    10_000,
    200,
  );
  const scrollAfter = await page.evaluate(() => window.scrollY);
  log(`swipe on the pad: prediction "${swipe.p}", page scroll ${scrollBefore} -> ${scrollAfter}`);
  assert(scrollAfter === scrollBefore, `a swipe on the pad does not scroll the page (scrollY ${scrollBefore} -> ${scrollAfter})`);

  // Digits drawn with the finger.
  const probe = pickDigits(digits, [7, 2, 1, 0, 4, 3]);
  let correct = 0;
  for (const d of probe) if ((await drawAndPredict(d, ' with a finger')) === d.label) correct++;
  log(`${correct}/${probe.length} digits drawn with a finger read right`);
  assert(correct >= probe.length - 1, `at least ${probe.length - 1} of ${probe.length} finger-drawn digits read right (got ${correct})`);
  log(`saved ${await screenshot(page, 'app-phone.png', { element: '.card-draw' })}`);
}

await e2e('phone', 10, async (t) => {
  assert(existsSync(CHROMIUM), `${CHROMIUM} exists (node tools/setup.mjs --browser)`);
  assert(existsSync(join(DIST, 'index.html')), `${DIST}/index.html exists (node tools/build.mjs)`);
  const digits = loadTestDigits(DIST);
  const { url } = await t.serve(DIST);
  const { page, context } = await t.open('chromium', { context: PHONE });
  await page.goto(url);
  await run(page, await context.newCDPSession(page), digits);
});
