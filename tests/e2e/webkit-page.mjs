// A page object for WebKit with the calls the tests' driver (page.mjs) uses, over a selenium
// WebDriver session (tools/webkit.mjs): goto, reload, title, evaluate, $eval, waitForSelector, click,
// mouse (W3C pointer actions), screenshot, setDefaultTimeout, and 'console' / 'pageerror' events.
// Classic WebDriver has no event stream, so the page's errors and console warnings are collected in
// the page by a listener installed after each load and handed over with every script's result.

import { writeFileSync } from 'node:fs';

// Installed after each load: uncaught errors, unhandled rejections and console errors and warnings
// of the page, kept until the next script collects them.
const COLLECTOR = `
  if (!window.__e2e) {
    window.__e2e = [];
    const keep = (type, text) => window.__e2e.push({ type, text: String(text) });
    window.addEventListener('error', (e) => keep('pageerror', e.message));
    window.addEventListener('unhandledrejection', (e) => keep('pageerror', e.reason?.message ?? e.reason));
    for (const type of ['error', 'warn']) {
      const original = console[type];
      console[type] = (...args) => { keep(type, args.join(' ')); original.apply(console, args); };
    }
  }`;

// The script that runs `source` (a function's text, spliced in: the page's CSP forbids eval) on the
// script's arguments and returns { value, events }; a rejected promise becomes { error }.
const wrapped = (source) => `
  const take = () => (window.__e2e ?? []).splice(0);
  return Promise.resolve()
    .then(() => (${source})(...arguments))
    .then((value) => ({ value, events: take() }), (err) => ({ error: String(err?.message ?? err), events: take() }));`;

/** `driver` (selenium WebDriver) as a page; `version` is reported by browsers.mjs. */
export function webkitPage(driver) {
  const handlers = { console: [], pageerror: [] };
  let timeout = 30_000;
  let at = [0, 0];

  function emit(events) {
    for (const { type, text } of events) {
      if (type === 'pageerror') for (const h of handlers.pageerror) h(new Error(text));
      else for (const h of handlers.console) h({ type: () => type, text: () => text });
    }
  }
  async function run(source, args) {
    await flush();
    const { value, error, events } = await driver.executeScript(wrapped(source), ...args);
    emit(events);
    if (error !== undefined) throw new Error(`in the page: ${error}`);
    return value ?? undefined;
  }
  const evaluate = (fn, ...args) => run(fn.toString(), args);
  const $eval = (selector, fn, ...args) =>
    run(
      `(sel, ...rest) => {
        const el = document.querySelector(sel);
        if (!el) throw new Error('no element matches ' + sel);
        return (${fn})(el, ...rest);
      }`,
      [selector, ...args],
    );
  const loaded = () => driver.executeScript(COLLECTOR);

  // The mouse's moves, presses and releases are queued and sent as one W3C pointer-actions request
  // before the page is next asked anything: a drawing of many strokes costs one request, as each
  // request waits for WebKit to render.
  let pending = [];
  async function flush() {
    if (!pending.length) return;
    const actions = driver.actions({ async: true });
    for (const step of pending) step(actions);
    pending = [];
    await actions.perform();
  }

  return {
    setDefaultTimeout: (ms) => (timeout = ms),
    on: (name, handler) => handlers[name]?.push(handler),
    async goto(url) {
      await flush();
      await driver.get(url);
      await loaded();
    },
    async reload() {
      await flush();
      await driver.navigate().refresh();
      await loaded();
    },
    title: () => driver.getTitle(),
    evaluate,
    $eval,
    async waitForSelector(selector, options = {}) {
      const end = Date.now() + (options.timeout ?? timeout);
      while (!(await evaluate((sel) => document.querySelector(sel) !== null, selector))) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${selector}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async click(selector) {
      const { By } = await import('selenium-webdriver');
      await flush();
      await driver.findElement(By.css(selector)).click();
    },
    mouse: {
      async move(x, y, { steps = 1 } = {}) {
        const [x0, y0] = at;
        at = [x, y];
        for (let i = 1; i <= steps; i++) {
          const [xi, yi] = [x0 + ((x - x0) * i) / steps, y0 + ((y - y0) * i) / steps];
          pending.push((a) => a.move({ x: Math.round(xi), y: Math.round(yi), origin: 'viewport', duration: 0 }));
        }
      },
      async down() {
        pending.push((a) => a.press());
      },
      async up() {
        pending.push((a) => a.release());
      },
    },
    /** The viewport (WebDriver has no full-page screenshot) as a PNG at `path`. */
    async screenshot({ path }) {
      await flush();
      writeFileSync(path, Buffer.from(await driver.takeScreenshot(), 'base64'));
    },
  };
}
