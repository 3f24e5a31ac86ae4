// One page in a chosen engine for the end-to-end journey: Chromium through playwright-core, Firefox
// through puppeteer-core. Both page objects share the calls the journey's driver (page.mjs) uses
// (goto, reload, click, evaluate, $eval, waitForSelector, mouse, screenshot); what differs (launch,
// events, downloads) is settled here.

import { CHROMIUM, launchChromium } from '../../tools/chromium.mjs';
import { FIREFOX, launchFirefox } from '../../tools/firefox.mjs';
import { MINUTE } from './page.mjs';

/** The engines the journey runs in, with the executable each one needs. */
export const ENGINES = { chromium: CHROMIUM, firefox: FIREFOX };

/**
 * Opens a page of `width`×`height` in `engine`. Resolves to { page, version, onError, close }:
 * `onError(fn)` reports uncaught page errors and console errors/warnings as (kind, text).
 */
export async function openPage(engine, { width = 1280, height = 1000 } = {}) {
  if (engine === 'chromium') {
    const browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(MINUTE);
    return {
      page,
      version: `Chromium ${browser.version()}`,
      onError(fn) {
        page.on('pageerror', (err) => fn('pageerror', err.message));
        page.on('console', (msg) => ['error', 'warning'].includes(msg.type()) && fn(`console.${msg.type()}`, msg.text()));
      },
      close: () => browser.close(),
    };
  }
  if (engine === 'firefox') {
    const browser = await launchFirefox({ width, height });
    const page = await browser.newPage();
    page.setDefaultTimeout(MINUTE);
    return {
      page,
      version: (await browser.version()).replace('firefox/', 'Firefox '),
      onError(fn) {
        page.on('pageerror', (err) => fn('pageerror', err.message));
        page.on('console', (msg) => ['error', 'warn'].includes(msg.type()) && fn(`console.${msg.type()}`, msg.text()));
      },
      close: () => browser.close(),
    };
  }
  throw new Error(`unknown engine "${engine}" (engines: ${Object.keys(ENGINES).join(', ')})`);
}
