// The frame of every end-to-end test: where the built app and the results are, a watchdog, the
// servers and pages a test opens (all closed at the end), uncaught page errors turned into a
// failure, a screenshot of the last page on failure, and the "e2e NAME: N passed, N failed" line.

import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../../tools/serve.mjs';
import { openPage } from './browsers.mjs';
import { MINUTE, log } from './page.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built app under test (E2E_DIST, default dist/). */
export const DIST = resolve(process.env.E2E_DIST || join(ROOT, 'dist'));
/** Where screenshots go (E2E_RESULTS, default test-results/). */
export const RESULTS = resolve(process.env.E2E_RESULTS || join(ROOT, 'test-results'));

/** Saves a full-page screenshot of `page` as RESULTS/`name`; resolves to its path from ROOT. */
export async function screenshot(page, name, options = {}) {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, name);
  await (options.element ? page.locator(options.element) : page).screenshot({ path, fullPage: !options.element });
  return relative(ROOT, path);
}

/**
 * Runs the test `name` (at most `minutes` long): `body(t)` opens what it needs through
 * `t.serve(dir, options)` (a static server, { url, close }) and `t.open(engine, options)` (a page,
 * browsers.mjs's openPage), and throws on failure.
 */
export async function e2e(name, minutes, body) {
  const summary = (failed) => console.log(`e2e ${name}: ${failed ? '0 passed, 1 failed' : '1 passed, 0 failed'}`);
  const watchdog = setTimeout(() => {
    console.error(`[e2e ${name}] FAILED: overall timeout (${minutes} min)`);
    summary(true);
    process.exit(1);
  }, minutes * MINUTE);
  watchdog.unref();
  const closers = [];
  const pageErrors = [];
  let last = null;
  const t = {
    async serve(dir, options) {
      const server = await serveStatic(dir, options);
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await server.close();
      };
      closers.push(close);
      return { url: server.url, close };
    },
    async open(engine, options) {
      const opened = await openPage(engine, options);
      closers.push(opened.close);
      opened.page.on('pageerror', (err) => {
        pageErrors.push(err.message);
        log(`page error: ${err.message}`);
      });
      last = opened.page;
      return opened;
    },
  };
  let failure = null;
  try {
    await body(t);
    if (pageErrors.length) throw new Error(`uncaught page errors: ${pageErrors.join(' | ')}`);
  } catch (err) {
    failure = err;
    console.error(`[e2e ${name}] FAILED: ${err.message || err.name}`);
    if (!err.message.startsWith('assertion failed')) console.error(err.stack);
    if (last) await screenshot(last, `${name}-failure.png`).then((p) => console.error(`[e2e ${name}] screenshot: ${p}`), () => {});
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
  summary(failure);
  process.exitCode = failure ? 1 : 0;
}
