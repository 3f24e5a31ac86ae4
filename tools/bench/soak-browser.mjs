// `npm run soak -- --browser firefox|chromium`: the soak (www/bench/soak-run.js) in a browser's
// bench worker. The bench page (bench-results/site, rebuilt when out of date) is served as the
// bench serves it, the data set is loaded as the app loads it, and each epoch's reading is logged
// as the worker reports it.

import { launchChromium } from '../chromium.mjs';
import { launchFirefox } from '../firefox.mjs';
import { logger } from '../lib.mjs';
import { serveStatic } from '../serve.mjs';
import { SITE, buildIfNeeded } from './site.mjs';

const log = logger('soak');

/** A page in `engine` (Debian's Firefox ESR or Chromium): { page, version, close }. */
async function open(engine) {
  if (engine === 'firefox') {
    const browser = await launchFirefox();
    return { page: await browser.newPage(), version: (await browser.version()).replace('firefox/', 'Firefox '), close: () => browser.close() };
  }
  if (engine === 'chromium') {
    const browser = await launchChromium();
    return { page: await browser.newPage(), version: `Chromium ${browser.version()}`, close: () => browser.close() };
  }
  throw new Error(`--browser is firefox or chromium, not "${engine}"`);
}

/**
 * Runs the soak of `settings` in `engine`; `report` holds soak.mjs's runOptions, logData and
 * logEpoch. Resolves to soak-run.js's result with `options` and `engine` added.
 */
export async function browserSoak(engine, settings, { runOptions, logData, logEpoch }) {
  await buildIfNeeded();
  const site = await serveStatic(SITE, { cacheAssets: true });
  const { page, version, close } = await open(engine);
  let poll = null;
  try {
    page.on('pageerror', (e) => log.warn(`page error: ${e.message}`));
    await page.goto(new URL('www/bench/bench.html', site.url).href);
    // Polled with evaluate: puppeteer's waitForFunction compiles its predicate in the page, which
    // the page's CSP refuses.
    while (!(await page.evaluate(() => Boolean(window.bench)))) await new Promise((r) => setTimeout(r, 100));
    const call = (task, params) => page.evaluate(([t, p]) => window.bench.run(t, p), [task, params]);
    const init = await call('init');
    const dataset = await call('load', { baseUrl: await page.evaluate(() => window.bench.dataBase()) });
    const options = runOptions(settings, { trainCount: dataset.train, testCount: dataset.test }, dataset.train + dataset.validation);
    const info = init.buildInfo;
    log(`wasm ${info.version}, simd ${info.simd}; in ${version}'s bench worker (one Trainer, no pool); model ${options.model}, batch ${options.batch}`);
    logData({ name: dataset.name, official: dataset.official }, options, dataset.train);
    // Each epoch's reading is logged as the worker reports it (polled), the rest from the result.
    const series = [];
    const logUpTo = (records) => {
      for (const r of records.filter((x) => x.task === 'soak' || x.task === undefined).slice(series.length)) {
        series.push(r);
        logEpoch(r, series, options.epochs, options.epochSize);
      }
    };
    poll = setInterval(() => page.evaluate(() => window.benchProgress).then(logUpTo, () => {}), 2000);
    const result = await call('soak', options);
    clearInterval(poll);
    logUpTo(result.series);
    return { ...result, options, engine: version };
  } finally {
    clearInterval(poll);
    await close();
    await site.close();
  }
}
