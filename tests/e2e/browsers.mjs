// One page in a chosen engine for the end-to-end tests: Chromium through playwright-core, Firefox
// through puppeteer-core, WebKit through selenium-webdriver (webkit-page.mjs). The page objects
// share the calls the tests' driver (page.mjs) uses (goto, reload, click, evaluate, $eval,
// waitForSelector, mouse, screenshot); what differs (launch, contexts, console events) is settled
// here.

import { CHROMIUM, launchChromium } from '../../tools/chromium.mjs';
import { FIREFOX, launchFirefox } from '../../tools/firefox.mjs';
import { WEBKIT_DRIVER, launchWebKit } from '../../tools/webkit.mjs';
import { MINUTE, log } from './page.mjs';
import { webkitPage } from './webkit-page.mjs';

/** The engines the tests run in, with the executable each one needs. */
export const ENGINES = { chromium: CHROMIUM, firefox: FIREFOX, webkit: WEBKIT_DRIVER };

/**
 * Opens a page of `width`×`height` in `engine`, logging its console errors and warnings. In Chromium,
 * `context` adds Playwright context options (a phone's viewport and touch) and `initScript` runs in
 * the page before its own scripts. Resolves to { page, context (Chromium only), version, close }.
 */
export async function openPage(engine, { width = 1280, height = 1000, context: options = {}, initScript } = {}) {
  let opened;
  if (engine === 'chromium') {
    const browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width, height }, ...options });
    if (initScript) await context.addInitScript(initScript);
    opened = { page: await context.newPage(), context, version: `Chromium ${browser.version()}`, close: () => browser.close() };
  } else if (engine === 'firefox') {
    if (initScript || Object.keys(options).length) throw new Error('context options and init scripts are Chromium-only here');
    const browser = await launchFirefox({ width, height });
    const page = await browser.newPage();
    retryWaits(page);
    opened = { page, version: (await browser.version()).replace('firefox/', 'Firefox '), close: () => browser.close() };
  } else if (engine === 'webkit') {
    if (initScript || Object.keys(options).length) throw new Error('context options and init scripts are Chromium-only here');
    const webkit = await launchWebKit({ width, height });
    opened = { page: webkitPage(webkit.driver), version: webkit.version, close: webkit.quit };
  } else {
    throw new Error(`unknown engine "${engine}" (engines: ${Object.keys(ENGINES).join(', ')})`);
  }
  opened.page.setDefaultTimeout(MINUTE); // clicks wait for buttons to become enabled
  // Playwright names a warning 'warning', puppeteer 'warn'.
  opened.page.on('console', (msg) => ['error', 'warning', 'warn'].includes(msg.type()) && log(`console.${msg.type()}: ${msg.text()}`));
  return opened;
}

/**
 * puppeteer's waitForSelector over WebDriver BiDi can fail at once, not by timing out, while the page
 * is still starting (its realm replaced as the page's scripts and workers start). Such a failure is
 * logged with its cause and the wait goes on, within the wait's own timeout; a timeout still fails.
 */
function retryWaits(page) {
  const wait = page.waitForSelector.bind(page);
  page.waitForSelector = async (selector, options = {}) => {
    const deadline = Date.now() + (options.timeout ?? page.getDefaultTimeout());
    for (;;) {
      try {
        return await wait(selector, { ...options, timeout: Math.max(1, deadline - Date.now()) });
      } catch (err) {
        if (err.name === 'TimeoutError' || Date.now() >= deadline) throw err;
        log(`waiting for ${selector} failed (${err.cause?.message ?? err.message}); waiting again`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
}
