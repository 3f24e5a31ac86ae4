#!/usr/bin/env node
// The model builder in the page (Chromium): the cnn preset's summary, a convolution added (the
// network turns custom and the summary changes), an invalid edit named by its layer and undone,
// a few hundred batches of the custom network past 90 % test accuracy, a drawn digit read with the
// feature maps of every layer shown, and after a reload the custom network restored with its layers.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM } from '../../tools/chromium.mjs';
import { DIST, e2e, screenshot } from './harness.mjs';
import { MINUTE, assert, loadTestDigits, log, pageDriver, pickDigits, tid, waitFor } from './page.mjs';

const TARGET_BATCHES = 250;

/** The summary table's rows as [layer, output, params] and its total. */
const readSummary = (page) =>
  page.$eval(tid('net-summary'), (table) => ({
    rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
    total: table.querySelector('tfoot td:last-child')?.textContent ?? '',
    hidden: table.hidden,
  }));

async function summaryWhere(page, what, ok) {
  return waitFor(
    what,
    async () => {
      const s = await readSummary(page);
      return { ok: ok(s), seen: s, s };
    },
    20_000,
    200,
  ).then((r) => r.s);
}

async function run(page, digits) {
  const { text, attr, setInput, click, drawAndPredict } = pageDriver(page);
  await page.waitForSelector(`${tid('dataset-status')}[data-ready="true"]`, { timeout: 5 * MINUTE });
  await page.$eval(tid('net-builder'), (d) => (d.open = true));
  const cnn = await summaryWhere(page, "the cnn preset's summary", (s) => s.total === '93,322');
  log(`cnn preset: ${cnn.rows.length} rows, total ${cnn.total}`);
  assert(cnn.rows[0].join(' | ') === 'conv1 (conv) | (None, 32, 26, 26) | 320', `first row is conv1 (got ${cnn.rows[0]})`);

  // Add a convolution: it goes after the last feature-map layer, the network turns custom.
  await setInput('net-add-type', 'conv');
  await click('net-add');
  const added = await summaryWhere(page, 'the summary with a fourth convolution', (s) => s.rows.some((r) => r[0] === 'conv4 (conv)'));
  const model = await page.$eval(tid('cfg-model'), (el) => el.value);
  log(`added a convolution: model "${model}", total ${added.total}; ${added.rows.map((r) => r[0]).join(', ')}`);
  assert(model === 'custom', `the model select says custom (got ${model})`);
  assert(added.total !== cnn.total, 'the total changed');
  // 28 → 26 → 13 → 11 → 5 → 3 → 1: the new convolution's output is 1×1.
  assert(added.rows.find((r) => r[0] === 'conv4 (conv)')[1] === '(None, 32, 1, 1)', 'conv4 gives (None, 32, 1, 1)');

  // An invalid edit: the last layer with 12 units is named, then undone.
  const last = await page.$$eval(`${tid('net-layers')} li`, (lis) => lis.length);
  await page.$eval(`${tid('net-layers')} li:nth-child(${last}) input`, (el) => {
    el.value = '12';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  const error = await waitFor(
    'the error naming the last layer',
    async () => {
      const t = await text('net-error');
      return { ok: /layer \d+ \(dense\)/.test(t), seen: t, t };
    },
    20_000,
    200,
  );
  log(`invalid: ${error.t}`);
  await page.$eval(`${tid('net-layers')} li:nth-child(${last}) input`, (el) => {
    el.value = '10';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await summaryWhere(page, 'the network valid again', (s) => !s.hidden && s.total === added.total);

  // Train the custom network.
  await setInput('cfg-epochs', 3);
  await click('train-start');
  await waitFor(
    `${TARGET_BATCHES} batches`,
    async () => {
      const batches = Number(await attr('train-progress', 'data-batches')) || 0;
      return { ok: batches >= TARGET_BATCHES, seen: batches };
    },
    10 * MINUTE,
    1000,
  );
  await click('train-stop');
  const acc = await waitFor(
    'the test accuracy',
    async () => {
      const state = await attr('train-progress', 'data-state');
      const v = Number.parseFloat((await attr('test-accuracy', 'data-value')) ?? '');
      return { ok: state !== 'training' && Number.isFinite(v) && v > 0, seen: { state, v }, v };
    },
    5 * MINUTE,
    1000,
  );
  log(`custom network: test accuracy ${acc.v}; model status ${await text('model-status')}`);
  assert(acc.v > 0.9, `test accuracy above 90 % (got ${acc.v})`);
  const [seven, two] = pickDigits(digits, [7, 2]);
  let t = Date.now();
  await drawAndPredict(two);
  log(`a 2 drawn and read in ${Date.now() - t} ms with the panel closed`);
  await page.$eval(tid('inside'), (d) => (d.open = true));
  t = Date.now();
  const read = await drawAndPredict(seven);
  log(`a drawn 7 read as ${read} in ${Date.now() - t} ms with the panel open`);
  const inside = await waitFor(
    "the drawing's feature maps",
    async () => {
      const seen = await page.$eval(tid('inside-layers'), (el) => ({
        headings: [...el.querySelectorAll('h4')].map((h) => h.textContent),
        tiles: el.querySelectorAll('canvas').length,
      }));
      return { ok: seen.headings.some((h) => h.startsWith('conv4:')), seen, s: seen };
    },
    20_000,
    200,
  );
  log(`inside the network: ${inside.s.tiles} tiles; ${inside.s.headings.join(' / ')}`);
  // Filters 32, maps 32 + 32 + 64 + 64 + 64 + 32, and the two dense strips.
  assert(inside.s.tiles === 32 + 32 + 32 + 64 + 64 + 64 + 32 + 2, `every map, filter and strip is drawn (got ${inside.s.tiles} tiles)`);
  log(`saved ${await screenshot(page, 'app-builder.png', { element: '.card-train' })}`);
  log(`saved ${await screenshot(page, 'app-inside.png', { element: '.card-draw' })}`);

  // After a reload the custom network, its layers and its weights are back.
  await page.reload();
  await page.waitForSelector(`${tid('dataset-status')}[data-ready="true"]`, { timeout: 5 * MINUTE });
  await page.$eval(tid('net-builder'), (d) => (d.open = true));
  const restored = await summaryWhere(page, 'the custom network restored', (s) => s.total === added.total);
  const after = await page.$eval(tid('cfg-model'), (el) => el.value);
  log(`after reload: model "${after}", total ${restored.total}, status ${await text('model-status')}`);
  assert(after === 'custom', `the model select says custom after reload (got ${after})`);
  assert(JSON.stringify(restored.rows) === JSON.stringify(added.rows), 'the same layers after reload');
  const again = await drawAndPredict(seven, ' after reload');
  assert(again === read, `the same prediction after reload (${read} vs ${again})`);
}

await e2e('builder', 20, async (t) => {
  assert(existsSync(CHROMIUM), `${CHROMIUM} exists (node tools/setup.mjs --browser)`);
  assert(existsSync(join(DIST, 'index.html')), `${DIST}/index.html exists (node tools/build.mjs)`);
  const digits = loadTestDigits(DIST);
  const { url } = await t.serve(DIST);
  const { page } = await t.open('chromium');
  await page.goto(url);
  await run(page, digits);
});
