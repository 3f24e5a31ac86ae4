// The end-to-end tests' driver of the app's page, in any engine (browsers.mjs): waiting, asserting,
// reading the UI through its data-testid hooks, and drawing a digit on the pad with pointer events,
// stroke by stroke along its centre line as a person would. The journey and its checks are in
// app.e2e.mjs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdx } from '../../tools/idx.mjs';
import { digitStrokes, inkBox, placeStrokes } from './strokes.mjs';

export const MINUTE = 60_000;
export const t0 = Date.now();
export const log = (msg) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);
export const tid = (id) => `[data-testid="${id}"]`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; throw naming `what` (and the last value seen) on timeout. */
export async function waitFor(what, fn, timeoutMs, intervalMs = 500) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last?.ok ?? last) return last;
    if (Date.now() > end) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${last?.seen !== undefined ? ` (last seen: ${JSON.stringify(last.seen)})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** The test digits the app itself serves (`dist`/data/mnist/t10k-*.gz). */
export function loadTestDigits(dist) {
  const dir = join(dist, 'data', 'mnist');
  const images = parseIdx(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
  const labels = parseIdx(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
  return Array.from({ length: Math.min(images.count, 200) }, (_, i) => ({
    index: i,
    label: labels.data[i],
    pixels: images.data.subarray(i * 784, (i + 1) * 784),
  }));
}

/** The first test digit of each wanted label, skipping used indices. */
export function pickDigits(digits, labels, used = new Set()) {
  return labels.map((label) => {
    const d = digits.find((x) => x.label === label && !used.has(x.index));
    assert(d, `a test digit with label ${label}`);
    used.add(d.index);
    return d;
  });
}

/** Pointer moves from `a` to `b` (viewport pixels): one every ~4 px, at least 2. */
const stepsBetween = ([x0, y0], [x1, y1]) => Math.max(2, Math.round(Math.hypot(x1 - x0, y1 - y0) / 4));

/**
 * One stroke from (x0, y0) to (x1, y1) in viewport pixels, as a finger draws it: touch events through
 * Chromium's DevTools protocol (`cdp`, a CDPSession), which the page receives as pointer events of
 * type "touch".
 */
async function touchStroke(cdp, [x0, y0], [x1, y1]) {
  const steps = stepsBetween([x0, y0], [x1, y1]);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y: y0 }] });
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x0 + (x1 - x0) * t + (x1 === x0 && y1 === y0 ? 1 : 0), y: y0 + (y1 - y0) * t }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/**
 * Reading and drawing on `page` (a Playwright or a puppeteer page: only the calls both share); with
 * `touch` (a CDPSession), digits are drawn with a finger.
 */
export function pageDriver(page, { touch } = {}) {
  // Visible text, whitespace collapsed (for logs and number parsing).
  const text = async (id) => ((await page.$eval(tid(id), (el) => el.innerText)) ?? '').replace(/\s+/g, ' ').trim();
  const attr = (id, name) => page.$eval(tid(id), (el, n) => el.getAttribute(n), name);
  const firstInt = (s) => {
    const m = /-?\d+/.exec(s ?? '');
    return m ? Number(m[0]) : NaN;
  };
  // A field typed into, or a choice picked: the value, then the events the page listens to.
  const setInput = (id, value) =>
    page.$eval(
      tid(id),
      (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      },
      String(value),
    );
  /** Click `id` once it is enabled. */
  async function click(id) {
    await page.waitForSelector(`${tid(id)}:not([disabled])`);
    await page.click(tid(id));
  }
  /** The element's box in viewport pixels, scrolled into view first. */
  const box = (id) =>
    page.$eval(tid(id), (el) => {
      el.scrollIntoView({ block: 'center' });
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    });
  /** A mouse stroke through `points` (viewport pixels), `steps` moves per segment (default: every ~4 px). */
  async function stroke(points, steps) {
    await page.mouse.move(...points[0]);
    await page.mouse.down();
    for (let i = 1; i < points.length; i++) await page.mouse.move(...points[i], { steps: steps ?? stepsBetween(points[i - 1], points[i]) });
    await page.mouse.up();
  }
  /** Files picked in the file input `id`: [{ name, bytes }], handed over as a user's pick is. */
  const upload = (id, files) =>
    page.$eval(
      tid(id),
      (el, list) => {
        const picked = new DataTransfer();
        for (const f of list) picked.items.add(new File([new Uint8Array(f.bytes)], f.name));
        el.files = picked.files;
        el.dispatchEvent(new Event('change', { bubbles: true }));
      },
      files.map((f) => ({ name: f.name, bytes: [...f.bytes] })),
    );
  /**
   * Clicks `id` and resolves to the file it saves: { name, bytes }. Playwright catches the browser's
   * download; elsewhere the page's own anchor click is intercepted and its blob read back.
   */
  async function download(id) {
    if (typeof page.waitForEvent === 'function') {
      const [file] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), click(id)]);
      return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
    }
    // The blob is kept as the page makes its URL (the page's CSP does not let it fetch blob: URLs).
    await page.evaluate(() => {
      const { click } = HTMLAnchorElement.prototype;
      const { createObjectURL } = URL;
      const blobs = new Map();
      URL.createObjectURL = (blob) => {
        const url = createObjectURL(blob);
        blobs.set(url, blob);
        return url;
      };
      window.__saved = new Promise((resolve) => {
        HTMLAnchorElement.prototype.click = function () {
          if (!this.download || !blobs.has(this.href)) return click.call(this);
          HTMLAnchorElement.prototype.click = click;
          URL.createObjectURL = createObjectURL;
          resolve(blobs.get(this.href).arrayBuffer().then((buf) => ({ name: this.download, bytes: [...new Uint8Array(buf)] })));
        };
      });
    });
    await click(id);
    const saved = await page.evaluate(() => window.__saved);
    return { name: saved.name, bytes: Buffer.from(saved.bytes) };
  }

  /** Clear the canvas, draw `digit` stroke by stroke with the mouse or a finger (pointer events). */
  async function draw(digit) {
    await click('draw-clear');
    // A cleared canvas has no prediction; give the UI a moment to reset it (not required).
    await waitFor('prediction reset', async () => !/\d/.test(await text('prediction')), 3000, 100).catch(() => {});
    const rect = await box('draw-canvas');
    assert(rect.width > 50 && rect.height > 50, `draw-canvas has a usable size (${JSON.stringify(rect)})`);
    const strokes = placeStrokes(digitStrokes(digit.pixels), inkBox(digit.pixels), rect, 0.7);
    for (const [[x0, y0], [x1, y1]] of strokes) {
      if (touch) await touchStroke(touch, [x0, y0], [x1, y1]);
      else await stroke([[x0, y0], [x1 === x0 && y1 === y0 ? x1 + 1 : x1, y1]]);
    }
  }

  /** The predicted digit once it has stayed the same for ~1 s. */
  async function prediction() {
    let last = null;
    let same = 0;
    const r = await waitFor(
      'a stable prediction',
      async () => {
        const p = firstInt(await text('prediction'));
        same = p === last ? same + 1 : 0;
        last = p;
        return { ok: !Number.isNaN(p) && same >= 4, seen: await text('prediction'), p };
      },
      30_000,
      250,
    );
    // prob-N: data-value when the app sets it (else the text), for the log and an argmax check.
    const probs = [];
    for (let d = 0; d < 10; d++) {
      const v = await attr(`prob-${d}`, 'data-value');
      probs.push(v ?? (await text(`prob-${d}`)));
    }
    const values = probs.map(Number);
    if (values.every(Number.isFinite) && values.some((v) => v > 0)) {
      const best = values.indexOf(Math.max(...values));
      assert(best === r.p, `prob-${r.p} is the largest probability (got prob-${best})`);
      return { digit: r.p, probs: values.map((v) => v.toFixed(3)) };
    }
    return { digit: r.p, probs };
  }

  async function drawAndPredict(digit, note = '') {
    await draw(digit);
    const p = await prediction();
    log(`  drew test digit #${digit.index} (label ${digit.label})${note}: predicted ${p.digit}  [probs ${p.probs.join(' | ')}]`);
    return p.digit;
  }

  return { text, attr, firstInt, setInput, click, box, stroke, upload, download, draw, prediction, drawAndPredict };
}
